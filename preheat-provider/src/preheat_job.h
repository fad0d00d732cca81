#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "aiops/common/result.h"
#include "job_request.h"

// One preheat job as the provider stores it (foundation Store, JSON) and as Harbor sees it.
// Every (blob × node) pair is a task; the job is decided by its tasks:
//   PENDING  while any task is pending or running;
//   FAILURE  when the job itself failed (manifest unresolvable, no node selected, deadline),
//            when every task failed, or when it has no task at all;
//   SUCCESS  otherwise — nodes that failed are listed in failure_tasks, as Dragonfly does, and
//            Harbor renders both lists in the task log without failing the task.
// The Dragonfly view has result null while PENDING (as Dragonfly until its group is decided).
// Views: Dragonfly's open API job (Harbor ≥ 2.12, shared/reference/harbor-preheat-webhook-
// replication.md §1.3: numeric id, RFC 3339 times, state only PENDING/SUCCESS/FAILURE,
// result.job_states[].results[] per pool) and the legacy /preheats/{id} answer (Harbor ≤ 2.11:
// ID, startTime, finishTime, errorMsg, Status WAITING/RUNNING/SUCCESS/FAILED).
namespace aiops::preheat {

enum class TaskState { kPending, kRunning, kSucceeded, kFailed };
enum class JobState { kPending, kSuccess, kFailure };

struct NodeTask {
    std::string node{};      // agent name
    std::string hostname{};  // as the agent reported it
    std::string ip{};
    std::int64_t pool = 0;  // scheduler_cluster_id the node was selected through (0: none)
    TaskState state = TaskState::kPending;
    std::string error{};  // kFailed: why (digest mismatch, 401 token expired, …)
    // The distribution plan: this task's parent in the blob's tree (index into tasks, -1 = the
    // registry), where the running attempt fetches from ("registry" or a node name), attempts
    // so far, peers that served this node bad bytes or failed it, the agent process (boot id)
    // the attempt was handed to, and bytes received so far.
    int parent = -1;
    std::string source{};
    int attempts = 0;
    std::vector<std::string> bad_sources{};
    std::string boot_id{};
    std::uint64_t bytes = 0;
    // The running attempt is given up (re-queued) when no progress renews it by then (Unix ms):
    // an assignment whose answer never reached the agent, or an agent stuck mid-transfer.
    std::int64_t lease_until_ms = 0;
};

struct BlobJob {
    std::string digest{};
    std::uint64_t size = 0;
    std::string url{};  // <registry>/v2/<repository>/blobs/<digest>
    std::vector<NodeTask> tasks{};
};

// A manifest the job resolved (the top one, and an index's children), handed to the agents so
// that their registry mirror can serve it and they can lay a model out without a credential.
struct JobManifest {
    std::string digest{};
    std::string media_type{};
    std::string content{};
};

struct PreheatJob {
    std::int64_t id = 0;
    std::string created_at{};  // RFC 3339 UTC
    std::string updated_at{};
    std::string finished_at{};  // set once the state is final
    JobRequest request{};
    std::string manifest_digest{};
    std::vector<BlobJob> blobs{};
    std::vector<JobManifest> manifests{};  // manifests[0] is what the URL names
    std::int64_t deadline_ms = 0;          // Unix ms; unfinished tasks fail after it (0: none)
    std::string error{};                   // job-level failure
};

JobState job_state(const PreheatJob& job);
std::string_view job_state_name(JobState state);  // "PENDING", "SUCCESS", "FAILURE"

nlohmann::json dragonfly_view(const PreheatJob& job);
nlohmann::json legacy_view(const PreheatJob& job);

// Storage form (includes the registry credential: the Store is trusted storage; never logged).
nlohmann::json to_stored(const PreheatJob& job);
common::Result<PreheatJob> from_stored(const nlohmann::json& stored);

}  // namespace aiops::preheat
