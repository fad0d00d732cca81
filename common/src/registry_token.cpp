// RegistryAuth's challenge discovery and Docker token flow (the Bearer half of registry_auth.h).
#include <utility>

#include "aiops/common/encoding.h"
#include "aiops/common/json.h"
#include "aiops/common/www_authenticate.h"
#include "registry_auth.h"

namespace aiops::common {
namespace {

constexpr std::size_t kMaxCachedTokens = 1024;

std::string join_scopes(const RegistryScopes& scopes) {
    std::string key;
    for (const auto& scope : scopes) {
        key += (key.empty() ? "" : " ") + scope;
    }
    return key;
}

// Bearer (with a realm) wins over Basic when several challenges are offered, as in Harbor.
std::optional<std::pair<std::string, std::string>> bearer_realm(const HttpResponse& response,
                                                                bool& basic) {
    const auto [first, last] = response.headers.equal_range("WWW-Authenticate");
    for (auto header = first; header != last; ++header) {
        auto challenges = parse_www_authenticate(header->second);
        if (!challenges) {
            continue;
        }
        basic = basic || find_challenge(*challenges, "basic").has_value();
        auto bearer = find_challenge(*challenges, "bearer");
        const auto realm = bearer ? bearer->param("realm") : std::nullopt;
        if (realm && (realm->starts_with("http://") || realm->starts_with("https://"))) {
            return std::make_pair(*realm, bearer->param("service").value_or(""));
        }
    }
    return std::nullopt;
}

Result<std::pair<std::string, std::chrono::seconds>> parse_token_response(
    const std::string& body, std::chrono::seconds default_lifetime) {
    auto document = parse_json(body, {.max_bytes = 1U << 20, .max_depth = 8});
    if (!document || !document->is_object()) {
        return Error{ErrorCode::kUpstream, "token service answered with invalid JSON"};
    }
    std::string token;
    for (const char* key : {"token", "access_token"}) {
        const auto found = document->find(key);
        if (token.empty() && found != document->end() && found->is_string()) {
            token = found->get<std::string>();
        }
    }
    if (token.empty()) {
        return Error{ErrorCode::kUpstream, "token service answered without a token"};
    }
    auto lifetime = default_lifetime;
    const auto expires_in = document->find("expires_in");
    if (expires_in != document->end() && expires_in->is_number_unsigned() &&
        expires_in->get<std::uint64_t>() > 0 && expires_in->get<std::uint64_t>() < (1U << 30)) {
        lifetime = std::chrono::seconds(expires_in->get<std::uint64_t>());
    }
    return std::make_pair(std::move(token), lifetime);
}

}  // namespace

Result<RegistryAuth::Challenge> RegistryAuth::discover() {
    {
        std::scoped_lock lock(mutex_);
        if (challenge_.mode != Mode::kUnknown) {
            return challenge_;
        }
    }
    HttpRequest request;
    request.url = base_url_ + "/v2/";
    auto response = http_.fetch(request);
    if (!response) {
        return response.error();
    }
    Challenge learned;
    if (response->status >= 200 && response->status < 300) {
        learned.mode = Mode::kNone;
    } else if (response->status == 401) {
        bool basic = false;
        auto bearer = bearer_realm(*response, basic);
        if (!bearer && !basic) {
            return Error{ErrorCode::kUnauthorized, "registry asks for an unsupported auth scheme"};
        }
        learned.mode = bearer ? Mode::kBearer : Mode::kBasic;
        if (bearer) {
            learned.realm = std::move(bearer->first);
            learned.service = std::move(bearer->second);
        }
    } else {
        return registry_error(*response, "registry ping");
    }
    std::scoped_lock lock(mutex_);
    challenge_ = learned;
    return learned;
}

bool RegistryAuth::learn_challenge(const HttpResponse& response, const Challenge& used) {
    bool basic = false;
    auto bearer = bearer_realm(response, basic);
    std::scoped_lock lock(mutex_);
    if (bearer) {
        challenge_ = Challenge{Mode::kBearer, std::move(bearer->first), std::move(bearer->second)};
        return true;  // refetch the token once (it may have expired or lacked the scope)
    }
    if (basic && used.mode != Mode::kBasic && basic_value().has_value()) {
        challenge_ = Challenge{Mode::kBasic, {}, {}};
        return true;
    }
    return false;
}

Result<std::string> RegistryAuth::bearer_for(const Challenge& challenge,
                                             const RegistryScopes& scopes, bool refresh) {
    const std::string key = join_scopes(scopes);
    const auto now = now_();
    if (!refresh) {
        std::scoped_lock lock(mutex_);
        const auto cached = tokens_.find(key);
        if (cached != tokens_.end() && cached->second.expires_at > now) {
            return "Bearer " + cached->second.token;
        }
    }
    auto fetched = fetch_token(challenge, scopes);
    if (!fetched) {
        return fetched.error();
    }
    std::string header = "Bearer " + fetched->token;
    std::scoped_lock lock(mutex_);
    std::erase_if(tokens_, [now](const auto& entry) { return entry.second.expires_at <= now; });
    if (tokens_.size() >= kMaxCachedTokens) {
        tokens_.clear();
    }
    if (fetched->expires_at > now) {
        tokens_[key] = std::move(fetched).value();
    }
    return header;
}

Result<RegistryAuth::CachedToken> RegistryAuth::fetch_token(const Challenge& challenge,
                                                            const RegistryScopes& scopes) {
    HttpRequest request;
    request.url = challenge.realm;
    char separator = challenge.realm.find('?') == std::string::npos ? '?' : '&';
    const auto add_query = [&](std::string_view name, std::string_view value) {
        request.url += separator + std::string(name) + "=" + percent_encode(value, false);
        separator = '&';
    };
    if (!challenge.service.empty()) {
        add_query("service", challenge.service);
    }
    for (const auto& scope : scopes) {
        add_query("scope", scope);
    }
    if (auto basic = basic_value()) {
        request.headers.emplace("Authorization", *basic);
    }
    const auto requested_at = now_();
    auto response = http_.fetch(request);
    if (!response) {
        return response.error();
    }
    if (response->status == 401 || response->status == 403) {
        return Error{ErrorCode::kUnauthorized, "token service rejected the credentials (status " +
                                                   std::to_string(response->status) + ")"};
    }
    if (response->status < 200 || response->status >= 300) {
        return registry_error(*response, "token request");
    }
    auto parsed = parse_token_response(response->body, default_lifetime_);
    if (!parsed) {
        return parsed.error();
    }
    return CachedToken{std::move(parsed->first), requested_at + parsed->second - margin_};
}

}  // namespace aiops::common
