#include "aiops/common/blob_cache.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "aiops/common/log.h"
#include "blob_file.h"
#include "blob_flight.h"
#include "blob_index.h"

namespace aiops::common {
namespace {

constexpr mode_t kBlobFileMode = 0644;

// A cache-owned fetch thread; `finished` (guarded by the cache mutex) once it may be joined.
struct FetchWorker {
    std::thread thread;
    bool finished = false;
};

// Removes a file we own; a file already gone is fine, anything else is logged.
void remove_file(const std::filesystem::path& path) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        log::warn(
            "blob cache could not remove a file",
            {{"path", path.string()}, {"error", blob_io_error("unlink", path, errno).message}});
    }
}

void remove_files(const std::vector<std::filesystem::path>& paths) {
    for (const auto& path : paths) {
        remove_file(path);
    }
}

Status call_fetcher(const BlobFetcher& fetch, BlobFlightWriter& writer) {
    const BlobSink sink = [&writer](std::string_view bytes) { return writer.accept(bytes); };
    try {
        return fetch(sink);
    } catch (const std::exception& error) {
        return Error{ErrorCode::kInternal, std::string("blob fetcher threw: ") + error.what()};
    }
}

Status make_directory(const std::filesystem::path& dir) {
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    if (error) {
        return Error{ErrorCode::kInternal, "create " + dir.string() + ": " + error.message()};
    }
    return {};
}

Status validate(const BlobCacheSettings& settings) {
    if (settings.dir.empty()) {
        return Error{ErrorCode::kInvalidInput, "blob cache dir is empty"};
    }
    if (settings.max_bytes == 0) {
        return Error{ErrorCode::kInvalidInput, "blob cache max_bytes must be positive"};
    }
    if (settings.stall_timeout.count() <= 0) {
        return Error{ErrorCode::kInvalidInput, "blob cache stall_timeout must be positive"};
    }
    return {};
}

}  // namespace

struct BlobCache::Impl {
    explicit Impl(BlobCacheSettings cache_settings)
        : settings(std::move(cache_settings)),
          blobs_dir(settings.dir / "blobs"),
          temp_dir(settings.dir / "tmp") {}

    Status prepare_directories();
    Status index_existing();
    std::shared_ptr<BlobReader> open_cached_locked(const std::string& key);
    // The complete blob (a hit) or a reader tailing its download in flight (joined), counted;
    // nullopt when neither.
    std::optional<std::shared_ptr<BlobReader>> find_locked(const std::string& key);
    Result<std::shared_ptr<BlobReader>> start_flight_locked(const Digest& digest,
                                                            std::uint64_t expected_size,
                                                            BlobFetcher fetch);
    void run_flight(const std::shared_ptr<BlobFlight>& flight, BlobFetcher fetch);
    void complete_flight(BlobFlight& flight, Status outcome);
    Result<bool> place_locked(const std::filesystem::path& temp_path, const std::string& key,
                              std::uint64_t size, std::vector<std::filesystem::path>& trash);
    void finish_placement(const std::filesystem::path& temp_path, const std::string& key,
                          bool kept);
    Status write_temp_file(const std::filesystem::path& temp_path, std::string_view bytes);
    void evict_locked(std::vector<std::filesystem::path>& trash);
    void trash_locked(const std::string& key, std::vector<std::filesystem::path>& trash);
    std::filesystem::path next_temp_path_locked(std::string_view purpose);
    std::list<FetchWorker> take_finished_workers_locked();
    void shutdown();

    const BlobCacheSettings settings;
    const std::filesystem::path blobs_dir;
    const std::filesystem::path temp_dir;

    mutable std::mutex mutex;
    BlobIndex index;                                                       // guarded by mutex
    std::unordered_map<std::string, std::shared_ptr<BlobFlight>> flights;  // guarded by mutex
    std::list<FetchWorker> workers;                                        // guarded by mutex
    BlobCacheStats counters;        // guarded by mutex (bytes and entries come from index)
    std::uint64_t temp_serial = 0;  // guarded by mutex
};

