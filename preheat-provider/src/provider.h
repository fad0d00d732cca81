#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "aiops/common/clock.h"
#include "aiops/common/config.h"
#include "aiops/common/http_client.h"
#include "aiops/common/http_server.h"
#include "aiops/common/json.h"
#include "aiops/common/metrics.h"
#include "aiops/common/storage.h"
#include "job_store.h"
#include "plan.h"
#include "scheduler.h"

// The preheat provider (README.md): Harbor's "Dragonfly" API, our own preheat API, and the agent
// protocol (heartbeat, long-poll assignments, progress). All state is in the Store: jobs (with
// their per-node tasks), the set of unfinished jobs, and the agents' latest heartbeats — any
// replica can answer any call and a restart resumes every job where it was.
namespace aiops::preheat {

// Roles: Harbor's OAUTH token ("harbor"), agents ("agent"); writer for our own API.
inline constexpr const char* kHarborRole = "harbor";
inline constexpr const char* kAgentRole = "agent";

struct ProviderSettings {
    PlanSettings plan{};
    std::map<std::int64_t, std::vector<std::string>> pool_platforms{};  // "linux/amd64", …
    std::vector<std::string> default_platforms{};  // for jobs not narrowed to a pool
    SchedulerSettings scheduler{};
    // Unfinished tasks fail after this (Harbor stops polling at 1801 s).
    std::chrono::seconds job_timeout{1740};
    std::chrono::milliseconds max_poll_wait{20000};  // assignment long-poll cap
    std::chrono::milliseconds sweep_interval{1000};
    std::size_t max_blobs = 10'000;
    std::size_t max_tasks = 200'000;  // blobs × nodes of one job
    JobRequestLimits request_limits{};
    common::JsonLimits json_limits{};
    common::Retention* retention = nullptr;  // finished jobs are tracked here (main owns it)
};

// preheat.fan_out, preheat.seed_selector (labels), preheat.pools ([{id, selector, platforms}]),
// preheat.platforms, preheat.job_timeout_s, preheat.max_attempts, agents.ttl_ms,
// agents.max_poll_wait_ms, preheat.max_blobs, preheat.max_tasks.
ProviderSettings provider_settings_from_config(common::Config& config);

class Provider {
public:
    // `registry_http` fetches manifests from the registries jobs name (through the URL guard).
    Provider(ProviderSettings settings, common::Store& store, const common::Clock& clock,
             common::HttpClient& registry_http, common::Metrics& metrics);
    ~Provider();
    Provider(const Provider&) = delete;
    Provider& operator=(const Provider&) = delete;

    void add_routes(common::Server& server);
    // The sweeper: fails tasks of lost agents and of jobs past their deadline.
    void start();
    void stop();

    // Resolves the artifact, selects the nodes, plans every blob and stores the job.
    common::Result<PreheatJob> create_job(JobRequest request);
    common::Result<PreheatJob> job(std::int64_t id);
    common::Status heartbeat(AgentRecord agent);
    // Long-poll: `node`'s assignments grouped by job, waiting up to `wait` for some.
    common::Result<nlohmann::json> assignments(const std::string& node, const std::string& boot_id,
                                               std::chrono::milliseconds wait);
    common::Result<bool> progress(const Progress& progress);
    common::Result<Agents> agents();
    // One sweep over the unfinished jobs (the sweeper calls it periodically).
    common::Status sweep_once();

private:
    std::int64_t now_ms() const;
    common::Result<std::vector<std::int64_t>> active_jobs();
    // After a write: a final job leaves the active set; the write that finished it is logged
    // and counted once.
    void after_write(const PreheatJob& job, bool finished_now);
    void wake();
    common::Result<std::vector<std::string>> platforms_for(const JobRequest& request) const;

    ProviderSettings settings_;
    common::Store& store_;
    const common::Clock& clock_;
    common::HttpClient& registry_http_;
    JobStore jobs_;
    common::Counter& jobs_created_;
    common::Counter& tasks_finished_;
    common::Gauge& agents_alive_;

    std::mutex mutex_;
    std::condition_variable changed_;  // a job was created or progressed: pollers look again
    std::uint64_t generation_ = 0;     // guarded by mutex_
    bool stopping_ = false;            // guarded by mutex_
    std::thread sweeper_;
};

}  // namespace aiops::preheat
