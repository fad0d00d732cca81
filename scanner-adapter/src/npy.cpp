// .npy header parsing (shared/reference/modelspec-hf-scanning.md §3.3): magic, version, header
// length, then the header — a Python dict literal read by a small strict parser (never eval'd).
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string_view>
#include <tuple>
#include <vector>

#include "formats.h"
#include "source_reader.h"

namespace aiops::scanner {

namespace {

using common::Error;
using common::ErrorCode;
using common::Result;

constexpr std::string_view kMagic = "\x93NUMPY";
constexpr std::uint64_t kMaxNpyHeaderBytes = 1U << 20;  // numpy's default cap is 10000
constexpr int kMaxLiteralDepth = 8;

// A Python literal: str, int, bool, None, tuple or list.
struct PyValue {
    enum class Kind { kString, kInt, kBool, kNone, kSequence };
    Kind kind = Kind::kNone;
    std::string text;  // kString
    std::uint64_t number = 0;
    bool negative = false;  // kInt
    bool flag = false;      // kBool
    std::vector<PyValue> items;
    std::string_view raw;  // the literal's source text
};

PyValue literal(PyValue::Kind kind) {
    PyValue out;
    out.kind = kind;
    return out;
}

Error bad_header(const std::string& why) {
    return Error{ErrorCode::kInvalidInput, ".npy header: " + why};
}

class LiteralParser {
public:
    explicit LiteralParser(std::string_view text) : text_(text) {}

    Result<std::vector<std::pair<std::string, PyValue>>> dict();

private:
    Result<PyValue> value(int depth);
    Result<PyValue> sequence(char close, int depth);
    Result<PyValue> string();
    Result<PyValue> integer();
    Result<PyValue> word();
    void skip_space() {
        while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                       text_[pos_] == '\n' || text_[pos_] == '\r')) {
            ++pos_;
        }
    }
    bool eat(char ch) {
        skip_space();
        if (pos_ < text_.size() && text_[pos_] == ch) {
            ++pos_;
            return true;
        }
        return false;
    }
    Error error(const std::string& what) const {
        return bad_header(what + " at byte " + std::to_string(pos_));
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

Result<std::vector<std::pair<std::string, PyValue>>> LiteralParser::dict() {
    std::vector<std::pair<std::string, PyValue>> entries;
    if (!eat('{')) {
        return error("expected '{'");
    }
    while (!eat('}')) {
        skip_space();
        auto key = string();
        if (!key) {
            return key.error();
        }
        if (!eat(':')) {
            return error("expected ':'");
        }
        auto item = value(1);
        if (!item) {
            return item.error();
        }
        entries.emplace_back(std::move(key->text), std::move(*item));
        if (!eat(',')) {
            if (!eat('}')) {
                return error("expected ',' or '}'");
            }
            break;
        }
    }
    skip_space();
    if (pos_ != text_.size()) {
        return error("unexpected text after the dict");
    }
    return entries;
}

Result<PyValue> LiteralParser::value(int depth) {
    if (depth > kMaxLiteralDepth) {
        return error("literal nested too deeply");
    }
    skip_space();
    if (pos_ >= text_.size()) {
        return error("unexpected end");
    }
    const auto start = pos_;
    Result<PyValue> parsed = Error{ErrorCode::kInvalidInput, ""};
    const char ch = text_[pos_];
    if (ch == '(' || ch == '[') {
        ++pos_;
        parsed = sequence(ch == '(' ? ')' : ']', depth);
    } else if (ch == '\'' || ch == '"') {
        parsed = string();
    } else if (ch == '-' || (ch >= '0' && ch <= '9')) {
        parsed = integer();
    } else {
        parsed = word();
    }
    if (parsed) {
        parsed->raw = text_.substr(start, pos_ - start);
    }
    return parsed;
}

Result<PyValue> LiteralParser::sequence(char close, int depth) {
    auto out = literal(PyValue::Kind::kSequence);
    while (!eat(close)) {
        auto item = value(depth + 1);
        if (!item) {
            return item.error();
        }
        out.items.push_back(std::move(*item));
        if (!eat(',')) {
            if (!eat(close)) {
                return error(std::string("expected ',' or '") + close + "'");
            }
            break;
        }
    }
    return out;
}

Result<PyValue> LiteralParser::string() {
    if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) {
        return error("expected a string");
    }
    const char quote = text_[pos_++];
    auto out = literal(PyValue::Kind::kString);
    while (pos_ < text_.size() && text_[pos_] != quote) {
        if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) {
            ++pos_;
        }
        out.text += text_[pos_++];
    }
    if (pos_ >= text_.size()) {
        return error("unterminated string");
    }
    ++pos_;
    return out;
}

Result<PyValue> LiteralParser::integer() {
    auto out = literal(PyValue::Kind::kInt);
    if (text_[pos_] == '-') {
        out.negative = true;
        ++pos_;
    }
    const auto digits_start = pos_;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
        const auto digit = static_cast<std::uint64_t>(text_[pos_] - '0');
        if (out.number > (UINT64_MAX - digit) / 10) {
            return error("integer overflows 64 bits");
        }
        out.number = out.number * 10 + digit;
        ++pos_;
    }
    if (pos_ == digits_start) {
        return error("expected digits");
    }
    if (pos_ < text_.size() && text_[pos_] == 'L') {
        ++pos_;  // Python 2 long suffix, written by old numpy
    }
    return out;
}

