#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aiops/common/clock.h"
#include "aiops/common/config.h"
#include "aiops/common/result.h"

// The storage layer every service uses: JSON documents with versions, secondary index sets and
// durable work queues. Two backends behind one interface, chosen by URL:
//   sqlite:///var/lib/aiops/store.db  (or a plain directory path → <dir>/aiops.db)  one node,
//   default redis://[[user]:password@]host:port/db                                        several
//   replicas
// Every method is thread-safe. An acknowledged write (a successful return) survives kill -9 of the
// process (SQLite WAL + synchronous=FULL; Redis with appendonly yes + appendfsync always).
//
// Names (collection, set, queue): 1..200 bytes; ids, set members and idempotency keys: 1..512
// bytes; neither may contain control characters. Violations return kInvalidInput; a document or
// payload whose JSON is larger than StorageSettings::max_document_bytes returns kTooLarge.
namespace aiops::common {

struct Document {
    std::string id{};
    std::int64_t version = 0;  // 1 when created, +1 on every write; restarts after erase()
    nlohmann::json body{};
};

struct ScanPage {
    std::vector<Document> documents{};  // ascending by id (bytewise)
    std::string next_cursor{};          // opaque; empty when there is nothing after this page
};

struct EnqueueResult {
    std::string job_id{};
    bool created = false;  // false: the idempotency key was seen before and job_id is the original
};

struct Job {
    std::string id{};
    std::string queue{};
    std::string idempotency_key{};
    nlohmann::json payload{};
    std::int64_t attempt = 0;  // 1 on the first lease, +1 on every lease; fences ack()/retry()
    std::string last_error{};  // from the latest retry(), or why it was dead-lettered
    std::chrono::system_clock::time_point enqueued_at{};
};

struct QueueStats {
    std::int64_t ready = 0;    // can be leased now (including jobs whose lease expired)
    std::int64_t delayed = 0;  // waiting for a retry backoff to pass
    std::int64_t leased = 0;   // leased and not yet expired
    std::int64_t dead = 0;     // dead letters
};

struct QueuePolicy {
    // A job leased this many times without ack() is dead-lettered on its next retry() or when
    // its last lease expires.
    std::int64_t max_attempts = 5;
    // An idempotency key maps to its job for this long after enqueue, and always while the job
    // still exists (ready, leased or dead).
    std::chrono::seconds dedup_window = std::chrono::hours(24 * 7);
};

struct StorageSettings {
    std::string url{};                  // see above; required
    std::string password{};             // Redis; overrides a password in the URL. Never logged.
    std::string key_prefix = "aiops:";  // Redis: every key starts with it (share Harbor's Redis)
    std::size_t pool_size = 8;  // Redis connections kept open (≥ server.workers, or some reconnect)
    std::chrono::milliseconds timeout{5000};  // Redis connect/command; SQLite busy_timeout
    std::size_t max_document_bytes = 1 << 20;
    QueuePolicy queue{};
};

class Store {
public:
    // What a backend is asked to write (validated, serialised).
    enum class WriteMode { kPut, kCreate, kCompareAndSet };
    struct WriteRequest {
        std::string_view collection{};
        std::string_view id{};
        WriteMode mode = WriteMode::kPut;
        std::int64_t expected_version = 0;  // kCompareAndSet only
        std::string body{};                 // serialised JSON
    };

    virtual ~Store() = default;

    // Documents. Writes return the new version.
    Result<std::int64_t> put(std::string_view collection, std::string_view id,
                             const nlohmann::json& body);  // create or replace
    Result<std::int64_t> create(std::string_view collection, std::string_view id,
                                const nlohmann::json& body);  // kConflict if it exists
    // Writes only if the stored version is still `expected_version` (0 = must not exist yet):
    // kConflict when the version moved, kNotFound when the document is gone.
    Result<std::int64_t> compare_and_set(std::string_view collection, std::string_view id,
                                         std::int64_t expected_version, const nlohmann::json& body);
    Result<Document> get(std::string_view collection, std::string_view id);  // kNotFound
    // The documents among `ids` (0..1000) that exist, in the order of `ids`; absent ones are
    // skipped. One backend round trip, for callers that resolve index sets to documents.
    Result<std::vector<Document>> get_many(std::string_view collection,
                                           const std::vector<std::string>& ids);
    Status erase(std::string_view collection, std::string_view id);  // kNotFound
    // Up to `limit` (1..1000) documents with ids after `cursor` ("" = from the start). Paging
    // while others write never skips or repeats a document that exists throughout.
    Result<ScanPage> scan(std::string_view collection, std::string_view cursor, std::size_t limit);
    // The cursor that makes scan() resume right after `id` (present or not): lets a caller that
    // stops in the middle of a page continue from the last document it consumed.
    static std::string cursor_after(std::string_view id);

