#pragma once

#include "aiops/common/http_server.h"
#include "aiops/common/json.h"
#include "aiops/common/media_types.h"
#include "scan_service.h"

// Harbor's Pluggable Scanner API v1.2 (compatible with v1.0/v1.1 callers),
// shared/reference/harbor-scanner.md §1–3:
//   GET  /api/v1/metadata                 scanner, capabilities (vulnerability + sbom), properties
//   POST /api/v1/scan                     202 {"id"} at once (the scan runs in the worker pool)
//   GET  /api/v1/scan/{id}/report         302 + Refresh-After while running; 200 per Accept; 500
//                                         when failed or past its deadline; 404 unknown
// plus, for callers other than Harbor (the webhook-handler):
//   GET  /api/v1/scan/{id}/findings       our findings JSON
//   GET  /api/v1/scan/{id}/mlbom          CycloneDX 1.6 ML-BOM
namespace aiops::scanner {

using common::scanner_api::kCycloneDxMime;
using common::scanner_api::kErrorMime;
using common::scanner_api::kGenericReportMime;
using common::scanner_api::kHarborReportMime;
using common::scanner_api::kMetadataMime;
using common::scanner_api::kSbomReportMime;
using common::scanner_api::kScanRequestMime;
using common::scanner_api::kScanResponseMime;
using common::scanner_api::kSpdxMime;

struct ScanApiSettings {
    int refresh_after_s = 5;  // 1..127 (Harbor parses it as int8)
    common::JsonLimits json_limits{.max_bytes = 64U << 10, .max_depth = 16};
};

class ScanApi {
public:
    ScanApi(ScanService& service, ScanApiSettings settings);
    void add_routes(common::Server& server);
    nlohmann::json metadata() const;

private:
    void scan(const httplib::Request& req, httplib::Response& res);
    void report(const httplib::Request& req, httplib::Response& res, const std::string& id);
    void extra_report(httplib::Response& res, const std::string& id, const char* which,
                      const char* content_type);

    ScanService& service_;
    ScanApiSettings settings_;
};

}  // namespace aiops::scanner
