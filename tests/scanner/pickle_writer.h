#pragma once

#include <cstdint>
#include <string>
#include <string_view>

// Writes pickle streams opcode by opcode for the scanner tests (malicious and benign corpus).
// Every helper appends exactly the bytes CPython's pickler would write for that opcode.
namespace aiops::scanner::testing {

class PickleWriter {
public:
    const std::string& bytes() const { return bytes_; }

    PickleWriter& raw(std::string_view data) {
        bytes_.append(data);
        return *this;
    }
    PickleWriter& op(char code) {
        bytes_ += code;
        return *this;
    }
    PickleWriter& uint_le(std::uint64_t value, int width) {
        for (int index = 0; index < width; ++index) {
            bytes_ += static_cast<char>((value >> (8 * index)) & 0xFF);
        }
        return *this;
    }

    PickleWriter& proto(int version) { return op('\x80').uint_le(version, 1); }
    PickleWriter& stop() { return op('.'); }
    PickleWriter& mark() { return op('('); }
    PickleWriter& reduce() { return op('R'); }
    PickleWriter& build() { return op('b'); }
    PickleWriter& tuple() { return op('t'); }
    PickleWriter& tuple1() { return op('\x85'); }
    PickleWriter& tuple2() { return op('\x86'); }
    PickleWriter& tuple3() { return op('\x87'); }
    PickleWriter& empty_tuple() { return op(')'); }
    PickleWriter& empty_dict() { return op('}'); }
    PickleWriter& empty_list() { return op(']'); }
    PickleWriter& setitem() { return op('s'); }
    PickleWriter& setitems() { return op('u'); }
    PickleWriter& appends() { return op('e'); }
    PickleWriter& newobj() { return op('\x81'); }
    PickleWriter& obj() { return op('o'); }
    PickleWriter& stack_global() { return op('\x93'); }
    PickleWriter& memoize() { return op('\x94'); }
    PickleWriter& binpersid() { return op('Q'); }
    PickleWriter& none() { return op('N'); }
    PickleWriter& newtrue() { return op('\x88'); }
    PickleWriter& newfalse() { return op('\x89'); }

    // GLOBAL / INST: module\nname\n
    PickleWriter& global(std::string_view module, std::string_view name) {
        return op('c').raw(module).raw("\n").raw(name).raw("\n");
    }
    PickleWriter& inst(std::string_view module, std::string_view name) {
        return op('i').raw(module).raw("\n").raw(name).raw("\n");
    }
    // Strings: protocol 0 STRING (quoted), SHORT_BINUNICODE, BINUNICODE, SHORT_BINSTRING.
    PickleWriter& string0(std::string_view text) { return op('S').raw("'").raw(text).raw("'\n"); }
    PickleWriter& short_unicode(std::string_view text) {
        return op('\x8c').uint_le(text.size(), 1).raw(text);
    }
    PickleWriter& unicode(std::string_view text) {
        return op('X').uint_le(text.size(), 4).raw(text);
    }
    PickleWriter& short_binstring(std::string_view text) {
        return op('U').uint_le(text.size(), 1).raw(text);
    }
    PickleWriter& short_binbytes(std::string_view data) {
        return op('C').uint_le(data.size(), 1).raw(data);
    }
    PickleWriter& binbytes(std::string_view data) {
        return op('B').uint_le(data.size(), 4).raw(data);
    }
    PickleWriter& binint1(int value) {
        return op('K').uint_le(static_cast<std::uint64_t>(value), 1);
    }
    PickleWriter& binint(std::int32_t value) {
        return op('J').uint_le(static_cast<std::uint32_t>(value), 4);
    }
    // Memo.
    PickleWriter& binput(int index) {
        return op('q').uint_le(static_cast<std::uint64_t>(index), 1);
    }
    PickleWriter& long_binput(std::uint32_t index) { return op('r').uint_le(index, 4); }
    PickleWriter& binget(int index) {
        return op('h').uint_le(static_cast<std::uint64_t>(index), 1);
    }
    PickleWriter& long_binget(std::uint32_t index) { return op('j').uint_le(index, 4); }
    // Framing and extensions.
    PickleWriter& frame(std::uint64_t length) { return op('\x95').uint_le(length, 8); }
    PickleWriter& ext1(int code) { return op('\x82').uint_le(static_cast<std::uint64_t>(code), 1); }

private:
    std::string bytes_;
};

}  // namespace aiops::scanner::testing
