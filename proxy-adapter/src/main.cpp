// proxy-adapter: wiring only (STYLE L2). See proxy-adapter/README.md.
#include <filesystem>
#include <thread>

#include "aiops/common/blob_cache.h"
#include "aiops/common/clock.h"
#include "aiops/common/http_client.h"
#include "aiops/common/service.h"
#include "aiops/common/storage.h"
#include "aiops/common/url_guard.h"
#include "hf_client.h"
#include "model_resolver.h"
#include "oci_api.h"
#include "oci_auth.h"

namespace common = aiops::common;
namespace proxy = aiops::proxy;

namespace {

constexpr std::int64_t kMiB = 1 << 20;
constexpr int kDefaultWorkers = 64;

struct ProxySettings {
    proxy::HfClientSettings hf;
    std::string hf_token;
    std::uint64_t bandwidth = 0;
    common::UrlPolicy url_policy;
    std::string ca_file;
    common::BlobCacheSettings cache;
    proxy::ResolverSettings resolver;
    proxy::OciApiSettings api;
    proxy::OciAuthSettings auth;
    common::StorageSettings storage;
};

bool is_glob(const std::string& pattern) {
    return pattern.find_first_of("*?[") != std::string::npos;
}

ProxySettings read_settings(common::Config& config, bool tls) {
    ProxySettings s;
    s.hf.endpoint = config.get_string("upstream.endpoint", "https://huggingface.co");
    s.hf_token = config.get_secret("upstream.token");
    s.hf.download_timeout =
        std::chrono::milliseconds(config.get_int("upstream.download_timeout_ms", 0, 0, 86400000));
    s.bandwidth = static_cast<std::uint64_t>(
        config.get_int("upstream.bandwidth_bytes_per_s", 0, 0, std::int64_t{1} << 40));
    s.url_policy = common::url_policy_from_config(config, "upstream.url_policy");
    s.ca_file = config.get_string("upstream.ca_file", "");
    const auto data_dir = config.get_string("server.data_dir", "data");
    s.cache.dir =
        config.get_string("cache.dir", (std::filesystem::path(data_dir) / "blobs").string());
    s.cache.max_bytes = static_cast<std::uint64_t>(config.get_int(
        "cache.max_bytes", std::int64_t{50} << 30, 64 * kMiB, std::int64_t{1} << 50));
    const auto naming = config.get_string("modelpack_naming", "cncf");
    if (naming != "cncf" && naming != "cnai") {
        config.add_error("modelpack_naming: expected cncf or cnai");
    }
    s.resolver.naming = naming == "cnai" ? common::modelpack::Naming::kCnaiLegacy
                                         : common::modelpack::Naming::kCncf;
    s.resolver.ref_ttl = std::chrono::seconds(config.get_int("upstream.ref_ttl_s", 300, 0, 86400));
    s.resolver.policy.allow = config.get_string_list("repositories.allow", {});
    s.resolver.policy.deny = config.get_string_list("repositories.deny", {});
    s.api.prefix = config.get_string("repositories.prefix", "");
    while (!s.api.prefix.empty() && s.api.prefix.back() == '/') {
        s.api.prefix.pop_back();
    }
    for (const auto& pattern : s.resolver.policy.allow) {
        if (!is_glob(pattern)) {
            s.api.catalog.push_back(pattern);
        }
    }
    s.api.tls = tls;
    s.auth = proxy::oci_auth_settings_from_config(config);
    s.storage = common::storage_settings_from_config(config);
    if (!config.has("storage.max_document_bytes")) {
        s.storage.max_document_bytes = 16U << 20;  // an artifact document holds its manifest
    }
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    const common::ServiceInfo info{
        "proxy-adapter",
        "Hugging Face models as OCI (ModelPack) artifacts for Harbor replication and proxy cache",
        {},
        {{"--upstream", "upstream.endpoint", "Hugging Face endpoint URL"}}};
    auto start = common::start_service(argc, argv, info);
    if (!start.setup) {
        return start.exit_code;
    }
    auto& config = start.setup->config;
    if (!config.has("server.workers")) {
        // A blob stream holds a worker for its whole transfer (minutes for model weights).
        start.setup->server.workers = kDefaultWorkers;
    }
    auto settings = read_settings(config, start.setup->server.tls.enabled());
    if (auto valid = config.finish(); !valid) {
        return common::report_startup_error(info.name, valid.error());
    }

    common::SystemClock clock;
    auto store = common::open_store(settings.storage, clock);
    auto guard = common::UrlGuard::create(settings.url_policy);
    auto cache = common::BlobCache::open(settings.cache);
    if (!store || !guard || !cache) {
        return common::report_startup_error(info.name, !store   ? store.error()
                                                       : !guard ? guard.error()
                                                                : cache.error());
    }
    common::HttpClientSettings client_settings;
    client_settings.guard = &guard.value();
    client_settings.ca_file = settings.ca_file;
    auto client = common::HttpClient::create(client_settings);
    if (!client) {
        return common::report_startup_error(info.name, client.error());
    }
    common::Metrics metrics;
    auto server = common::Server::create(start.setup->server, start.setup->auth, metrics);
    if (!server) {
        return common::report_startup_error(info.name, server.error());
    }

    proxy::BandwidthLimiter limiter(
        settings.bandwidth, [] { return std::chrono::steady_clock::now(); },
        [](std::chrono::nanoseconds wait) { std::this_thread::sleep_for(wait); });
    proxy::HfClient hf(**client, settings.hf, &limiter);
    proxy::ModelResolver resolver(hf, **store, **cache, clock, settings.resolver);
    proxy::OciAuth auth(settings.auth, settings.hf_token, clock);
    proxy::OciApi api(settings.api, auth, resolver, **cache, hf, metrics);
    api.add_routes(**server);
    (*server)->add_readiness_check("storage", [&] { return (*store)->ping(); });
    return common::serve_until_signal(**server);
}
