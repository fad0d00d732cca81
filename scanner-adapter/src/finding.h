#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

// What the analysers report. A finding names a rule (stable id, documented in
// scanner-adapter/README.md "Rules"), a severity on Harbor's scale, the file it is about and a
// description of exactly what was found (e.g. the import `posix.system` and the opcode that called
// it). Reports (Harbor vulnerability report, our findings JSON, SBOMs) are built from these.
namespace aiops::scanner {

// Harbor's scale (pkg/vuln Severity), lowest to highest.
enum class Severity { kUnknown, kLow, kMedium, kHigh, kCritical };
std::string_view severity_name(Severity severity);  // "Unknown", "Low", … "Critical"

struct Finding {
    std::string rule_id;  // e.g. "AIMS-PICKLE-EXEC"
    Severity severity = Severity::kUnknown;
    std::string path;         // file path inside the artifact (filepath annotation or tar path)
    std::string title;        // one line: "pickle calls posix.system"
    std::string description;  // what was found and where (offsets, member names), how to fix
};

using Findings = std::vector<Finding>;

}  // namespace aiops::scanner
