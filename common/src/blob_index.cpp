#include "blob_index.h"

#include <algorithm>
#include <system_error>
#include <tuple>

#include "aiops/common/digest.h"

namespace aiops::common {
namespace {

constexpr std::string_view kAlgorithms[] = {"sha256", "sha512"};

struct FoundFile {
    std::filesystem::file_time_type modified;
    ScannedBlob blob;
};

Error scan_error(const std::filesystem::path& path, const std::error_code& error) {
    return Error{ErrorCode::kInternal, "scan " + path.string() + ": " + error.message()};
}

// The blob a directory entry holds, nullopt when it is not a digest-named regular file.
Result<std::optional<FoundFile>> examine(const std::filesystem::directory_entry& entry,
                                         std::string_view algorithm) {
    const std::string key = std::string(algorithm) + ":" + entry.path().filename().string();
    std::error_code error;
    if (!entry.is_regular_file(error) || !is_valid_digest(key)) {
        return std::optional<FoundFile>{};
    }
    const std::uint64_t size = entry.file_size(error);
    if (error) {
        return scan_error(entry.path(), error);
    }
    const auto modified = entry.last_write_time(error);
    if (error) {
        return scan_error(entry.path(), error);
    }
    return std::optional<FoundFile>{FoundFile{modified, ScannedBlob{key, size}}};
}

// Appends the digest-named regular files of `algorithm_dir` to `found`.
Status scan_algorithm_dir(const std::filesystem::path& algorithm_dir, std::string_view algorithm,
                          std::vector<FoundFile>& found) {
    std::error_code error;
    std::filesystem::directory_iterator entries(algorithm_dir, error);
    for (; !error && entries != std::filesystem::directory_iterator{}; entries.increment(error)) {
        auto file = examine(*entries, algorithm);
        if (!file) {
            return file.error();
        }
        if (file->has_value()) {
            found.push_back(std::move(**file));
        }
    }
    if (error && error != std::errc::no_such_file_or_directory) {
        return scan_error(algorithm_dir, error);
    }
    return {};
}

}  // namespace

void BlobIndex::insert(const std::string& key, std::uint64_t size) {
    if (touch(key)) {
        return;
    }
    order_.push_back(key);
    entries_.emplace(key, Entry{size, std::prev(order_.end())});
    total_bytes_ += size;
}

bool BlobIndex::touch(const std::string& key) {
    const auto found = entries_.find(key);
    if (found == entries_.end()) {
        return false;
    }
    order_.splice(order_.end(), order_, found->second.position);
    return true;
}

std::optional<std::uint64_t> BlobIndex::size_of(const std::string& key) const {
    const auto found = entries_.find(key);
    if (found == entries_.end()) {
        return std::nullopt;
    }
    return found->second.size;
}

bool BlobIndex::erase(const std::string& key) {
    const auto found = entries_.find(key);
    if (found == entries_.end()) {
        return false;
    }
    total_bytes_ -= found->second.size;
    order_.erase(found->second.position);
    entries_.erase(found);
    return true;
}

std::optional<std::string> BlobIndex::oldest() const {
    if (order_.empty()) {
        return std::nullopt;
    }
    return order_.front();
}

std::filesystem::path blob_path(const std::filesystem::path& blobs_dir, const std::string& key) {
    const auto colon = key.find(':');
    return blobs_dir / key.substr(0, colon) / key.substr(colon + 1);
}

Result<std::vector<ScannedBlob>> scan_blob_files(const std::filesystem::path& blobs_dir) {
    std::vector<FoundFile> found;
    for (const std::string_view algorithm : kAlgorithms) {
        auto scanned = scan_algorithm_dir(blobs_dir / algorithm, algorithm, found);
        if (!scanned) {
            return scanned.error();
        }
    }
    std::sort(found.begin(), found.end(), [](const FoundFile& lhs, const FoundFile& rhs) {
        return std::tie(lhs.modified, lhs.blob.key) < std::tie(rhs.modified, rhs.blob.key);
    });
    std::vector<ScannedBlob> blobs;
    blobs.reserve(found.size());
    for (auto& file : found) {
        blobs.push_back(std::move(file.blob));
    }
    return blobs;
}

}  // namespace aiops::common
