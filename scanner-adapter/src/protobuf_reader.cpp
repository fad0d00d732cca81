#include "protobuf_reader.h"

#include <algorithm>

namespace aiops::scanner {

using common::Error;
using common::ErrorCode;
using common::Result;
using common::Status;

namespace {

constexpr unsigned kMaxVarintBits = 64;  // 10 bytes of 7 bits
constexpr std::uint64_t kMaxFieldNumber = (1U << 29) - 1;

Error bad_wire(std::string message) { return Error{ErrorCode::kInvalidInput, std::move(message)}; }

}  // namespace

Result<std::uint64_t> ProtoReader::varint(std::uint64_t end, std::string_view what) {
    const auto start = reader_.position();
    std::uint64_t value = 0;
    for (unsigned shift = 0; shift < kMaxVarintBits; shift += 7) {
        if (reader_.position() >= end) {
            return bad_wire("truncated varint: " + std::string(what) + " at offset " +
                            std::to_string(start) + " runs past the end of its message (offset " +
                            std::to_string(end) + ")");
        }
        const auto byte = reader_.u8();
        if (!byte) {
            return byte.error();
        }
        value |= static_cast<std::uint64_t>(*byte & 0x7fU) << shift;
        if ((*byte & 0x80U) == 0) {
            return value;
        }
    }
    return bad_wire("overlong varint: " + std::string(what) + " at offset " +
                    std::to_string(start) + " exceeds 10 bytes");
}

Result<ProtoField> ProtoReader::next_field(std::uint64_t end) {
    ProtoField field;
    field.offset = reader_.position();
    const auto tag = varint(end, "a field tag");
    if (!tag) {
        return tag.error();
    }
    const auto at = " at offset " + std::to_string(field.offset);
    const auto number = *tag >> 3;
    if (number == 0 || number > kMaxFieldNumber) {
        return bad_wire("invalid field number " + std::to_string(number) + at);
    }
    field.number = static_cast<std::uint32_t>(number);
    field.wire_type = static_cast<std::uint32_t>(*tag & 7U);
    const auto what = "field " + std::to_string(field.number) + at;
    if (field.wire_type == kWireVarint || field.wire_type == kWireLengthDelimited) {
        const auto value = varint(end, field.wire_type == kWireVarint ? "a value" : "a length");
        if (!value) {
            return value.error();
        }
        field.value = *value;
        if (field.wire_type == kWireVarint) {
            return field;
        }
        if (*value > end - reader_.position()) {
            return bad_wire(what + " declares " + std::to_string(*value) +
                            " bytes; its parent message has " +
                            std::to_string(end - reader_.position()) + " left");
        }
        field.length = *value;
        field.end = reader_.position() + *value;
        return field;
    }
    if (field.wire_type != kWireFixed64 && field.wire_type != kWireFixed32) {
        return bad_wire(what + " has wire type " + std::to_string(field.wire_type) +
                        " (groups 3/4 and 6/7 do not occur in ONNX)");
    }
    const std::uint64_t fixed = field.wire_type == kWireFixed64 ? 8 : 4;
    if (fixed > end - reader_.position()) {
        return bad_wire(what + " needs " + std::to_string(fixed) +
                        " bytes; its parent message has " +
                        std::to_string(end - reader_.position()) + " left");
    }
    if (auto skipped = reader_.skip(fixed); !skipped) {
        return skipped.error();
    }
    return field;
}

Result<std::string> ProtoReader::prefix(const ProtoField& field, std::size_t max_bytes) {
    const auto left = field.end > reader_.position() ? field.end - reader_.position() : 0;
    return reader_.bytes(std::min<std::uint64_t>(left, max_bytes));
}

Status ProtoReader::finish(const ProtoField& field) {
    if (reader_.position() >= field.end) {
        return {};
    }
    return reader_.skip(field.end - reader_.position());
}

}  // namespace aiops::scanner
