#pragma once

#include <httplib.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aiops/common/auth.h"
#include "aiops/common/metrics.h"
#include "aiops/common/result.h"

// The HTTP(S) server every service runs (cpp-httplib 0.11.4 underneath).
//
// Routes are full-match regexes on the decoded path, each with the Access it needs. The scaffold
// adds, for every request: an X-Request-Id (the caller's when valid, else a fresh one) echoed on
// the response; authentication (401 / 403 as JSON); 404 / 405 / 413 / 500 as the JSON error
// envelope {"error":{"code":"…","message":"…"}}; one JSON access-log line; and the
// http_requests_total / http_request_duration_seconds / http_requests_in_flight metrics.
// Built in, without auth: GET /healthz, GET /readyz, GET /metrics.
namespace aiops::common {

class Config;

struct TlsSettings {
    std::string cert_file;       // PEM: the leaf certificate, then any intermediates
    std::string key_file;        // PEM private key of the leaf
    std::string client_ca_file;  // PEM CA bundle; set = mutual TLS (client certificate required)
    bool enabled() const { return !cert_file.empty(); }
};

struct ServerSettings {
    std::string host = "127.0.0.1";
    int port = 8080;  // 0 = an ephemeral port (tests); see Server::port()
    int workers = 8;  // request threads
    std::chrono::milliseconds read_timeout{30000};
    std::chrono::milliseconds write_timeout{30000};
    std::size_t max_body_bytes = 16U << 20;  // bodies are buffered: larger → 413 too_large
    std::chrono::milliseconds shutdown_grace{10000};
    // A keep-alive connection holds a worker while open: it is closed after this many requests
    // or this long idle, so that more clients than workers still get served.
    int keep_alive_max_requests = 100;
    std::chrono::seconds keep_alive_timeout{5};
    TlsSettings tls;
};

// server.listen (default 127.0.0.1:8080), server.workers, server.read_timeout_ms,
// server.write_timeout_ms, server.max_body_bytes, server.shutdown_grace_ms,
// server.keep_alive_max_requests, server.keep_alive_timeout_s,
// server.tls.{cert_file,key_file,client_ca_file}. Problems go to config.add_error().
ServerSettings server_settings_from_config(Config& config);

enum class Method { kGet, kPost, kPut, kPatch, kDelete, kOptions };  // GET routes also serve HEAD
std::string_view method_name(Method method);

inline constexpr const char* kRequestIdHeader = "X-Request-Id";
inline constexpr std::size_t kMaxRequestIdLength = 128;

// 1..128 characters of [A-Za-z0-9._-].
bool is_valid_request_id(std::string_view request_id);
// 32 random hex characters.
std::string new_request_id();

// {"error":{"code":"<wire_name>","message":"…"}}
nlohmann::json error_body(const Error& error);
void write_json(httplib::Response& res, int status, const nlohmann::json& body);
// The envelope with http_status(error.code) (plus WWW-Authenticate on 401).
void write_error(httplib::Response& res, const Error& error);
// The ErrorCode whose status is `status` (for responses httplib produced itself).
ErrorCode error_code_for_status(int status);

// A single byte range of a `size`-byte entity, inclusive. parse_byte_range() reads a Range header
// (RFC 9110 §14.1.2): "" or a multi-range or non-bytes unit → nullopt (serve the whole entity, as
// RFC allows); "bytes=a-b", "bytes=a-", "bytes=-n" → the range clipped to the entity;
// unsatisfiable (first ≥ size, or an empty entity) or malformed → kRangeNotSatisfiable.
struct ByteRange {
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    std::uint64_t length() const { return last - first + 1; }
};
Result<std::optional<ByteRange>> parse_byte_range(std::string_view header, std::uint64_t size);

struct RequestContext {
    std::string request_id;
    Principal principal;                // anonymous on public routes
    std::string route;                  // the pattern that matched, e.g. "/api/v1/scan/(.+)"
    std::vector<std::string> captures;  // its capture groups, in order
};

using RouteHandler =
    std::function<void(const httplib::Request&, httplib::Response&, const RequestContext&)>;
using ReadinessCheck = std::function<Status()>;

class Server {
public:
    // Fails on bad TLS material or an invalid auth configuration. `metrics` must outlive the
    // server; its families are what /metrics serves.
    static Result<std::unique_ptr<Server>> create(ServerSettings settings, const AuthSettings& auth,
                                                  Metrics& metrics);
    ~Server();  // stop() if still serving
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Register routes before start(). `pattern` is an ECMAScript regex matched against the whole
    // path; the first route whose pattern and method match wins. A path matched only under other
    // methods answers 405 with Allow.
    void route(Method method, const std::string& pattern, Access access, RouteHandler handler);
    // /readyz runs every check: 200 when all pass, else 503 naming the first failing one.
    void add_readiness_check(std::string name, ReadinessCheck check);

    // Binds host:port and serves on a background thread; returns once connections are accepted.
    Status start();
    int port() const;  // the bound port, after start()
    bool is_tls() const;
    // Re-reads the TLS certificate, key and client CA: new handshakes use them. On error the
    // old material stays in use. No-op without TLS.
    Status reload_tls();
    // Stops accepting, lets in-flight requests finish within shutdown_grace (an idle keep-alive
    // connection holds its worker up to httplib's 5 s keep-alive timeout). kTimeout when they
    // did not (the stuck threads are abandoned: the process should exit). Idempotent.
    Status stop();
    // start(), then serve until SIGTERM or SIGINT (SIGHUP = reload_tls()), then stop().
    // Uses sigtimedwait on signals blocked by block_shutdown_signals(), never a signal handler.
    Status run_until_signal();

private:
    struct Impl;
    explicit Server(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread and so in every thread it starts later.
// Call first thing in main (start_service() does), before any thread exists.
Status block_shutdown_signals();

}  // namespace aiops::common
