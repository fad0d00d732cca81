#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "aiops/common/clock.h"
#include "aiops/common/config.h"
#include "aiops/common/result.h"
#include "model_resolver.h"

// Authentication of OCI clients (Harbor's registry client, skopeo, docker) — what Harbor expects
// from a "Docker Registry" endpoint (shared/reference/harbor-preheat-webhook-replication.md §4.1):
// an unauthenticated GET /v2/ answers 401 with a WWW-Authenticate challenge, then either
//   basic:    Basic credentials on every request (static users);
//   bearer:   GET /token?service=…&scope=… with Basic credentials → {"token","access_token",
//             "expires_in","issued_at"} (Harbor caches a token only with issued_at + expires_in);
//             tokens are HMAC-SHA256 signed, stateless, so every replica accepts them;
//   hf_token: Basic, the password is the client's own Hugging Face token, passed upstream for that
//             request only (no credentials: the service's configured token, if any);
//   anonymous: no challenge at all.
namespace aiops::proxy {

enum class OciAuthMode { kAnonymous, kBasic, kBearer, kHfToken };

struct OciUser {
    std::string name;
    std::string password;
};

struct OciAuthSettings {
    OciAuthMode mode = OciAuthMode::kAnonymous;
    std::vector<OciUser> users;  // basic and bearer
    std::string token_secret;    // bearer: HMAC key (≥ 32 bytes)
    std::chrono::seconds token_ttl{900};
    std::string realm;  // bearer: token endpoint URL; "" = http(s)://<Host of the request>/token
    std::string service = "aiops-proxy-adapter";
};

// registry_auth.mode, registry_auth.users[{name, password | password_file}],
// registry_auth.token_secret(_file), registry_auth.token_ttl_s, registry_auth.realm,
// registry_auth.service.
OciAuthSettings oci_auth_settings_from_config(common::Config& config);

class OciAuth {
public:
    OciAuth(OciAuthSettings settings, std::string configured_hf_token, const common::Clock& clock);

    OciAuthMode mode() const { return settings_.mode; }

    // Who may pull, and with which upstream token, from the request's Authorization header.
    // kUnauthorized when credentials are missing or wrong (answer with challenge()).
    common::Result<UpstreamAuth> authenticate(std::string_view authorization) const;
    // The WWW-Authenticate value; `base_url` is scheme://host of the request (for the realm).
    std::string challenge(std::string_view base_url) const;
    // The token endpoint's answer for Basic credentials (bearer mode). Scopes are accepted and
    // echoed nowhere: a token grants pull on every repository this proxy serves.
    common::Result<nlohmann::json> issue_token(std::string_view authorization) const;

private:
    common::Result<std::string> check_basic(std::string_view authorization) const;
    common::Result<std::string> check_bearer(std::string_view token) const;

    OciAuthSettings settings_;
    std::string configured_hf_token_;
    const common::Clock& clock_;
};

}  // namespace aiops::proxy
