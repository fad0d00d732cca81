#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "byte_source.h"

// Sequential, buffered reading of a pickle from a ByteSource (private to pickle_scan.cpp): bytes
// are read in 64 KiB chunks, large operands are skipped without being read, and the absolute
// offset is always known (for frames, findings and re-reading short strings later).
namespace aiops::scanner {

enum class StreamError { kNone, kTruncated, kTransport, kTooLong };

class PickleStream {
public:
    explicit PickleStream(ByteSource& source);

    std::uint64_t offset() const { return buffer_offset_ + position_; }
    std::uint64_t size() const { return size_; }
    bool at_end() const { return offset() >= size_; }
    StreamError error() const { return error_; }
    const std::string& error_message() const { return error_message_; }

    // Each returns false when the source ends first or a read fails (see error()).
    bool read_byte(std::uint8_t& out) {
        if (position_ < length_ || refill()) {
            out = static_cast<std::uint8_t>(buffer_[position_++]);
            return true;
        }
        return false;
    }
    bool read_uint(std::size_t width, std::uint64_t& out);  // little-endian, width ≤ 8
    bool skip(std::uint64_t count);
    // A '\n'-terminated line: the newline is consumed and not counted; at most `keep_max` bytes
    // are copied to `keep` (when not null); lines longer than `max_length` fail with kTooLong.
    bool read_line(std::uint64_t max_length, std::string* keep, std::size_t keep_max,
                   std::uint64_t& length);

private:
    bool refill();
    bool fail(StreamError error, std::string message);

    ByteSource& source_;
    std::vector<char> buffer_;
    std::uint64_t buffer_offset_ = 0;  // source offset of buffer_[0]
    std::size_t position_ = 0;
    std::size_t length_ = 0;
    std::uint64_t size_ = 0;
    StreamError error_ = StreamError::kNone;
    std::string error_message_;
};

}  // namespace aiops::scanner
