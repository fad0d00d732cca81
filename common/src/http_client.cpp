#include "aiops/common/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <mutex>
#include <random>
#include <thread>

#include "aiops/common/url_guard.h"
#include "curl_transfer.h"
#include "ip_address.h"

namespace aiops::common {
namespace {

constexpr std::size_t kErrorBodyCap = 64U << 10;
constexpr std::size_t kMaxIdleHandles = 16;

Status init_curl_once() {
    // curl_global_init is not thread-safe and must run once per process before any handle.
    static std::once_flag once;
    static CURLcode code = CURLE_OK;
    std::call_once(once, [] { code = curl_global_init(CURL_GLOBAL_DEFAULT); });
    if (code != CURLE_OK) {
        return Error{ErrorCode::kInternal,
                     std::string("curl_global_init failed: ") + curl_easy_strerror(code)};
    }
    return {};
}

Status validate(const HttpClientSettings& settings) {
    if (settings.connect_timeout.count() <= 0 || settings.total_timeout.count() <= 0 ||
        settings.low_speed_timeout.count() < 0) {
        return Error{ErrorCode::kInvalidInput, "http client: timeouts must be positive"};
    }
    if (settings.max_redirects < 0 || settings.retry.max_attempts < 1 ||
        settings.retry.base_delay.count() < 0 || settings.retry.max_delay.count() < 0) {
        return Error{ErrorCode::kInvalidInput,
                     "http client: max_redirects >= 0, retry.max_attempts >= 1, delays >= 0"};
    }
    std::error_code error;
    if (!settings.ca_file.empty() && !std::filesystem::is_regular_file(settings.ca_file, error)) {
        return Error{ErrorCode::kInvalidInput,
                     "http client: ca_file '" + settings.ca_file + "' is not a readable file"};
    }
    return {};
}

struct Origin {
    std::string scheme;
    std::string host;
    int port = 0;
    bool operator==(const Origin&) const = default;
};

bool has_http_scheme(std::string_view url) {
    const auto starts_with = [url](std::string_view prefix) {
        return url.size() >= prefix.size() &&
               std::equal(prefix.begin(), prefix.end(), url.begin(), [](char lhs, char rhs) {
                   return lhs == std::tolower(static_cast<unsigned char>(rhs));
               });
    };
    return starts_with("http://") || starts_with("https://");
}

Origin origin_of(const ParsedUrl& url) { return Origin{url.scheme, url.host, url.port}; }

// Per-hop target: the canonical URL handed to libcurl and the addresses it is pinned to.
struct Target {
    ParsedUrl url;
    std::vector<std::string> pinned;
};

// One try of the whole redirect chain.
struct Attempt {
    std::optional<HttpResponse> response{};
    std::optional<Error> error{};
    bool retry = false;
    std::optional<std::chrono::milliseconds> retry_after{};
};

Attempt fail(Error error) { return Attempt{.error = std::move(error)}; }

}  // namespace

struct HttpClient::Impl {
    HttpClientSettings settings;
    std::mutex mutex;
    std::vector<CurlHandle> idle;  // guarded by mutex; easy handles keep their connection cache
    std::minstd_rand random;       // guarded by mutex; retry jitter

