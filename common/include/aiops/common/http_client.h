#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aiops/common/result.h"

// Outbound HTTP on libcurl: buffered fetches with a size cap, streaming downloads into a callback
// (a body is never held whole in memory), Range requests, redirects re-checked by the URL guard
// with Authorization dropped on a cross-host hop, retries with exponential backoff + jitter
// honouring Retry-After, TLS verification on by default, connections reused across requests.
namespace aiops::common {

class UrlGuard;

struct CaseInsensitiveLess {
    using is_transparent = void;
    bool operator()(std::string_view lhs, std::string_view rhs) const;
};
using HttpHeaders = std::multimap<std::string, std::string, CaseInsensitiveLess>;

struct RetryPolicy {
    int max_attempts = 4;  // total tries, including the first
    std::chrono::milliseconds base_delay{200};
    std::chrono::milliseconds max_delay{10000};
    std::chrono::milliseconds max_retry_after{30000};  // cap on a server's Retry-After
};

// Delay before try number `attempt` (2 = first retry): min(max_delay, base * 2^(attempt-2)) scaled
// by `jitter` in [0.5, 1.0]; a parsed Retry-After (capped by max_retry_after) wins when present.
// Pure.
std::chrono::milliseconds delay_before_attempt(const RetryPolicy& policy, int attempt,
                                               std::optional<std::chrono::milliseconds> retry_after,
                                               double jitter);
// Retry-After as delta-seconds or an HTTP-date relative to `now`; nullopt if absent/unparseable.
std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now);

struct HttpClientSettings {
    std::chrono::milliseconds connect_timeout{5000};
    std::chrono::milliseconds total_timeout{60000};  // whole request; per-request override below
    std::chrono::milliseconds low_speed_timeout{30000};  // abort when < 1 byte/s for this long
    int max_redirects = 5;
    bool verify_tls = true;
    std::string ca_file;  // extra CA bundle (PEM); empty = system store
    std::string user_agent = "aiops-cache/0.1";
    RetryPolicy retry;
    std::size_t max_buffered_body_bytes = 16U << 20;  // fetch() cap (and error-body cap: 64 KiB)
    const UrlGuard* guard = nullptr;  // when set: every URL and every redirect target is checked
    // Waits between retries; tests inject a recorder (C3). Default: std::this_thread::sleep_for.
    std::function<void(std::chrono::milliseconds)> sleep;
};

struct HttpRequest {
    std::string method = "GET";
    std::string url;
    HttpHeaders headers;
    std::string body;  // small request bodies (JSON, manifests)
    // Streaming request body (blob uploads): called until it returns 0; body_size when known.
    std::function<std::size_t(char* buffer, std::size_t capacity)> body_source;
    std::optional<std::uint64_t> body_size;
    // Range: bytes=first-last (last absent = to the end).
    std::optional<std::pair<std::uint64_t, std::optional<std::uint64_t>>> range;
    bool follow_redirects = true;
    bool retry = true;  // idempotent by default; set false for a non-idempotent POST
    std::optional<std::chrono::milliseconds> total_timeout;
};

struct HttpResponse {
    int status = 0;
    HttpHeaders headers;
    std::string body;           // fetch(): the body; stream(): only a non-2xx body (≤ 64 KiB)
    std::string effective_url;  // after redirects
    std::optional<std::string> header(std::string_view name) const;
};

// stream() callbacks. on_head sees status + headers before any body byte (return false to abort
// without error); on_chunk gets 2xx body bytes in order (return false to abort: kInternal "aborted
// by caller" unless on_head/on_chunk already had what it needed — see stream()).
using HeadCallback = std::function<bool(const HttpResponse& head)>;
using ChunkCallback = std::function<bool(std::string_view chunk)>;

class HttpClient {
public:
    static Result<std::unique_ptr<HttpClient>> create(HttpClientSettings settings);
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    // Buffered request; body larger than max_buffered_body_bytes → kTooLarge. Any status is a
    // value (the caller decides what 404 means); transport failures are errors (kTimeout,
    // kUpstream, kBlockedUrl, kInvalidInput for a malformed URL).
    Result<HttpResponse> fetch(const HttpRequest& request);

    // Streaming request: 2xx body bytes go to on_chunk as they arrive, nothing is buffered.
    // Retries (connect errors, 429, 5xx) happen only before the first body byte reached on_chunk.
    // Returns the head (status, headers, small error body for non-2xx). When on_chunk returns
    // false the transfer stops and the result is the head with `aborted` semantics: ok, not error.
    Result<HttpResponse> stream(const HttpRequest& request, const HeadCallback& on_head,
                                const ChunkCallback& on_chunk);

private:
    struct Impl;
    explicit HttpClient(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace aiops::common
