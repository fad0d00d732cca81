#include "finding.h"

namespace aiops::scanner {

std::string_view severity_name(Severity severity) {
    switch (severity) {
        case Severity::kLow: return "Low";
        case Severity::kMedium: return "Medium";
        case Severity::kHigh: return "High";
        case Severity::kCritical: return "Critical";
        case Severity::kUnknown: break;
    }
    return "Unknown";
}

}  // namespace aiops::scanner