Status BlobCache::Impl::prepare_directories() {
    std::error_code error;
    std::filesystem::remove_all(temp_dir, error);
    if (error) {
        return Error{ErrorCode::kInternal, "clean " + temp_dir.string() + ": " + error.message()};
    }
    for (const auto& dir : {blobs_dir / "sha256", blobs_dir / "sha512", temp_dir}) {
        auto made = make_directory(dir);
        if (!made) {
            return made;
        }
    }
    return {};
}

Status BlobCache::Impl::index_existing() {
    auto scanned = scan_blob_files(blobs_dir);
    if (!scanned) {
        return scanned.error();
    }
    std::vector<std::filesystem::path> trash;
    {
        std::scoped_lock lock(mutex);
        for (const ScannedBlob& blob : *scanned) {
            index.insert(blob.key, blob.size);
        }
        evict_locked(trash);
    }
    remove_files(trash);
    return {};
}

std::optional<std::shared_ptr<BlobReader>> BlobCache::Impl::find_locked(const std::string& key) {
    if (auto cached = open_cached_locked(key)) {
        ++counters.hits;
        return cached;
    }
    if (const auto flight = flights.find(key); flight != flights.end()) {
        ++counters.joined;
        return std::shared_ptr<BlobReader>(std::make_shared<InFlightBlobReader>(flight->second));
    }
    return std::nullopt;
}

std::shared_ptr<BlobReader> BlobCache::Impl::open_cached_locked(const std::string& key) {
    const auto size = index.size_of(key);
    if (!size) {
        return nullptr;
    }
    auto file = BlobFile::open(blob_path(blobs_dir, key), O_RDONLY);
    if (!file) {
        log::warn("cached blob vanished; forgetting it",
                  {{"digest", key}, {"error", file.error().message}});
        index.erase(key);
        return nullptr;
    }
    index.touch(key);
    auto touched = file->touch();
    if (!touched) {
        log::warn("could not record a blob access", {{"error", touched.error().message}});
    }
    return std::make_shared<CompleteBlobReader>(std::move(*file), *size);
}

Result<std::shared_ptr<BlobReader>> BlobCache::Impl::start_flight_locked(
    const Digest& digest, std::uint64_t expected_size, BlobFetcher fetch) {
    const auto temp_path = next_temp_path_locked("fetch");
    auto file = BlobFile::open(temp_path, O_RDWR | O_CREAT | O_EXCL, kBlobFileMode);
    if (!file) {
        return file.error();
    }
    auto flight = std::make_shared<BlobFlight>(digest, expected_size, std::move(*file), temp_path,
                                               settings.stall_timeout);
    auto worker = workers.emplace(workers.end());
    try {
        worker->thread = std::thread([this, flight, worker, fetch = std::move(fetch)]() mutable {
            run_flight(flight, std::move(fetch));
            flight.reset();
            std::scoped_lock lock(mutex);
            worker->finished = true;
        });
    } catch (const std::system_error& error) {
        workers.erase(worker);
        remove_file(temp_path);
        return Error{ErrorCode::kUnavailable,
                     std::string("cannot start a download thread: ") + error.what()};
    }
    flights.emplace(digest.str(), flight);
    ++counters.misses;
    return std::shared_ptr<BlobReader>(std::make_shared<InFlightBlobReader>(std::move(flight)));
}

void BlobCache::Impl::run_flight(const std::shared_ptr<BlobFlight>& flight, BlobFetcher fetch) {
    std::optional<BlobFlightWriter> writer;
    try {
        writer.emplace(flight);  // starts the writer thread
    } catch (const std::system_error& error) {
        fetch = nullptr;
        complete_flight(*flight,
                        Error{ErrorCode::kUnavailable,
                              std::string("cannot start a cache writer thread: ") + error.what()});
        return;
    }
    Status outcome = writer->finish(call_fetcher(fetch, *writer));
    fetch = nullptr;  // release what the fetcher captured before readers hear the outcome
    if (outcome) {
        flight->publish_verified();
        outcome = flight->file().sync();
    }
    complete_flight(*flight, std::move(outcome));
}

