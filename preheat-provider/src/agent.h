#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "aiops/common/bandwidth.h"
#include "aiops/common/blob_cache.h"
#include "aiops/common/config.h"
#include "aiops/common/http_client.h"
#include "aiops/common/http_server.h"
#include "aiops/common/metrics.h"
#include "plan.h"
#include "preheat_job.h"
#include "scheduler.h"

// The preheat agent on a GPU node (README.md "Agent"): heartbeats to the provider, long-polls its
// assignments, pulls each blob from the registry (the job's credential) or from a peer agent (the
// shared peer token) into the content-addressed BlobCache (verified, then renamed into place),
// reports progress, lays ModelPack models out under the models dir, and serves its cache to peers
// (`GET /blobs/<digest>`, Range, also while still receiving) and to containerd as a registry
// mirror (`/v2/`).
namespace aiops::preheat {

inline constexpr const char* kPeerRole = "peer";

struct AgentSettings {
    std::string provider_url{};    // http(s)://provider:port
    std::string provider_token{};  // role "agent" at the provider
    std::string peer_token{};      // sent to peers (role "peer" there)
    std::string node_name{};
    Labels labels{};
    std::string hostname{};  // reported to Harbor (default: gethostname)
    std::string ip{};        // reported to Harbor
    std::string peer_url{};  // how peers reach this agent (default http://<listen>)
    std::filesystem::path models_dir{};
    std::filesystem::path state_dir{};  // mirror index (manifest media types, tags)
    int workers = 4;                    // concurrent transfers
    std::chrono::milliseconds heartbeat_interval{5000};
    std::chrono::milliseconds poll_wait{15000};
    // A peer that has not started receiving a blob yet answers 404: retried for this long.
    std::chrono::milliseconds peer_start_wait{15000};
    std::chrono::milliseconds report_retry{120000};  // progress reports survive a provider restart
    bool mirror_serve_tags = false;  // answer manifests by tag from what was preheated
    // Cap on the node's preheat ingress, registry and peers together (0 = none): preheating must
    // not starve the node's running workloads of network bandwidth.
    std::uint64_t max_ingress_bytes_per_s = 0;
};

// agent.provider_url, agent.provider_token(_file), agent.peer_token(_file), agent.node_name,
// agent.labels ("k=v,k=v" or a map), agent.hostname, agent.ip, agent.peer_url, agent.models_dir,
// agent.workers, agent.heartbeat_interval_ms, agent.poll_wait_ms, agent.peer_start_wait_ms,
// transfer.max_bytes_per_s, mirror.serve_tags. `listen` is the server's host:port (the default peer
// URL).
AgentSettings agent_settings_from_config(common::Config& config, const std::string& listen);

class Agent {
public:
    // `control` talks to the provider; `transfer` fetches blobs (registry and peers).
    Agent(AgentSettings settings, common::BlobCache& cache, common::HttpClient& control,
          common::HttpClient& transfer, common::Metrics& metrics);
    ~Agent();
    Agent(const Agent&) = delete;
    Agent& operator=(const Agent&) = delete;

    void add_routes(common::Server& server);
    common::Status start();
    void stop();

private:
    struct Work {
        std::int64_t job = 0;
        std::string digest{};
        std::uint64_t size = 0;
        std::string source{};
        std::string url{};
        std::string authorization{};
    };
    struct JobContext {
        std::string repository{};
        std::string reference{};
        std::string manifest_digest{};
        std::vector<JobManifest> manifests{};
    };
    struct Outcome {
        common::Status status{};
        bool source_failed = false;
        bool retryable = false;
        bool credential_rejected = false;
    };

    common::Status send_heartbeat();
    void heartbeat_loop();
    void poll_loop();
    void worker_loop();
    common::Status poll_once();
    void accept_job(const nlohmann::json& job);
    Outcome transfer(const Work& work);
    common::Status fetch_from_registry(const Work& work, const common::BlobSink& sink);
    common::Status fetch_from_peer(const Work& work, const common::BlobSink& sink);
    // The node's copy of the job is complete: lay a model out. Error = why the layout failed.
    common::Status finish_job_if_complete(std::int64_t job);
    void report(const Work& work, TaskState state, const Outcome& outcome);
    void renew_in_flight();
    common::Result<nlohmann::json> call_provider(const std::string& method, const std::string& path,
                                                 const nlohmann::json& body,
                                                 std::chrono::milliseconds timeout);
    void remember_manifest(const JobManifest& manifest, const std::string& repository,
                           const std::string& reference);
    void save_mirror_index();
    void load_mirror_index();
    bool sleep_unless_stopping(std::chrono::milliseconds duration);

    AgentSettings settings_;
    common::BlobCache& cache_;
    common::HttpClient& control_;
    common::HttpClient& transfer_;
    std::string boot_id_;
    common::Counter& transfers_;
    common::Counter& bytes_received_;
    common::Counter& peer_bytes_served_;
    common::Counter& layouts_;
    common::BandwidthLimiter ingress_;

    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;                           // guarded by mutex_
    std::deque<Work> queue_;                          // guarded by mutex_
    std::map<std::int64_t, JobContext> jobs_;         // guarded by mutex_
    std::map<std::string, std::string> media_types_;  // manifest digest → type; guarded by mutex_
    std::map<std::string, std::string> tags_;  // "repository:tag" → digest; guarded by mutex_
    // Transfers queued or running, with their bytes so far: renewed at the provider every
    // heartbeat.
    std::map<std::pair<std::int64_t, std::string>, std::shared_ptr<std::atomic<std::uint64_t>>>
        in_flight_;            // guarded by mutex_
    std::mutex layout_mutex_;  // one model layout at a time
    std::vector<std::thread> threads_;
};

}  // namespace aiops::preheat
