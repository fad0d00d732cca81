#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "aiops/common/digest.h"
#include "aiops/common/result.h"

// A bounded, content-addressed blob cache on local disk, shared by the proxy-adapter (HF blobs) and
// the preheat agent. Blobs are files named by digest under `dir`; a blob is written to a temp file,
// hashed while written, and renamed into place only when its digest and size match. Eviction is LRU
// by last access once the total exceeds max_bytes. One download per digest: concurrent readers of a
// blob that is being fetched share it by tailing the temp file as it grows (single flight), so a
// cold blob requested by N clients reaches the upstream once.
namespace aiops::common {

struct BlobCacheSettings {
    std::filesystem::path dir{};
    std::uint64_t max_bytes = std::uint64_t{50} << 30;
    // How long a reader waits for the next bytes of an in-flight download before giving up
    // (kTimeout). The fetcher's own timeouts bound the download itself.
    std::chrono::milliseconds stall_timeout{60000};
};

struct BlobCacheStats {
    std::uint64_t bytes = 0;    // total size of complete cached blobs
    std::uint64_t entries = 0;  // complete cached blobs
    std::uint64_t hits = 0;     // lookup() or open() served from a complete blob
    std::uint64_t misses = 0;   // open() that started a download
    std::uint64_t joined = 0;   // open() that joined a download already in flight
    std::uint64_t evictions = 0;
    std::uint64_t failed_fetches = 0;  // fetch errors and digest/size mismatches
};

// Receives the blob's bytes in order; returns false when the cache wants the fetch to stop
// (shutdown, or the bytes already exceed the expected size).
using BlobSink = std::function<bool(std::string_view bytes)>;
// Downloads one blob into the sink. Runs on a cache-owned thread, so it must not capture
// references to request-scoped state. Its Status is what readers of a failed download get.
using BlobFetcher = std::function<Status(const BlobSink& sink)>;

// A readable view of one blob: a complete cached file, or an in-flight download being tailed.
// Holds the file open, so eviction or a finished download never pulls it from under a reader.
class BlobReader {
public:
    virtual ~BlobReader() = default;
    virtual std::uint64_t size() const = 0;
    // True when the blob was complete and verified when opened (a cache hit).
    virtual bool complete() const = 0;
    // Copies up to `length` bytes at `offset` into `buffer`. Blocks until they were downloaded;
    // returns 0 only at offset >= size() (or length 0). Errors: the download failed (its Status,
    // e.g. kDigestMismatch, kUpstream) or no byte arrived for stall_timeout (kTimeout).
    // A download's last byte, and the 0 at its end, are returned only once the whole blob was
    // verified: a reader that read to the end read verified bytes (a Range read that stops
    // earlier may be served bytes of a download that later fails).
    virtual Result<std::size_t> read(std::uint64_t offset, char* buffer, std::size_t length) = 0;
    // Blocks until the download ended: ok when the blob was verified and is now cached (or,
    // larger than max_bytes, verified and dropped), the download's error otherwise. Immediate
    // for a complete blob.
    virtual Status wait() = 0;
};

class BlobCache {
public:
    // Creates `dir` if needed, removes temp files left by a crash, and indexes the blobs present
    // (a file whose name is not a digest is ignored; a blob file is trusted: it was verified before
    // the rename), least recently used = oldest mtime. Evicts down to max_bytes. Layout:
    // `<dir>/blobs/<algorithm>/<hex>`, `<dir>/tmp/`. One BlobCache per dir at a time.
    static Result<std::unique_ptr<BlobCache>> open(BlobCacheSettings settings);
    // Waits for in-flight downloads to stop (their sinks return false from now on; readers of
    // them get kUnavailable). A fetcher blocked outside its sink is waited for.
    ~BlobCache();
    BlobCache(const BlobCache&) = delete;
    BlobCache& operator=(const BlobCache&) = delete;

    // The cached blob, or nullopt (not cached, or only in flight). Counts as an access for LRU.
    std::optional<std::shared_ptr<BlobReader>> lookup(const Digest& digest);
    // The cached blob, or a reader tailing its download in flight, or nullopt: never starts a
    // download (a peer serving what it holds or is still receiving).
    std::optional<std::shared_ptr<BlobReader>> join(const Digest& digest);
    // Where a complete blob's file is (`<dir>/blobs/<algorithm>/<hex>`), for hard links; nullopt
    // when it is not cached. The file is read-only by contract: never write through a link.
    std::optional<std::filesystem::path> file_path(const Digest& digest);

    // The cached blob, or a reader on its download: joins the download in flight for `digest`, or
    // starts `fetch` on a background thread. The download is verified against `digest` and
    // `expected_size`; it continues when every reader has gone (the next request finds it cached).
    // A blob larger than max_bytes is still downloaded (readers share it) but not kept.
    // Errors: kInvalidInput (empty fetch), kInternal (temp file), kUnavailable (no thread).
    // Failed downloads: kDigestMismatch (wrong digest or size, including more bytes than
    // expected), the fetcher's own Status, kUnavailable (the cache shut down).
    Result<std::shared_ptr<BlobReader>> open(const Digest& digest, std::uint64_t expected_size,
                                             BlobFetcher fetch);

    // Stores small bytes already in memory (configs, small files fetched while building a
    // manifest); kDigestMismatch if `bytes` do not hash to `digest`. A no-op if already cached;
    // verified but not kept when larger than max_bytes.
    Status put(const Digest& digest, std::string_view bytes);

    // Removes a cached blob (kNotFound if absent). Readers holding it keep reading.
    Status erase(const Digest& digest);

    BlobCacheStats stats() const;

private:
    struct Impl;
    explicit BlobCache(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace aiops::common
