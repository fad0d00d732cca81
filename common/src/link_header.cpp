#include "aiops/common/link_header.h"

#include <algorithm>

namespace aiops::common {
namespace {

void skip_whitespace(std::string_view text, std::size_t& pos) {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) {
        ++pos;
    }
}

bool equals_ignore_case(std::string_view lhs, std::string_view rhs) {
    if (lhs.size() != rhs.size()) {
        return false;
    }
    for (std::size_t index = 0; index < lhs.size(); ++index) {
        const auto fold = [](char character) {
            return character >= 'A' && character <= 'Z' ? static_cast<char>(character - 'A' + 'a')
                                                        : character;
        };
        if (fold(lhs[index]) != fold(rhs[index])) {
            return false;
        }
    }
    return true;
}

// `rel` is a space-separated list of relation types.
bool rel_has_next(std::string_view value) {
    std::size_t pos = 0;
    while (pos < value.size()) {
        const std::size_t end = std::min(value.find(' ', pos), value.size());
        if (equals_ignore_case(value.substr(pos, end - pos), "next")) {
            return true;
        }
        pos = end + 1;
    }
    return false;
}

// A parameter value: quoted string (backslash escapes) or a bare run up to `;` / `,`.
std::optional<std::string> param_value(std::string_view text, std::size_t& pos) {
    std::string value;
    if (pos < text.size() && text[pos] == '"') {
        for (++pos; pos < text.size(); ++pos) {
            if (text[pos] == '"') {
                ++pos;
                return value;
            }
            if (text[pos] == '\\' && pos + 1 < text.size()) {
                ++pos;
            }
            value.push_back(text[pos]);
        }
        return std::nullopt;
    }
    while (pos < text.size() && text[pos] != ';' && text[pos] != ',' && text[pos] != ' ') {
        value.push_back(text[pos++]);
    }
    return value;
}

// Parameters after `<target>`: sets `is_next` when rel contains "next". False when malformed.
bool parse_link_params(std::string_view text, std::size_t& pos, bool& is_next) {
    for (skip_whitespace(text, pos); pos < text.size() && text[pos] == ';';
         skip_whitespace(text, pos)) {
        ++pos;
        skip_whitespace(text, pos);
        const std::size_t name_start = pos;
        while (pos < text.size() && text[pos] != '=' && text[pos] != ';' && text[pos] != ',' &&
               text[pos] != ' ') {
            ++pos;
        }
        const std::string_view name = text.substr(name_start, pos - name_start);
        skip_whitespace(text, pos);
        if (pos >= text.size() || text[pos] != '=') {
            continue;  // a parameter without value
        }
        ++pos;
        skip_whitespace(text, pos);
        const auto value = param_value(text, pos);
        if (!value) {
            return false;
        }
        is_next = is_next || (equals_ignore_case(name, "rel") && rel_has_next(*value));
    }
    return true;
}

}  // namespace

std::optional<std::string> parse_next_link(std::string_view header) {
    std::size_t pos = 0;
    while (pos < header.size()) {
        while (pos < header.size() &&
               (header[pos] == ' ' || header[pos] == '\t' || header[pos] == ',')) {
            ++pos;
        }
        if (pos >= header.size()) {
            break;
        }
        if (header[pos] != '<') {
            return std::nullopt;
        }
        const std::size_t close = header.find('>', pos);
        if (close == std::string_view::npos) {
            return std::nullopt;
        }
        const std::string_view target = header.substr(pos + 1, close - pos - 1);
        pos = close + 1;
        bool is_next = false;
        if (!parse_link_params(header, pos, is_next)) {
            return std::nullopt;
        }
        if (is_next && !target.empty()) {
            return std::string(target);
        }
        if (pos < header.size() && header[pos] != ',') {
            return std::nullopt;
        }
    }
    return std::nullopt;
}

std::optional<std::string> resolve_url(std::string_view base_url, std::string_view reference) {
    if (reference.starts_with("http://") || reference.starts_with("https://")) {
        return std::string(reference);
    }
    const std::size_t scheme_end = base_url.find("://");
    if (scheme_end == std::string_view::npos) {
        return std::nullopt;
    }
    if (reference.starts_with("//")) {
        return std::string(base_url.substr(0, scheme_end + 1)) + std::string(reference);
    }
    if (!reference.starts_with("/")) {
        return std::nullopt;
    }
    const std::size_t path_start = base_url.find('/', scheme_end + 3);
    return std::string(base_url.substr(0, path_start)) + std::string(reference);
}

}  // namespace aiops::common
