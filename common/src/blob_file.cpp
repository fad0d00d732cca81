#include "blob_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace aiops::common {

Error blob_io_error(std::string_view what, const std::filesystem::path& path, int error_number) {
    return Error{ErrorCode::kInternal,
                 std::string(what) + " " + path.string() + ": " + std::strerror(error_number)};
}

Result<BlobFile> BlobFile::open(const std::filesystem::path& path, int flags, mode_t mode) {
    const int descriptor = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    if (descriptor < 0) {
        return blob_io_error("open", path, errno);
    }
    return BlobFile(descriptor, path);
}

BlobFile::~BlobFile() {
    if (descriptor_ >= 0) {
        // A failed close of a file we no longer use loses nothing: writes were fsynced before.
        (void)::close(descriptor_);
    }
}

BlobFile::BlobFile(BlobFile&& other) noexcept
    : descriptor_(std::exchange(other.descriptor_, -1)), path_(std::move(other.path_)) {}

BlobFile& BlobFile::operator=(BlobFile&& other) noexcept {
    if (this != &other) {
        BlobFile discarded(std::move(*this));
        descriptor_ = std::exchange(other.descriptor_, -1);
        path_ = std::move(other.path_);
    }
    return *this;
}

Error BlobFile::failure(std::string_view what) const { return blob_io_error(what, path_, errno); }

Status BlobFile::write_all(std::string_view bytes) const {
    while (!bytes.empty()) {
        const ssize_t written = ::write(descriptor_, bytes.data(), bytes.size());
        if (written < 0 && errno == EINTR) {
            continue;
        }
        if (written <= 0) {
            return written < 0 ? failure("write")
                               : Error{ErrorCode::kInternal, "write " + path_.string() + ": 0"};
        }
        bytes.remove_prefix(static_cast<std::size_t>(written));
    }
    return {};
}

Result<std::size_t> BlobFile::read_at(std::uint64_t offset, char* buffer,
                                      std::size_t length) const {
    std::size_t done = 0;
    while (done < length) {
        const ssize_t got =
            ::pread(descriptor_, buffer + done, length - done, static_cast<off_t>(offset + done));
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got < 0) {
            return failure("read");
        }
        if (got == 0) {
            break;
        }
        done += static_cast<std::size_t>(got);
    }
    return done;
}

Status BlobFile::sync() const {
    if (::fsync(descriptor_) != 0) {
        return failure("fsync");
    }
    return {};
}

Status BlobFile::touch() const {
    const struct timespec times[2] = {{0, UTIME_OMIT}, {0, UTIME_NOW}};
    if (::futimens(descriptor_, times) != 0) {
        return failure("futimens");
    }
    return {};
}

Status sync_blob_directory(const std::filesystem::path& dir) {
    auto directory = BlobFile::open(dir, O_RDONLY | O_DIRECTORY);
    if (!directory) {
        return directory.error();
    }
    return directory->sync();
}

}  // namespace aiops::common
