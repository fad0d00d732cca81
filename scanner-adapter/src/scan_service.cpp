#include "scan_service.h"

#include "aiops/common/digest.h"
#include "aiops/common/http_server.h"
#include "aiops/common/log.h"
#include "aiops/common/media_types.h"
#include "aiops/common/registry_client.h"

namespace aiops::scanner {

using common::Error;
using common::ErrorCode;
using common::Result;
using common::Status;
using nlohmann::json;

namespace {

constexpr std::string_view kScans = "scans";
constexpr std::string_view kQueue = "scan_jobs";
constexpr std::chrono::milliseconds kIdlePoll{500};
constexpr std::chrono::seconds kLeaseSlack{60};

std::int64_t epoch(std::chrono::system_clock::time_point at) {
    return std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
}

std::string_view status_name(ScanStatus status) {
    switch (status) {
        case ScanStatus::kRunning: return "running";
        case ScanStatus::kDone: return "done";
        case ScanStatus::kFailed: return "failed";
        case ScanStatus::kQueued: break;
    }
    return "queued";
}

ScanStatus status_from(const std::string& name) {
    return name == "running"  ? ScanStatus::kRunning
           : name == "done"   ? ScanStatus::kDone
           : name == "failed" ? ScanStatus::kFailed
                              : ScanStatus::kQueued;
}

Error invalid(const std::string& field, const std::string& why) {
    return Error{ErrorCode::kInvalidInput, field + ": " + why};
}

Result<std::string> string_field(const json& object, const char* name, const std::string& where,
                                 bool required) {
    if (!object.contains(name) || object[name].is_null()) {
        if (required) {
            return invalid(where + name, "required");
        }
        return std::string();
    }
    if (!object[name].is_string()) {
        return invalid(where + name, "must be a string");
    }
    return object[name].get<std::string>();
}

}  // namespace

Result<ScanRequest> parse_scan_request(const json& body) {
    if (!body.is_object()) {
        return invalid("body", "must be a JSON object");
    }
    const auto registry = body.value("registry", json());
    const auto artifact = body.value("artifact", json());
    if (!registry.is_object()) {
        return invalid("registry", "required object");
    }
    if (!artifact.is_object()) {
        return invalid("artifact", "required object");
    }
    ScanRequest request;
    auto url = string_field(registry, "url", "registry.", true);
    auto authorization = string_field(registry, "authorization", "registry.", false);
    auto repository = string_field(artifact, "repository", "artifact.", true);
    auto digest = string_field(artifact, "digest", "artifact.", true);
    auto tag = string_field(artifact, "tag", "artifact.", false);
    auto mime_type = string_field(artifact, "mime_type", "artifact.", false);
    for (const auto* field : {&url, &authorization, &repository, &digest, &tag, &mime_type}) {
        if (!*field) {
            return field->error();
        }
    }
    if (url->rfind("http://", 0) != 0 && url->rfind("https://", 0) != 0) {
        return invalid("registry.url", "must start with http:// or https://");
    }
    if (!common::is_valid_digest(*digest)) {
        return invalid("artifact.digest", "must be a sha256:/sha512: digest");
    }
    if (repository->empty() || repository->size() > 255) {
        return invalid("artifact.repository", "must be 1..255 characters");
    }
    request.registry_url = std::move(*url);
    request.authorization = std::move(*authorization);
    request.artifact = {std::move(*repository), std::move(*digest), std::move(*tag),
                        std::move(*mime_type)};
    return request;
}

ScanService::ScanService(common::Store& store, const common::Clock& clock,
                         ScanServiceSettings settings)
    : store_(store), clock_(clock), settings_(std::move(settings)) {}

ScanService::~ScanService() { stop(); }

std::string ScanService::now_text() const { return common::format_utc(clock_.now()); }

Result<std::string> ScanService::submit(const ScanRequest& request) {
    ScanRecord record;
    record.id = common::new_request_id();
    record.created_at = epoch(clock_.now());
    record.deadline_at = record.created_at + settings_.deadline.count();
    if (auto saved = save(record); !saved) {
        return saved.error();
    }
    // The job carries the registry credential (the robot expires with Harbor's job); the scan
    // record, which outlives it, does not.
    const json payload{{"id", record.id},
                       {"registry_url", request.registry_url},
                       {"authorization", request.authorization},
                       {"repository", request.artifact.repository},
                       {"digest", request.artifact.digest},
                       {"tag", request.artifact.tag},
                       {"mime_type", request.artifact.mime_type}};
    auto queued = store_.enqueue(kQueue, record.id, payload);
    if (!queued) {
        return queued.error();
    }
    wake_.notify_one();
    common::log::info("scan queued", {{"scan_id", record.id},
                                      {"repository", request.artifact.repository},
                                      {"digest", request.artifact.digest}});
    return record.id;
}

Status ScanService::save(const ScanRecord& record) {
    json body{{"status", status_name(record.status)},
              {"error", record.error},
              {"created_at", record.created_at},
              {"deadline_at", record.deadline_at},
              {"reports", record.reports}};
    auto stored = store_.put(kScans, record.id, body);
    if (!stored) {
        return stored.error();
    }
    const bool finished =
        record.status == ScanStatus::kDone || record.status == ScanStatus::kFailed;
    if (finished) {
        common::track_finished(settings_.retention, kScans, record.id, clock_.now());
    }
    return {};
}

std::vector<common::RetentionRule> ScanService::retention_rules() {
    return {common::rule_by_field(std::string(kScans), "created_at", [](const json& body) {
        const auto status = body.value("status", "");
        return status == status_name(ScanStatus::kDone) ||
               status == status_name(ScanStatus::kFailed);
    })};
}

Result<ScanRecord> ScanService::get(const std::string& id) {
    auto document = store_.get(kScans, id);
    if (!document) {
        if (document.error().code == ErrorCode::kNotFound ||
            document.error().code == ErrorCode::kInvalidInput) {
            return Error{ErrorCode::kNotFound, "scan " + id + " is unknown (or expired)"};
        }
        return document.error();
    }
    const auto& body = document->body;
    ScanRecord record{id,
                      status_from(body.value("status", "queued")),
                      body.value("error", ""),
                      body.value("created_at", std::int64_t{0}),
                      body.value("deadline_at", std::int64_t{0}),
                      body.value("reports", json())};
    const bool unfinished =
        record.status == ScanStatus::kQueued || record.status == ScanStatus::kRunning;
    if (unfinished && epoch(clock_.now()) > record.deadline_at) {
        record.status = ScanStatus::kFailed;
        record.error = "the scan did not finish within its deadline of " +
                       std::to_string(settings_.deadline.count()) + " s";
    }
    return record;
}

void ScanService::start() {
    stopping_ = false;
    for (int i = 0; i < settings_.workers; ++i) {
        workers_.emplace_back([this] { work(); });
    }
}

void ScanService::stop() {
    stopping_ = true;
    wake_.notify_all();
    for (auto& worker : workers_) {
        worker.join();
    }
    workers_.clear();
}

void ScanService::work() {
    const auto visibility =
        std::chrono::duration_cast<std::chrono::milliseconds>(settings_.deadline + kLeaseSlack);
    while (!stopping_) {
        auto job = store_.lease(kQueue, visibility);
        if (!job) {
            common::log::warn("cannot lease a scan job", {{"error", job.error().message}});
        } else if (job->has_value()) {
            run_job(**job);
            continue;
        }
        std::unique_lock lock(wake_mutex_);
        wake_.wait_for(lock, kIdlePoll);
    }
}

// The delegate's report for an image; an optional delegate's failure becomes an Unknown item
// in a report of our own making, a required one's fails the scan.
Result<json> ScanService::delegate_scan(common::HttpClient& http, const json& payload,
                                        const ArtifactRef& artifact,
                                        std::chrono::steady_clock::time_point started) {
    Delegate delegate(http, settings_.delegate);
    auto report =
        delegate.scan(payload.value("registry_url", ""), payload.value("authorization", ""),
                      artifact, started + settings_.deadline, stopping_);
    if (report) {
        return report;
    }
    common::log::warn("delegate scan failed",
                      {{"delegate", settings_.delegate.url}, {"error", report.error().message}});
    if (settings_.delegate.required) {
        return Error{report.error().code, report.error().message};
    }
    return json{{"severity", "Unknown"},
                {"vulnerabilities",
                 json::array({{{"id", "AIMS-DELEGATE-FAILED"},
                               {"package", "delegate scanner"},
                               {"version", artifact.digest},
                               {"fix_version", ""},
                               {"severity", "Unknown"},
                               {"description", "The delegate scanner " + settings_.delegate.url +
                                                   " did not report: " + report.error().message +
                                                   ". This report has no CVE findings."},
                               {"links", json::array()}}})}};
}

void ScanService::run_job(const common::Job& job) {
    const auto& payload = job.payload;
    auto record = get(payload.value("id", ""));
    if (!record || record->status == ScanStatus::kDone || record->status == ScanStatus::kFailed) {
        if (record && record->status == ScanStatus::kFailed) {
            (void)save(*record);  // persist a deadline failure
        }
        (void)store_.ack(job);
        return;
    }
    record->status = ScanStatus::kRunning;
    (void)save(*record);
    const ArtifactRef artifact{payload.value("repository", ""), payload.value("digest", ""),
                               payload.value("tag", ""), payload.value("mime_type", "")};
    const auto started = std::chrono::steady_clock::now();
    Result<ArtifactScan> scan = Error{ErrorCode::kInternal, "not started"};
    auto http = common::HttpClient::create(settings_.http);
    if (!http) {
        scan = http.error();
    } else {
        common::RegistryClientSettings registry;
        registry.base_url = payload.value("registry_url", "");
        registry.authorization = payload.value("authorization", "");
        auto client = common::RegistryClient::create(**http, registry);
        scan = client ? scan_artifact(**client, artifact.repository, artifact.digest,
                                      settings_.artifact)
                      : Result<ArtifactScan>(client.error());
    }
    std::optional<json> delegated;
    if (scan && http && !settings_.delegate.url.empty() &&
        !common::modelpack::naming_of(scan->artifact_type)) {
        auto outcome = delegate_scan(**http, payload, artifact, started);
        if (!outcome) {
            scan = outcome.error();
        } else {
            delegated = std::move(*outcome);
        }
    }
    const auto seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (scan) {
        const auto generated = now_text();
        record->status = ScanStatus::kDone;
        auto harbor = harbor_vulnerability_report(*scan, artifact, settings_.scanner, generated);
        if (delegated) {
            merge_vulnerability_reports(harbor, *delegated);
        }
        record->reports = {
            {"harbor", std::move(harbor)},
            {"findings", findings_report(*scan, artifact, settings_.scanner, generated)},
            {"spdx", spdx_document(*scan, artifact, settings_.scanner, generated)},
            {"cyclonedx", cyclonedx_mlbom(*scan, artifact, settings_.scanner, generated)}};
        common::log::info("scan done", {{"scan_id", record->id},
                                        {"findings", scan->findings.size()},
                                        {"bytes_read", scan->bytes_read},
                                        {"artifact_bytes", scan->artifact_bytes},
                                        {"seconds", seconds}});
    } else {
        record->status = ScanStatus::kFailed;
        record->error = "scan of " + artifact.repository + "@" + artifact.digest +
                        " failed: " + scan.error().message;
        common::log::warn("scan failed", {{"scan_id", record->id}, {"error", record->error}});
    }
    if (auto saved = save(*record); !saved) {
        common::log::error("cannot store a scan result", {{"error", saved.error().message}});
        return;  // not acked: leased again after the visibility timeout
    }
    (void)store_.ack(job);
}

}  // namespace aiops::scanner
