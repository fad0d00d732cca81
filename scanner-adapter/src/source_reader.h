#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "aiops/common/result.h"
#include "byte_source.h"

// Sequential little-endian reads over a ByteSource through one bounded buffer (GGUF metadata, a zip
// central directory): a format is walked field by field without ever holding more than the buffer.
namespace aiops::scanner {

template <typename T>
T load_le(const char* bytes) {
    T value = 0;
    for (std::size_t index = sizeof(T); index > 0; --index) {
        value = static_cast<T>((value << 8) | static_cast<unsigned char>(bytes[index - 1]));
    }
    return value;
}

class SourceReader {
public:
    SourceReader(ByteSource& source, std::uint64_t offset, std::uint64_t end,
                 std::size_t buffer_bytes = 64U << 10);

    std::uint64_t position() const { return position_; }
    std::uint64_t remaining() const { return end_ - position_; }

    common::Result<std::uint8_t> u8();
    common::Result<std::uint16_t> u16();
    common::Result<std::uint32_t> u32();
    common::Result<std::uint64_t> u64();
    // `count` bytes as a string: the caller bounds count (≤ remaining() is checked here).
    common::Result<std::string> bytes(std::uint64_t count);
    common::Status skip(std::uint64_t count);

private:
    common::Status fill(std::size_t count);
    template <typename T>
    common::Result<T> integer();

    ByteSource& source_;
    std::uint64_t position_;
    std::uint64_t end_;
    std::vector<char> buffer_;
    std::uint64_t buffer_offset_ = 0;  // source offset of buffer_[0]
    std::size_t buffer_used_ = 0;      // valid bytes in buffer_
};

}  // namespace aiops::scanner
