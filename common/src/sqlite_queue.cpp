// SqliteStore: the durable work queue (see the jobs/dedup schema in sqlite_store.cpp).
#include <charconv>

#include "sqlite_store.h"

namespace aiops::common {
namespace {

constexpr std::int64_t kWaiting = 0;
constexpr std::int64_t kLeased = 1;
constexpr std::int64_t kDead = 2;

constexpr const char* kJobColumns =
    "SELECT id, idempotency_key, payload, attempt, last_error, enqueued_ms FROM jobs ";

std::optional<std::int64_t> parse_job_id(std::string_view text) {
    std::int64_t id = 0;
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, id);
    if (ec != std::errc() || ptr != end || id <= 0) {
        return std::nullopt;
    }
    return id;
}

// Reads the columns of kJobColumns.
Result<Job> job_from_row(const SqlQuery& query, std::string_view queue) {
    auto payload = nlohmann::json::parse(query.text_at(2), nullptr, false);
    if (payload.is_discarded()) {
        return Error{ErrorCode::kInternal, "stored job payload is not valid JSON"};
    }
    return Job{.id = std::to_string(query.int_at(0)),
               .queue = std::string(queue),
               .idempotency_key = query.text_at(1),
               .payload = std::move(payload),
               .attempt = query.int_at(3),
               .last_error = query.text_at(4),
               .enqueued_at = std::chrono::system_clock::time_point(
                   std::chrono::milliseconds(query.int_at(5)))};
}

Result<std::vector<Job>> read_jobs(SqlQuery& query, std::string_view queue) {
    std::vector<Job> jobs;
    for (;;) {
        auto row = query.next();
        if (!row) {
            return row.error();
        }
        if (!*row) {
            return jobs;
        }
        auto job = job_from_row(query, queue);
        if (!job) {
            return job.error();
        }
        jobs.push_back(std::move(job).value());
    }
}

}  // namespace

Result<EnqueueResult> SqliteStore::enqueue_job(std::string_view queue, std::string_view key,
                                               std::string payload) {
    return grouped([&] { return enqueue_locked(queue, key, payload); });
}

Result<EnqueueResult> SqliteStore::enqueue_locked(std::string_view queue, std::string_view key,
                                                  const std::string& payload) {
    const std::int64_t now = now_ms();
    {
        auto seen = db_.query(
            "SELECT job_id FROM dedup WHERE queue = ? AND idempotency_key = ? "
            "AND (expires_ms > ? OR job_id IN (SELECT id FROM jobs))",
            {queue, key, now});
        if (!seen) {
            return seen.error();
        }
        auto row = seen->next();
        if (!row) {
            return row.error();
        }
        if (*row) {
            return EnqueueResult{std::to_string(seen->int_at(0)), false};
        }
    }
    auto inserted = db_.run(
        "INSERT INTO jobs(queue, idempotency_key, payload, due_ms, enqueued_ms) "
        "VALUES(?, ?, ?, ?, ?)",
        {queue, key, payload, now, now});
    if (!inserted) {
        return inserted.error();
    }
    const std::int64_t job_id = db_.last_insert_id();
    const std::int64_t expires = now + std::chrono::milliseconds(policy_.dedup_window).count();
    auto remembered = db_.run(
        "INSERT INTO dedup(queue, idempotency_key, job_id, expires_ms) VALUES(?, ?, ?, ?) "
        "ON CONFLICT(queue, idempotency_key) DO UPDATE SET job_id = excluded.job_id, "
        "expires_ms = excluded.expires_ms",
        {queue, key, job_id, expires});
    if (!remembered) {
        return remembered.error();
    }
    auto purged = db_.run(
        "DELETE FROM dedup WHERE expires_ms <= ? AND job_id NOT IN (SELECT id FROM jobs)", {now});
    if (!purged) {
        return purged.error();
    }
    return EnqueueResult{std::to_string(job_id), true};
}

Result<std::optional<Job>> SqliteStore::lease_job(std::string_view queue,
                                                  std::chrono::milliseconds visibility) {
    return grouped([&] { return lease_locked(queue, visibility); });
}

Result<std::optional<Job>> SqliteStore::lease_locked(std::string_view queue,
                                                     std::chrono::milliseconds visibility) {
    const std::int64_t now = now_ms();
    auto buried = db_.run(
        "UPDATE jobs SET state = ?, due_ms = ?, last_error = 'lease expired' "
        "WHERE queue = ? AND state = ? AND due_ms <= ? AND attempt >= ?",
        {kDead, now, queue, kLeased, now, policy_.max_attempts});
    if (!buried) {
        return buried.error();
    }
    auto expired =
        db_.run("UPDATE jobs SET state = ? WHERE queue = ? AND state = ? AND due_ms <= ?",
                {kWaiting, queue, kLeased, now});
    if (!expired) {
        return expired.error();
    }
    std::optional<Job> job;
    {
        auto query =
            db_.query((std::string(kJobColumns) +
                       "WHERE queue = ? AND state = 0 AND due_ms <= ? ORDER BY due_ms, id LIMIT 1")
                          .c_str(),
                      {queue, now});
        if (!query) {
            return query.error();
        }
        auto jobs = read_jobs(*query, queue);
        if (!jobs) {
            return jobs.error();
        }
        if (jobs->empty()) {
            return job;
        }
        job = std::move(jobs->front());
    }
    job->attempt += 1;
    auto leased = db_.run(
        "UPDATE jobs SET state = ?, attempt = ?, due_ms = ? WHERE id = ?",
        {kLeased, job->attempt, now + visibility.count(), parse_job_id(job->id).value_or(0)});
    if (!leased) {
        return leased.error();
    }
    return job;
}