Result<PyValue> LiteralParser::word() {
    for (const auto& [name, kind, flag] :
         {std::tuple{std::string_view("True"), PyValue::Kind::kBool, true},
          std::tuple{std::string_view("False"), PyValue::Kind::kBool, false},
          std::tuple{std::string_view("None"), PyValue::Kind::kNone, false}}) {
        if (text_.substr(pos_).starts_with(name)) {
            pos_ += name.size();
            auto out = literal(kind);
            out.flag = flag;
            return out;
        }
    }
    return error("unexpected token");
}

// '|O', '<O8', 'O' …: numpy's object type code.
bool is_object_code(std::string_view code) {
    if (!code.empty() && (code[0] == '|' || code[0] == '<' || code[0] == '>' || code[0] == '=')) {
        code.remove_prefix(1);
    }
    return !code.empty() && code[0] == 'O' &&
           std::all_of(code.begin() + 1, code.end(),
                       [](char ch) { return ch >= '0' && ch <= '9'; });
}

// A descr (type string, or list of (name, descr[, shape]) fields) holding any object field.
bool has_object_field(const PyValue& descr) {
    if (descr.kind == PyValue::Kind::kString) {
        return is_object_code(descr.text);
    }
    if (descr.kind != PyValue::Kind::kSequence) {
        return false;
    }
    return std::any_of(descr.items.begin(), descr.items.end(), [](const PyValue& field) {
        return field.kind == PyValue::Kind::kSequence && field.items.size() >= 2 &&
               has_object_field(field.items[1]);
    });
}

common::Status apply_entry(const std::string& key, const PyValue& item, NpyHeader& header) {
    if (key == "descr") {
        if (item.kind != PyValue::Kind::kString && item.kind != PyValue::Kind::kSequence) {
            return bad_header("descr is neither a type string nor a field list");
        }
        header.descr = item.kind == PyValue::Kind::kString ? item.text : std::string(item.raw);
        header.object_dtype = has_object_field(item);
        return {};
    }
    if (key == "fortran_order") {
        if (item.kind != PyValue::Kind::kBool) {
            return bad_header("fortran_order is not True/False");
        }
        header.fortran_order = item.flag;
        return {};
    }
    if (key != "shape") {
        return bad_header("unexpected key '" + key.substr(0, 40) + "'");
    }
    if (item.kind != PyValue::Kind::kSequence) {
        return bad_header("shape is not a tuple");
    }
    for (const auto& dim : item.items) {
        if (dim.kind != PyValue::Kind::kInt || dim.negative) {
            return bad_header("shape has a non-integer or negative dimension");
        }
        header.shape.push_back(dim.number);
    }
    return {};
}

Result<NpyHeader> interpret(std::string_view text) {
    auto entries = LiteralParser(text).dict();
    if (!entries) {
        return entries.error();
    }
    NpyHeader header;
    std::vector<std::string> seen;
    for (const auto& [key, item] : *entries) {
        if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
            return bad_header("repeated key '" + key + "'");
        }
        seen.push_back(key);
        if (auto status = apply_entry(key, item, header); !status) {
            return status.error();
        }
    }
    if (seen.size() != 3) {
        return bad_header("needs exactly the keys descr, fortran_order and shape");
    }
    return header;
}

}  // namespace

Result<NpyHeader> parse_npy_header(ByteSource& source, const FormatLimits& limits) {
    auto preamble = read_exact(source, 0, 10);
    if (!preamble || !std::string_view(*preamble).starts_with(kMagic)) {
        return preamble ? bad_header("missing \\x93NUMPY magic") : preamble.error();
    }
    const auto major = static_cast<unsigned char>((*preamble)[6]);
    if (major < 1 || major > 3) {
        return bad_header("unsupported version " + std::to_string(major));
    }
    std::uint64_t header_bytes = load_le<std::uint16_t>(preamble->data() + 8);
    std::uint64_t header_start = 10;
    if (major >= 2) {
        auto wide = read_exact(source, 8, 4);
        if (!wide) {
            return wide.error();
        }
        header_bytes = load_le<std::uint32_t>(wide->data());
        header_start = 12;
    }
    const auto max_bytes = std::min(limits.max_header_bytes, kMaxNpyHeaderBytes);
    if (header_bytes > max_bytes || header_bytes > source.size() - header_start) {
        return bad_header("header length " + std::to_string(header_bytes) + " exceeds the limit " +
                          std::to_string(max_bytes) + " or the file");
    }
    auto text = read_exact(source, header_start, static_cast<std::size_t>(header_bytes));
    if (!text) {
        return text.error();
    }
    auto header = interpret(*text);
    if (header) {
        header->data_offset = header_start + header_bytes;
    }
    return header;
}

}  // namespace aiops::scanner
