#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "aiops/common/result.h"
#include "plan.h"
#include "preheat_job.h"

// The provider's side of the agent protocol, as pure functions over a stored job (the provider
// applies them inside JobStore compare-and-set updates, so replicas and restarts agree):
//  * agents heartbeat (AgentRecord) and long-poll for assignments;
//  * take_assignments() hands a node its tasks whose source is known: the registry for a tree
//    root, else the nearest usable ancestor that holds or is receiving the blob (choose_source);
//  * apply_progress() records an agent's report; a failed attempt from a peer is retried from
//    another source (that peer is not used again for this task), a retryable registry failure
//    is retried, anything else fails the task with the agent's description;
//  * sweep() fails the tasks of agents that stopped heartbeating and of jobs past their
//    deadline, and re-queues attempts whose agent restarted (new boot id) or whose lease ran
//    out (the assignment never reached the agent, e.g. the provider died answering it).
namespace aiops::preheat {

struct AgentRecord {
    std::string name{};
    std::string hostname{};
    std::string ip{};
    std::string peer_url{};  // http(s)://host:port of the agent's peer/mirror server
    std::string boot_id{};   // new on every agent start
    Labels labels{};
    std::uint64_t free_bytes = 0;   // free space in the cache
    std::uint64_t cache_bytes = 0;  // bytes cached
    std::int64_t last_seen_ms = 0;  // Unix ms of the latest heartbeat
};

struct HeartbeatLimits {
    std::size_t max_name_bytes = 253;  // a hostname
    std::size_t max_labels = 64;
    std::size_t max_label_bytes = 256;
};

// Validates an agent's heartbeat body: name (DNS-label characters, dots, underscores),
// hostname, ip, peer_url (http/https), boot_id, labels (string → string), free/cache bytes.
common::Result<AgentRecord> parse_heartbeat(const nlohmann::json& body,
                                            const HeartbeatLimits& limits = {});
nlohmann::json to_json(const AgentRecord& agent);
common::Result<AgentRecord> agent_from_json(const nlohmann::json& stored);

struct SchedulerSettings {
    int max_attempts = 3;                        // per task, over all sources
    std::chrono::milliseconds agent_ttl{15000};  // no heartbeat for this long: the agent is lost
    // A running attempt with no progress report for this long is re-queued (agents report every
    // heartbeat interval while a transfer runs).
    std::chrono::milliseconds task_lease{60000};
};

bool agent_alive(const AgentRecord& agent, std::int64_t now_ms, const SchedulerSettings& settings);

using Agents = std::map<std::string, AgentRecord, std::less<>>;

struct Assignment {
    std::int64_t job = 0;
    std::string digest{};
    std::uint64_t size = 0;
    std::string source{};         // "registry" or the serving node's name
    std::string url{};            // the blob at the registry, or <peer_url>/blobs/<digest>
    std::string authorization{};  // registry only: the job's credential
};

inline constexpr std::string_view kRegistrySource = "registry";

// Marks `node`'s dispatchable pending tasks of `job` running (attempt + 1, the agent's boot id)
// and returns them. A node that is not alive gets nothing.
std::vector<Assignment> take_assignments(PreheatJob& job, std::string_view node,
                                         const Agents& agents, std::int64_t now_ms,
                                         const SchedulerSettings& settings);

struct Progress {
    std::string node{};
    std::string boot_id{};
    std::int64_t job = 0;
    std::string digest{};
    TaskState state = TaskState::kRunning;  // running (bytes so far), succeeded or failed
    std::uint64_t bytes = 0;
    std::string error{};         // failed: the description Harbor will show
    bool source_failed = false;  // failed: the source misbehaved (bad digest, peer down, 5xx)
    bool retryable = false;      // failed: worth another attempt (timeouts, 5xx)
    // failed: the registry refused the job's credential (401/403) — no other task of the job
    // can succeed either, so they all fail now with this description.
    bool credential_rejected = false;
};
common::Result<Progress> parse_progress(const nlohmann::json& body);

// false when the report matches no running attempt of that agent process (stale or duplicate:
// the task was already re-queued, failed by sweep() or finished).
bool apply_progress(PreheatJob& job, const Progress& progress, std::int64_t now_ms,
                    const SchedulerSettings& settings);

// true when it changed the job.
bool sweep(PreheatJob& job, const Agents& agents, std::int64_t now_ms,
           const SchedulerSettings& settings);

// Nodes with a task in the job (sorted, unique).
std::vector<std::string> job_nodes(const PreheatJob& job);

}  // namespace aiops::preheat
