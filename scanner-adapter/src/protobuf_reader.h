#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "aiops/common/result.h"
#include "byte_source.h"
#include "source_reader.h"

// Protocol Buffers wire format read field by field over a ByteSource (ONNX models), without a
// protobuf library or schema: every length is checked against the enclosing message and payloads
// are skipped by offset unless the caller reads them.
namespace aiops::scanner {

constexpr std::uint32_t kWireVarint = 0;
constexpr std::uint32_t kWireFixed64 = 1;
constexpr std::uint32_t kWireLengthDelimited = 2;
constexpr std::uint32_t kWireFixed32 = 5;

struct ProtoField {
    std::uint32_t number = 0;
    std::uint32_t wire_type = 0;
    std::uint64_t offset = 0;  // of the tag
    std::uint64_t value = 0;   // varint: the value
    std::uint64_t length = 0;  // length-delimited: payload bytes, ending at `end`
    std::uint64_t end = 0;
};

class ProtoReader {
public:
    explicit ProtoReader(ByteSource& source) : reader_(source, 0, source.size()) {}

    std::uint64_t position() const { return reader_.position(); }

    // The next field of the message that ends at `end`: its tag and its varint value or payload
    // bounds (positioned at the payload); fixed-size payloads are skipped. kInvalidInput for bad
    // wire data (truncated or overlong varint, a length past `end`, field number 0, groups and
    // wire types 6/7); other codes are the source's transport errors.
    common::Result<ProtoField> next_field(std::uint64_t end);
    // The first max_bytes of a length-delimited payload (the reader is at its start).
    common::Result<std::string> prefix(const ProtoField& field, std::size_t max_bytes);
    // Moves past whatever is left of a length-delimited payload, unread.
    common::Status finish(const ProtoField& field);

private:
    common::Result<std::uint64_t> varint(std::uint64_t end, std::string_view what);

    SourceReader reader_;
};

}  // namespace aiops::scanner
