#include "oci_auth.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <optional>
#include <sstream>

#include "aiops/common/encoding.h"
#include "aiops/common/json.h"

namespace aiops::proxy {

using common::Error;
using common::ErrorCode;
using common::Result;
using nlohmann::json;

namespace {

constexpr std::size_t kMinSecretBytes = 32;
constexpr std::string_view kBasic = "Basic ";
constexpr std::string_view kBearer = "Bearer ";

bool starts_with_ignore_case(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) {
        return false;
    }
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(text[i])) !=
            std::tolower(static_cast<unsigned char>(prefix[i]))) {
            return false;
        }
    }
    return true;
}

Error unauthorized(std::string message) {
    return Error{ErrorCode::kUnauthorized, std::move(message)};
}

// user:password from a Basic header.
std::optional<std::pair<std::string, std::string>> basic_credentials(
    std::string_view authorization) {
    if (!starts_with_ignore_case(authorization, kBasic)) {
        return std::nullopt;
    }
    auto decoded = common::base64_decode(authorization.substr(kBasic.size()));
    if (!decoded) {
        return std::nullopt;
    }
    const auto colon = decoded->find(':');
    if (colon == std::string::npos) {
        return std::nullopt;
    }
    return std::make_pair(decoded->substr(0, colon), decoded->substr(colon + 1));
}

std::string read_secret_file(const std::string& path, common::Config& config,
                             const std::string& where) {
    std::ifstream in(path);
    if (!in) {
        config.add_error(where + ": cannot read " + path);
        return {};
    }
    std::stringstream text;
    text << in.rdbuf();
    auto value = text.str();
    while (!value.empty() &&
           (value.back() == '\n' || value.back() == '\r' || value.back() == ' ')) {
        value.pop_back();
    }
    return value;
}

std::vector<OciUser> users_from_config(common::Config& config) {
    std::vector<OciUser> users;
    const YAML::Node list = config.get_node("registry_auth.users");
    if (!list.IsDefined() || list.IsNull()) {
        return users;
    }
    if (!list.IsSequence()) {
        config.add_error(
            "registry_auth.users: expected a list of {name, password | password_file}");
        return users;
    }
    for (std::size_t i = 0; i < list.size(); ++i) {
        const std::string where = "registry_auth.users[" + std::to_string(i) + "]";
        const auto& node = list[i];
        OciUser user;
        // yaml-cpp: IsScalar() on a missing key of a const map throws InvalidNode; ask IsDefined().
        const auto scalar = [&](const char* key) -> std::optional<std::string> {
            if (!node.IsMap()) {
                return std::nullopt;
            }
            const auto value = node[key];
            if (!value.IsDefined() || !value.IsScalar()) {
                return std::nullopt;
            }
            return value.as<std::string>();
        };
        if (const auto name = scalar("name")) {
            user.name = *name;
        }
        if (const auto password = scalar("password")) {
            user.password = *password;
        } else if (const auto file = scalar("password_file")) {
            user.password = read_secret_file(*file, config, where);
        }
        if (user.name.empty() || user.name.find(':') != std::string::npos ||
            user.password.size() < 8) {
            config.add_error(where + ": needs a name without ':' and a password of 8+ characters");
            continue;
        }
        users.push_back(std::move(user));
    }
    return users;
}

}  // namespace

OciAuthSettings oci_auth_settings_from_config(common::Config& config) {
    OciAuthSettings settings;
    const auto mode = config.get_string("registry_auth.mode", "anonymous");
    if (mode == "anonymous") {
        settings.mode = OciAuthMode::kAnonymous;
    } else if (mode == "basic") {
        settings.mode = OciAuthMode::kBasic;
    } else if (mode == "bearer") {
        settings.mode = OciAuthMode::kBearer;
    } else if (mode == "hf_token") {
        settings.mode = OciAuthMode::kHfToken;
    } else {
        config.add_error("registry_auth.mode: expected anonymous, basic, bearer or hf_token");
    }
    settings.users = users_from_config(config);
    settings.token_secret = config.get_secret("registry_auth.token_secret");
    settings.token_ttl = std::chrono::seconds(
        config.get_int("registry_auth.token_ttl_s", settings.token_ttl.count(), 60, 86400));
    settings.realm = config.get_string("registry_auth.realm", "");
    settings.service = config.get_string("registry_auth.service", settings.service);
    const bool needs_users =
        settings.mode == OciAuthMode::kBasic || settings.mode == OciAuthMode::kBearer;
    if (needs_users && settings.users.empty()) {
        config.add_error("registry_auth.users: required for mode " + mode);
    }
    if (settings.mode == OciAuthMode::kBearer && settings.token_secret.size() < kMinSecretBytes) {
        config.add_error("registry_auth.token_secret: required for mode bearer, at least " +
                         std::to_string(kMinSecretBytes) + " bytes");
    }
    return settings;
}