Status SqliteStore::finish_job(const Job& job, bool succeeded, std::string_view error,
                               std::chrono::milliseconds delay) {
    return grouped([&] { return finish_locked(job, succeeded, error, delay); });
}

Status SqliteStore::finish_locked(const Job& job, bool succeeded, std::string_view error,
                                  std::chrono::milliseconds delay) {
    const auto job_id = parse_job_id(job.id);
    if (!job_id) {
        return Error{ErrorCode::kNotFound, "job not found"};
    }
    auto attempt =
        db_.first_int("SELECT attempt FROM jobs WHERE id = ? AND queue = ? AND state = ?",
                      {*job_id, job.queue, kLeased});
    if (!attempt) {
        return attempt.error();
    }
    if (!attempt->has_value() || **attempt != job.attempt) {
        return Error{ErrorCode::kConflict, "job lease was lost (expired and leased again)"};
    }
    const std::int64_t now = now_ms();
    Result<int> changed = 0;
    if (succeeded) {
        changed = db_.run("DELETE FROM jobs WHERE id = ?", {*job_id});
    } else if (job.attempt >= policy_.max_attempts) {
        changed = db_.run("UPDATE jobs SET state = ?, due_ms = ?, last_error = ? WHERE id = ?",
                          {kDead, now, error, *job_id});
    } else {
        changed = db_.run("UPDATE jobs SET state = ?, due_ms = ?, last_error = ? WHERE id = ?",
                          {kWaiting, now + delay.count(), error, *job_id});
    }
    if (!changed) {
        return changed.error();
    }
    return {};
}

Result<std::vector<Job>> SqliteStore::list_dead(std::string_view queue, std::size_t limit) {
    std::scoped_lock lock(mutex_);
    auto query = db_.query(
        (std::string(kJobColumns) + "WHERE queue = ? AND state = 2 ORDER BY due_ms, id LIMIT ?")
            .c_str(),
        {queue, static_cast<std::int64_t>(limit)});
    if (!query) {
        return query.error();
    }
    return read_jobs(*query, queue);
}

Status SqliteStore::requeue_dead_job(std::string_view queue, std::string_view job_id) {
    const auto id = parse_job_id(job_id);
    if (!id) {
        return Error{ErrorCode::kNotFound, "dead job not found"};
    }
    std::scoped_lock lock(mutex_);
    auto changed = db_.run(
        "UPDATE jobs SET state = ?, attempt = 0, due_ms = ? WHERE id = ? AND queue = ? AND "
        "state = ?",
        {kWaiting, now_ms(), *id, queue, kDead});
    if (!changed) {
        return changed.error();
    }
    if (*changed == 0) {
        return Error{ErrorCode::kNotFound, "dead job not found"};
    }
    return {};
}

Status SqliteStore::discard_dead_job(std::string_view queue, std::string_view job_id) {
    const auto id = parse_job_id(job_id);
    if (!id) {
        return Error{ErrorCode::kNotFound, "dead job not found"};
    }
    std::scoped_lock lock(mutex_);
    auto changed =
        db_.run("DELETE FROM jobs WHERE id = ? AND queue = ? AND state = ?", {*id, queue, kDead});
    if (!changed) {
        return changed.error();
    }
    if (*changed == 0) {
        return Error{ErrorCode::kNotFound, "dead job not found"};
    }
    return {};
}

Result<QueueStats> SqliteStore::stats(std::string_view queue) {
    std::scoped_lock lock(mutex_);
    const std::int64_t now = now_ms();
    auto query = db_.query(
        "SELECT "
        "COALESCE(SUM(state = 0 AND due_ms <= ?1 OR state = 1 AND due_ms <= ?1), 0), "
        "COALESCE(SUM(state = 0 AND due_ms > ?1), 0), "
        "COALESCE(SUM(state = 1 AND due_ms > ?1), 0), "
        "COALESCE(SUM(state = 2), 0) FROM jobs WHERE queue = ?2",
        {now, queue});
    if (!query) {
        return query.error();
    }
    auto row = query->next();
    if (!row) {
        return row.error();
    }
    if (!*row) {
        return Error{ErrorCode::kInternal, "queue stats returned no row"};
    }
    return QueueStats{query->int_at(0), query->int_at(1), query->int_at(2), query->int_at(3)};
}

}  // namespace aiops::common
