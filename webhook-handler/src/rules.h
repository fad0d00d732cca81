#pragma once

#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "aiops/common/result.h"
#include "event.h"

// The rules file: `when` an event matches, run the ordered `do` actions.
//
//   rules:
//     - name: scan-models
//       when: {source: harbor, events: [PUSH_ARTIFACT], project: "models-staging",
//              repository: "meta-llama/**", tag: "v*", artifact: model, min_severity: High}
//       do:
//         - {action: preheat, pools: [1], scope: all_peers}
//         - {action: notify, url: "https://chat.example/hook"}
//
// Globs (project, repository, tag) match '/'-separated segments: `**` is zero or more whole
// segments, any other segment an fnmatch pattern for one ('*' does not cross '/'); an omitted
// project or repository is `**` (everything, also `org/model`). `artifact` (image | model | any)
// needs the artifact's manifest: the worker reads it from the registry before matching.
// `min_severity` (Low < Medium < High < Critical) matches scan events whose highest severity
// reaches it.
namespace aiops::webhook {

enum class ArtifactKind { kAny, kImage, kModel };

struct Match {
    std::optional<Source> source{};
    std::vector<std::string> events{};  // Harbor types or UPLOAD; empty = any
    std::string project = "**";         // Harbor project, DevPI index (user/index)
    std::string repository = "**";      // Harbor repository (without project), DevPI package
    std::string tag = "*";              // any resource tag must match (Harbor)
    ArtifactKind artifact = ArtifactKind::kAny;
    std::string min_severity{};  // "" = no severity condition
};

struct Action {
    std::string type{};  // notify, preheat, harbor_scan/copy/label, promote, scan_gate, catalog
    nlohmann::json params{};  // the action's other keys
};

struct Rule {
    std::string name{};
    Match when{};
    std::vector<Action> actions{};
};

// Parses and validates the whole rules file (names unique, known actions and keys); errors name
// the rule and the key.
common::Result<std::vector<Rule>> parse_rules(const YAML::Node& root);
common::Result<std::vector<Rule>> parse_rules_text(const std::string& yaml);

// `kind`: the artifact's kind when known (nullopt: not looked up; a rule that needs it fails
// to match).
bool matches(const Match& when, const Event& event, std::optional<ArtifactKind> kind);
bool glob_match(const std::string& pattern, const std::string& text);  // the globs above
bool needs_artifact_kind(const Match& when);

// "<project>/<repository>" a catalog or preheat step acts on: its own project/repository, which
// parse_rules sets to the released copy after a releasing scan_gate, else the event's.
std::string step_repository(const nlohmann::json& params, const Event& event);

// Severity rank: Low 0, Medium 1, High 2, Critical 3; -1 otherwise.
int severity_rank(std::string_view severity);

}  // namespace aiops::webhook
