#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "aiops/common/http_client.h"
#include "aiops/common/registry_client.h"
#include "aiops/common/result.h"

// Private to aiops_common: credentials for registry requests (RegistryClient's auth half).
namespace aiops::common {

using RegistryScopes = std::vector<std::string>;  // e.g. {"repository:a/b:pull"}
using RegistryTransport = std::function<Result<HttpResponse>(const HttpRequest& request)>;

std::string pull_scope(std::string_view repository);
std::string push_scope(std::string_view repository);  // pull,push
inline constexpr std::string_view kCatalogScope = "registry:catalog:*";

// The Error for a non-2xx registry response; `what` names the operation ("manifest GET").
Error registry_error(const HttpResponse& response, std::string_view what);

// Learns how the registry authenticates (one unauthenticated GET /v2/), then attaches
// Basic or Bearer credentials per request. Bearer tokens are cached per scope set until
// expires_in minus a margin; a 401 on a cached token triggers one refetch and one resend.
class RegistryAuth {
public:
    RegistryAuth(HttpClient& http, const RegistryClientSettings& settings);

    // Sends `request` through `transport` with credentials for `scopes`.
    Result<HttpResponse> send(HttpRequest request, const RegistryScopes& scopes,
                              const RegistryTransport& transport);

private:
    enum class Mode { kUnknown, kNone, kBasic, kBearer };
    struct Challenge {
        Mode mode = Mode::kUnknown;
        std::string realm;
        std::string service;
    };
    struct CachedToken {
        std::string token;
        std::chrono::steady_clock::time_point expires_at;
    };

    Result<Challenge> discover();
    // Applies the response's WWW-Authenticate; true when a resend may succeed.
    bool learn_challenge(const HttpResponse& response, const Challenge& used);
    Result<std::optional<std::string>> authorization_for(const RegistryScopes& scopes, bool refresh,
                                                         Challenge& used);
    Result<std::string> bearer_for(const Challenge& challenge, const RegistryScopes& scopes,
                                   bool refresh);
    Result<CachedToken> fetch_token(const Challenge& challenge, const RegistryScopes& scopes);
    std::optional<std::string> basic_value() const;
    bool has_preissued_bearer() const;

    HttpClient& http_;
    std::string base_url_;
    std::string username_;
    std::string password_;
    std::string authorization_;
    std::chrono::seconds margin_;
    std::chrono::seconds default_lifetime_;
    std::function<std::chrono::steady_clock::time_point()> now_;

    std::mutex mutex_;
    Challenge challenge_;                        // guarded by mutex_
    std::map<std::string, CachedToken> tokens_;  // guarded by mutex_; key: scopes joined by ' '
};

}  // namespace aiops::common
