// webhook-handler: wiring only (STYLE L2). See webhook-handler/README.md.
#include "aiops/common/clock.h"
#include "aiops/common/http_client.h"
#include "aiops/common/retention.h"
#include "aiops/common/service.h"
#include "aiops/common/storage.h"
#include "aiops/common/url_guard.h"
#include "handler.h"

namespace common = aiops::common;
namespace webhook = aiops::webhook;

int main(int argc, char** argv) {
    const common::ServiceInfo info{
        "webhook-handler",
        "Durable reactions to Harbor webhooks and DevPI uploads (rules → actions)",
        {},
        {{"--rules", "rules_file", "the rules YAML file"}}};
    auto start = common::start_service(argc, argv, info);
    if (!start.setup) {
        return start.exit_code;
    }
    auto& config = start.setup->config;
    const auto storage = common::storage_settings_from_config(config);
    auto policy = common::url_policy_from_config(config, "outbound.url_policy");
    if (!config.has("outbound.url_policy.allow_private")) {
        policy.allow_private = true;  // Harbor, DevPI and our services are on the private network
    }
    common::HttpClientSettings http_settings;
    http_settings.ca_file = config.get_string("outbound.ca_file", "");
    http_settings.total_timeout =
        std::chrono::seconds(config.get_int("outbound.timeout_s", 30, 1, 3600));
    auto settings = webhook::handler_settings_from_config(config);
    settings.max_attempts = storage.queue.max_attempts;
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
                                webhook::Handler::retention_rules());
    settings.retention = &retention;
    webhook::Handler handler(std::move(settings), **store, clock, **http, metrics);
    handler.add_routes(**server);
    (*server)->add_readiness_check("storage", [&] { return (*store)->ping(); });
    handler.start();
    retention.start();
    const int exit_code = common::serve_until_signal(**server);
    retention.stop();
    handler.stop();
    return exit_code;
}
