#include "model_gate.h"

#include <algorithm>
#include <thread>
#include <variant>

#include "aiops/common/digest.h"
#include "aiops/common/encoding.h"
#include "aiops/common/json.h"
#include "aiops/common/log.h"
#include "aiops/common/media_types.h"
#include "aiops/common/oci.h"
#include "rules.h"

namespace aiops::webhook {

using common::Error;
using common::ErrorCode;
using common::Result;
using json = nlohmann::json;

namespace {

constexpr std::string_view kVerdicts = "scan_gates";
using common::scanner_api::kHarborReportMime;
using common::scanner_api::kHarborReportType;
using common::scanner_api::kScanRequestMime;
constexpr const char* kReportArtifactType = "application/vnd.aiops.scan.report.v1+json";
constexpr const char* kMlBomArtifactType = common::scanner_api::kCycloneDxMime;
constexpr const char* kProducer = "io.aiops.producer";
constexpr std::size_t kMaxReportBytes = 16U << 20;

std::string fallback_tag(const common::Digest& digest) {
    return std::string(digest.algorithm_name()) + "-" + std::string(digest.hex());
}

// The catalog's model id: the first 16 bytes (hex) of sha256(registry_id \n repository \n
// digest) — catalog-service/README.md, "model_id".
std::string catalog_model_id(const std::string& registry_id, const std::string& repository,
                             const std::string& digest) {
    const auto hex = common::compute_digest(registry_id + "\n" + repository + "\n" + digest)->hex();
    return std::string(hex.substr(0, 32));
}

ActionResult from_error(const Error& error, const std::string& what) {
    const bool retryable = error.code != ErrorCode::kInvalidInput &&
                           error.code != ErrorCode::kBlockedUrl &&
                           error.code != ErrorCode::kNotFound;
    return {Error{error.code, what + ": " + error.message}, retryable, {}};
}

}  // namespace

ScanVerdict scan_verdict(const json& report) {
    ScanVerdict verdict;
    if (!report.is_object() || !report.contains("vulnerabilities") ||
        !report["vulnerabilities"].is_array()) {
        return verdict;
    }
    int highest = -1;
    for (const auto& item : report["vulnerabilities"]) {
        const auto severity = item.is_object() ? item.value("severity", "Unknown") : "Unknown";
        ++verdict.counts[severity];
        const int rank = severity_rank(severity);
        if (rank > highest) {
            highest = rank;
            verdict.highest = severity;
        } else if (highest < 0) {
            verdict.highest = "Unknown";
        }
    }
    return verdict;
}

ModelGate::ModelGate(ModelGateSettings settings, HarborApi& harbor, common::HttpClient& http,
                     common::Store& store, const common::Clock& clock, common::Retention* retention)
    : settings_(std::move(settings)),
      harbor_(harbor),
      http_(http),
      store_(store),
      clock_(clock),
      retention_(retention) {
    if (settings_.registry_url.empty()) {
        settings_.registry_url = harbor_.settings().url;
    }
    for (auto* url : {&settings_.registry_url, &settings_.scanner_url, &settings_.catalog_url}) {
        while (!url->empty() && url->back() == '/') {
            url->pop_back();
        }
    }
}

common::RetentionRule ModelGate::retention_rule() {
    return common::rule_by_field(std::string(kVerdicts), "decided_at");
}

Result<std::unique_ptr<common::RegistryClient>> ModelGate::registry() {
    common::RegistryClientSettings registry;
    registry.base_url = settings_.registry_url;
    registry.username = harbor_.settings().username;
    registry.password = harbor_.settings().password;
    return common::RegistryClient::create(http_, registry);
}

Result<ModelGate::Artifact> ModelGate::resolve(const Event& event) {
    if (event.source != Source::kHarbor || event.resources.empty() || event.project.empty()) {
        return Error{ErrorCode::kInvalidInput, "needs a Harbor artifact event"};
    }
    auto client = registry();
    if (!client) {
        return client.error();
    }
    const auto& resource = event.resources.front();
    auto repository = event.project + "/" + event.repository;
    auto manifest = (*client)->get_manifest(
        repository, resource.digest.empty() ? resource.tag : resource.digest);
    if (!manifest) {
        return manifest.error();
    }
    return Artifact{std::move(repository), manifest->digest, manifest->media_type,
                    std::move(manifest->bytes)};
}

Result<std::string> ModelGate::fetch_scanner(const std::string& path, const std::string& accept) {
    common::HttpRequest request;
    request.url = settings_.scanner_url + path;
    request.headers.emplace("Accept", accept);
    request.headers.emplace("Authorization", "Bearer " + settings_.scanner_token);
    request.follow_redirects = false;  // 302 = not ready yet
    auto response = http_.fetch(request);
    if (!response) {
        return response.error();
    }
    if (response->status == 302) {
        return Error{ErrorCode::kUnavailable, "not ready"};
    }
    if (response->status != 200) {
        return Error{
            retryable_status(response->status) ? ErrorCode::kUpstream : ErrorCode::kInvalidInput,
            "scanner-adapter GET " + path + " answered " + std::to_string(response->status) + ": " +
                response->body.substr(0, 300)};
    }
    if (response->body.size() > kMaxReportBytes) {
        return Error{ErrorCode::kTooLarge, "scanner-adapter report too large"};
    }
    return std::move(response->body);
}

Result<json> ModelGate::scan(const Artifact& artifact, std::string& scan_id) {
    common::HttpRequest request;
    request.method = "POST";
    request.url = settings_.scanner_url + "/api/v1/scan";
    request.headers.emplace("Content-Type", kScanRequestMime);
    request.headers.emplace("Authorization", "Bearer " + settings_.scanner_token);
    request.retry = false;
    request.body =
        json{{"registry",
              {{"url", settings_.registry_url}, {"authorization", harbor_.basic_auth()}}},
             {"artifact",
              {{"repository", artifact.repository},
               {"digest", artifact.digest.str()},
               {"mime_type", artifact.media_type}}}}
            .dump();
    auto submitted = http_.fetch(request);
    if (!submitted) {
        return submitted.error();
    }
    if (submitted->status != 202) {
        return Error{
            retryable_status(submitted->status) ? ErrorCode::kUpstream : ErrorCode::kInvalidInput,
            "scanner-adapter POST /api/v1/scan answered " + std::to_string(submitted->status) +
                ": " + submitted->body.substr(0, 300)};
    }
    auto body = common::parse_json(submitted->body);
    if (!body || !body->is_object() || !body->contains("id") || !(*body)["id"].is_string()) {
        return Error{ErrorCode::kUpstream, "scanner-adapter: no scan id in the answer"};
    }
    scan_id = (*body)["id"].get<std::string>();
    const auto deadline = clock_.now() + settings_.scan_timeout;
    auto delay = std::chrono::milliseconds(200);
    for (;;) {
        auto report = fetch_scanner("/api/v1/scan/" + scan_id + "/report", kHarborReportMime);
        if (report) {
            auto parsed = common::parse_json(*report, {kMaxReportBytes, 64});
            if (!parsed) {
                return Error{ErrorCode::kUpstream, "scan report: " + parsed.error().message};
            }
            return std::move(*parsed);
        }
        if (report.error().code != ErrorCode::kUnavailable) {
            return report.error();
        }
        if (clock_.now() + delay > deadline) {
            return Error{ErrorCode::kTimeout, "scan " + scan_id + " not finished within " +
                                                  std::to_string(settings_.scan_timeout.count()) +
                                                  " ms"};
        }
        std::this_thread::sleep_for(delay);
        delay = std::min(delay * 2, std::chrono::milliseconds(5000));
    }
}

Result<std::string> ModelGate::attach(common::RegistryClient& client, const Artifact& artifact,
                                      const std::string& artifact_type,
                                      const std::string& layer_media_type,
                                      const std::string& content) {
    auto layer = client.push_blob(artifact.repository, content);
    auto empty = client.push_blob(artifact.repository, "{}");
    if (!layer || !empty) {
        return !layer ? layer.error() : empty.error();
    }
    auto subject = common::describe(artifact.media_type, artifact.bytes);
    auto layer_descriptor = common::describe(layer_media_type, content);
    auto config = common::describe(common::media_type::kOciEmpty, "{}");
    if (!subject || !layer_descriptor || !config) {
        return Error{ErrorCode::kInternal, "cannot describe the referrer's parts"};
    }
    json manifest{{"schemaVersion", 2},
                  {"mediaType", common::media_type::kOciManifest},
                  {"artifactType", artifact_type},
                  {"config",
                   {{"mediaType", common::media_type::kOciEmpty},
                    {"digest", config->digest.str()},
                    {"size", config->size}}},
                  {"layers", json::array({{{"mediaType", layer_media_type},
                                           {"digest", layer_descriptor->digest.str()},
                                           {"size", layer_descriptor->size}}})},
                  {"subject",
                   {{"mediaType", artifact.media_type},
                    {"digest", artifact.digest.str()},
                    {"size", artifact.bytes.size()}}},
                  {"annotations",
                   {{kProducer, "webhook-handler"},
                    {"org.opencontainers.image.created", common::format_utc(clock_.now())}}}};
    const auto bytes = manifest.dump();
    auto described = common::describe(common::media_type::kOciManifest, bytes);
    if (!described) {
        return described.error();
    }
    auto pushed = client.put_manifest(artifact.repository, described->digest.str(), bytes,
                                      common::media_type::kOciManifest);
    if (!pushed) {
        return pushed.error();
    }
    auto api = client.referrers(artifact.repository, artifact.digest);
    if (!api) {
        return api.error();
    }
    if (*api) {
        return described->digest.str();  // the registry indexes subjects itself
    }
    // OCI 1.1 fallback: the index tagged sha256-<hex> lists the referrers; ours replace our
    // older one of the same artifactType (a re-scan), others' are kept.
    const auto tag = fallback_tag(artifact.digest);
    json index{{"schemaVersion", 2},
               {"mediaType", common::media_type::kOciIndex},
               {"manifests", json::array()}};
    auto existing = client.get_manifest(artifact.repository, tag);
    if (existing) {
        auto parsed = common::parse_json(existing->bytes);
        if (parsed && parsed->is_object() && parsed->contains("manifests") &&
            (*parsed)["manifests"].is_array()) {
            index = std::move(*parsed);
        }
    } else if (existing.error().code != ErrorCode::kNotFound) {
        return existing.error();
    }
    json kept = json::array();
    for (const auto& entry : index["manifests"]) {
        const bool ours = entry.is_object() && entry.value("artifactType", "") == artifact_type &&
                          entry.contains("annotations") && entry["annotations"].is_object() &&
                          entry["annotations"].value(kProducer, "") == "webhook-handler";
        if (!ours) {
            kept.push_back(entry);
        }
    }
    kept.push_back({{"mediaType", common::media_type::kOciManifest},
                    {"digest", described->digest.str()},
                    {"size", described->size},
                    {"artifactType", artifact_type},
                    {"annotations", manifest["annotations"]}});
    index["manifests"] = std::move(kept);
    const auto index_bytes = index.dump();
    if (auto put = client.put_manifest(artifact.repository, tag, index_bytes,
                                       common::media_type::kOciIndex);
        !put) {
        return put.error();
    }
    return described->digest.str();
}

ActionResult ModelGate::scan_gate(const json& params, const Event& event) {
    if (settings_.scanner_url.empty()) {
        return final_failure("scan_gate needs scanner.url");
    }
    const auto threshold = params.value("severity", "High");
    if (severity_rank(threshold) < 0) {
        return final_failure("scan_gate.severity: Low, Medium, High or Critical");
    }
    const auto release_project = params.value("release_project", "");
    auto artifact = resolve(event);
    if (!artifact) {
        return from_error(artifact.error(), "scan_gate: reading the artifact");
    }
    std::string scan_id;
    auto report = scan(*artifact, scan_id);
    if (!report) {
        return from_error(report.error(), "scan_gate: scanning " + artifact->repository);
    }
    auto mlbom = fetch_scanner("/api/v1/scan/" + scan_id + "/mlbom", "application/json");
    if (!mlbom) {
        return from_error(mlbom.error(), "scan_gate: the ML-BOM");
    }
    const auto verdict = scan_verdict(*report);
    const bool blocked = severity_rank(verdict.highest) >= severity_rank(threshold);
    auto client = registry();
    if (!client) {
        return from_error(client.error(), "scan_gate");
    }
    auto report_ref =
        attach(**client, *artifact, kReportArtifactType, kHarborReportType, report->dump());
    auto mlbom_ref =
        report_ref ? attach(**client, *artifact, kMlBomArtifactType, kMlBomArtifactType, *mlbom)
                   : Result<std::string>(report_ref.error());
    if (!mlbom_ref) {
        return from_error(mlbom_ref.error(), "scan_gate: attaching the report as referrers");
    }
    const auto label = params.value(blocked ? "label_blocked" : "label_clean",
                                    blocked ? "aiops-scan:blocked" : "aiops-scan:clean");
    if (harbor_.configured() && !label.empty()) {
        auto id = harbor_.label_id(label);
        if (!id) {
            return from_error(id.error(), "scan_gate: label");
        }
        auto labelled =
            harbor_.add_label(event.project, event.repository, artifact->digest.str(), *id);
        if (!labelled.status) {
            return labelled;
        }
    }
    json counts = json::object();
    for (const auto& [severity, count] : verdict.counts) {
        counts[severity] = count;
    }
    json record{{"repository", artifact->repository},
                {"digest", artifact->digest.str()},
                {"scan_id", scan_id},
                {"verdict", blocked ? "blocked" : "clean"},
                {"highest_severity", verdict.highest},
                {"threshold", threshold},
                {"counts", counts},
                {"report_referrer", *report_ref},
                {"mlbom_referrer", *mlbom_ref},
                {"label", label},
                {"decided_at", common::format_utc(clock_.now())}};
    if (!blocked && !release_project.empty()) {
        if (!harbor_.configured()) {
            return final_failure("scan_gate.release_project needs harbor.url");
        }
        const auto to_repository = params.value("release_repository", event.repository);
        auto copied = harbor_.copy(release_project, to_repository,
                                   artifact->repository + "@" + artifact->digest.str());
        if (!copied.status) {
            return copied;
        }
        record["copied_to"] = release_project + "/" + to_repository;
    }
    const std::string verdict_key = artifact->repository + "@" + artifact->digest.str();
    if (auto stored = store_.put(kVerdicts, verdict_key, record); !stored) {
        return retry_later(stored.error());
    }
    common::track_finished(retention_, kVerdicts, verdict_key, clock_.now());
    common::log::info("scan gate", {{"repository", artifact->repository},
                                    {"digest", artifact->digest.str()},
                                    {"verdict", blocked ? "blocked" : "clean"},
                                    {"highest", verdict.highest}});
    if (blocked) {
        return final_failure("blocked: a finding reaches " + threshold + " (highest " +
                             verdict.highest + "); not copied to the release project");
    }
    ActionResult ok;
    ok.detail = "clean (highest " + verdict.highest + ")" +
                (release_project.empty() ? "" : ", copied to " + release_project);
    return ok;
}

ActionResult ModelGate::catalog(const json& params, const Event& event) {
    if (settings_.catalog_url.empty()) {
        return final_failure("catalog needs catalog.url");
    }
    const auto registry_id = params.value("registry_id", "");
    if (registry_id.empty()) {
        return final_failure("catalog needs registry_id (the catalog's id of this Harbor)");
    }
    if (event.source != Source::kHarbor || event.resources.empty()) {
        return final_failure("catalog needs a Harbor artifact event");
    }
    const auto repository = step_repository(params, event);  // where consumers pull it
    common::HttpRequest request;
    request.headers.emplace("Authorization", "Bearer " + settings_.catalog_token);
    request.retry = false;
    if (event.type == "DELETE_ARTIFACT") {
        const auto& digest = event.resources.front().digest;
        if (digest.empty()) {
            return final_failure("catalog: DELETE_ARTIFACT without a digest");
        }
        request.method = "DELETE";
        request.url =
            settings_.catalog_url + "/models/" + catalog_model_id(registry_id, repository, digest);
        return http_outcome(http_.fetch(request), "catalog DELETE", 404);
    }
    auto artifact = resolve(event);
    if (!artifact) {
        return from_error(artifact.error(), "catalog: reading the artifact");
    }
    json model{{"registry_id", registry_id},
               {"repository", repository},
               {"digest", artifact->digest.str()}};
    json tags = json::array();
    for (const auto& resource : event.resources) {
        if (!resource.tag.empty() && !resource.tag.starts_with("sha256:")) {
            tags.push_back(resource.tag);
        }
    }
    model["tags"] = std::move(tags);
    if (event.occur_at > 0) {
        model["pushed_at"] = common::format_utc(
            std::chrono::system_clock::time_point(std::chrono::seconds(event.occur_at)));
    }
    auto parsed = common::parse_manifest(artifact->bytes, artifact->media_type);
    if (parsed) {
        if (const auto* image = std::get_if<common::ImageManifest>(&*parsed)) {
            std::uint64_t size = image->config.size;
            for (const auto& layer : image->layers) {
                size += layer.size;
            }
            model["size_bytes"] = size;
            model["artifact_type"] =
                image->artifact_type.empty() ? image->config.media_type : image->artifact_type;
            if (common::modelpack::naming_of(image->config.media_type)) {
                auto client = registry();
                if (!client) {
                    return from_error(client.error(), "catalog");
                }
                auto config =
                    (*client)->fetch_blob(artifact->repository, image->config.digest, 1U << 20);
                if (!config) {
                    return from_error(config.error(), "catalog: the ModelPack config");
                }
                auto body = common::parse_json(*config);
                if (body && body->is_object()) {
                    const auto descriptor = body->value("descriptor", json::object());
                    const auto fields = body->value("config", json::object());
                    const auto copy = [&](const json& from, const char* key, const char* to) {
                        if (from.is_object() && from.contains(key) && from[key].is_string()) {
                            model[to] = from[key];
                        }
                    };
                    copy(descriptor, "name", "name");
                    copy(descriptor, "family", "family");
                    copy(descriptor, "version", "version");
                    copy(fields, "architecture", "architecture");
                    copy(fields, "format", "format");
                    copy(fields, "paramSize", "param_size");
                    copy(fields, "precision", "precision");
                    copy(fields, "quantization", "quantization");
                    if (descriptor.is_object() && descriptor.contains("licenses") &&
                        descriptor["licenses"].is_array()) {
                        json licenses = json::array();
                        for (const auto& license : descriptor["licenses"]) {
                            if (license.is_string()) {
                                licenses.push_back(license);
                            }
                        }
                        model["licenses"] = std::move(licenses);
                    }
                }
            }
        }
    }
    // The scan gate's verdict, when it ran for this digest.
    if (auto verdict = store_.get(kVerdicts, artifact->repository + "@" + artifact->digest.str())) {
        model["scan_status"] =
            verdict->body.value("verdict", "") == "clean" ? "clean" : "vulnerable";
        json summary = json::object();
        const auto counts = verdict->body.value("counts", json::object());
        for (const auto& [severity, count] : counts.items()) {
            std::string lower = severity;
            std::transform(lower.begin(), lower.end(), lower.begin(),
                           [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
            summary[lower] = count;
        }
        model["severity_summary"] = std::move(summary);
    }
    request.method = "POST";
    request.url = settings_.catalog_url + "/models";
    request.headers.emplace("Content-Type", "application/json");
    request.body = model.dump();
    return http_outcome(http_.fetch(request), "catalog POST /models", 0);
}

}  // namespace aiops::webhook
