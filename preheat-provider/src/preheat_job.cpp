#include "preheat_job.h"

#include <algorithm>
#include <map>

namespace aiops::preheat {

using common::Error;
using common::ErrorCode;
using common::Result;
using json = nlohmann::json;

namespace {

constexpr std::string_view kTaskStates[] = {"pending", "running", "succeeded", "failed"};

std::string_view task_state_name(TaskState state) {
    return kTaskStates[static_cast<std::size_t>(state)];
}

std::optional<TaskState> parse_task_state(std::string_view name) {
    for (std::size_t index = 0; index < std::size(kTaskStates); ++index) {
        if (kTaskStates[index] == name) {
            return static_cast<TaskState>(index);
        }
    }
    return std::nullopt;
}

json task_entry(const BlobJob& blob, const NodeTask& task, bool failed) {
    json entry{{"url", blob.url}, {"hostname", task.hostname}, {"ip", task.ip}};
    if (failed) {
        entry["description"] = task.error.empty() ? "failed" : task.error;
    }
    return entry;
}

}  // namespace

JobState job_state(const PreheatJob& job) {
    if (!job.error.empty()) {
        return JobState::kFailure;
    }
    bool any_succeeded = false;
    for (const auto& blob : job.blobs) {
        for (const auto& task : blob.tasks) {
            if (task.state == TaskState::kPending || task.state == TaskState::kRunning) {
                return JobState::kPending;
            }
            any_succeeded = any_succeeded || task.state == TaskState::kSucceeded;
        }
    }
    return any_succeeded ? JobState::kSuccess : JobState::kFailure;
}

std::string_view job_state_name(JobState state) {
    switch (state) {
        case JobState::kPending: return "PENDING";
        case JobState::kSuccess: return "SUCCESS";
        case JobState::kFailure: return "FAILURE";
    }
    return "FAILURE";
}

json dragonfly_view(const PreheatJob& job) {
    const auto state = job_state(job);
    json view{{"id", job.id},      {"created_at", job.created_at},   {"updated_at", job.updated_at},
              {"type", "preheat"}, {"state", job_state_name(state)}, {"result", nullptr}};
    if (state == JobState::kPending) {
        return view;  // like Dragonfly: no result until the group is decided
    }
    // One results[] entry per pool, as Dragonfly reports per scheduler cluster.
    std::map<std::int64_t, std::pair<json, json>> per_pool;  // pool → (success, failure)
    for (const auto& blob : job.blobs) {
        for (const auto& task : blob.tasks) {
            auto& [success, failure] = per_pool[task.pool];
            if (task.state == TaskState::kSucceeded) {
                success.push_back(task_entry(blob, task, false));
            } else if (task.state == TaskState::kFailed) {
                failure.push_back(task_entry(blob, task, true));
            }
        }
    }
    json results = json::array();
    for (auto& [pool, lists] : per_pool) {
        results.push_back(
            {{"scheduler_cluster_id", pool},
             {"success_tasks", lists.first.is_null() ? json::array() : lists.first},
             {"failure_tasks", lists.second.is_null() ? json::array() : lists.second}});
    }
    view["result"] = {{"state", job_state_name(state)},
                      {"created_at", job.created_at},
                      {"updated_at", job.updated_at},
                      {"job_states", json::array({{{"state", job_state_name(state)},
                                                   {"error", job.error},
                                                   {"results", std::move(results)}}})}};
    return view;
}

json legacy_view(const PreheatJob& job) {
    const auto state = job_state(job);
    bool started = false;
    for (const auto& blob : job.blobs) {
        for (const auto& task : blob.tasks) {
            started = started || task.state != TaskState::kPending;
        }
    }
    const std::string status = state == JobState::kSuccess   ? "SUCCESS"
                               : state == JobState::kFailure ? "FAILED"
                               : started                     ? "RUNNING"
                                                             : "WAITING";
    std::string error = job.error;
    if (error.empty() && state == JobState::kFailure) {
        error = job.blobs.empty() ? "nothing to preheat" : "every node failed";
    }
    return {{"ID", std::to_string(job.id)},
            {"startTime", job.created_at},
            {"finishTime", job.finished_at},
            {"errorMsg", error},
            {"Status", status}};
}

json to_stored(const PreheatJob& job) {
    json blobs = json::array();
    for (const auto& blob : job.blobs) {
        json tasks = json::array();
        for (const auto& task : blob.tasks) {
            tasks.push_back({{"node", task.node},
                             {"hostname", task.hostname},
                             {"ip", task.ip},
                             {"pool", task.pool},
                             {"state", task_state_name(task.state)},
                             {"error", task.error},
                             {"parent", task.parent},
                             {"source", task.source},
                             {"attempts", task.attempts},
                             {"bad_sources", task.bad_sources},
                             {"boot_id", task.boot_id},
                             {"bytes", task.bytes},
                             {"lease_until_ms", task.lease_until_ms}});
        }
        blobs.push_back(
            {{"digest", blob.digest}, {"size", blob.size}, {"url", blob.url}, {"tasks", tasks}});
    }
    json manifests = json::array();
    for (const auto& manifest : job.manifests) {
        manifests.push_back({{"digest", manifest.digest},
                             {"media_type", manifest.media_type},
                             {"content", manifest.content}});
    }
    const auto& request = job.request;
    json stored{{"id", job.id},
                {"created_at", job.created_at},
                {"updated_at", job.updated_at},
                {"finished_at", job.finished_at},
                {"url", request.url},
                {"authorization", request.authorization},
                {"scope", scope_name(request.scope)},
                {"pools", request.pools ? json(*request.pools) : json(nullptr)},
                {"platform", request.platform},
                {"selector", request.selector},
                {"manifest_digest", job.manifest_digest},
                {"blobs", std::move(blobs)},
                {"manifests", std::move(manifests)},
                {"deadline_ms", job.deadline_ms},
                {"error", job.error}};
    return stored;
}

Result<PreheatJob> from_stored(const json& stored) {
    const auto malformed = [](const std::string& what) {
        return Error{ErrorCode::kInternal, "stored preheat job is malformed: " + what};
    };
    try {
        PreheatJob job;
        job.id = stored.at("id").get<std::int64_t>();
        job.created_at = stored.at("created_at").get<std::string>();
        job.updated_at = stored.at("updated_at").get<std::string>();
        job.finished_at = stored.value("finished_at", "");
        job.manifest_digest = stored.value("manifest_digest", "");
        job.error = stored.value("error", "");
        job.deadline_ms = stored.value("deadline_ms", std::int64_t{0});
        for (const auto& manifest : stored.value("manifests", json::array())) {
            job.manifests.push_back({manifest.at("digest").get<std::string>(),
                                     manifest.at("media_type").get<std::string>(),
                                     manifest.at("content").get<std::string>()});
        }
        auto manifest = parse_manifest_url(stored.at("url").get<std::string>());
        const auto scope = scope_from_name(stored.at("scope").get<std::string>());
        if (!manifest || !scope) {
            return malformed("url or scope");
        }
        job.request.url = stored.at("url").get<std::string>();
        job.request.manifest = std::move(*manifest);
        job.request.authorization = stored.value("authorization", "");
        job.request.scope = *scope;
        job.request.platform = stored.value("platform", "");
        job.request.selector = stored.value("selector", std::map<std::string, std::string>{});
        if (stored.at("pools").is_array()) {
            job.request.pools = stored.at("pools").get<std::vector<std::int64_t>>();
        }
        for (const auto& blob : stored.at("blobs")) {
            BlobJob entry{blob.at("digest").get<std::string>(),
                          blob.at("size").get<std::uint64_t>(),
                          blob.at("url").get<std::string>(),
                          {}};
            for (const auto& task : blob.at("tasks")) {
                const auto state = parse_task_state(task.at("state").get<std::string>());
                if (!state) {
                    return malformed("task state");
                }
                NodeTask parsed;
                parsed.node = task.at("node").get<std::string>();
                parsed.hostname = task.value("hostname", "");
                parsed.ip = task.value("ip", "");
                parsed.pool = task.value("pool", std::int64_t{0});
                parsed.state = *state;
                parsed.error = task.value("error", "");
                parsed.parent = task.value("parent", -1);
                parsed.source = task.value("source", "");
                parsed.attempts = task.value("attempts", 0);
                parsed.bad_sources = task.value("bad_sources", std::vector<std::string>{});
                parsed.boot_id = task.value("boot_id", "");
                parsed.bytes = task.value("bytes", std::uint64_t{0});
                parsed.lease_until_ms = task.value("lease_until_ms", std::int64_t{0});
                entry.tasks.push_back(std::move(parsed));
            }
            job.blobs.push_back(std::move(entry));
        }
        return job;
    } catch (const json::exception& error) {
        return malformed(error.what());
    }
}

}  // namespace aiops::preheat
