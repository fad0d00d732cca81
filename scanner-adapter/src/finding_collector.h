#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "finding.h"

// Gathers the findings of one file, at most `max_per_rule` per rule id (a crafted file with a
// million bad tensors yields a bounded report), plus one "… and N more" finding per capped rule.
namespace aiops::scanner {

class FindingCollector {
public:
    explicit FindingCollector(std::string path, std::size_t max_per_rule = 16)
        : path_(std::move(path)), max_per_rule_(max_per_rule) {}

    void add(std::string_view rule_id, Severity severity, std::string title,
             std::string description);
    bool has(std::string_view rule_id) const { return counts_.contains(std::string(rule_id)); }
    // The findings, with a summary for each rule that hit the cap.
    Findings take();

private:
    struct RuleCount {
        std::size_t seen = 0;
        Severity severity = Severity::kUnknown;
    };
    std::string path_;
    std::size_t max_per_rule_;
    Findings findings_;
    std::map<std::string, RuleCount, std::less<>> counts_;
};

}  // namespace aiops::scanner