OciAuth::OciAuth(OciAuthSettings settings, std::string configured_hf_token,
                 const common::Clock& clock)
    : settings_(std::move(settings)),
      configured_hf_token_(std::move(configured_hf_token)),
      clock_(clock) {}

Result<std::string> OciAuth::check_basic(std::string_view authorization) const {
    const auto credentials = basic_credentials(authorization);
    if (!credentials) {
        return unauthorized("Basic credentials required");
    }
    // Compare against every user, without an early exit on the first match.
    const OciUser* matched = nullptr;
    for (const auto& user : settings_.users) {
        // Both comparisons always run: no early exit on a matching name.
        const bool name_matches = common::constant_time_equal(user.name, credentials->first);
        const bool password_matches =
            common::constant_time_equal(user.password, credentials->second);
        const bool same = name_matches && password_matches;
        if (same) {
            matched = &user;
        }
    }
    if (matched == nullptr) {
        return unauthorized("wrong user name or password");
    }
    return matched->name;
}

Result<std::string> OciAuth::check_bearer(std::string_view token) const {
    const auto dot = token.find('.');
    if (dot == std::string_view::npos) {
        return unauthorized("malformed bearer token");
    }
    const auto payload = token.substr(0, dot);
    const auto mac = common::base64url_decode(token.substr(dot + 1));
    if (!mac ||
        !common::constant_time_equal(*mac, common::hmac_sha256(settings_.token_secret, payload))) {
        return unauthorized("bearer token signature does not verify");
    }
    auto text = common::base64url_decode(payload);
    auto claims = text ? common::parse_json(*text) : Result<json>(unauthorized("bad token"));
    if (!claims || !claims->is_object() || !(*claims)["exp"].is_number_integer() ||
        !(*claims)["sub"].is_string()) {
        return unauthorized("malformed bearer token claims");
    }
    const auto now = std::chrono::system_clock::to_time_t(clock_.now());
    if ((*claims)["exp"].get<std::int64_t>() <= now) {
        return unauthorized("bearer token expired");
    }
    return (*claims)["sub"].get<std::string>();
}

Result<UpstreamAuth> OciAuth::authenticate(std::string_view authorization) const {
    switch (settings_.mode) {
        case OciAuthMode::kAnonymous: return UpstreamAuth::service(configured_hf_token_);
        case OciAuthMode::kHfToken: {
            if (authorization.empty()) {
                return UpstreamAuth::service(configured_hf_token_);
            }
            const auto credentials = basic_credentials(authorization);
            if (!credentials || credentials->second.empty()) {
                return unauthorized("Basic credentials with a Hugging Face token as password");
            }
            return UpstreamAuth::per_request(credentials->second);
        }
        case OciAuthMode::kBasic: {
            auto user = check_basic(authorization);
            if (!user) {
                return user.error();
            }
            return UpstreamAuth::service(configured_hf_token_);
        }
        case OciAuthMode::kBearer: {
            if (!starts_with_ignore_case(authorization, kBearer)) {
                return unauthorized("bearer token required");
            }
            auto user = check_bearer(authorization.substr(kBearer.size()));
            if (!user) {
                return user.error();
            }
            return UpstreamAuth::service(configured_hf_token_);
        }
    }
    return unauthorized("unsupported authentication mode");
}

std::string OciAuth::challenge(std::string_view base_url) const {
    if (settings_.mode == OciAuthMode::kBearer) {
        const auto realm =
            settings_.realm.empty() ? std::string(base_url) + "/token" : settings_.realm;
        return "Bearer realm=\"" + realm + "\",service=\"" + settings_.service + "\"";
    }
    return "Basic realm=\"" + settings_.service + "\"";
}

Result<json> OciAuth::issue_token(std::string_view authorization) const {
    if (settings_.mode != OciAuthMode::kBearer) {
        return Error{ErrorCode::kNotFound, "this registry does not issue tokens"};
    }
    auto user = check_basic(authorization);
    if (!user) {
        return user.error();
    }
    const auto now = clock_.now();
    const auto issued = std::chrono::system_clock::to_time_t(now);
    const auto payload = common::base64url_encode(json{
        {"sub", *user},
        {"iat", issued},
        {"exp", issued + settings_.token_ttl.count()}}.dump());
    const auto token =
        payload + "." +
        common::base64url_encode(common::hmac_sha256(settings_.token_secret, payload));
    return json{{"token", token},
                {"access_token", token},
                {"expires_in", settings_.token_ttl.count()},
                {"issued_at", common::format_utc(now)}};
}

}  // namespace aiops::proxy
