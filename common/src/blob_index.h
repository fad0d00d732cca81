#pragma once

#include <cstdint>
#include <filesystem>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "aiops/common/result.h"

// The blob cache's in-memory index of complete blobs, keyed by digest string ("sha256:<hex>"),
// in least-recently-used order, and the directory scan that rebuilds it at startup.
namespace aiops::common {

// Not thread-safe: BlobCache guards it with its mutex.
class BlobIndex {
public:
    // Adds `key` as the most recently used blob; an existing entry is only touched.
    void insert(const std::string& key, std::uint64_t size);
    // Marks `key` as just used; false when absent.
    bool touch(const std::string& key);
    bool contains(const std::string& key) const { return entries_.contains(key); }
    std::optional<std::uint64_t> size_of(const std::string& key) const;
    bool erase(const std::string& key);
    // The least recently used key, nullopt when empty.
    std::optional<std::string> oldest() const;
    std::uint64_t total_bytes() const { return total_bytes_; }
    std::uint64_t entries() const { return entries_.size(); }

private:
    struct Entry {
        std::uint64_t size = 0;
        std::list<std::string>::iterator position;
    };
    std::list<std::string> order_;  // least recently used first
    std::unordered_map<std::string, Entry> entries_;
    std::uint64_t total_bytes_ = 0;
};

// `<blobs_dir>/<algorithm>/<hex>` for a digest key "<algorithm>:<hex>".
std::filesystem::path blob_path(const std::filesystem::path& blobs_dir, const std::string& key);

struct ScannedBlob {
    std::string key;
    std::uint64_t size = 0;
};

// The blob files under `blobs_dir` (`sha256/<hex>`, `sha512/<hex>`), least recently modified
// first. Files whose name is not a valid digest, and directories, are ignored.
Result<std::vector<ScannedBlob>> scan_blob_files(const std::filesystem::path& blobs_dir);

}  // namespace aiops::common
