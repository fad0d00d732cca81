// pickle_findings(): rule ids, severities and descriptions for an analysed pickle.
#include "pickle_lists.h"
#include "pickle_scan.h"

namespace aiops::scanner {

namespace {

constexpr std::string_view kAdvice =
    " Do not load this file with pickle/torch.load; if it must be used, convert the weights to "
    "safetensors in a sandbox.";

std::string full_name(const PickleImport& import) { return import.module + "." + import.name; }

// "imported by GLOBAL at offset 0 and called by REDUCE at offset 42"
std::string where(const PickleImport& import) {
    std::string text =
        "imported by " + import.opcode + " at offset " + std::to_string(import.offset);
    if (import.called) {
        text += " and called by " + import.call_opcode + " at offset " +
                std::to_string(import.call_offset);
    }
    if (import.depth > 0) {
        text += ", inside a pickle that the stream unpickles from a byte string";
    }
    return text;
}

Finding unresolved_finding(const PickleImport& import, const std::string& path) {
    return {.rule_id = "AIMS-PICKLE-UNRESOLVED",
            .severity = Severity::kCritical,
            .path = path,
            .title = "pickle imports a callable it names indirectly",
            .description = "The target of " + import.opcode + " cannot be determined statically" +
                           " (module " + import.module + ", name " + import.name + "); it is " +
                           where(import) +
                           ". Benign pickles name imports with literal strings; this is how "
                           "scanners are evaded." +
                           std::string(kAdvice)};
}

Finding denied_finding(const PickleImport& import, const ImportVerdict& verdict,
                       const std::string& path) {
    const auto name = full_name(import);
    const std::string what =
        name + " (" + verdict.matched + ": " + std::string(verdict.reason) + ")";
    if (import.called) {
        return {.rule_id = "AIMS-PICKLE-EXEC",
                .severity = verdict.called_severity,
                .path = path,
                .title = "pickle calls " + name,
                .description = what + " is " + where(import) + ": loading the file runs it." +
                               std::string(kAdvice)};
    }
    return {.rule_id = "AIMS-PICKLE-DANGEROUS-IMPORT",
            .severity = Severity::kHigh,
            .path = path,
            .title = "pickle imports " + name,
            .description = what + " is " + where(import) +
                           "; the loader imports it and can reach it through later opcodes." +
                           std::string(kAdvice)};
}

Finding unknown_finding(const PickleImport& import, const std::string& path) {
    const auto name = full_name(import);
    if (import.called) {
        return {.rule_id = "AIMS-PICKLE-UNKNOWN-CALL",
                .severity = Severity::kHigh,
                .path = path,
                .title = "pickle calls " + name + ", which is not on the allow-list",
                .description = name + " is " + where(import) +
                               "; it is not among the callables model checkpoints use, so loading "
                               "the file runs code nobody reviewed."};
    }
    return {.rule_id = "AIMS-PICKLE-UNKNOWN-IMPORT",
            .severity = Severity::kMedium,
            .path = path,
            .title = "pickle imports " + name + ", which is not on the allow-list",
            .description =
                name + " is " + where(import) + "; importing a module runs its top-level code."};
}

struct AnomalyRule {
    std::string_view rule_id;
    Severity severity;
    std::string_view title;
};

AnomalyRule anomaly_rule(PickleAnomalyKind kind) {
    switch (kind) {
        case PickleAnomalyKind::kFrame:
            return {"AIMS-PICKLE-FRAME", Severity::kCritical,
                    "pickle frames disagree with their opcodes"};
        case PickleAnomalyKind::kMonkeyPatch:
            return {"AIMS-PICKLE-MONKEYPATCH", Severity::kCritical,
                    "pickle modifies an imported module or class"};
        case PickleAnomalyKind::kUnresolved:
            return {"AIMS-PICKLE-UNRESOLVED", Severity::kCritical,
                    "pickle uses a value it never defined or calls a non-import"};
        case PickleAnomalyKind::kMemoExhaustion:
            return {"AIMS-PICKLE-MEMO-DOS", Severity::kMedium,
                    "pickle memo index exhausts the loader's memory"};
        case PickleAnomalyKind::kLimit: break;
    }
    return {"AIMS-PICKLE-LIMITS", Severity::kMedium, "pickle analysis stopped at a limit"};
}

}  // namespace

Findings pickle_findings(const PickleReport& report, const std::string& path) {
    Findings findings;
    for (const auto& import : report.imports) {
        if (!import.resolved) {
            findings.push_back(unresolved_finding(import, path));
            continue;
        }
        const auto verdict = classify_import(import.module, import.name);
        if (verdict.kind == ImportClass::kDenied) {
            findings.push_back(denied_finding(import, verdict, path));
        } else if (verdict.kind == ImportClass::kUnknown) {
            findings.push_back(unknown_finding(import, path));
        }
    }
    for (const auto& anomaly : report.anomalies) {
        const auto rule = anomaly_rule(anomaly.kind);
        findings.push_back({.rule_id = std::string(rule.rule_id),
                            .severity = rule.severity,
                            .path = path,
                            .title = std::string(rule.title),
                            .description = anomaly.message});
    }
    if (!report.error.empty()) {
        findings.push_back(
            {.rule_id = "AIMS-PICKLE-MALFORMED",
             .severity = report.imports.empty() ? Severity::kLow : Severity::kMedium,
             .path = path,
             .title = "pickle stream is malformed or truncated",
             .description = report.error + " (offset " + std::to_string(report.error_offset) +
                            ", after " + std::to_string(report.pickles) +
                            " complete pickles). The loader runs every opcode before this "
                            "point; the imports above were found there."});
    }
    return findings;
}

}  // namespace aiops::scanner
