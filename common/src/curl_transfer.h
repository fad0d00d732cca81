#pragma once

#include <curl/curl.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aiops/common/http_client.h"

// One HTTP exchange (one hop: no redirects followed, no retries) on a libcurl easy handle. The
// client (http_client.cpp) strings hops together into redirects and retries.
namespace aiops::common {

struct CurlHandleDeleter {
    void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
using CurlHandle = std::unique_ptr<CURL, CurlHandleDeleter>;

// The request as sent on this hop: method and headers change along a redirect chain; the body
// (request.body / request.body_source) is sent only while with_body holds.
struct HopRequest {
    std::string method;
    std::string url;  // canonical (format_url) form, never with userinfo
    HttpHeaders headers;
    bool with_body = true;
};

// What to do with the answer.
struct HopPlan {
    bool follow_redirects = true;
    bool retry_possible = false;  // a 429/5xx will be retried: don't hand it to the caller
    bool streaming = false;       // stream(): final 2xx bodies go to on_chunk
    std::size_t body_cap = 0;     // bytes kept in response.body
    bool cap_is_error = true;     // over the cap: kTooLarge (fetch) or truncate (stream)
    const HeadCallback* on_head = nullptr;
    const ChunkCallback* on_chunk = nullptr;
    std::vector<std::string> pinned_addresses;  // CURLOPT_RESOLVE for url's host:port
};

enum class HopKind { kFinal, kRedirect, kRetry };

struct HopResult {
    HopKind kind = HopKind::kFinal;
    HttpResponse response;
    std::optional<Error> error;    // transport failure (response then holds what arrived)
    bool retryable_error = false;  // connect/reset-type failure, safe to try again
    bool body_delivered = false;   // at least one byte reached on_chunk
    std::string redirect_url;      // absolute Location (kRedirect)
};

HopResult perform_hop(CURL* handle, const HttpClientSettings& settings, const HttpRequest& request,
                      const HopRequest& hop, const HopPlan& plan);

}  // namespace aiops::common
