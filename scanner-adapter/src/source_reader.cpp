#include "source_reader.h"

#include <algorithm>

namespace aiops::scanner {

using common::Error;
using common::ErrorCode;
using common::Result;
using common::Status;

namespace {

Error truncated(std::uint64_t position, std::uint64_t count) {
    return Error{ErrorCode::kInvalidInput, "truncated: " + std::to_string(count) +
                                               " bytes needed at offset " +
                                               std::to_string(position)};
}

}  // namespace

SourceReader::SourceReader(ByteSource& source, std::uint64_t offset, std::uint64_t end,
                           std::size_t buffer_bytes)
    : source_(source),
      position_(std::min(offset, std::min(end, source.size()))),
      end_(std::min(end, source.size())),
      buffer_(std::max<std::size_t>(buffer_bytes, 16)) {}

// Makes [position_, position_ + count) available in buffer_ (count ≤ buffer size).
Status SourceReader::fill(std::size_t count) {
    if (count > remaining()) {
        return truncated(position_, count);
    }
    if (position_ >= buffer_offset_ && position_ + count <= buffer_offset_ + buffer_used_) {
        return {};
    }
    buffer_offset_ = position_;
    buffer_used_ = 0;
    const auto wanted =
        static_cast<std::size_t>(std::min<std::uint64_t>(buffer_.size(), remaining()));
    while (buffer_used_ < wanted) {
        auto got = source_.read(buffer_offset_ + buffer_used_, buffer_.data() + buffer_used_,
                                wanted - buffer_used_);
        if (!got) {
            return got.error();
        }
        if (*got == 0) {
            break;
        }
        buffer_used_ += *got;
    }
    if (buffer_used_ < count) {
        return truncated(position_, count);
    }
    return {};
}

template <typename T>
Result<T> SourceReader::integer() {
    if (auto status = fill(sizeof(T)); !status) {
        return status.error();
    }
    const T value = load_le<T>(buffer_.data() + (position_ - buffer_offset_));
    position_ += sizeof(T);
    return value;
}

Result<std::uint8_t> SourceReader::u8() { return integer<std::uint8_t>(); }
Result<std::uint16_t> SourceReader::u16() { return integer<std::uint16_t>(); }
Result<std::uint32_t> SourceReader::u32() { return integer<std::uint32_t>(); }
Result<std::uint64_t> SourceReader::u64() { return integer<std::uint64_t>(); }

Result<std::string> SourceReader::bytes(std::uint64_t count) {
    if (count > remaining()) {
        return truncated(position_, count);
    }
    std::string out;
    out.reserve(static_cast<std::size_t>(count));
    while (out.size() < count) {
        const auto chunk =
            static_cast<std::size_t>(std::min<std::uint64_t>(count - out.size(), buffer_.size()));
        if (auto status = fill(chunk); !status) {
            return status.error();
        }
        out.append(buffer_.data() + (position_ - buffer_offset_), chunk);
        position_ += chunk;
    }
    return out;
}

Status SourceReader::skip(std::uint64_t count) {
    if (count > remaining()) {
        return truncated(position_, count);
    }
    position_ += count;
    return {};
}

}  // namespace aiops::scanner
