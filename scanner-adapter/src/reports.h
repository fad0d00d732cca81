#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "artifact_scan.h"

// Reports built from one ArtifactScan (shared/reference/harbor-scanner.md §3):
//   * Harbor vulnerability report (both MIME types share one schema), typed exactly as Harbor's Go
//     structs parse it: strings for every id/package/version/severity, `links` a string array
//     without '|', severity the maximum of the findings ("None" when there are none);
//   * our findings JSON (richer: formats, offsets, bytes read);
//   * SPDX 2.3 JSON (what Harbor's SBOM path requests) and a CycloneDX 1.6 ML-BOM.
namespace aiops::scanner {

struct ScannerInfo {
    std::string name = "aiops-model-scanner";
    std::string vendor = "aiops-cache";
    std::string version = "0.1.0";
    std::string rules_url =
        "https://github.com/aiops-cache/aiops-cache/blob/main/scanner-adapter/README.md#rules";
};

struct ArtifactRef {
    std::string repository;
    std::string digest;
    std::string tag;
    std::string mime_type;
};

nlohmann::json harbor_vulnerability_report(const ArtifactScan& scan, const ArtifactRef& artifact,
                                           const ScannerInfo& scanner,
                                           const std::string& generated_at);
nlohmann::json findings_report(const ArtifactScan& scan, const ArtifactRef& artifact,
                               const ScannerInfo& scanner, const std::string& generated_at);
nlohmann::json spdx_document(const ArtifactScan& scan, const ArtifactRef& artifact,
                             const ScannerInfo& scanner, const std::string& generated_at);
nlohmann::json cyclonedx_mlbom(const ArtifactScan& scan, const ArtifactRef& artifact,
                               const ScannerInfo& scanner, const std::string& generated_at);

// The highest severity of `scan`'s findings as Harbor names it ("None" for no findings).
std::string overall_severity(const ArtifactScan& scan);

}  // namespace aiops::scanner
