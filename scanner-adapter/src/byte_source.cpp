#include "byte_source.h"

#include <algorithm>
#include <cstring>

namespace aiops::scanner {

using common::Error;
using common::ErrorCode;
using common::Result;

Result<std::string> read_exact(ByteSource& source, std::uint64_t offset, std::size_t length) {
    if (offset > source.size() || length > source.size() - offset) {
        return Error{ErrorCode::kInvalidInput, "truncated: " + std::to_string(length) +
                                                   " bytes at offset " + std::to_string(offset) +
                                                   " of a " + std::to_string(source.size()) +
                                                   "-byte file"};
    }
    std::string bytes(length, '\0');
    std::size_t done = 0;
    while (done < length) {
        auto got = source.read(offset + done, bytes.data() + done, length - done);
        if (!got) {
            return got.error();
        }
        if (*got == 0) {
            return Error{ErrorCode::kInvalidInput, "truncated: the source ended early"};
        }
        done += *got;
    }
    return bytes;
}

Result<std::size_t> MemorySource::read(std::uint64_t offset, char* buffer, std::size_t length) {
    if (offset >= bytes_.size()) {
        return std::size_t{0};
    }
    const auto count =
        static_cast<std::size_t>(std::min<std::uint64_t>(length, bytes_.size() - offset));
    std::memcpy(buffer, bytes_.data() + offset, count);
    bytes_read_ += count;
    return count;
}

Result<std::size_t> SliceSource::read(std::uint64_t offset, char* buffer, std::size_t length) {
    if (offset >= length_) {
        return std::size_t{0};
    }
    const auto count = static_cast<std::size_t>(std::min<std::uint64_t>(length, length_ - offset));
    return parent_.read(offset_ + offset, buffer, count);
}

}  // namespace aiops::scanner
