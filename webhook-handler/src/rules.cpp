#include "rules.h"

#include <fnmatch.h>

#include <algorithm>
#include <set>

#include "promotion.h"

namespace aiops::webhook {

using common::Error;
using common::ErrorCode;
using common::Result;
using json = nlohmann::json;

namespace {

const std::set<std::string> kActions{"notify",       "preheat", "harbor_scan", "harbor_copy",
                                     "harbor_label", "promote", "scan_gate",   "catalog"};

Error invalid(const std::string& what) { return Error{ErrorCode::kInvalidInput, what}; }

// Catalog and preheat steps after a scan_gate that copies to release_project act on the released
// copy — where consumers pull, where GPU nodes' model dirs are named after, and what a later
// DELETE_ARTIFACT names — not the staging one, unless the step names its own project/repository.
void act_on_released_copy(const std::vector<Action>& earlier, json& step) {
    for (auto gate = earlier.rbegin(); gate != earlier.rend(); ++gate) {
        if (gate->type != "scan_gate") {
            continue;
        }
        const auto project = gate->params.find("release_project");
        if (project == gate->params.end() || !project->is_string() || step.contains("project") ||
            step.contains("repository")) {
            return;
        }
        step["project"] = *project;
        const auto repository = gate->params.find("release_repository");
        if (repository != gate->params.end() && repository->is_string()) {
            step["repository"] = *repository;
        }
        return;
    }
}

std::string unknown_key(std::string path, const std::string& key) {
    path += key;
    path += ": unknown key";
    return path;
}

std::vector<std::string_view> segments(std::string_view path) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    for (std::size_t slash = path.find('/'); slash != std::string_view::npos;
         slash = path.find('/', start)) {
        out.push_back(path.substr(start, slash - start));
        start = slash + 1;
    }
    out.push_back(path.substr(start));
    return out;
}

// Segment by segment: a `**` segment matches zero or more whole segments, any other segment is an
// fnmatch pattern for exactly one ('*' never crosses '/'), as in Harbor's own filters.
bool glob_segments(const std::vector<std::string_view>& pattern, std::size_t at,
                   const std::vector<std::string_view>& text, std::size_t from) {
    if (at == pattern.size()) {
        return from == text.size();
    }
    if (pattern[at] == "**") {
        for (std::size_t skip = from; skip <= text.size(); ++skip) {
            if (glob_segments(pattern, at + 1, text, skip)) {
                return true;
            }
        }
        return false;
    }
    return from < text.size() &&
           fnmatch(std::string(pattern[at]).c_str(), std::string(text[from]).c_str(), 0) == 0 &&
           glob_segments(pattern, at + 1, text, from + 1);
}

}  // namespace

bool glob_match(const std::string& pattern, const std::string& text) {
    return glob_segments(segments(pattern), 0, segments(text), 0);
}

namespace {

json to_json(const YAML::Node& node) {
    if (node.IsMap()) {
        json object = json::object();
        for (const auto& entry : node) {
            object[entry.first.as<std::string>()] = to_json(entry.second);
        }
        return object;
    }
    if (node.IsSequence()) {
        json array = json::array();
        for (const auto& entry : node) {
            array.push_back(to_json(entry));
        }
        return array;
    }
    if (node.IsScalar()) {
        const auto text = node.as<std::string>();
        if (node.Tag() != "!") {  // unquoted scalars: numbers and booleans keep their type
            if (text == "true" || text == "false") {
                return text == "true";
            }
            char* end = nullptr;
            const long long number = std::strtoll(text.c_str(), &end, 10);
            if (!text.empty() && end == text.c_str() + text.size()) {
                return number;
            }
        }
        return text;
    }
    return nullptr;
}

Result<Match> parse_match(const YAML::Node& node, const std::string& where) {
    Match match;
    if (!node) {
        return match;
    }
    if (!node.IsMap()) {
        return invalid(where + ".when: expected a map");
    }
    for (const auto& entry : node) {
        const auto key = entry.first.as<std::string>();
        const auto& value = entry.second;
        if (key == "source") {
            const auto source = value.as<std::string>();
            if (source != "harbor" && source != "devpi") {
                return invalid(where + ".when.source: harbor or devpi");
            }
            match.source = source == "harbor" ? Source::kHarbor : Source::kDevpi;
        } else if (key == "events" || key == "event") {
            if (value.IsSequence()) {
                match.events = value.as<std::vector<std::string>>();
            } else {
                match.events = {value.as<std::string>()};
            }
        } else if (key == "project" || key == "index") {
            match.project = value.as<std::string>();
        } else if (key == "repository" || key == "package") {
            match.repository = value.as<std::string>();
        } else if (key == "tag") {
            match.tag = value.as<std::string>();
        } else if (key == "artifact") {
            const auto kind = value.as<std::string>();
            if (kind != "any" && kind != "image" && kind != "model") {
                return invalid(where + ".when.artifact: any, image or model");
            }
            match.artifact = kind == "model"   ? ArtifactKind::kModel
                             : kind == "image" ? ArtifactKind::kImage
                                               : ArtifactKind::kAny;
        } else if (key == "min_severity") {
            match.min_severity = value.as<std::string>();
            if (severity_rank(match.min_severity) < 0) {
                return invalid(where + ".when.min_severity: Low, Medium, High or Critical");
            }
        } else {
            return invalid(unknown_key(where + ".when.", key));
        }
    }
    return match;
}

}  // namespace

