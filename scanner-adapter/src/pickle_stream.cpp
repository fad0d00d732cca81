#include "pickle_stream.h"

#include <algorithm>
#include <cstring>

namespace aiops::scanner {

namespace {
constexpr std::size_t kBufferBytes = 64U << 10;
}  // namespace

PickleStream::PickleStream(ByteSource& source)
    : source_(source), buffer_(kBufferBytes), size_(source.size()) {}

bool PickleStream::fail(StreamError error, std::string message) {
    if (error_ == StreamError::kNone) {
        error_ = error;
        error_message_ = std::move(message);
    }
    return false;
}

bool PickleStream::refill() {
    buffer_offset_ += position_;
    position_ = 0;
    length_ = 0;
    if (buffer_offset_ >= size_) {
        return fail(StreamError::kTruncated, "truncated: the stream ends inside an opcode");
    }
    auto got = source_.read(buffer_offset_, buffer_.data(), buffer_.size());
    if (!got) {
        return fail(StreamError::kTransport, "read failed: " + got.error().message);
    }
    if (*got == 0) {
        return fail(StreamError::kTruncated, "truncated: the source ended early");
    }
    length_ = *got;
    return true;
}

bool PickleStream::read_uint(std::size_t width, std::uint64_t& out) {
    out = 0;
    for (std::size_t index = 0; index < width; ++index) {
        std::uint8_t byte = 0;
        if (!read_byte(byte)) {
            return false;
        }
        out |= static_cast<std::uint64_t>(byte) << (8 * index);
    }
    return true;
}

bool PickleStream::skip(std::uint64_t count) {
    if (count <= length_ - position_) {
        position_ += static_cast<std::size_t>(count);
        return true;
    }
    const std::uint64_t here = offset();
    if (count > size_ - here) {
        buffer_offset_ = size_;
        position_ = length_ = 0;
        return fail(StreamError::kTruncated, "truncated: an operand of " + std::to_string(count) +
                                                 " bytes runs past the end of the stream");
    }
    buffer_offset_ = here + count;
    position_ = length_ = 0;
    return true;
}

bool PickleStream::read_line(std::uint64_t max_length, std::string* keep, std::size_t keep_max,
                             std::uint64_t& length) {
    length = 0;
    for (;;) {
        if (position_ == length_ && !refill()) {
            return false;
        }
        const char* begin = buffer_.data() + position_;
        const auto available = length_ - position_;
        const auto* newline = static_cast<const char*>(std::memchr(begin, '\n', available));
        const std::size_t chunk = newline ? static_cast<std::size_t>(newline - begin) : available;
        if (keep && keep->size() < keep_max) {
            keep->append(begin, std::min(chunk, keep_max - keep->size()));
        }
        length += chunk;
        position_ += chunk + (newline ? 1 : 0);
        if (length > max_length) {
            return fail(StreamError::kTooLong,
                        "a text line longer than " + std::to_string(max_length) + " bytes");
        }
        if (newline) {
            return true;
        }
    }
}

}  // namespace aiops::scanner
