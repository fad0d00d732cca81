#include "reports.h"

#include <algorithm>

namespace aiops::scanner {

using nlohmann::json;

namespace {

std::string without(std::string text, char banned) {
    text.erase(std::remove(text.begin(), text.end(), banned), text.end());
    return text;
}

std::string spdx_id(std::string_view text) {
    std::string id = "SPDXRef-File-";
    for (const char c : text) {
        id += (std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-') ? c : '-';
    }
    return id;
}

json artifact_json(const ArtifactRef& artifact) {
    return {{"repository", artifact.repository},
            {"digest", artifact.digest},
            {"tag", artifact.tag},
            {"mime_type", artifact.mime_type}};
}

json scanner_json(const ScannerInfo& scanner) {
    return {{"name", scanner.name}, {"vendor", scanner.vendor}, {"version", scanner.version}};
}

}  // namespace

std::string overall_severity(const ArtifactScan& scan) {
    if (scan.findings.empty()) {
        return "None";
    }
    const auto worst = std::max_element(
        scan.findings.begin(), scan.findings.end(),
        [](const Finding& a, const Finding& b) { return a.severity < b.severity; });
    return std::string(severity_name(worst->severity));
}

json harbor_vulnerability_report(const ArtifactScan& scan, const ArtifactRef& artifact,
                                 const ScannerInfo& scanner, const std::string& generated_at) {
    json vulnerabilities = json::array();
    for (std::size_t i = 0; i < scan.findings.size(); ++i) {
        const auto& finding = scan.findings[i];
        vulnerabilities.push_back(
            {{"id", finding.rule_id},
             {"package", finding.path},
             {"version", i < scan.layer_of_finding.size() ? scan.layer_of_finding[i] : ""},
             {"fix_version", ""},
             {"severity", std::string(severity_name(finding.severity))},
             {"description", finding.title + ". " + finding.description},
             {"links", json::array({without(scanner.rules_url, '|')})},
             {"cwe_ids", json::array({"CWE-502"})},
             {"vendor_attributes", {{"rule", finding.rule_id}, {"title", finding.title}}}});
    }
    return {{"generated_at", generated_at},
            {"artifact", artifact_json(artifact)},
            {"scanner", scanner_json(scanner)},
            {"severity", overall_severity(scan)},
            {"vulnerabilities", vulnerabilities}};
}

json findings_report(const ArtifactScan& scan, const ArtifactRef& artifact,
                     const ScannerInfo& scanner, const std::string& generated_at) {
    json findings = json::array();
    for (std::size_t i = 0; i < scan.findings.size(); ++i) {
        const auto& finding = scan.findings[i];
        findings.push_back(
            {{"rule_id", finding.rule_id},
             {"severity", std::string(severity_name(finding.severity))},
             {"path", finding.path},
             {"layer", i < scan.layer_of_finding.size() ? scan.layer_of_finding[i] : ""},
             {"title", finding.title},
             {"description", finding.description}});
    }
    json files = json::array();
    for (const auto& file : scan.files) {
        files.push_back({{"path", file.path},
                         {"layer", file.layer_digest},
                         {"format", file.format},
                         {"size", file.size},
                         {"sha256", file.sha256}});
    }
    return {{"generated_at", generated_at},
            {"artifact", artifact_json(artifact)},
            {"scanner", scanner_json(scanner)},
            {"severity", overall_severity(scan)},
            {"artifact_type", scan.artifact_type},
            {"licenses", scan.licenses},
            {"bytes_read", scan.bytes_read},
            {"artifact_bytes", scan.artifact_bytes},
            {"files", files},
            {"findings", findings}};
}

json spdx_document(const ArtifactScan& scan, const ArtifactRef& artifact,
                   const ScannerInfo& scanner, const std::string& generated_at) {
    const std::string license = scan.licenses.empty() ? "NOASSERTION" : scan.licenses.front();
    json files = json::array();
    json relationships = json::array();
    for (const auto& file : scan.files) {
        const auto id = spdx_id(file.path + "-" + file.layer_digest.substr(7, 12));
        json entry{{"SPDXID", id},
                   {"fileName", file.path},
                   {"licenseConcluded", "NOASSERTION"},
                   {"copyrightText", "NOASSERTION"},
                   {"comment", "format: " + file.format + "; layer: " + file.layer_digest},
                   {"checksums", json::array()}};
        if (file.sha256.rfind("sha256:", 0) == 0) {
            entry["checksums"].push_back(
                {{"algorithm", "SHA256"}, {"checksumValue", file.sha256.substr(7)}});
        }
        files.push_back(entry);
        relationships.push_back({{"spdxElementId", "SPDXRef-Package-Model"},
                                 {"relationshipType", "CONTAINS"},
                                 {"relatedSpdxElement", id}});
    }
    relationships.push_back({{"spdxElementId", "SPDXRef-DOCUMENT"},
                             {"relationshipType", "DESCRIBES"},
                             {"relatedSpdxElement", "SPDXRef-Package-Model"}});
    return {{"spdxVersion", "SPDX-2.3"},
            {"dataLicense", "CC0-1.0"},
            {"SPDXID", "SPDXRef-DOCUMENT"},
            {"name", artifact.repository + "@" + artifact.digest},
            {"documentNamespace",
             "https://aiops-cache.invalid/spdx/" + artifact.repository + "/" + artifact.digest},
            {"creationInfo",
             {{"created", generated_at},
              {"creators", json::array({"Tool: " + scanner.name + "-" + scanner.version})}}},
            {"packages", json::array({{{"SPDXID", "SPDXRef-Package-Model"},
                                       {"name", artifact.repository},
                                       {"versionInfo", artifact.digest},
                                       {"downloadLocation", "NOASSERTION"},
                                       {"filesAnalyzed", false},
                                       {"licenseDeclared", license},
                                       {"licenseConcluded", "NOASSERTION"},
                                       {"primaryPackagePurpose", "OTHER"}}})},
            {"files", files},
            {"relationships", relationships}};
}

json cyclonedx_mlbom(const ArtifactScan& scan, const ArtifactRef& artifact,
                     const ScannerInfo& scanner, const std::string& generated_at) {
    json licenses = json::array();
    for (const auto& id : scan.licenses) {
        licenses.push_back({{"license", {{"id", id}}}});
    }
    json files = json::array();
    for (const auto& file : scan.files) {
        json component{{"type", "file"}, {"name", file.path}, {"bom-ref", file.path}};
        if (file.sha256.rfind("sha256:", 0) == 0) {
            component["hashes"] =
                json::array({{{"alg", "SHA-256"}, {"content", file.sha256.substr(7)}}});
        }
        component["properties"] = json::array({{{"name", "aiops:format"}, {"value", file.format}}});
        files.push_back(component);
    }
    return {{"bomFormat", "CycloneDX"},
            {"specVersion", "1.6"},
            {"version", 1},
            {"metadata",
             {{"timestamp", generated_at},
              {"tools",
               {{"components", json::array({{{"type", "application"},
                                             {"name", scanner.name},
                                             {"version", scanner.version}}})}}}}},
            {"components",
             json::array(
                 {{{"type", "machine-learning-model"},
                   {"bom-ref", artifact.digest},
                   {"name", artifact.repository},
                   {"version", artifact.digest},
                   {"licenses", licenses},
                   {"modelCard",
                    {{"properties",
                      json::array({{{"name", "artifactType"}, {"value", scan.artifact_type}},
                                   {{"name", "severity"}, {"value", overall_severity(scan)}}})}}},
                   {"components", files}}})}};
}

}  // namespace aiops::scanner
