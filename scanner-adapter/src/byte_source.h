#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "aiops/common/result.h"

// Random access to the bytes of one file being analysed: a registry blob read with HTTP Range, a
// member of a zip, a region of a tar stream spooled to disk, or memory (tests, fuzzers). Analysers
// read only what they need through this interface, so a 4 GiB safetensors file costs its header.
namespace aiops::scanner {

class ByteSource {
public:
    virtual ~ByteSource() = default;
    virtual std::uint64_t size() const = 0;
    // Up to `length` bytes at `offset` into `buffer` (fewer only at the end; 0 at or past size()).
    // Errors are transport errors (the registry failed), never "bad format".
    virtual common::Result<std::size_t> read(std::uint64_t offset, char* buffer,
                                             std::size_t length) = 0;
    // Total bytes read so far (the benchmark's "bytes read ÷ artifact size").
    virtual std::uint64_t bytes_read() const = 0;
};

// Reads exactly `length` bytes at `offset` (kInvalidInput "truncated" when the source ends first).
common::Result<std::string> read_exact(ByteSource& source, std::uint64_t offset,
                                       std::size_t length);

// A source over bytes in memory (the view must outlive it).
class MemorySource final : public ByteSource {
public:
    explicit MemorySource(std::string_view bytes) : bytes_(bytes) {}
    std::uint64_t size() const override { return bytes_.size(); }
    common::Result<std::size_t> read(std::uint64_t offset, char* buffer,
                                     std::size_t length) override;
    std::uint64_t bytes_read() const override { return bytes_read_; }

private:
    std::string_view bytes_;
    std::uint64_t bytes_read_ = 0;
};

// A window [offset, offset + length) of another source (a zip member stored uncompressed, the
// pickle after an .npy header).
class SliceSource final : public ByteSource {
public:
    SliceSource(ByteSource& parent, std::uint64_t offset, std::uint64_t length)
        : parent_(parent), offset_(offset), length_(length) {}
    std::uint64_t size() const override { return length_; }
    common::Result<std::size_t> read(std::uint64_t offset, char* buffer,
                                     std::size_t length) override;
    std::uint64_t bytes_read() const override { return parent_.bytes_read(); }

private:
    ByteSource& parent_;
    std::uint64_t offset_;
    std::uint64_t length_;
};

}  // namespace aiops::scanner