    // Index sets (e.g. tag → ids). Adding a present member or removing an absent one is a no-op.
    Status add_to_set(std::string_view set, std::string_view member);
    Status remove_from_set(std::string_view set, std::string_view member);
    Result<std::vector<std::string>> set_members(std::string_view set);  // sorted
    Result<std::vector<std::string>> intersect_sets(const std::vector<std::string>& sets);  // 1..16

    // Durable work queues.
    Result<EnqueueResult> enqueue(std::string_view queue, std::string_view idempotency_key,
                                  const nlohmann::json& payload);
    // The next available job, hidden from other consumers for `visibility_timeout` (> 0); after
    // that it is leased again. Empty when nothing is available now.
    Result<std::optional<Job>> lease(std::string_view queue,
                                     std::chrono::milliseconds visibility_timeout);
    // Done: the job is removed. kConflict if this lease expired and the job was leased again.
    Status ack(const Job& job);
    // Failed: available again after `delay`, or dead-lettered when job.attempt reached
    // max_attempts. kConflict like ack().
    Status retry(const Job& job, std::string_view error, std::chrono::milliseconds delay);
    Result<std::vector<Job>> dead_letters(std::string_view queue,
                                          std::size_t limit);  // oldest first
    // Makes a dead letter available now with attempt reset to 0. kNotFound if it is not dead.
    Status requeue_dead(std::string_view queue, std::string_view job_id);
    // Deletes a dead letter for good (an operator decided not to replay it), as ack() deletes a
    // done job: its idempotency key still deduplicates for the rest of the window. kNotFound if
    // it is not dead.
    Status discard_dead(std::string_view queue, std::string_view job_id);
    Result<QueueStats> queue_stats(std::string_view queue);

    // For /readyz: the backend answers.
    virtual Status ping() = 0;

protected:
    explicit Store(std::size_t max_document_bytes) : max_document_bytes_(max_document_bytes) {}

    // Backends implement these; inputs are already validated.
    virtual Result<std::int64_t> write_document(const WriteRequest& request) = 0;
    virtual Result<Document> read_document(std::string_view collection, std::string_view id) = 0;
    virtual Result<std::vector<Document>> read_documents(std::string_view collection,
                                                         const std::vector<std::string>& ids) = 0;
    virtual Status erase_document(std::string_view collection, std::string_view id) = 0;
    virtual Result<ScanPage> scan_after(std::string_view collection, std::string_view after_id,
                                        std::size_t limit) = 0;
    virtual Status change_set(std::string_view set, std::string_view member, bool add) = 0;
    virtual Result<std::vector<std::string>> intersect_valid(
        const std::vector<std::string>& sets) = 0;
    virtual Result<EnqueueResult> enqueue_job(std::string_view queue, std::string_view key,
                                              std::string payload) = 0;
    virtual Result<std::optional<Job>> lease_job(std::string_view queue,
                                                 std::chrono::milliseconds visibility) = 0;
    // succeeded: ack (error and delay unused); otherwise retry.
    virtual Status finish_job(const Job& job, bool succeeded, std::string_view error,
                              std::chrono::milliseconds delay) = 0;
    virtual Result<std::vector<Job>> list_dead(std::string_view queue, std::size_t limit) = 0;
    virtual Status requeue_dead_job(std::string_view queue, std::string_view job_id) = 0;
    virtual Status discard_dead_job(std::string_view queue, std::string_view job_id) = 0;
    virtual Result<QueueStats> stats(std::string_view queue) = 0;

private:
    Result<std::int64_t> write_checked(std::string_view collection, std::string_view id,
                                       WriteMode mode, std::int64_t expected_version,
                                       const nlohmann::json& body);
    Result<std::string> serialise(const nlohmann::json& body) const;

    std::size_t max_document_bytes_;
};

// Opens the backend named by settings.url. `clock` must outlive the store.
Result<std::unique_ptr<Store>> open_store(const StorageSettings& settings, const Clock& clock);

// storage.url (default sqlite://<server.data_dir>/aiops.db), storage.password /
// storage.password_file (secret), storage.key_prefix, storage.pool_size, storage.timeout_ms,
// storage.max_document_bytes, storage.queue.max_attempts, storage.queue.dedup_window_s.
StorageSettings storage_settings_from_config(Config& config);

}  // namespace aiops::common