// Stores (or drops) the finished download, then tells its readers. The index is updated before
// they hear, so a reader that saw ok finds the blob cached.
void BlobCache::Impl::complete_flight(BlobFlight& flight, Status outcome) {
    const std::string& key = flight.digest().str();
    std::vector<std::filesystem::path> trash;
    bool kept = false;
    {
        std::scoped_lock lock(mutex);
        flights.erase(key);
        if (outcome) {
            auto placed = place_locked(flight.temp_path(), key, flight.expected_size(), trash);
            kept = placed && *placed;
            outcome = placed ? Status{} : Status{placed.error()};
        }
        if (!outcome) {
            ++counters.failed_fetches;
        }
    }
    remove_files(trash);
    finish_placement(flight.temp_path(), key, kept);
    if (!outcome) {
        log::warn("blob download failed", {{"digest", key}, {"error", outcome.error().message}});
    }
    // The temp file stays open for the readers (same inode, renamed or unlinked) until the last
    // one lets go of the flight.
    flight.publish_done(outcome ? std::nullopt : std::optional<Error>(outcome.error()));
}

// Renames a verified temp file into place and indexes it; false when it is too large to keep.
Result<bool> BlobCache::Impl::place_locked(const std::filesystem::path& temp_path,
                                           const std::string& key, std::uint64_t size,
                                           std::vector<std::filesystem::path>& trash) {
    if (size > settings.max_bytes) {
        return false;
    }
    const auto final_path = blob_path(blobs_dir, key);
    if (::rename(temp_path.c_str(), final_path.c_str()) != 0) {
        return blob_io_error("rename", final_path, errno);
    }
    index.insert(key, size);
    evict_locked(trash);
    return true;
}

// After place_locked: makes a rename durable, or removes the temp file that was not kept.
void BlobCache::Impl::finish_placement(const std::filesystem::path& temp_path,
                                       const std::string& key, bool kept) {
    if (!kept) {
        remove_file(temp_path);
        return;
    }
    auto synced = sync_blob_directory(blob_path(blobs_dir, key).parent_path());
    if (!synced) {
        log::warn("blob stored but its directory was not synced",
                  {{"digest", key}, {"error", synced.error().message}});
    }
}

Status BlobCache::Impl::write_temp_file(const std::filesystem::path& temp_path,
                                        std::string_view bytes) {
    auto file = BlobFile::open(temp_path, O_WRONLY | O_CREAT | O_EXCL, kBlobFileMode);
    if (!file) {
        return file.error();
    }
    auto wrote = file->write_all(bytes);
    if (wrote) {
        wrote = file->sync();
    }
    if (!wrote) {
        remove_file(temp_path);
    }
    return wrote;
}

void BlobCache::Impl::evict_locked(std::vector<std::filesystem::path>& trash) {
    while (index.total_bytes() > settings.max_bytes) {
        const auto oldest = index.oldest();
        if (!oldest) {
            return;
        }
        trash_locked(*oldest, trash);
        ++counters.evictions;
    }
}

// Forgets `key` and moves its file to tmp/ (cheap under the lock); the caller unlinks it after.
void BlobCache::Impl::trash_locked(const std::string& key,
                                   std::vector<std::filesystem::path>& trash) {
    index.erase(key);
    const auto path = blob_path(blobs_dir, key);
    auto trash_path = next_temp_path_locked("evicted");
    if (::rename(path.c_str(), trash_path.c_str()) == 0) {
        trash.push_back(std::move(trash_path));
        return;
    }
    if (errno != ENOENT) {
        remove_file(path);
    }
}

std::filesystem::path BlobCache::Impl::next_temp_path_locked(std::string_view purpose) {
    return temp_dir / (std::string(purpose) + "-" + std::to_string(++temp_serial));
}

std::list<FetchWorker> BlobCache::Impl::take_finished_workers_locked() {
    std::list<FetchWorker> finished;
    for (auto worker = workers.begin(); worker != workers.end();) {
        const auto next = std::next(worker);
        if (worker->finished) {
            finished.splice(finished.end(), workers, worker);
        }
        worker = next;
    }
    return finished;
}

void BlobCache::Impl::shutdown() {
    std::list<FetchWorker> running;
    {
        std::scoped_lock lock(mutex);
        for (auto& [key, flight] : flights) {
            flight->cancel();
        }
        running.splice(running.end(), workers);
    }
    for (auto& worker : running) {
        worker.thread.join();
    }
}