    Result<CurlHandle> acquire();
    void release(CurlHandle handle);
    double jitter();
    Result<Target> target_for(const std::string& url, bool is_redirect) const;
    Result<HttpResponse> run(const HttpRequest& request, const HeadCallback* on_head,
                             const ChunkCallback* on_chunk);
    Attempt run_chain(CURL* handle, const HttpRequest& request, bool can_retry,
                      const HeadCallback* on_head, const ChunkCallback* on_chunk);
    Status follow(HopRequest& hop, const ParsedUrl& from, const HopResult& result,
                  const HttpRequest& request) const;
};

Result<CurlHandle> HttpClient::Impl::acquire() {
    {
        std::scoped_lock lock(mutex);
        if (!idle.empty()) {
            CurlHandle handle = std::move(idle.back());
            idle.pop_back();
            return handle;
        }
    }
    CurlHandle handle(curl_easy_init());
    if (!handle) {
        return Error{ErrorCode::kInternal, "curl_easy_init failed"};
    }
    return handle;
}

void HttpClient::Impl::release(CurlHandle handle) {
    std::scoped_lock lock(mutex);
    if (idle.size() < kMaxIdleHandles) {
        idle.push_back(std::move(handle));
    }
}

double HttpClient::Impl::jitter() {
    std::scoped_lock lock(mutex);
    return std::uniform_real_distribution<double>(0.5, 1.0)(random);
}

Result<Target> HttpClient::Impl::target_for(const std::string& url, bool is_redirect) const {
    if (is_redirect && !has_http_scheme(url)) {
        return Error{ErrorCode::kBlockedUrl, "redirect to a non-http(s) URL"};
    }
    auto parsed = parse_url(url);
    if (!parsed) {
        if (is_redirect) {
            return Error{ErrorCode::kUpstream, "redirect Location: " + parsed.error().message};
        }
        return parsed.error();
    }
    // A redirect that asks for this is an attack, not a caller mistake.
    const auto refusal = is_redirect ? ErrorCode::kBlockedUrl : ErrorCode::kInvalidInput;
    if (parsed->has_userinfo) {
        return Error{refusal, "URL must not contain credentials (user:password@)"};
    }
    if (parsed->scheme != "http" && parsed->scheme != "https") {
        return Error{refusal, "URL scheme '" + parsed->scheme + "' is not http(s)"};
    }
    if (settings.guard == nullptr) {
        return Target{std::move(parsed).value(), {}};
    }
    auto checked = settings.guard->check(url);
    if (!checked) {
        return checked.error();
    }
    Target target{std::move(checked->url), {}};
    if (!parse_ip(target.url.host)) {
        target.pinned = std::move(checked->addresses);  // no second DNS answer (rebinding)
    }
    return target;
}

Status HttpClient::Impl::follow(HopRequest& hop, const ParsedUrl& from, const HopResult& result,
                                const HttpRequest& request) const {
    const int status = result.response.status;
    if (result.redirect_url.empty()) {
        return Error{ErrorCode::kUpstream, "redirect without a usable Location"};
    }
    const bool to_get = (status == 303 && hop.method != "HEAD") ||
                        ((status == 301 || status == 302) && hop.method == "POST");
    if (to_get) {
        hop.method = "GET";
        hop.with_body = false;
        for (const char* name : {"content-type", "content-length", "content-encoding"}) {
            hop.headers.erase(name);
        }
    } else if (hop.with_body && request.body_source) {
        return Error{ErrorCode::kUpstream, "redirect " + std::to_string(status) +
                                               " would resend a streamed request body"};
    }
    auto next = parse_url(result.redirect_url);
    if (next && origin_of(*next) != origin_of(from)) {
        for (const char* name : {"authorization", "proxy-authorization", "cookie"}) {
            hop.headers.erase(name);  // credentials never follow a hop to another origin
        }
    }
    hop.url = result.redirect_url;
    return {};
}

Attempt HttpClient::Impl::run_chain(CURL* handle, const HttpRequest& request, bool can_retry,
                                    const HeadCallback* on_head, const ChunkCallback* on_chunk) {
    HopRequest hop{request.method, request.url, request.headers, true};
    const bool streaming = on_chunk != nullptr;
    HopPlan plan{.follow_redirects = request.follow_redirects,
                 .retry_possible = can_retry,
                 .streaming = streaming,
                 .body_cap = streaming ? kErrorBodyCap : settings.max_buffered_body_bytes,
                 .cap_is_error = !streaming,
                 .on_head = on_head,
                 .on_chunk = on_chunk,
                 .pinned_addresses = {}};
    for (int hops = 0;; ++hops) {
        auto target = target_for(hop.url, hops > 0);
        if (!target) {
            return fail(target.error());
        }
        hop.url = format_url(target->url);
        plan.pinned_addresses = std::move(target->pinned);
        auto result = perform_hop(handle, settings, request, hop, plan);
        if (result.error) {
            return Attempt{.error = std::move(result.error),
                           .retry = can_retry && result.retryable_error && !result.body_delivered};
        }
        if (result.kind == HopKind::kRetry) {
            const auto retry_after = result.response.header("retry-after");
            const auto now = std::chrono::system_clock::now();
            return Attempt{
                .response = std::move(result.response),
                .retry = true,
                .retry_after = retry_after ? parse_retry_after(*retry_after, now) : std::nullopt};
        }
        if (result.kind == HopKind::kFinal) {
            result.response.effective_url = hop.url;
            return Attempt{.response = std::move(result.response)};
        }
        if (hops >= settings.max_redirects) {
            return fail(Error{
                ErrorCode::kUpstream,
                "too many redirects (more than " + std::to_string(settings.max_redirects) + ")"});
        }
        if (auto followed = follow(hop, target->url, result, request); !followed) {
            return fail(followed.error());
        }
    }
}

Result<HttpResponse> HttpClient::Impl::run(const HttpRequest& request, const HeadCallback* on_head,
                                           const ChunkCallback* on_chunk) {
    auto handle = acquire();
    if (!handle) {
        return handle.error();
    }
    const bool retry_allowed = request.retry && !request.body_source;
    std::optional<std::chrono::milliseconds> retry_after;
    for (int attempt = 1;; ++attempt) {
        if (attempt > 1) {
            settings.sleep(delay_before_attempt(settings.retry, attempt, retry_after, jitter()));
        }
        const bool can_retry = retry_allowed && attempt < settings.retry.max_attempts;
        auto outcome = run_chain(handle->get(), request, can_retry, on_head, on_chunk);
        if (!outcome.retry) {
            release(std::move(handle).value());
            if (outcome.error) {
                return std::move(*outcome.error);
            }
            return std::move(*outcome.response);
        }
        retry_after = outcome.retry_after;
    }
}

HttpClient::HttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpClient::~HttpClient() = default;

Result<std::unique_ptr<HttpClient>> HttpClient::create(HttpClientSettings settings) {
    if (auto status = validate(settings); !status) {
        return status.error();
    }
    if (auto status = init_curl_once(); !status) {
        return status.error();
    }
    if (!settings.sleep) {
        settings.sleep = [](std::chrono::milliseconds delay) {
            std::this_thread::sleep_for(delay);
        };
    }
    auto impl = std::make_unique<Impl>();
    impl->settings = std::move(settings);
    impl->random.seed(std::random_device{}());
    return std::unique_ptr<HttpClient>(new HttpClient(std::move(impl)));
}

Result<HttpResponse> HttpClient::fetch(const HttpRequest& request) {
    return impl_->run(request, nullptr, nullptr);
}

Result<HttpResponse> HttpClient::stream(const HttpRequest& request, const HeadCallback& on_head,
                                        const ChunkCallback& on_chunk) {
    if (!on_chunk) {
        return Error{ErrorCode::kInvalidInput, "stream() needs an on_chunk callback"};
    }
    return impl_->run(request, &on_head, &on_chunk);
}

}  // namespace aiops::common
