#include "finding_collector.h"

#include <algorithm>
#include <utility>

namespace aiops::scanner {

void FindingCollector::add(std::string_view rule_id, Severity severity, std::string title,
                           std::string description) {
    auto& count = counts_[std::string(rule_id)];
    ++count.seen;
    count.severity = std::max(count.severity, severity);
    if (count.seen > max_per_rule_) {
        return;
    }
    findings_.push_back(Finding{.rule_id = std::string(rule_id),
                                .severity = severity,
                                .path = path_,
                                .title = std::move(title),
                                .description = std::move(description)});
}

Findings FindingCollector::take() {
    for (const auto& [rule_id, count] : counts_) {
        if (count.seen <= max_per_rule_) {
            continue;
        }
        const auto more = std::to_string(count.seen - max_per_rule_);
        std::string title = rule_id;
        title += ": ";
        title += more;
        title += " more findings not listed";
        std::string description = "the first ";
        description += std::to_string(max_per_rule_);
        description += ' ';
        description += rule_id;
        description += " findings are listed; ";
        description += more;
        description += " more were found in this file";
        findings_.push_back(Finding{.rule_id = rule_id,
                                    .severity = count.severity,
                                    .path = path_,
                                    .title = std::move(title),
                                    .description = std::move(description)});
    }
    counts_.clear();
    return std::move(findings_);
}

}  // namespace aiops::scanner
