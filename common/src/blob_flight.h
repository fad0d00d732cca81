#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "aiops/common/blob_cache.h"
#include "aiops/common/digest.h"
#include "blob_file.h"

// One blob download in flight (BlobCache's single flight): the fetch thread appends to a temp
// file and publishes its progress; readers tail the same file through their shared_ptr.
namespace aiops::common {

// Shared by the fetch thread and every reader of the download (shared_ptr): whoever holds it
// last closes the temp file, which by then may have been renamed into place or unlinked.
class BlobFlight {
public:
    BlobFlight(Digest digest, std::uint64_t expected_size, BlobFile file,
               std::filesystem::path temp_path, std::chrono::milliseconds stall_timeout);

    const Digest& digest() const { return digest_; }
    std::uint64_t expected_size() const { return expected_size_; }
    const BlobFile& file() const { return file_; }
    const std::filesystem::path& temp_path() const { return temp_path_; }

    // Fetch thread: counts bytes handed to the sink; false once cancelled.
    bool note_received(std::uint64_t bytes);
    // Fetch thread: the first `bytes` of the file are written and may be read.
    void publish_written(std::uint64_t bytes);
    // Fetch thread: size and digest matched; the last byte may be read.
    void publish_verified();
    // Fetch thread: the download ended (stored, or failed with `error`).
    void publish_done(std::optional<Error> error);
    // ~BlobCache: the sink returns false from now on.
    void cancel();
    bool cancelled() const;

    // Readers: blocks until the bytes at `offset` may be read (or, at offset >= size, until the
    // download was verified); returns how many bytes from the start are readable.
    Result<std::uint64_t> wait_readable(std::uint64_t offset);
    // Readers: blocks until the download ended; its outcome.
    Status wait_done();

private:
    // Waits until ready() (called with mutex_ held), failing with kTimeout when no byte arrived
    // for stall_timeout before the download was verified.
    template <typename Ready>
    Status wait_until(std::unique_lock<std::mutex>& lock, const Ready& ready);

    const Digest digest_;
    const std::uint64_t expected_size_;
    const BlobFile file_;
    const std::filesystem::path temp_path_;
    const std::chrono::milliseconds stall_timeout_;

    mutable std::mutex mutex_;
    std::condition_variable changed_;  // notified on written, verified and done
    std::uint64_t received_ = 0;       // guarded by mutex_: progress, for stall detection
    std::uint64_t written_ = 0;        // guarded by mutex_
    bool verified_ = false;            // guarded by mutex_
    bool done_ = false;                // guarded by mutex_
    bool cancelled_ = false;           // guarded by mutex_
    std::optional<Error> error_;       // guarded by mutex_
};

// The fetch thread's side of a flight, in two stages so that hashing and file writes overlap:
// the fetch thread hashes what the fetcher delivers and queues it in chunks; a writer thread
// appends the chunks to the temp file and publishes each once it is in the file. On the 2-core
// VM one thread doing both capped a cold 1 GiB pull at ~290 MiB/s from a 512 MiB/s upstream
// (perf: a quarter of all CPU in the page-cache copy of write()); two stages reach ~490.
// At most kQueuedChunks chunks wait (bounded memory per flight).
class BlobFlightWriter {
public:
    explicit BlobFlightWriter(std::shared_ptr<BlobFlight> flight);
    ~BlobFlightWriter();  // stops and joins the writer thread
    BlobFlightWriter(const BlobFlightWriter&) = delete;
    BlobFlightWriter& operator=(const BlobFlightWriter&) = delete;

    // The BlobSink: false stops the fetch (cancelled, oversize or write error).
    bool accept(std::string_view bytes);
    // After the fetcher returned `fetched`: writes the rest and checks size and digest.
    Status finish(const Status& fetched);

private:
    // Fetch thread: hands the filled buffer to the writer (blocks while the queue is full).
    Status enqueue_buffer();
    // Writer thread: writes queued chunks in order until told to stop and drained.
    void write_chunks();
    // Fetch thread: waits until every queued chunk is written; the first write error if any.
    Status drain();

    std::shared_ptr<BlobFlight> flight_;
    DigestHasher hasher_;
    std::string buffer_;
    std::uint64_t accepted_ = 0;
    std::optional<Error> failure_;  // why accept() returned false

    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<std::string> queue_;     // guarded by mutex_
    bool writing_ = false;              // guarded by mutex_: the writer holds a chunk
    bool stopping_ = false;             // guarded by mutex_
    std::optional<Error> write_error_;  // guarded by mutex_
    std::uint64_t written_ = 0;         // writer thread only
    std::thread writer_;                // last: started once the rest exists
};

// A complete blob file, opened read-only.
class CompleteBlobReader final : public BlobReader {
public:
    CompleteBlobReader(BlobFile file, std::uint64_t size) : file_(std::move(file)), size_(size) {}
    std::uint64_t size() const override { return size_; }
    bool complete() const override { return true; }
    Result<std::size_t> read(std::uint64_t offset, char* buffer, std::size_t length) override;
    Status wait() override { return {}; }

private:
    const BlobFile file_;
    const std::uint64_t size_;
};

// A download in flight, read as it grows.
class InFlightBlobReader final : public BlobReader {
public:
    explicit InFlightBlobReader(std::shared_ptr<BlobFlight> flight) : flight_(std::move(flight)) {}
    std::uint64_t size() const override { return flight_->expected_size(); }
    bool complete() const override { return false; }
    Result<std::size_t> read(std::uint64_t offset, char* buffer, std::size_t length) override;
    Status wait() override { return flight_->wait_done(); }

private:
    const std::shared_ptr<BlobFlight> flight_;
};

}  // namespace aiops::common
