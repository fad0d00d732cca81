// preheat-provider: wiring only (STYLE L2). See preheat-provider/README.md.
#include "aiops/common/clock.h"
#include "aiops/common/http_client.h"
#include "aiops/common/retention.h"
#include "aiops/common/service.h"
#include "aiops/common/storage.h"
#include "aiops/common/url_guard.h"
#include "provider.h"

namespace common = aiops::common;
namespace preheat = aiops::preheat;

int main(int argc, char** argv) {
    const common::ServiceInfo info{
        "preheat-provider",
        "Harbor P2P preheat provider (Dragonfly API) for GPU node agents",
        {preheat::kHarborRole, preheat::kAgentRole},
        {}};
    auto start = common::start_service(argc, argv, info);
    if (!start.setup) {
        return start.exit_code;
    }
    auto& config = start.setup->config;
    if (!config.has("server.workers")) {
        start.setup->server.workers = 64;  // every agent holds a worker with its long-poll
    }
    auto storage = common::storage_settings_from_config(config);
    if (!config.has("storage.max_document_bytes")) {
        storage.max_document_bytes = 32U << 20;  // a job holds its manifests and every task
    }
    auto policy = common::url_policy_from_config(config, "registry.url_policy");
    if (!config.has("registry.url_policy.allow_private")) {
        policy.allow_private = true;  // Harbor is usually on a private network
    }
    common::HttpClientSettings http_settings;
    http_settings.ca_file = config.get_string("registry.ca_file", "");
    http_settings.total_timeout = std::chrono::seconds(20);  // Harbor's POST times out at 30 s
    auto settings = preheat::provider_settings_from_config(config);
    const auto retention_settings = common::retention_settings_from_config(config);
    if (auto valid = config.finish(); !valid) {
        return common::report_startup_error(info.name, valid.error());
    }

    common::SystemClock clock;
    auto store = common::open_store(storage, clock);
    auto guard = common::UrlGuard::create(policy);
    if (!store || !guard) {
        return common::report_startup_error(info.name, !store ? store.error() : guard.error());
    }
    http_settings.guard = &guard.value();
    auto http = common::HttpClient::create(http_settings);
    if (!http) {
        return common::report_startup_error(info.name, http.error());
    }
    common::Metrics metrics;
    auto server = common::Server::create(start.setup->server, start.setup->auth, metrics);
    if (!server) {
        return common::report_startup_error(info.name, server.error());
    }
    common::Retention retention(**store, clock, metrics, retention_settings,
                                preheat::JobStore::retention_rules());
    settings.retention = &retention;
    preheat::Provider provider(std::move(settings), **store, clock, **http, metrics);
    provider.add_routes(**server);
    (*server)->add_readiness_check("storage", [&] { return (*store)->ping(); });
    provider.start();
    retention.start();
    const int exit_code = common::serve_until_signal(**server);
    retention.stop();
    provider.stop();
    return exit_code;
}
