#include "pickle_text.h"

#include <algorithm>
#include <limits>

namespace aiops::scanner {

namespace {

void append_utf8(std::string& out, std::uint32_t code_point) {
    if (code_point < 0x80) {
        out += static_cast<char>(code_point);
    } else if (code_point < 0x800) {
        out += static_cast<char>(0xC0 | (code_point >> 6));
        out += static_cast<char>(0x80 | (code_point & 0x3F));
    } else if (code_point < 0x10000) {
        out += static_cast<char>(0xE0 | (code_point >> 12));
        out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code_point & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (code_point >> 18));
        out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code_point & 0x3F));
    }
}

int hex_value(char digit) {
    if (digit >= '0' && digit <= '9') {
        return digit - '0';
    }
    if (digit >= 'a' && digit <= 'f') {
        return digit - 'a' + 10;
    }
    if (digit >= 'A' && digit <= 'F') {
        return digit - 'A' + 10;
    }
    return -1;
}

// `count` hex digits at raw[at…], or nullopt.
std::optional<std::uint32_t> hex_number(std::string_view raw, std::size_t at, std::size_t count) {
    if (raw.size() < at + count) {
        return std::nullopt;
    }
    std::uint32_t value = 0;
    for (std::size_t index = at; index < at + count; ++index) {
        const int digit = hex_value(raw[index]);
        if (digit < 0) {
            return std::nullopt;
        }
        value = value * 16 + static_cast<std::uint32_t>(digit);
    }
    return value;
}

bool is_ascii(std::string_view text) {
    return std::ranges::all_of(text, [](char byte) { return (byte & 0x80) == 0; });
}

// codecs.escape_decode: \\ \' \" \a \b \f \n \r \t \v \xhh \ooo; other escapes stay as written.
std::optional<std::string> unescape(std::string_view raw) {
    std::string out;
    for (std::size_t index = 0; index < raw.size(); ++index) {
        if (raw[index] != '\\' || index + 1 == raw.size()) {
            out += raw[index];
            continue;
        }
        const char escaped = raw[++index];
        constexpr std::string_view kFrom = "\\'\"abfnrtv";
        constexpr std::string_view kTo = "\\'\"\a\b\f\n\r\t\v";
        if (const auto at = kFrom.find(escaped); at != std::string_view::npos) {
            out += kTo[at];
        } else if (escaped == 'x') {
            const auto value = hex_number(raw, index + 1, 2);
            if (!value) {
                return std::nullopt;  // "invalid \x escape"
            }
            out += static_cast<char>(*value);
            index += 2;
        } else if (escaped >= '0' && escaped <= '7') {
            unsigned value = 0;
            std::size_t digits = 0;
            for (; digits < 3 && index + digits < raw.size() && raw[index + digits] >= '0' &&
                   raw[index + digits] <= '7';
                 ++digits) {
                value = value * 8 + static_cast<unsigned>(raw[index + digits] - '0');
            }
            out += static_cast<char>(value & 0xFF);
            index += digits - 1;
        } else {
            out += '\\';
            out += escaped;
        }
    }
    return out;
}

std::optional<std::string> decode_quoted(std::string_view raw) {
    if (raw.size() < 2 || raw.front() != raw.back() ||
        (raw.front() != '\'' && raw.front() != '"')) {
        return std::nullopt;  // "the STRING opcode argument must be quoted"
    }
    auto text = unescape(raw.substr(1, raw.size() - 2));
    if (!text || !is_ascii(*text)) {
        return std::nullopt;
    }
    return text;
}

std::optional<std::string> decode_raw_unicode_escape(std::string_view raw) {
    std::string out;
    for (std::size_t index = 0; index < raw.size(); ++index) {
        const bool escape = raw[index] == '\\' && index + 1 < raw.size() &&
                            (raw[index + 1] == 'u' || raw[index + 1] == 'U');
        if (!escape) {
            append_utf8(out, static_cast<unsigned char>(raw[index]));
            continue;
        }
        const std::size_t digits = raw[index + 1] == 'u' ? 4 : 8;
        const auto value = hex_number(raw, index + 2, digits);
        if (!value || *value > 0x10FFFF) {
            return std::nullopt;
        }
        append_utf8(out, *value);
        index += 1 + digits;
    }
    return out;
}

}  // namespace

bool is_valid_utf8(std::string_view text) {
    std::size_t index = 0;
    while (index < text.size()) {
        const auto lead = static_cast<unsigned char>(text[index]);
        std::size_t extra = 0;
        std::uint32_t code_point = 0;
        if (lead < 0x80) {
            ++index;
            continue;
        }
        if (lead >= 0xC2 && lead <= 0xDF) {
            extra = 1;
            code_point = lead & 0x1F;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            extra = 2;
            code_point = lead & 0x0F;
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            extra = 3;
            code_point = lead & 0x07;
        } else {
            return false;
        }
        if (index + extra >= text.size()) {
            return false;
        }
        for (std::size_t next = 1; next <= extra; ++next) {
            const auto byte = static_cast<unsigned char>(text[index + next]);
            if ((byte & 0xC0) != 0x80) {
                return false;
            }
            code_point = (code_point << 6) | (byte & 0x3F);
        }
        const bool overlong =
            (extra == 2 && code_point < 0x800) || (extra == 3 && code_point < 0x10000);
        const bool surrogate = code_point >= 0xD800 && code_point <= 0xDFFF;
        if (overlong || surrogate || code_point > 0x10FFFF) {
            return false;
        }
        index += extra + 1;
    }
    return true;
}

std::optional<std::string> decode_pickle_text(std::string_view raw, TextEncoding encoding) {
    switch (encoding) {
        case TextEncoding::kUtf8:
            return is_valid_utf8(raw) ? std::optional<std::string>(raw) : std::nullopt;
        case TextEncoding::kAscii:
            return is_ascii(raw) ? std::optional<std::string>(raw) : std::nullopt;
        case TextEncoding::kQuotedEscapes: return decode_quoted(raw);
        case TextEncoding::kRawUnicodeEscape: return decode_raw_unicode_escape(raw);
    }
    return std::nullopt;
}

std::optional<std::int64_t> parse_pickle_decimal(std::string_view text) {
    constexpr std::string_view kSpace = " \t\r\n\v\f";
    const auto first = text.find_first_not_of(kSpace);
    if (first == std::string_view::npos) {
        return std::nullopt;
    }
    text = text.substr(first, text.find_last_not_of(kSpace) - first + 1);
    const bool negative = text.front() == '-';
    if (text.front() == '-' || text.front() == '+') {
        text.remove_prefix(1);
    }
    if (text.empty() || text.front() == '_' || text.back() == '_') {
        return std::nullopt;
    }
    std::uint64_t value = 0;
    char previous = '0';
    for (const char digit : text) {
        if (digit == '_' && previous != '_') {
            previous = digit;
            continue;
        }
        if (digit < '0' || digit > '9' ||
            value > (std::numeric_limits<std::uint64_t>::max() / 10) - 1) {
            return std::nullopt;
        }
        value = value * 10 + static_cast<std::uint64_t>(digit - '0');
        previous = digit;
    }
    if (value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return std::nullopt;
    }
    const auto magnitude = static_cast<std::int64_t>(value);
    return negative ? -magnitude : magnitude;
}

}  // namespace aiops::scanner
