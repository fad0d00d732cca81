#include "aiops/common/json.h"

#include <string>

namespace aiops::common {

int json_nesting_depth(std::string_view text, int limit) {
    int depth = 0;
    int max_seen = 0;
    bool in_string = false;
    bool escaped = false;
    for (char ch : text) {
        if (in_string) {
            if (escaped) {
                escaped = false;
            } else if (ch == '\\') {
                escaped = true;
            } else if (ch == '"') {
                in_string = false;
            }
            continue;
        }
        if (ch == '"') {
            in_string = true;
        } else if (ch == '[' || ch == '{') {
            ++depth;
            if (depth > max_seen) {
                max_seen = depth;
            }
            if (max_seen > limit) {
                return limit + 1;
            }
        } else if ((ch == ']' || ch == '}') && depth > 0) {
            --depth;
        }
    }
    return max_seen;
}

Result<nlohmann::json> parse_json(std::string_view text, const JsonLimits& limits) {
    if (text.size() > limits.max_bytes) {
        return Error{ErrorCode::kTooLarge,
                     "JSON body exceeds " + std::to_string(limits.max_bytes) + " bytes"};
    }
    if (json_nesting_depth(text, limits.max_depth) > limits.max_depth) {
        return Error{ErrorCode::kInvalidInput,
                     "JSON nesting exceeds depth " + std::to_string(limits.max_depth)};
    }
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& ex) {
        // E3: converted at the edge. The message keeps nlohmann's position ("at line 1, column
        // 52: ... unexpected ']'") and drops its "[json.exception.parse_error.101] " prefix.
        std::string_view what = ex.what();
        if (const auto close = what.find("] ");
            what.starts_with("[json.exception") && close != std::string_view::npos) {
            what.remove_prefix(close + 2);
        }
        return Error{ErrorCode::kInvalidInput,
                     "invalid JSON (byte " + std::to_string(ex.byte) + "): " + std::string(what)};
    } catch (const nlohmann::json::exception& ex) {
        // e.g. out_of_range.406 for a number like 1e999 that does not fit a double.
        return Error{ErrorCode::kInvalidInput, std::string("invalid JSON: ") + ex.what()};
    }
}

}  // namespace aiops::common
