// RedisStore: the durable work queue (scripts and key layout in redis_scripts.h).
#include <charconv>

#include "redis_store.h"

namespace aiops::common {
namespace {

std::int64_t number_or_zero(const RedisValue& value) {
    if (value.kind == RedisValue::Kind::kInteger) {
        return value.integer;
    }
    std::int64_t number = 0;
    std::from_chars(value.text.data(), value.text.data() + value.text.size(), number);
    return number;
}

// {id, key, payload, attempt, error, enqueued ms} → Job.
Result<Job> decode_job(const RedisValue& row, std::string_view queue) {
    if (row.kind != RedisValue::Kind::kArray || row.elements.size() != 6) {
        return Error{ErrorCode::kInternal, "redis returned a malformed job"};
    }
    const auto& fields = row.elements;
    auto payload = nlohmann::json::parse(fields[2].text, nullptr, false);
    if (payload.is_discarded()) {
        return Error{ErrorCode::kInternal, "stored job payload is not valid JSON"};
    }
    return Job{.id = fields[0].text,
               .queue = std::string(queue),
               .idempotency_key = fields[1].text,
               .payload = std::move(payload),
               .attempt = number_or_zero(fields[3]),
               .last_error = fields[4].text,
               .enqueued_at = std::chrono::system_clock::time_point(
                   std::chrono::milliseconds(number_or_zero(fields[5])))};
}

}  // namespace

std::vector<std::string> RedisStore::queue_keys(
    std::string_view queue, std::initializer_list<std::string_view> kinds) const {
    std::vector<std::string> keys;
    for (const auto kind : kinds) {
        keys.push_back(key("q", queue) + ":" + std::string(kind));
    }
    return keys;
}

Result<EnqueueResult> RedisStore::enqueue_job(std::string_view queue, std::string_view key_text,
                                              std::string payload) {
    auto keys = queue_keys(queue, {"ready", "leased", "dead", "dedup", "dedupexp"});
    keys.push_back(job_prefix() + "seq");
    const auto window = std::chrono::milliseconds(policy_.dedup_window).count();
    auto reply = client_.eval(enqueue_, keys,
                              {job_prefix(), std::string(key_text), std::move(payload), now_ms(),
                               std::to_string(window), std::string(queue)});
    if (!reply) {
        return reply.error();
    }
    if (reply->elements.size() != 2) {
        return Error{ErrorCode::kInternal, "redis returned a malformed enqueue reply"};
    }
    return EnqueueResult{reply->elements[0].text, reply->elements[1].integer == 1};
}

Result<std::optional<Job>> RedisStore::lease_job(std::string_view queue,
                                                 std::chrono::milliseconds visibility) {
    auto reply = client_.eval(lease_, queue_keys(queue, {"ready", "leased", "dead"}),
                              {job_prefix(), now_ms(), std::to_string(visibility.count()),
                               std::to_string(policy_.max_attempts)});
    if (!reply) {
        return reply.error();
    }
    if (reply->kind == RedisValue::Kind::kNil) {
        return std::optional<Job>();
    }
    auto job = decode_job(*reply, queue);
    if (!job) {
        return job.error();
    }
    return std::optional<Job>(std::move(job).value());
}

Status RedisStore::finish_job(const Job& job, bool succeeded, std::string_view error,
                              std::chrono::milliseconds delay) {
    auto reply =
        client_.eval(finish_, queue_keys(job.queue, {"ready", "leased", "dead"}),
                     {job_prefix(), job.id, std::to_string(job.attempt), succeeded ? "1" : "0",
                      std::string(error), now_ms(), std::to_string(delay.count()),
                      std::to_string(policy_.max_attempts)});
    if (!reply) {
        return reply.error();
    }
    return {};
}

Result<std::vector<Job>> RedisStore::list_dead(std::string_view queue, std::size_t limit) {
    auto reply = client_.eval(list_dead_, queue_keys(queue, {"dead"}),
                              {job_prefix(), std::to_string(limit)});
    if (!reply) {
        return reply.error();
    }
    std::vector<Job> jobs;
    for (const auto& row : reply->elements) {
        auto job = decode_job(row, queue);
        if (!job) {
            return job.error();
        }
        jobs.push_back(std::move(job).value());
    }
    return jobs;
}

Status RedisStore::requeue_dead_job(std::string_view queue, std::string_view job_id) {
    auto reply = client_.eval(requeue_dead_, queue_keys(queue, {"ready", "dead"}),
                              {job_prefix(), std::string(job_id), now_ms()});
    if (!reply) {
        return reply.error();
    }
    return {};
}

Status RedisStore::discard_dead_job(std::string_view queue, std::string_view job_id) {
    auto reply = client_.eval(discard_dead_, queue_keys(queue, {"dead"}),
                              {job_prefix(), std::string(job_id)});
    if (!reply) {
        return reply.error();
    }
    return {};
}

Result<QueueStats> RedisStore::stats(std::string_view queue) {
    auto reply = client_.eval(stats_, queue_keys(queue, {"ready", "leased", "dead"}), {now_ms()});
    if (!reply) {
        return reply.error();
    }
    const auto& counts = reply->elements;
    if (counts.size() != 4) {
        return Error{ErrorCode::kInternal, "redis returned malformed queue stats"};
    }
    return QueueStats{counts[0].integer, counts[1].integer, counts[2].integer, counts[3].integer};
}

}  // namespace aiops::common
