// preheat-agent: wiring only (STYLE L2). See preheat-provider/README.md.
#include <filesystem>

#include "agent.h"
#include "aiops/common/blob_cache.h"
#include "aiops/common/http_client.h"
#include "aiops/common/service.h"
#include "aiops/common/url_guard.h"

namespace common = aiops::common;
namespace preheat = aiops::preheat;

int main(int argc, char** argv) {
    const common::ServiceInfo info{
        "preheat-agent",
        "Preheat agent on a GPU node: warms its blob cache and model dir, serves peers and "
        "containerd",
        {preheat::kPeerRole},
        {{"--provider", "agent.provider_url", "preheat-provider URL"},
         {"--node-name", "agent.node_name", "this node's name (default: the hostname)"},
         {"--labels", "agent.labels", "node labels, e.g. pool=h100,zone=a"},
         {"--models-dir", "agent.models_dir", "where models are laid out as files"}}};
    auto start = common::start_service(argc, argv, info);
    if (!start.setup) {
        return start.exit_code;
    }
    auto& config = start.setup->config;
    if (!config.has("server.workers")) {
        start.setup->server.workers = 32;  // a peer stream holds a worker for its transfer
    }
    const auto& server_settings = start.setup->server;
    auto settings = preheat::agent_settings_from_config(
        config, server_settings.host + ":" + std::to_string(server_settings.port));
    common::BlobCacheSettings cache_settings;
    const auto data_dir = std::filesystem::path(config.get_string("server.data_dir", "data"));
    cache_settings.dir = config.get_string("cache.dir", (data_dir / "blobs").string());
    cache_settings.max_bytes = static_cast<std::uint64_t>(config.get_int(
        "cache.max_bytes", std::int64_t{200} << 30, std::int64_t{64} << 20, std::int64_t{1} << 50));
    auto policy = common::url_policy_from_config(config, "transfer.url_policy");
    if (!config.has("transfer.url_policy.allow_private")) {
        policy.allow_private = true;  // registry and peers are on the cluster network
    }
    common::HttpClientSettings transfer_settings;
    transfer_settings.ca_file = config.get_string("transfer.ca_file", "");
    transfer_settings.low_speed_timeout = std::chrono::milliseconds(
        config.get_int("transfer.low_speed_timeout_ms", 30000, 1000, 600000));
    common::HttpClientSettings control_settings;
    control_settings.ca_file = config.get_string("agent.provider_ca_file", "");
    control_settings.retry.max_attempts = 1;  // the agent's loops retry themselves
    if (auto valid = config.finish(); !valid) {
        return common::report_startup_error(info.name, valid.error());
    }

    auto guard = common::UrlGuard::create(policy);
    if (!guard) {
        return common::report_startup_error(info.name, guard.error());
    }
    transfer_settings.guard = &guard.value();
    auto transfer = common::HttpClient::create(transfer_settings);
    auto control = common::HttpClient::create(control_settings);
    auto cache = common::BlobCache::open(cache_settings);
    if (!transfer || !control || !cache) {
        return common::report_startup_error(info.name, !transfer  ? transfer.error()
                                                       : !control ? control.error()
                                                                  : cache.error());
    }
    common::Metrics metrics;
    auto server = common::Server::create(start.setup->server, start.setup->auth, metrics);
    if (!server) {
        return common::report_startup_error(info.name, server.error());
    }
    preheat::Agent agent(std::move(settings), **cache, **control, **transfer, metrics);
    agent.add_routes(**server);
    if (auto started = agent.start(); !started) {
        return common::report_startup_error(info.name, started.error());
    }
    const int exit_code = common::serve_until_signal(**server);
    agent.stop();
    return exit_code;
}