int severity_rank(std::string_view severity) {
    constexpr std::string_view kRanks[] = {"Low", "Medium", "High", "Critical"};
    for (int rank = 0; rank < 4; ++rank) {
        if (kRanks[rank] == severity) {
            return rank;
        }
    }
    return -1;
}

Result<std::vector<Rule>> parse_rules(const YAML::Node& root) {
    std::vector<Rule> rules;
    const auto list = root && root.IsMap() ? root["rules"] : YAML::Node();
    if (!list) {
        return rules;
    }
    if (!list.IsSequence()) {
        return invalid("rules: expected a list");
    }
    std::set<std::string> names;
    try {
        for (std::size_t index = 0; index < list.size(); ++index) {
            const auto& node = list[index];
            const auto where = "rules[" + std::to_string(index) + "]";
            if (!node.IsMap() || !node["name"] || !node["do"]) {
                return invalid(where + ": expected {name, when, do}");
            }
            Rule rule;
            rule.name = node["name"].as<std::string>();
            if (rule.name.empty() || rule.name.size() > 100 || !names.insert(rule.name).second) {
                return invalid(where + ".name: required, unique, at most 100 characters");
            }
            auto match = parse_match(node["when"], where);
            if (!match) {
                return match.error();
            }
            rule.when = std::move(*match);
            if (!node["do"].IsSequence() || node["do"].size() == 0) {
                return invalid(where + ".do: expected a non-empty list of actions");
            }
            for (const auto& step : node["do"]) {
                auto params = to_json(step);
                if (!params.is_object() || !params.contains("action") ||
                    !params["action"].is_string() ||
                    kActions.count(params["action"].get<std::string>()) == 0) {
                    return invalid(where +
                                   ".do[]: each step needs action: one of notify, preheat, "
                                   "harbor_scan, harbor_copy, harbor_label, promote, scan_gate, "
                                   "catalog");
                }
                Action action;
                action.type = params["action"].get<std::string>();
                params.erase("action");
                if (action.type == "promote") {
                    if (auto options = promote_options(params); !options) {
                        return invalid(where + ".do[]: " + options.error().message);
                    }
                }
                if (action.type == "catalog" || action.type == "preheat") {
                    for (const char* key : {"project", "repository"}) {
                        if (params.contains(key) &&
                            (!params[key].is_string() || params[key].get<std::string>().empty())) {
                            return invalid(where + ".do[]." + action.type + "." + key +
                                           ": expected a non-empty string");
                        }
                    }
                    act_on_released_copy(rule.actions, params);
                }
                action.params = std::move(params);
                rule.actions.push_back(std::move(action));
            }
            for (const auto& entry : node) {
                const auto key = entry.first.as<std::string>();
                if (key != "name" && key != "when" && key != "do") {
                    return invalid(unknown_key(where + ".", key));
                }
            }
            rules.push_back(std::move(rule));
        }
    } catch (const YAML::Exception& error) {
        return invalid(std::string("rules: ") + error.what());
    }
    return rules;
}

Result<std::vector<Rule>> parse_rules_text(const std::string& yaml) {
    try {
        return parse_rules(YAML::Load(yaml));
    } catch (const YAML::Exception& error) {
        return invalid(std::string("rules: ") + error.what());
    }
}

bool needs_artifact_kind(const Match& when) { return when.artifact != ArtifactKind::kAny; }

std::string step_repository(const json& params, const Event& event) {
    return params.value("project", event.project) + "/" +
           params.value("repository", event.repository);
}

bool matches(const Match& when, const Event& event, std::optional<ArtifactKind> kind) {
    if (when.source && *when.source != event.source) {
        return false;
    }
    if (!when.events.empty() &&
        std::find(when.events.begin(), when.events.end(), event.type) == when.events.end()) {
        return false;
    }
    if (!glob_match(when.project, event.project) ||
        !glob_match(when.repository, event.repository)) {
        return false;
    }
    if (when.tag != "*") {
        const bool any_tag = std::any_of(
            event.resources.begin(), event.resources.end(), [&](const Resource& resource) {
                return !resource.tag.starts_with("sha256:") && glob_match(when.tag, resource.tag);
            });
        if (!any_tag) {
            return false;
        }
    }
    if (needs_artifact_kind(when) && (!kind || *kind != when.artifact)) {
        return false;
    }
    if (!when.min_severity.empty()) {
        const int wanted = severity_rank(when.min_severity);
        const bool reached = std::any_of(event.resources.begin(), event.resources.end(),
                                         [&](const Resource& resource) {
                                             return severity_rank(resource.scan_severity) >= wanted;
                                         });
        if (!reached) {
            return false;
        }
    }
    return true;
}

}  // namespace aiops::webhook
