#include "job_store.h"

#include <string>

namespace aiops::preheat {

using common::Error;
using common::ErrorCode;
using common::Result;

namespace {

constexpr std::string_view kJobs = "preheat_jobs";
constexpr std::string_view kMeta = "preheat_meta";
constexpr std::string_view kCounter = "job_id";
constexpr int kMaxAttempts = 64;  // compare-and-set retries under contention

Error contended(const std::string& what) {
    return Error{ErrorCode::kUnavailable, what + ": too many concurrent writers, try again"};
}

}  // namespace

std::string JobStore::now_text() const { return common::format_utc(clock_.now()); }

std::vector<common::RetentionRule> JobStore::retention_rules() {
    return {common::rule_by_field(std::string(kJobs), "finished_at")};
}

void JobStore::track_finished(const PreheatJob& job) {
    common::track_finished(retention_, kJobs, std::to_string(job.id), clock_.now());
}

Result<std::int64_t> JobStore::next_id() {
    for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
        auto current = store_.get(kMeta, kCounter);
        if (!current && current.error().code != ErrorCode::kNotFound) {
            return current.error();
        }
        const std::int64_t version = current ? current->version : 0;
        const std::int64_t next = current ? current->body.value("next", std::int64_t{1}) : 1;
        auto written = store_.compare_and_set(kMeta, kCounter, version, {{"next", next + 1}});
        if (written) {
            return next;
        }
        if (written.error().code != ErrorCode::kConflict) {
            return written.error();
        }
    }
    return contended("allocating a preheat job id");
}

Result<PreheatJob> JobStore::create(PreheatJob job) {
    auto id = next_id();
    if (!id) {
        return id.error();
    }
    job.id = *id;
    job.created_at = job.updated_at = now_text();
    if (job_state(job) != JobState::kPending) {
        job.finished_at = job.updated_at;
    }
    auto created = store_.create(kJobs, std::to_string(job.id), to_stored(job));
    if (!created) {
        return created.error();
    }
    if (!job.finished_at.empty()) {
        track_finished(job);
    }
    return job;
}

Result<PreheatJob> JobStore::get(std::int64_t id) {
    auto document = store_.get(kJobs, std::to_string(id));
    if (!document) {
        if (document.error().code == ErrorCode::kNotFound) {
            return Error{ErrorCode::kNotFound, "preheat job " + std::to_string(id) + " not found"};
        }
        return document.error();
    }
    return from_stored(document->body);
}

Result<PreheatJob> JobStore::update(std::int64_t id,
                                    const std::function<common::Status(PreheatJob&)>& change) {
    auto modified = modify(id, [&](PreheatJob& job) -> Result<bool> {
        if (auto changed = change(job); !changed) {
            return changed.error();
        }
        return true;
    });
    if (!modified) {
        return modified.error();
    }
    return std::move(modified->job);
}

Result<JobStore::Modified> JobStore::modify(
    std::int64_t id, const std::function<Result<bool>(PreheatJob&)>& change) {
    const auto key = std::to_string(id);
    for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
        auto document = store_.get(kJobs, key);
        if (!document) {
            if (document.error().code == ErrorCode::kNotFound) {
                return Error{ErrorCode::kNotFound, "preheat job " + key + " not found"};
            }
            return document.error();
        }
        auto job = from_stored(document->body);
        if (!job) {
            return job.error();
        }
        const bool was_final = job_state(*job) != JobState::kPending;
        auto changed = change(*job);
        if (!changed) {
            return changed.error();
        }
        if (!*changed) {
            return Modified{std::move(*job), false, false};
        }
        job->updated_at = now_text();
        const bool finished = !was_final && job_state(*job) != JobState::kPending;
        if (finished) {
            job->finished_at = job->updated_at;
        }
        auto written = store_.compare_and_set(kJobs, key, document->version, to_stored(*job));
        if (written) {
            if (finished) {
                track_finished(*job);
            }
            return Modified{std::move(*job), true, finished};
        }
        if (written.error().code != ErrorCode::kConflict) {
            return written.error();
        }
    }
    return contended("updating preheat job " + key);
}

}  // namespace aiops::preheat
