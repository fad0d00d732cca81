#include "delegate.h"

#include <algorithm>
#include <array>
#include <thread>

#include "aiops/common/json.h"
#include "aiops/common/log.h"
#include "scan_api.h"

namespace aiops::scanner {

using common::Error;
using common::ErrorCode;
using common::Result;
using json = nlohmann::json;

namespace {

constexpr std::size_t kMaxReportBytes = 64U << 20;

// Harbor's severity order (pkg/scan/vuln/severity.go).
int severity_rank(const json& severity) {
    static constexpr std::array<std::string_view, 7> kOrder = {
        "None", "Unknown", "Negligible", "Low", "Medium", "High", "Critical"};
    if (!severity.is_string()) {
        return 0;
    }
    const auto name = severity.get<std::string>();
    const auto found = std::find(kOrder.begin(), kOrder.end(), name);
    return found == kOrder.end() ? 0 : static_cast<int>(found - kOrder.begin());
}

Error delegate_error(const std::string& what, const common::HttpResponse& response) {
    std::string message =
        "delegate scanner " + what + " answered " + std::to_string(response.status);
    auto body = json::parse(response.body, nullptr, false);
    if (body.is_object() && body.contains("error") && body["error"].is_object() &&
        body["error"].value("message", json()).is_string()) {
        message += ": " + body["error"]["message"].get<std::string>();
    }
    return Error{ErrorCode::kUpstream, message};
}

}  // namespace

Delegate::Delegate(common::HttpClient& http, DelegateSettings settings)
    : http_(http), settings_(std::move(settings)) {
    while (!settings_.url.empty() && settings_.url.back() == '/') {
        settings_.url.pop_back();
    }
}

common::HttpRequest Delegate::request(std::string method, const std::string& path) const {
    common::HttpRequest request;
    request.method = std::move(method);
    request.url = settings_.url + path;
    request.follow_redirects = false;  // a 302 from the report endpoint means "not yet"
    if (!settings_.authorization.empty()) {
        request.headers.emplace("Authorization", settings_.authorization);
    }
    return request;
}

Result<std::string> Delegate::submit(const std::string& registry_url,
                                     const std::string& registry_authorization,
                                     const ArtifactRef& artifact) {
    auto post = request("POST", "/api/v1/scan");
    post.retry = false;
    post.headers.emplace("Content-Type", kScanRequestMime);
    post.headers.emplace("Accept", kScanResponseMime);
    post.body =
        json{{"registry", {{"url", registry_url}, {"authorization", registry_authorization}}},
             {"artifact",
              {{"repository", artifact.repository},
               {"digest", artifact.digest},
               {"tag", artifact.tag},
               {"mime_type", artifact.mime_type}}},
             {"enabled_capabilities",
              json::array({{{"type", "vulnerability"},
                            {"produces_mime_types", json::array({kGenericReportMime})}}})}}
            .dump();
    auto response = http_.fetch(post);
    if (!response) {
        return Error{response.error().code,
                     "delegate scanner unreachable: " + response.error().message};
    }
    if (response->status != 202) {
        return delegate_error("POST /api/v1/scan", *response);
    }
    auto body = json::parse(response->body, nullptr, false);
    if (!body.is_object() || !body.value("id", json()).is_string() ||
        body["id"].get<std::string>().empty()) {
        return Error{ErrorCode::kUpstream, "delegate scanner answered 202 without an id"};
    }
    return body["id"].get<std::string>();
}

Result<json> Delegate::scan(const std::string& registry_url,
                            const std::string& registry_authorization, const ArtifactRef& artifact,
                            std::chrono::steady_clock::time_point deadline,
                            const std::atomic<bool>& stopping) {
    auto id = submit(registry_url, registry_authorization, artifact);
    if (!id) {
        return id.error();
    }
    auto get = request("GET", "/api/v1/scan/" + *id + "/report");
    get.headers.emplace("Accept", kGenericReportMime);
    while (!stopping) {
        auto response = http_.fetch(get);
        if (!response) {
            return Error{response.error().code,
                         "delegate scanner unreachable: " + response.error().message};
        }
        if (response->status == 200) {
            if (response->body.size() > kMaxReportBytes) {
                return Error{ErrorCode::kTooLarge, "delegate scanner report exceeds 64 MiB"};
            }
            auto report = json::parse(response->body, nullptr, false);
            if (!report.is_object() || !report.value("vulnerabilities", json::array()).is_array()) {
                return Error{ErrorCode::kUpstream,
                             "delegate scanner report is not a vulnerability report"};
            }
            return report;
        }
        if (response->status != 302) {
            return delegate_error("GET report", *response);
        }
        // Harbor's rule: Refresh-After seconds when it parses, else 5 s.
        const auto refresh = response->header("Refresh-After");
        const int seconds = refresh ? std::atoi(refresh->c_str()) : 5;
        const auto wait = std::min<std::chrono::seconds>(
            std::chrono::seconds(seconds > 0 ? seconds : 5), settings_.max_poll_interval);
        if (std::chrono::steady_clock::now() + wait > deadline) {
            return Error{ErrorCode::kTimeout,
                         "delegate scanner did not finish within the scan deadline"};
        }
        const auto until = std::chrono::steady_clock::now() + wait;
        while (!stopping && std::chrono::steady_clock::now() < until) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
    return Error{ErrorCode::kUnavailable, "scanner stopping"};
}

void merge_vulnerability_reports(json& ours, const json& delegate_report) {
    auto& items = ours["vulnerabilities"];
    if (!items.is_array()) {
        items = json::array();
    }
    const auto found = delegate_report.find("vulnerabilities");
    if (found != delegate_report.end() && found->is_array()) {
        for (const auto& item : *found) {
            if (item.is_object()) {
                items.push_back(item);
            }
        }
    }
    const auto theirs = delegate_report.value("severity", json("None"));
    if (severity_rank(theirs) > severity_rank(ours.value("severity", json("None")))) {
        ours["severity"] = theirs;
    }
}

}  // namespace aiops::scanner
