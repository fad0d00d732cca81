// server_settings_from_config() and the Method names of http_server.h.
#include "aiops/common/config.h"
#include "aiops/common/http_server.h"

namespace aiops::common {
namespace {

constexpr std::int64_t kMaxTimeoutMs = std::int64_t{3600} * 1000;

TlsSettings tls_settings_from_config(Config& config) {
    TlsSettings tls{config.get_string("server.tls.cert_file", ""),
                    config.get_string("server.tls.key_file", ""),
                    config.get_string("server.tls.client_ca_file", "")};
    if (tls.cert_file.empty() != tls.key_file.empty()) {
        config.add_error("server.tls: cert_file and key_file must be set together");
    }
    if (!tls.client_ca_file.empty() && tls.cert_file.empty()) {
        config.add_error("server.tls.client_ca_file needs cert_file and key_file");
    }
    return tls;
}

}  // namespace

std::string_view method_name(Method method) {
    switch (method) {
        case Method::kGet: return "GET";
        case Method::kPost: return "POST";
        case Method::kPut: return "PUT";
        case Method::kPatch: return "PATCH";
        case Method::kDelete: return "DELETE";
        case Method::kOptions: return "OPTIONS";
    }
    return "GET";
}

ServerSettings server_settings_from_config(Config& config) {
    ServerSettings settings;
    const auto listen = parse_host_port(config.get_string("server.listen", "127.0.0.1:8080"));
    if (listen) {
        settings.host = listen->host;
        settings.port = listen->port;
    } else {
        config.add_error("server.listen: " + listen.error().message);
    }
    settings.workers =
        static_cast<int>(config.get_int("server.workers", settings.workers, 1, 1024));
    settings.read_timeout = std::chrono::milliseconds(config.get_int(
        "server.read_timeout_ms", settings.read_timeout.count(), 100, kMaxTimeoutMs));
    settings.write_timeout = std::chrono::milliseconds(config.get_int(
        "server.write_timeout_ms", settings.write_timeout.count(), 100, kMaxTimeoutMs));
    settings.max_body_bytes = static_cast<std::size_t>(
        config.get_int("server.max_body_bytes", static_cast<std::int64_t>(settings.max_body_bytes),
                       1024, std::int64_t{1} << 30));
    settings.shutdown_grace = std::chrono::milliseconds(
        config.get_int("server.shutdown_grace_ms", settings.shutdown_grace.count(), 0,
                       std::int64_t{10} * 60 * 1000));
    settings.keep_alive_max_requests = static_cast<int>(config.get_int(
        "server.keep_alive_max_requests", settings.keep_alive_max_requests, 1, 100000));
    settings.keep_alive_timeout = std::chrono::seconds(config.get_int(
        "server.keep_alive_timeout_s", settings.keep_alive_timeout.count(), 1, 3600));
    settings.tls = tls_settings_from_config(config);
    return settings;
}

}  // namespace aiops::common
