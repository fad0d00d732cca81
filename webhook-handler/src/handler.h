#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "action.h"
#include "aiops/common/clock.h"
#include "aiops/common/config.h"
#include "aiops/common/http_client.h"
#include "aiops/common/http_server.h"
#include "aiops/common/json.h"
#include "aiops/common/metrics.h"
#include "aiops/common/retention.h"
#include "aiops/common/storage.h"
#include "devpi_client.h"
#include "devpi_poller.h"
#include "event.h"
#include "harbor_api.h"
#include "model_gate.h"
#include "promotion.h"
#include "rules.h"

// The webhook-handler (README.md): intake persists every accepted event in the durable queue
// before answering 2xx (deduplicated by the event's key), a worker pool leases events and runs
// the matching rules' actions in order, recording each finished action so that a redelivery or
// a crash mid-event never repeats one; retryable failures back off exponentially with jitter,
// then dead-letter; dead letters can be replayed.
namespace aiops::webhook {

struct HandlerSettings {
    std::vector<std::string> harbor_auth_headers{};  // accepted Authorization values (rotation)
    std::vector<std::string> devpi_hook_tokens{};    // ?token= on the devpi trigger URL
    std::vector<Rule> rules{};
    int workers = 4;
    std::int64_t max_attempts = 5;  // the queue's (storage.queue.max_attempts): then dead letter
    std::chrono::milliseconds visibility{120000};  // an event leased this long is leased again
    std::chrono::milliseconds base_backoff{1000};
    std::chrono::milliseconds max_backoff{300000};
    std::chrono::milliseconds idle_poll{200};  // queue poll when idle (intake also wakes workers)
    PayloadLimits limits{};
    common::JsonLimits json_limits{};
    // Harbor (REST and registry) with a robot account; preheat-provider.
    std::string harbor_url{};
    std::string harbor_username{};
    std::string harbor_password{};
    std::string preheat_url{};
    std::string preheat_token{};
    DevpiSettings devpi{};
    PollerSettings poller{};
    std::filesystem::path work_dir{};  // promotion downloads (default: the system temp dir)
    ModelGateSettings gate{};
    // Finished events, action steps, verdicts and decisions are tracked here (main owns it).
    common::Retention* retention = nullptr;
};

// harbor.auth_header(_next), devpi.hook_token(_next), rules_file, workers, queue.visibility_ms,
// retry.base_ms, retry.max_ms, harbor.{url,registry_url,username,password}, preheat.{url,token},
// devpi.{url,username,password,auth,max_file_bytes}, devpi.poll.{indexes,interval_ms,
// emit_existing}, work_dir, scanner.{url,token,timeout_s}, catalog.{url,token}.
HandlerSettings handler_settings_from_config(common::Config& config);

class Handler {
public:
    // How retention reads what the handler stores: finished events (finished_at; their action
    // step records go with them), scan-gate verdicts and promotion decisions (decided_at; not
    // "waiting" ones), and action steps indexed on their own by earlier versions (at).
    static std::vector<common::RetentionRule> retention_rules();

    Handler(HandlerSettings settings, common::Store& store, const common::Clock& clock,
            common::HttpClient& http, common::Metrics& metrics);
    ~Handler();
    Handler(const Handler&) = delete;
    Handler& operator=(const Handler&) = delete;

    void add_routes(common::Server& server);
    void start();
    void stop();

    // Persists `event` (deduplicated); true when it was new.
    common::Result<bool> accept(const Event& event);
    // A DevPI upload event from the trigger or POST /promotions/retry (`via`), stamped now.
    common::Result<bool> accept_devpi(Event& event, const char* via);

private:
    void worker_loop();
    // Runs every matching rule of one leased event; an error = retry the event later.
    common::Status process(const common::Job& job);
    // Erases the step records (job|rule|index) of an event that will never finish (a discarded
    // dead letter); finished events' steps go with their result through retention.
    common::Status erase_steps(const std::string& job_id);
    ActionResult run_action(const Action& action, const Event& event, const std::string& job_id);
    ActionResult notify(const Action& action, const Event& event);
    ActionResult preheat(const Action& action, const Event& event);
    ActionResult harbor_call(const Action& action, const Event& event);
    void add_promotion_routes(common::Server& server);
    common::Result<ArtifactKind> artifact_kind(const Event& event);
    std::chrono::milliseconds backoff(std::int64_t attempt);
    void wake();

    HandlerSettings settings_;
    common::Store& store_;
    const common::Clock& clock_;
    common::HttpClient& http_;
    HarborApi harbor_;
    DevpiClient devpi_;
    Promoter promoter_;
    ModelGate gate_;
    DevpiPoller poller_;
    common::Counter& received_;
    common::Counter& deduplicated_;
    common::Counter& rejected_;
    common::Counter& processed_;
    common::Counter& retried_;
    common::Counter& dead_lettered_;
    common::Counter& actions_;
    common::Histogram& latency_;

    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;  // guarded by mutex_
    std::vector<std::thread> workers_;
};

}  // namespace aiops::webhook
