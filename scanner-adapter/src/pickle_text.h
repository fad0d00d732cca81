#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

// Decoding of pickle text operands the way CPython's unpickler does (private to the pickle
// analyser): only the short strings that name an import are ever decoded.
namespace aiops::scanner {

enum class TextEncoding : std::uint8_t {
    kUtf8,              // BINUNICODE, SHORT_BINUNICODE, BINUNICODE8, GLOBAL/INST lines
    kAscii,             // BINSTRING, SHORT_BINSTRING (Unpickler's default encoding="ASCII")
    kQuotedEscapes,     // STRING: a quoted repr with backslash escapes
    kRawUnicodeEscape,  // UNICODE: latin-1 with \uXXXX and \UXXXXXXXX escapes
};

bool is_valid_utf8(std::string_view text);

// The operand as UTF-8 text, or nullopt where the loader would fail to decode it.
std::optional<std::string> decode_pickle_text(std::string_view raw, TextEncoding encoding);

// A decimal argument (GET, PUT): optional sign, digits with single underscores, surrounding
// whitespace, as int() accepts; nullopt when invalid or out of range.
std::optional<std::int64_t> parse_pickle_decimal(std::string_view text);

}  // namespace aiops::scanner
