#include "scan_api.h"

#include <algorithm>

namespace aiops::scanner {

using common::Error;
using common::ErrorCode;
using common::Method;
using httplib::Request;
using httplib::Response;
using nlohmann::json;

namespace {

constexpr const char* kOciManifest = "application/vnd.oci.image.manifest.v1+json";
constexpr const char* kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";

// "type/subtype; version=1.0" compared leniently: case-insensitive, spaces ignored.
std::string normalise_mime(std::string_view text) {
    std::string out;
    for (const char c : text) {
        if (c != ' ' && c != '\t') {
            out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
    }
    return out;
}

bool accepts(const Request& req, const char* mime) {
    const auto accept = normalise_mime(req.get_header_value("Accept"));
    return accept.find(normalise_mime(mime)) != std::string::npos;
}

void write_json_as(Response& res, int status, const json& body, const char* content_type) {
    res.status = status;
    res.set_content(body.dump(), content_type);
}

// Errors carry the API's error MIME type and {"error":{"message"}} (plus our stable code), which
// Harbor shows; `status` overrides the code's usual status (422, 501 as the spec asks).
void write_scanner_error(Response& res, const common::Error& error, int status = 0) {
    common::write_error(res, error);
    if (status != 0) {
        res.status = status;
    }
    res.headers.erase("Content-Type");
    res.set_content(common::error_body(error).dump(), kErrorMime);
}

}  // namespace

ScanApi::ScanApi(ScanService& service, ScanApiSettings settings)
    : service_(service), settings_(settings) {
    settings_.refresh_after_s = std::clamp(settings_.refresh_after_s, 1, 127);
}

json ScanApi::metadata() const {
    const auto& scanner = service_.scanner();
    const json consumes = json::array({kOciManifest, kDockerManifest});
    return {{"scanner",
             {{"name", scanner.name}, {"vendor", scanner.vendor}, {"version", scanner.version}}},
            {"capabilities",
             json::array(
                 {{{"type", "vulnerability"},
                   {"consumes_mime_types", consumes},
                   {"produces_mime_types", json::array({kGenericReportMime, kHarborReportMime})}},
                  {{"type", "sbom"},
                   {"consumes_mime_types", consumes},
                   {"produces_mime_types", json::array({kSbomReportMime})},
                   {"additional_attributes", {{"sbom_media_types", json::array({kSpdxMime})}}}}})},
            {"properties",
             {{"harbor.scanner-adapter/scanner-type", "ai-model"},
              {"harbor.scanner-adapter/registry-authorization-type", "Basic"},
              {"env.AIOPS_SCAN_DEADLINE", "see scan.deadline_s"}}}};
}

void ScanApi::add_routes(common::Server& server) {
    server.route(Method::kGet, "/api/v1/metadata", common::Access::reader(),
                 [this](const Request&, Response& res, const common::RequestContext&) {
                     write_json_as(res, 200, metadata(), kMetadataMime);
                 });
    server.route(Method::kPost, "/api/v1/scan", common::Access::writer(),
                 [this](const Request& req, Response& res, const common::RequestContext&) {
                     scan(req, res);
                 });
    server.route(Method::kGet, "/api/v1/scan/([A-Za-z0-9_.-]+)/report", common::Access::reader(),
                 [this](const Request& req, Response& res, const common::RequestContext& ctx) {
                     report(req, res, ctx.captures.at(0));
                 });
    server.route(Method::kGet, "/api/v1/scan/([A-Za-z0-9_.-]+)/findings", common::Access::reader(),
                 [this](const Request&, Response& res, const common::RequestContext& ctx) {
                     extra_report(res, ctx.captures.at(0), "findings", "application/json");
                 });
    server.route(Method::kGet, "/api/v1/scan/([A-Za-z0-9_.-]+)/mlbom", common::Access::reader(),
                 [this](const Request&, Response& res, const common::RequestContext& ctx) {
                     extra_report(res, ctx.captures.at(0), "cyclonedx", kCycloneDxMime);
                 });
}

void ScanApi::scan(const Request& req, Response& res) {
    auto body = common::parse_json(req.body, settings_.json_limits);
    if (!body) {
        return write_scanner_error(res, body.error());
    }
    auto request = parse_scan_request(*body);
    if (!request) {
        // The spec: 400 for malformed JSON, 422 for a well-formed request with invalid fields.
        return write_scanner_error(res, request.error(), 422);
    }
    auto id = service_.submit(*request);
    if (!id) {
        return write_scanner_error(res, id.error());
    }
    write_json_as(res, 202, {{"id", *id}}, kScanResponseMime);
}

void ScanApi::report(const Request& req, Response& res, const std::string& id) {
    auto record = service_.get(id);
    if (!record) {
        return write_scanner_error(res, record.error());
    }
    if (record->status == ScanStatus::kQueued || record->status == ScanStatus::kRunning) {
        res.status = 302;
        res.set_header("Refresh-After", std::to_string(settings_.refresh_after_s));
        res.set_header("Location", req.path);
        return;
    }
    if (record->status == ScanStatus::kFailed) {
        return write_scanner_error(res, {ErrorCode::kInternal, record->error});
    }
    const auto& reports = record->reports;
    if (accepts(req, kSbomReportMime)) {
        const auto wanted = req.get_param_value("sbom_media_type");
        if (wanted.empty()) {
            return write_scanner_error(
                res, {ErrorCode::kInvalidInput, "sbom_media_type is required for SBOM reports"});
        }
        if (wanted != kSpdxMime && wanted != kCycloneDxMime) {
            return write_scanner_error(
                res, {ErrorCode::kUnsupportedMedia, "unsupported sbom_media_type " + wanted}, 501);
        }
        const auto& harbor = reports["harbor"];
        const json sbom{{"generated_at", harbor.value("generated_at", "")},
                        {"artifact", harbor.value("artifact", json::object())},
                        {"scanner", harbor.value("scanner", json::object())},
                        {"vendor_attributes", json::object()},
                        {"media_type", wanted},
                        {"sbom", wanted == kSpdxMime ? reports["spdx"] : reports["cyclonedx"]}};
        return write_json_as(res, 200, sbom, kSbomReportMime);
    }
    for (const char* mime : {kGenericReportMime, kHarborReportMime}) {
        if (accepts(req, mime)) {
            return write_json_as(res, 200, reports["harbor"], mime);
        }
    }
    write_scanner_error(
        res, {ErrorCode::kUnsupportedMedia, "Accept names no report type this scanner produces"},
        501);
}

void ScanApi::extra_report(Response& res, const std::string& id, const char* which,
                           const char* content_type) {
    auto record = service_.get(id);
    if (!record) {
        return write_scanner_error(res, record.error());
    }
    if (record->status == ScanStatus::kFailed) {
        return write_scanner_error(res, {ErrorCode::kInternal, record->error});
    }
    if (record->status != ScanStatus::kDone) {
        res.status = 302;
        res.set_header("Refresh-After", std::to_string(settings_.refresh_after_s));
        return;
    }
    write_json_as(res, 200, record->reports[which], content_type);
}

}  // namespace aiops::scanner
