#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "aiops/common/clock.h"
#include "aiops/common/http_client.h"
#include "aiops/common/url_guard.h"

// Checks whether a registry's public URL serves the OCI Distribution API, now.
//
// GET <public_url>/v2/ through the shared HTTP client (URL guard applied, no retries): reachable,
// HTTP status, OCI-compliant (200, or 401 with a WWW-Authenticate challenge together with
// Docker-Distribution-API-Version: registry/2.0), the auth scheme, latency, and for https the
// leaf certificate's expiry (read with OpenSSL from a connection to a guard-checked address).
// The result becomes the record's `health`:
//   {"status": "up"|"down", "checked_at", "url", "reachable", "http_status", "oci_compliant",
//    "api_version", "auth_scheme", "latency_ms", "tls_expires_at", "tls_days_left", "error"}
namespace aiops::catalog {

struct HealthCheckSettings {
    std::chrono::milliseconds timeout{5000};
};

class HealthChecker {
public:
    HealthChecker(common::HttpClient& client, const common::UrlGuard& guard,
                  const common::Clock& clock, HealthCheckSettings settings);

    nlohmann::json check(const std::string& public_url) const;

private:
    void add_tls_expiry(const common::CheckedUrl& target, nlohmann::json& result) const;

    common::HttpClient& client_;
    const common::UrlGuard& guard_;
    const common::Clock& clock_;
    HealthCheckSettings settings_;
};

// Pure: classifies a /v2/ response into the health fields above (status, oci_compliant,
// auth_scheme, api_version, error).
nlohmann::json classify_v2_response(const common::HttpResponse& response);

using common::format_utc;

}  // namespace aiops::catalog
