#pragma once

#include <memory>

#include "aiops/common/storage.h"
#include "redis_client.h"
#include "redis_scripts.h"

namespace aiops::common {

Result<std::unique_ptr<Store>> open_redis_store(const StorageSettings& settings,
                                                const Clock& clock);

// Redis backend: every multi-key change is one Lua script, so replicas sharing the server see
// atomic CAS, lease and enqueue-with-dedup. Durability is the server's (appendfsync always).
class RedisStore final : public Store {
    struct PrivateTag {
        explicit PrivateTag() = default;
    };

public:
    static Result<std::unique_ptr<RedisStore>> open(const StorageSettings& settings,
                                                    const Clock& clock);
    // Only open() can name PrivateTag; use open().
    RedisStore(PrivateTag /*unused*/, RedisEndpoint endpoint, const StorageSettings& settings,
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

private:
    std::string now_ms() const;
    std::string key(std::string_view kind, std::string_view name) const;
    std::vector<std::string> queue_keys(std::string_view queue,
                                        std::initializer_list<std::string_view> kinds) const;
    std::string job_prefix() const { return prefix_ + "job:"; }

    RedisClient client_;
    const std::string prefix_;
    const QueuePolicy policy_;
    const Clock& clock_;
    const RedisScript write_{redis_scripts::kWrite};
    const RedisScript erase_{redis_scripts::kErase};
    const RedisScript scan_{redis_scripts::kScan};
    const RedisScript enqueue_{redis_scripts::kEnqueue};
    const RedisScript lease_{redis_scripts::kLease};
    const RedisScript finish_{redis_scripts::kFinish};
    const RedisScript list_dead_{redis_scripts::kListDead};
    const RedisScript requeue_dead_{redis_scripts::kRequeueDead};
    const RedisScript discard_dead_{redis_scripts::kDiscardDead};
    const RedisScript stats_{redis_scripts::kStats};
};

}  // namespace aiops::common
