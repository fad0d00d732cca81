// scanner-adapter: wiring only (STYLE L2). See scanner-adapter/README.md.
#include <filesystem>

#include "aiops/common/clock.h"
#include "aiops/common/retention.h"
#include "aiops/common/service.h"
#include "aiops/common/storage.h"
#include "aiops/common/url_guard.h"
#include "scan_api.h"
#include "scan_service.h"

namespace common = aiops::common;
namespace scanner = aiops::scanner;

int main(int argc, char** argv) {
    const common::ServiceInfo info{
        "scanner-adapter", "Harbor pluggable scanner for AI model files", {}, {}};
    auto start = common::start_service(argc, argv, info);
    if (!start.setup) {
        return start.exit_code;
    }
    auto& config = start.setup->config;
    const auto storage = common::storage_settings_from_config(config);
    auto policy = common::url_policy_from_config(config, "registry.url_policy");
    if (!config.has("registry.url_policy.allow_private")) {
        policy.allow_private = true;  // Harbor core is usually on a private network
    }
    scanner::ScanServiceSettings settings;
    settings.workers = static_cast<int>(config.get_int("scan.workers", 2, 1, 64));
    settings.deadline = std::chrono::seconds(config.get_int("scan.deadline_s", 1800, 10, 86400));
    settings.artifact.spool_dir = config.get_string(
        "scan.spool_dir",
        (std::filesystem::path(config.get_string("server.data_dir", "data")) / "spool").string());
    settings.artifact.licenses.deny = config.get_string_list("licenses.deny", {});
    settings.artifact.licenses.warn = config.get_string_list("licenses.warn", {});
    settings.http.ca_file = config.get_string("registry.ca_file", "");
    settings.http.total_timeout = std::chrono::minutes(30);
    settings.delegate.url = config.get_string("delegate.url", "");
    settings.delegate.authorization = config.get_secret("delegate.authorization");
    settings.delegate.required = config.get_bool("delegate.required", true);
    const auto retention_settings = common::retention_settings_from_config(config);
    scanner::ScanApiSettings api_settings;
    api_settings.refresh_after_s =
        static_cast<int>(config.get_int("scan.refresh_after_s", 5, 1, 127));
    const auto& delegate_url = settings.delegate.url;
    if (!delegate_url.empty() && !delegate_url.starts_with("http://") &&
        !delegate_url.starts_with("https://")) {
        return common::report_startup_error(
            info.name, {common::ErrorCode::kInvalidInput,
                        "delegate.url must be an http(s) URL, got '" + delegate_url + "'"});
    }
    if (auto valid = config.finish(); !valid) {
        return common::report_startup_error(info.name, valid.error());
    }

    common::SystemClock clock;
    auto store = common::open_store(storage, clock);
    auto guard = common::UrlGuard::create(policy);
    if (!store || !guard) {
        return common::report_startup_error(info.name, !store ? store.error() : guard.error());
    }
    settings.http.guard = &guard.value();
    common::Metrics metrics;
    auto server = common::Server::create(start.setup->server, start.setup->auth, metrics);
    if (!server) {
        return common::report_startup_error(info.name, server.error());
    }
    common::Retention retention(**store, clock, metrics, retention_settings,
                                scanner::ScanService::retention_rules());
    settings.retention = &retention;
    scanner::ScanService service(**store, clock, settings);
    scanner::ScanApi api(service, api_settings);
    api.add_routes(**server);
    (*server)->add_readiness_check("storage", [&] { return (*store)->ping(); });
    service.start();
    retention.start();
    const int exit_code = common::serve_until_signal(**server);
    retention.stop();
    service.stop();
    return exit_code;
}
