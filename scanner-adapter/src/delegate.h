#pragma once

#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "aiops/common/http_client.h"
#include "aiops/common/result.h"
#include "reports.h"

// Delegation to a second Pluggable Scanner adapter (e.g. Harbor's Trivy adapter). Harbor allows
// one scanner per project, so a project that picks ours for models would lose CVE scanning of its
// images: for artifacts that are not ModelPack models, the same scan request (same registry,
// same robot credential) goes to the delegate and its vulnerabilities are merged into our report.
// Contract: the Pluggable Scanner API v1.x (scanner-adapter/spec/), driven as Harbor drives it —
// POST /api/v1/scan → 202 {"id"}, then GET /api/v1/scan/{id}/report → 302 + Refresh-After until
// 200 with a HarborVulnerabilityReport.
namespace aiops::scanner {

struct DelegateSettings {
    std::string url;            // base URL ("http://trivy-adapter:8080"); empty = no delegation
    std::string authorization;  // Authorization value the delegate expects; never logged
    // A delegate failure fails the scan (Harbor shows the error) instead of an Unknown finding in
    // a report whose CVE half is missing: a CVE gate must not pass an image nobody CVE-scanned.
    bool required = true;
    std::chrono::seconds max_poll_interval{5};  // Refresh-After is honoured up to this
};

class Delegate {
public:
    // `http` (with the outbound guard) must outlive the Delegate.
    Delegate(common::HttpClient& http, DelegateSettings settings);

    const DelegateSettings& settings() const { return settings_; }

    // Submits the scan and polls its vulnerability report until 200, `deadline` or `stopping`.
    common::Result<nlohmann::json> scan(const std::string& registry_url,
                                        const std::string& registry_authorization,
                                        const ArtifactRef& artifact,
                                        std::chrono::steady_clock::time_point deadline,
                                        const std::atomic<bool>& stopping);

private:
    common::Result<std::string> submit(const std::string& registry_url,
                                       const std::string& registry_authorization,
                                       const ArtifactRef& artifact);
    common::HttpRequest request(std::string method, const std::string& path) const;

    common::HttpClient& http_;
    DelegateSettings settings_;
};

// Appends the delegate's vulnerabilities to `ours` (both HarborVulnerabilityReport JSON) and
// raises ours.severity to the higher of the two. Items that are not objects are dropped.
void merge_vulnerability_reports(nlohmann::json& ours, const nlohmann::json& delegate_report);

}  // namespace aiops::scanner
