#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string_view>

#include "aiops/common/result.h"

// The few POSIX file operations the blob cache needs, each with its return code checked.
namespace aiops::common {

// An open file descriptor, closed on destruction. Reads use pread, so one BlobFile may be read
// by many threads at once.
class BlobFile {
public:
    static Result<BlobFile> open(const std::filesystem::path& path, int flags, mode_t mode = 0);

    BlobFile() = default;
    ~BlobFile();
    BlobFile(BlobFile&& other) noexcept;
    BlobFile& operator=(BlobFile&& other) noexcept;
    BlobFile(const BlobFile&) = delete;
    BlobFile& operator=(const BlobFile&) = delete;

    // Appends all of `bytes` at the file offset (retries partial writes and EINTR).
    Status write_all(std::string_view bytes) const;
    // Reads up to `length` bytes at `offset`; fewer only at the end of the file.
    Result<std::size_t> read_at(std::uint64_t offset, char* buffer, std::size_t length) const;
    Status sync() const;
    // Sets the modification time to now: the LRU order that survives a restart.
    Status touch() const;

private:
    BlobFile(int descriptor, std::filesystem::path path)
        : descriptor_(descriptor), path_(std::move(path)) {}
    Error failure(std::string_view what) const;

    int descriptor_ = -1;
    std::filesystem::path path_;
};

// "<what> <path>: <strerror(error_number)>" as kInternal.
Error blob_io_error(std::string_view what, const std::filesystem::path& path, int error_number);

// fsync of a directory, so a rename in it survives a crash.
Status sync_blob_directory(const std::filesystem::path& dir);

}  // namespace aiops::common
