#pragma once

#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "aiops/common/storage.h"
#include "sqlite_db.h"

namespace aiops::common {

Result<std::unique_ptr<Store>> open_sqlite_store(const std::filesystem::path& path,
                                                 const StorageSettings& settings,
                                                 const Clock& clock);

// SQLite backend: one WAL database file, synchronous=FULL, one connection behind one mutex.
// Several processes may open the same file (busy_timeout), though one service owns it normally.
class SqliteStore final : public Store {
    struct PrivateTag {
        explicit PrivateTag() = default;
    };

public:
    static Result<std::unique_ptr<SqliteStore>> open(const std::filesystem::path& path,
                                                     const StorageSettings& settings,
                                                     const Clock& clock);

    Status ping() override;

protected:
    Result<std::int64_t> write_document(const WriteRequest& request) override;
    Result<Document> read_document(std::string_view collection, std::string_view id) override;
    Result<std::vector<Document>> read_documents(std::string_view collection,
                                                 const std::vector<std::string>& ids) override;
    Status erase_document(std::string_view collection, std::string_view id) override;
    Result<ScanPage> scan_after(std::string_view collection, std::string_view after_id,
                                std::size_t limit) override;
    Status change_set(std::string_view set, std::string_view member, bool add) override;
    Result<std::vector<std::string>> intersect_valid(const std::vector<std::string>& sets) override;
    Result<EnqueueResult> enqueue_job(std::string_view queue, std::string_view key,
                                      std::string payload) override;
    Result<std::optional<Job>> lease_job(std::string_view queue,
                                         std::chrono::milliseconds visibility) override;
    Status finish_job(const Job& job, bool succeeded, std::string_view error,
                      std::chrono::milliseconds delay) override;
    Result<std::vector<Job>> list_dead(std::string_view queue, std::size_t limit) override;
    Status requeue_dead_job(std::string_view queue, std::string_view job_id) override;
    Status discard_dead_job(std::string_view queue, std::string_view job_id) override;
    Result<QueueStats> stats(std::string_view queue) override;

public:
    // Only open() can name PrivateTag; use open().
    SqliteStore(PrivateTag /*unused*/, SqliteDb db, const StorageSettings& settings,
                const Clock& clock)
        : Store(settings.max_document_bytes),
          db_(std::move(db)),
          policy_(settings.queue),
          clock_(clock) {}

private:
    std::int64_t now_ms() const;
    Result<std::int64_t> write_locked(const WriteRequest& request);
    Result<std::optional<Job>> lease_locked(std::string_view queue,
                                            std::chrono::milliseconds visibility);
    Status finish_locked(const Job& job, bool succeeded, std::string_view error,
                         std::chrono::milliseconds delay);
    Result<EnqueueResult> enqueue_locked(std::string_view queue, std::string_view key,
                                         const std::string& payload);

    // Group commit: write transactions of concurrent callers share one COMMIT (one fsync under
    // synchronous=FULL). The first caller that finds no batch committing becomes the leader: it
    // runs every pending body in one transaction, each under its own SAVEPOINT (a body that fails
    // is rolled back alone), then COMMITs; the others wait for that COMMIT. Nobody is answered
    // before the COMMIT that made their write durable.
    template <typename Body>
    auto grouped(Body&& body) -> decltype(body());
    struct GroupTask {
        std::function<bool()> run;               // the body; false = it failed (roll it back)
        std::function<void(const Error&)> fail;  // the COMMIT failed: report this error
        bool done = false;                       // guarded by group_mutex_
    };
    void run_group(GroupTask& task);

    std::mutex mutex_;
    SqliteDb db_;  // guarded by mutex_
    std::mutex group_mutex_;
    std::condition_variable group_done_;
    std::vector<GroupTask*> group_pending_;  // guarded by group_mutex_
    bool group_leader_ = false;              // guarded by group_mutex_
    const QueuePolicy policy_;
    const Clock& clock_;
};

template <typename Body>
auto SqliteStore::grouped(Body&& body) -> decltype(body()) {
    using R = decltype(body());
    std::optional<R> result;
    GroupTask task{[&] {
                       result.emplace(body());
                       return static_cast<bool>(*result);
                   },
                   [&](const Error& error) { result.emplace(error); }};
    run_group(task);
    return std::move(*result);
}

}  // namespace aiops::common
