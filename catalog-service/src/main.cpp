// catalog-service: wiring only (STYLE L2). See catalog-service/README.md.
#include "aiops/common/clock.h"
#include "aiops/common/http_client.h"
#include "aiops/common/service.h"
#include "aiops/common/storage.h"
#include "aiops/common/url_guard.h"
#include "catalog.h"
#include "catalog_api.h"
#include "health_check.h"
#include "health_monitor.h"

namespace common = aiops::common;
namespace catalog = aiops::catalog;

int main(int argc, char** argv) {
    const common::ServiceInfo info{"catalog-service", "Registry catalog DB and model index", {}};
    auto start = common::start_service(argc, argv, info);
    if (!start.setup) {
        return start.exit_code;
    }
    auto& config = start.setup->config;
    const auto storage_settings = common::storage_settings_from_config(config);
    auto policy = common::url_policy_from_config(config, "health.url_policy");
    if (!config.has("health.url_policy.allow_private")) {
        policy.allow_private = true;  // registries are on-prem: private ranges allowed by default
    }
    const catalog::HealthMonitorSettings monitor_settings{
        .interval = std::chrono::seconds(config.get_int("health.interval_s", 300, 0, 86400)),
        .concurrency = static_cast<std::size_t>(config.get_int("health.concurrency", 4, 1, 64))};
    const catalog::HealthCheckSettings check_settings{
        .timeout =
            std::chrono::milliseconds(config.get_int("health.timeout_ms", 5000, 100, 60000))};
    if (auto valid = config.finish(); !valid) {
        return common::report_startup_error(info.name, valid.error());
    }

    common::SystemClock clock;
    auto store = common::open_store(storage_settings, clock);
    auto guard = common::UrlGuard::create(policy);
    if (!store || !guard) {
        return common::report_startup_error(info.name, !store ? store.error() : guard.error());
    }
    common::HttpClientSettings client_settings;
    client_settings.guard = &guard.value();
    client_settings.retry.max_attempts = 1;
    auto client = common::HttpClient::create(client_settings);
    if (!client) {
        return common::report_startup_error(info.name, client.error());
    }
    common::Metrics metrics;
    auto server = common::Server::create(start.setup->server, start.setup->auth, metrics);
    if (!server) {
        return common::report_startup_error(info.name, server.error());
    }

    catalog::Catalog registry_catalog(**store, clock, {});
    catalog::HealthChecker checker(**client, guard.value(), clock, check_settings);
    catalog::CatalogApi api(registry_catalog, checker, metrics, {});
    api.register_routes(**server);
    (*server)->add_readiness_check("storage", [&] { return (*store)->ping(); });
    catalog::HealthMonitor monitor(
        monitor_settings, [&] { return registry_catalog.registry_ids(); },
        [&](const std::string& id) { (void)api.check_health(id); });
    monitor.start();
    const int exit_code = common::serve_until_signal(**server);
    monitor.stop();
    return exit_code;
}
