#include "blob_flight.h"

#include <algorithm>
#include <utility>

namespace aiops::common {
namespace {

// Fetched bytes are written in pieces of this size: few syscalls, little memory.
constexpr std::size_t kWriteChunkBytes = std::size_t{1} << 20;
// Chunks hashed but not yet in the file: bounds a flight's memory (4 MiB) while the writer lags.
constexpr std::size_t kQueuedChunks = 4;

Error short_read_error(std::uint64_t offset) {
    return Error{ErrorCode::kInternal,
                 "blob file ended early at offset " + std::to_string(offset) + " (truncated?)"};
}

}  // namespace

BlobFlight::BlobFlight(Digest digest, std::uint64_t expected_size, BlobFile file,
                       std::filesystem::path temp_path, std::chrono::milliseconds stall_timeout)
    : digest_(std::move(digest)),
      expected_size_(expected_size),
      file_(std::move(file)),
      temp_path_(std::move(temp_path)),
      stall_timeout_(stall_timeout) {}

bool BlobFlight::note_received(std::uint64_t bytes) {
    std::scoped_lock lock(mutex_);
    received_ += bytes;
    return !cancelled_;
}

void BlobFlight::publish_written(std::uint64_t bytes) {
    {
        std::scoped_lock lock(mutex_);
        written_ = bytes;
    }
    changed_.notify_all();
}

void BlobFlight::publish_verified() {
    {
        std::scoped_lock lock(mutex_);
        verified_ = true;
    }
    changed_.notify_all();
}

void BlobFlight::publish_done(std::optional<Error> error) {
    {
        std::scoped_lock lock(mutex_);
        done_ = true;
        error_ = std::move(error);
    }
    changed_.notify_all();
}

void BlobFlight::cancel() {
    std::scoped_lock lock(mutex_);
    cancelled_ = true;
}

bool BlobFlight::cancelled() const {
    std::scoped_lock lock(mutex_);
    return cancelled_;
}

template <typename Ready>
Status BlobFlight::wait_until(std::unique_lock<std::mutex>& lock, const Ready& ready) {
    std::uint64_t seen_received = received_;
    auto deadline = std::chrono::steady_clock::now() + stall_timeout_;
    while (!ready()) {
        if (changed_.wait_until(lock, deadline) != std::cv_status::timeout || ready()) {
            continue;
        }
        if (received_ == seen_received && !verified_) {
            return Error{ErrorCode::kTimeout, "download of " + digest_.str() + " stalled for " +
                                                  std::to_string(stall_timeout_.count()) + " ms"};
        }
        seen_received = received_;
        deadline = std::chrono::steady_clock::now() + stall_timeout_;
    }
    return {};
}

Result<std::uint64_t> BlobFlight::wait_readable(std::uint64_t offset) {
    std::unique_lock lock(mutex_);
    // Until verified, the last byte is held back: a reader that got every byte got good ones.
    const auto readable = [this] {
        return verified_ ? written_
                         : std::min(written_, std::max(expected_size_, std::uint64_t{1}) - 1);
    };
    auto waited = wait_until(lock, [&] {
        return verified_ || error_.has_value() || (offset < expected_size_ && readable() > offset);
    });
    if (!waited) {
        return waited.error();
    }
    if (!verified_ && error_) {
        return *error_;
    }
    return readable();
}

Status BlobFlight::wait_done() {
    std::unique_lock lock(mutex_);
    auto waited = wait_until(lock, [this] { return done_; });
    if (!waited) {
        return waited;
    }
    if (error_) {
        return *error_;
    }
    return {};
}

BlobFlightWriter::BlobFlightWriter(std::shared_ptr<BlobFlight> flight)
    : flight_(std::move(flight)), hasher_(flight_->digest().algorithm()) {
    buffer_.reserve(kWriteChunkBytes);
    writer_ = std::thread([this] { write_chunks(); });
}

BlobFlightWriter::~BlobFlightWriter() {
    {
        std::scoped_lock lock(mutex_);
        stopping_ = true;
    }
    changed_.notify_all();
    writer_.join();
}

bool BlobFlightWriter::accept(std::string_view bytes) {
    if (failure_) {
        return false;
    }
    if (!flight_->note_received(bytes.size())) {
        failure_ = Error{ErrorCode::kUnavailable, "blob cache shut down during the download"};
        return false;
    }
    if (bytes.size() > flight_->expected_size() - accepted_) {
        failure_ = Error{ErrorCode::kDigestMismatch, "upstream sent more bytes than expected (" +
                                                         std::to_string(flight_->expected_size()) +
                                                         ") for " + flight_->digest().str()};
        return false;
    }
    hasher_.update(bytes);
    accepted_ += bytes.size();
    while (!bytes.empty()) {
        const auto room = kWriteChunkBytes - buffer_.size();
        buffer_.append(bytes.substr(0, room));
        bytes.remove_prefix(std::min(room, bytes.size()));
        if (buffer_.size() < kWriteChunkBytes) {
            break;
        }
        if (auto queued = enqueue_buffer(); !queued) {
            failure_ = queued.error();
            return false;
        }
    }
    return true;
}

Status BlobFlightWriter::enqueue_buffer() {
    if (buffer_.empty()) {
        return {};
    }
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return queue_.size() < kQueuedChunks || write_error_; });
    if (write_error_) {
        return *write_error_;
    }
    queue_.push_back(std::move(buffer_));
    buffer_ = std::string();
    buffer_.reserve(kWriteChunkBytes);
    lock.unlock();
    changed_.notify_all();
    return {};
}

