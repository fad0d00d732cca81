#include "registry_auth.h"

#include <algorithm>
#include <cctype>

#include "aiops/common/encoding.h"
#include "aiops/common/json.h"
#include "aiops/common/www_authenticate.h"

namespace aiops::common {
namespace {

constexpr std::string_view kBearerPrefix = "Bearer ";
constexpr std::string_view kBasicPrefix = "Basic ";

bool starts_with_ignore_case(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) {
        return false;
    }
    return std::equal(prefix.begin(), prefix.end(), text.begin(), [](char lhs, char rhs) {
        return std::tolower(static_cast<unsigned char>(lhs)) ==
               std::tolower(static_cast<unsigned char>(rhs));
    });
}

// "CODE: message" of the first entry of a distribution error body, if it has one.
std::string registry_error_detail(const std::string& body) {
    auto document = parse_json(body, {.max_bytes = 64U << 10, .max_depth = 8});
    if (!document || !document->is_object() || !document->contains("errors") ||
        !(*document)["errors"].is_array() || (*document)["errors"].empty()) {
        return {};
    }
    const auto& first = (*document)["errors"][0];
    if (!first.is_object()) {
        return {};
    }
    const auto code = first.value("code", nlohmann::json()).is_string()
                          ? first["code"].get<std::string>()
                          : std::string();
    const auto message = first.value("message", nlohmann::json()).is_string()
                             ? first["message"].get<std::string>()
                             : std::string();
    return (code + (message.empty() ? "" : ": " + message)).substr(0, 200);
}

ErrorCode code_for_status(int status, const std::string& detail) {
    switch (status) {
        case 401: return ErrorCode::kUnauthorized;
        case 403: return ErrorCode::kForbidden;
        case 404: return ErrorCode::kNotFound;
        case 412: return ErrorCode::kPreconditionFailed;
        case 413: return ErrorCode::kTooLarge;
        case 416: return ErrorCode::kRangeNotSatisfiable;
        case 429: return ErrorCode::kRateLimited;
        default: break;
    }
    if (status >= 400 && status < 500) {
        return detail.starts_with("DIGEST_INVALID") ? ErrorCode::kDigestMismatch
                                                    : ErrorCode::kInvalidInput;
    }
    return ErrorCode::kUpstream;
}

}  // namespace

std::string pull_scope(std::string_view repository) {
    return "repository:" + std::string(repository) + ":pull";
}

std::string push_scope(std::string_view repository) {
    return "repository:" + std::string(repository) + ":pull,push";
}

Error registry_error(const HttpResponse& response, std::string_view what) {
    const std::string detail = registry_error_detail(response.body);
    std::string message =
        std::string(what) + ": registry answered " + std::to_string(response.status);
    if (!detail.empty()) {
        message += " (" + detail + ")";
    }
    return Error{code_for_status(response.status, detail), message};
}

RegistryAuth::RegistryAuth(HttpClient& http, const RegistryClientSettings& settings)
    : http_(http),
      base_url_(settings.base_url),
      username_(settings.username),
      password_(settings.password),
      authorization_(settings.authorization),
      margin_(settings.token_expiry_margin),
      default_lifetime_(settings.default_token_lifetime),
      now_(settings.now) {}

bool RegistryAuth::has_preissued_bearer() const {
    return starts_with_ignore_case(authorization_, kBearerPrefix);
}

std::optional<std::string> RegistryAuth::basic_value() const {
    if (starts_with_ignore_case(authorization_, kBasicPrefix)) {
        return authorization_;
    }
    if (username_.empty()) {
        return std::nullopt;
    }
    return std::string(kBasicPrefix) + base64_encode(username_ + ":" + password_);
}

Result<HttpResponse> RegistryAuth::send(HttpRequest request, const RegistryScopes& scopes,
                                        const RegistryTransport& transport) {
    for (int attempt = 0;; ++attempt) {
        Challenge used;
        auto header = authorization_for(scopes, attempt > 0, used);
        if (!header) {
            return header.error();
        }
        request.headers.erase("Authorization");
        if (header->has_value()) {
            request.headers.emplace("Authorization", **header);
        }
        auto response = transport(request);
        if (attempt > 0 || !response || response->status != 401 || has_preissued_bearer() ||
            !learn_challenge(*response, used)) {
            return response;
        }
    }
}

Result<std::optional<std::string>> RegistryAuth::authorization_for(const RegistryScopes& scopes,
                                                                   bool refresh, Challenge& used) {
    if (has_preissued_bearer()) {
        return std::optional<std::string>(authorization_);
    }
    auto challenge = discover();
    if (!challenge) {
        return challenge.error();
    }
    used = *challenge;
    switch (challenge->mode) {
        case Mode::kBasic: return basic_value();
        case Mode::kBearer: {
            auto bearer = bearer_for(*challenge, scopes, refresh);
            if (!bearer) {
                return bearer.error();
            }
            return std::optional<std::string>(std::move(bearer).value());
        }
        default: return std::optional<std::string>();
    }
}

}  // namespace aiops::common