Result<std::unique_ptr<BlobCache>> BlobCache::open(BlobCacheSettings settings) {
    auto valid = validate(settings);
    if (!valid) {
        return valid.error();
    }
    auto impl = std::make_unique<Impl>(std::move(settings));
    auto prepared = impl->prepare_directories();
    if (!prepared) {
        return prepared.error();
    }
    auto indexed = impl->index_existing();
    if (!indexed) {
        return indexed.error();
    }
    // The constructor is private, so std::make_unique cannot reach it.
    return std::unique_ptr<BlobCache>(new BlobCache(std::move(impl)));
}

BlobCache::BlobCache(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

BlobCache::~BlobCache() { impl_->shutdown(); }

std::optional<std::shared_ptr<BlobReader>> BlobCache::lookup(const Digest& digest) {
    std::scoped_lock lock(impl_->mutex);
    auto reader = impl_->open_cached_locked(digest.str());
    if (!reader) {
        return std::nullopt;
    }
    ++impl_->counters.hits;
    return reader;
}

std::optional<std::shared_ptr<BlobReader>> BlobCache::join(const Digest& digest) {
    std::scoped_lock lock(impl_->mutex);
    return impl_->find_locked(digest.str());
}

std::optional<std::filesystem::path> BlobCache::file_path(const Digest& digest) {
    std::scoped_lock lock(impl_->mutex);
    if (!impl_->index.touch(digest.str())) {
        return std::nullopt;
    }
    return blob_path(impl_->blobs_dir, digest.str());
}

Result<std::shared_ptr<BlobReader>> BlobCache::open(const Digest& digest,
                                                    std::uint64_t expected_size,
                                                    BlobFetcher fetch) {
    if (!fetch) {
        return Error{ErrorCode::kInvalidInput, "blob cache open() needs a fetcher"};
    }
    std::list<FetchWorker> finished;
    auto reader = [&]() -> Result<std::shared_ptr<BlobReader>> {
        std::scoped_lock lock(impl_->mutex);
        if (auto found = impl_->find_locked(digest.str())) {
            return *found;
        }
        finished = impl_->take_finished_workers_locked();
        return impl_->start_flight_locked(digest, expected_size, std::move(fetch));
    }();
    for (auto& worker : finished) {
        worker.thread.join();
    }
    return reader;
}

Status BlobCache::put(const Digest& digest, std::string_view bytes) {
    auto actual = compute_digest(bytes, digest.algorithm());
    if (!actual) {
        return actual.error();
    }
    if (!(*actual == digest)) {
        return Error{ErrorCode::kDigestMismatch,
                     "bytes hash to " + actual->str() + ", expected " + digest.str()};
    }
    const std::string& key = digest.str();
    std::filesystem::path temp_path;
    {
        std::scoped_lock lock(impl_->mutex);
        if (impl_->index.touch(key) || bytes.size() > impl_->settings.max_bytes) {
            return {};
        }
        temp_path = impl_->next_temp_path_locked("put");
    }
    auto written = impl_->write_temp_file(temp_path, bytes);
    if (!written) {
        return written;
    }
    std::vector<std::filesystem::path> trash;
    Result<bool> placed = false;
    {
        std::scoped_lock lock(impl_->mutex);
        placed = impl_->place_locked(temp_path, key, bytes.size(), trash);
    }
    remove_files(trash);
    impl_->finish_placement(temp_path, key, placed && *placed);
    return placed ? Status{} : Status{placed.error()};
}

Status BlobCache::erase(const Digest& digest) {
    std::vector<std::filesystem::path> trash;
    {
        std::scoped_lock lock(impl_->mutex);
        if (!impl_->index.contains(digest.str())) {
            return Error{ErrorCode::kNotFound, "blob " + digest.str() + " is not cached"};
        }
        impl_->trash_locked(digest.str(), trash);
    }
    remove_files(trash);
    return {};
}

BlobCacheStats BlobCache::stats() const {
    std::scoped_lock lock(impl_->mutex);
    BlobCacheStats stats = impl_->counters;
    stats.bytes = impl_->index.total_bytes();
    stats.entries = impl_->index.entries();
    return stats;
}

}  // namespace aiops::common