void BlobFlightWriter::write_chunks() {
    bool failed = false;  // this thread is the only one that sets write_error_
    for (;;) {
        std::string chunk;
        {
            std::unique_lock lock(mutex_);
            changed_.wait(lock, [this] { return !queue_.empty() || stopping_; });
            if (stopping_) {
                queue_.clear();  // finish() drained already, or the download failed
                return;
            }
            chunk = std::move(queue_.front());
            queue_.pop_front();
            writing_ = true;
        }
        changed_.notify_all();  // room in the queue
        Status wrote;
        if (!failed) {
            wrote = flight_->file().write_all(chunk);
            failed = !wrote;
        }
        if (!failed) {
            written_ += chunk.size();
            flight_->publish_written(written_);
        }
        {
            std::scoped_lock lock(mutex_);
            writing_ = false;
            if (!wrote && !write_error_) {
                write_error_ = wrote.error();
            }
        }
        changed_.notify_all();
    }
}

Status BlobFlightWriter::drain() {
    if (auto queued = enqueue_buffer(); !queued) {
        return queued;
    }
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return (queue_.empty() && !writing_) || write_error_; });
    if (write_error_) {
        return *write_error_;
    }
    return {};
}

Status BlobFlightWriter::finish(const Status& fetched) {
    if (failure_) {
        return *failure_;
    }
    if (!fetched) {
        return fetched;
    }
    if (auto drained = drain(); !drained) {
        return drained;
    }
    const Digest& expected = flight_->digest();
    if (accepted_ != flight_->expected_size()) {
        return Error{ErrorCode::kDigestMismatch,
                     "upstream sent " + std::to_string(accepted_) + " bytes of " +
                         std::to_string(flight_->expected_size()) + " for " + expected.str()};
    }
    auto actual = hasher_.finish();
    if (!actual) {
        return actual.error();
    }
    if (!(*actual == expected)) {
        return Error{ErrorCode::kDigestMismatch,
                     "downloaded bytes hash to " + actual->str() + ", expected " + expected.str()};
    }
    return {};
}

Result<std::size_t> CompleteBlobReader::read(std::uint64_t offset, char* buffer,
                                             std::size_t length) {
    if (offset >= size_ || length == 0) {
        return std::size_t{0};
    }
    const auto wanted = static_cast<std::size_t>(std::min<std::uint64_t>(length, size_ - offset));
    auto got = file_.read_at(offset, buffer, wanted);
    if (got && *got < wanted) {
        return short_read_error(offset + *got);
    }
    return got;
}

Result<std::size_t> InFlightBlobReader::read(std::uint64_t offset, char* buffer,
                                             std::size_t length) {
    if (length == 0) {
        return std::size_t{0};
    }
    auto readable = flight_->wait_readable(offset);
    if (!readable) {
        return readable.error();
    }
    if (offset >= size()) {
        return std::size_t{0};
    }
    const auto wanted =
        static_cast<std::size_t>(std::min<std::uint64_t>(length, *readable - offset));
    auto got = flight_->file().read_at(offset, buffer, wanted);
    if (got && *got < wanted) {
        return short_read_error(offset + *got);
    }
    return got;
}

}  // namespace aiops::common
