// Response helpers of http_server.h: the JSON error envelope and request ids.
#include <openssl/rand.h>

#include <algorithm>
#include <array>

#include "aiops/common/http_server.h"

namespace aiops::common {

bool is_valid_request_id(std::string_view request_id) {
    if (request_id.empty() || request_id.size() > kMaxRequestIdLength) {
        return false;
    }
    for (char ch : request_id) {
        const bool alnum =
            (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
        if (!alnum && ch != '.' && ch != '_' && ch != '-') {
            return false;
        }
    }
    return true;
}

std::string new_request_id() {
    std::array<unsigned char, 16> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
        // The CSPRNG failing is not an expected condition: it is a bug or a broken host (E3).
        throw std::runtime_error("RAND_bytes failed");
    }
    static constexpr std::string_view kHex = "0123456789abcdef";
    std::string id;
    id.reserve(bytes.size() * 2);
    for (unsigned char byte : bytes) {
        id += kHex[byte >> 4];
        id += kHex[byte & 0x0f];
    }
    return id;
}

nlohmann::json error_body(const Error& error) {
    return {{"error", {{"code", wire_name(error.code)}, {"message", error.message}}}};
}

void write_json(httplib::Response& res, int status, const nlohmann::json& body) {
    res.status = status;
    res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                    "application/json");
}

void write_error(httplib::Response& res, const Error& error) {
    if (error.code == ErrorCode::kUnauthorized) {
        res.set_header("WWW-Authenticate", std::string(kBearerChallenge));
    }
    if (error.retry_after.count() > 0) {
        res.set_header("Retry-After", std::to_string(error.retry_after.count()));
    }
    write_json(res, http_status(error.code), error_body(error));
}

ErrorCode error_code_for_status(int status) {
    switch (status) {
        case 400: return ErrorCode::kInvalidInput;
        case 401: return ErrorCode::kUnauthorized;
        case 403: return ErrorCode::kForbidden;
        case 404: return ErrorCode::kNotFound;
        case 405: return ErrorCode::kMethodNotAllowed;
        case 409: return ErrorCode::kConflict;
        case 412: return ErrorCode::kPreconditionFailed;
        case 413:
        case 414: return ErrorCode::kTooLarge;
        case 415: return ErrorCode::kUnsupportedMedia;
        case 416: return ErrorCode::kRangeNotSatisfiable;
        case 429: return ErrorCode::kRateLimited;
        case 502: return ErrorCode::kUpstream;
        case 503: return ErrorCode::kUnavailable;
        case 504: return ErrorCode::kTimeout;
        default: break;
    }
    return status < 500 ? ErrorCode::kInvalidInput : ErrorCode::kInternal;
}

namespace {

std::optional<std::uint64_t> parse_position(std::string_view text) {
    if (text.empty() || text.size() > 19) {
        return std::nullopt;
    }
    std::uint64_t value = 0;
    for (const char c : text) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        value = value * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return value;
}

}  // namespace

Result<std::optional<ByteRange>> parse_byte_range(std::string_view header, std::uint64_t size) {
    constexpr std::string_view kUnit = "bytes=";
    if (header.empty() || header.substr(0, kUnit.size()) != kUnit ||
        header.find(',') != std::string_view::npos) {
        return std::optional<ByteRange>{};
    }
    const auto spec = header.substr(kUnit.size());
    const auto dash = spec.find('-');
    const Error unsatisfiable{ErrorCode::kRangeNotSatisfiable,
                              "range " + std::string(header.substr(0, 64)) +
                                  " cannot be satisfied for " + std::to_string(size) + " bytes"};
    if (dash == std::string_view::npos || size == 0) {
        return unsatisfiable;
    }
    const auto first_text = spec.substr(0, dash);
    const auto last_text = spec.substr(dash + 1);
    if (first_text.empty()) {  // suffix: the last n bytes
        const auto count = parse_position(last_text);
        if (!count || *count == 0) {
            return unsatisfiable;
        }
        return std::optional<ByteRange>{ByteRange{size - std::min(*count, size), size - 1}};
    }
    const auto first = parse_position(first_text);
    const auto last =
        last_text.empty() ? std::optional<std::uint64_t>{size - 1} : parse_position(last_text);
    if (!first || !last || *last < *first || *first >= size) {
        return unsatisfiable;
    }
    return std::optional<ByteRange>{ByteRange{*first, std::min(*last, size - 1)}};
}

}  // namespace aiops::common
