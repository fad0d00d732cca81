#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "action.h"
#include "aiops/common/clock.h"
#include "aiops/common/http_client.h"
#include "aiops/common/registry_client.h"
#include "aiops/common/retention.h"
#include "aiops/common/storage.h"
#include "event.h"
#include "harbor_api.h"

// Model actions on Harbor PUSH_ARTIFACT / DELETE_ARTIFACT events.
//
// `scan_gate` — Harbor never sends ModelPack/CNAI artifacts to a scanner
// (shared/reference/harbor-scanner.md §4.4), so the handler does: it submits the artifact to the
// scanner-adapter (`POST /api/v1/scan`, the pluggable-scanner request Harbor itself would send,
// with the robot's Basic credentials for the registry), waits for the report, attaches the report
// and the ML-BOM to the model as OCI referrers (manifests whose `subject` is the model; listed
// by the registry's referrers API where it has one, else in the OCI 1.1 fallback tag
// `sha256-<hex>` — Debian's docker-registry has no referrers API), labels the artifact
// (`aiops-scan:clean` / `aiops-scan:blocked`) through Harbor's API and copies it to the release
// project only when no finding reaches the configured severity. A blocked model fails the rule:
// its later actions (catalog, preheat) do not run. Each verdict is stored in "scan_gates".
//
// `catalog` — upserts the artifact in catalog-service's model index (POST /models) with the
// ModelPack config fields read from the registry; DELETE_ARTIFACT deletes it.
namespace aiops::webhook {

struct ModelGateSettings {
    std::string registry_url{};  // the registry Harbor serves (default: harbor.url)
    std::string scanner_url{};
    std::string scanner_token{};
    std::string catalog_url{};
    std::string catalog_token{};
    std::chrono::milliseconds scan_timeout{300000};  // < queue.visibility_ms
};

class ModelGate {
public:
    // Verdicts are tracked in `retention` (null: kept for ever).
    ModelGate(ModelGateSettings settings, HarborApi& harbor, common::HttpClient& http,
              common::Store& store, const common::Clock& clock,
              common::Retention* retention = nullptr);

    // How retention reads a verdict: finished at decided_at.
    static common::RetentionRule retention_rule();

    ActionResult scan_gate(const nlohmann::json& params, const Event& event);
    ActionResult catalog(const nlohmann::json& params, const Event& event);

private:
    struct Artifact {
        std::string repository;  // project/repository in the registry
        common::Digest digest;
        std::string media_type;
        std::string bytes;  // the manifest
    };
    common::Result<Artifact> resolve(const Event& event);
    common::Result<std::unique_ptr<common::RegistryClient>> registry();
    // Submits the scan and waits for the Harbor-format report; the scan id via `scan_id`.
    common::Result<nlohmann::json> scan(const Artifact& artifact, std::string& scan_id);
    common::Result<std::string> fetch_scanner(const std::string& path, const std::string& accept);
    // Pushes a referrer (one layer holding `content`) of `artifact`; registers it in the fallback
    // tag when the registry has no referrers API. Returns the referrer's digest.
    common::Result<std::string> attach(common::RegistryClient& client, const Artifact& artifact,
                                       const std::string& artifact_type,
                                       const std::string& layer_media_type,
                                       const std::string& content);

    ModelGateSettings settings_;
    HarborApi& harbor_;
    common::HttpClient& http_;
    common::Store& store_;
    const common::Clock& clock_;
    common::Retention* retention_;
};

// The verdict of a Harbor-format scan report: the highest severity and the count per severity
// of its vulnerabilities (Unknown, Low, Medium, High, Critical). Pure.
struct ScanVerdict {
    std::string highest = "None";
    std::map<std::string, std::int64_t> counts{};
};
ScanVerdict scan_verdict(const nlohmann::json& report);

}  // namespace aiops::webhook
