#include "promotion.h"

#include <fnmatch.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>

#include "aiops/common/digest.h"
#include "aiops/common/log.h"

namespace aiops::webhook {

using common::Error;
using common::ErrorCode;
using common::Result;
using common::Status;
using json = nlohmann::json;

namespace {

constexpr std::string_view kCollection = "promotions";
constexpr std::size_t kMaxHistory = 20;
constexpr int kMaxCasAttempts = 8;
const std::set<std::string> kAllChecks{"filename", "sha256",   "record",        "paths",
                                       "pth",      "metadata", "version_policy"};

// Statuses after which the same file set is not decided again ("failed" = DevPI refused the
// push, e.g. acl_upload: the next event for the version, or POST /promotions/retry, tries again).
bool settled(const std::string& status) {
    return status == "promoted" || status == "already_promoted" || status == "rejected" ||
           status == "waiting";
}

json outcome_json(const CheckOutcome& outcome) {
    return {{"check", outcome.check}, {"passed", outcome.passed}, {"detail", outcome.detail}};
}

Result<std::vector<std::string>> string_list(const json& params, const char* key) {
    std::vector<std::string> values;
    if (!params.contains(key)) {
        return values;
    }
    const auto& list = params[key];
    if (!list.is_array()) {
        return Error{ErrorCode::kInvalidInput, std::string("promote.") + key + ": expected a list"};
    }
    for (const auto& item : list) {
        if (!item.is_string()) {
            return Error{ErrorCode::kInvalidInput,
                         std::string("promote.") + key + ": expected strings"};
        }
        values.push_back(item.get<std::string>());
    }
    return values;
}

std::string decision_key(const Event& event, const std::string& target) {
    return event.project + "|" + normalize_project_name(event.repository) + "|" + event.version +
           "|" + target;
}

}  // namespace

Result<PromoteOptions> promote_options(const json& params) {
    PromoteOptions options;
    for (const auto& [key, value] : params.items()) {
        static const std::set<std::string> kKeys{"target", "checks", "pth_allow", "version_policy",
                                                 "require_files"};
        if (!kKeys.contains(key)) {
            return Error{ErrorCode::kInvalidInput, "promote." + key + ": unknown key"};
        }
    }
    options.target = params.value("target", "");
    const auto slash = options.target.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == options.target.size() ||
        options.target.find('/', slash + 1) != std::string::npos) {
        return Error{ErrorCode::kInvalidInput, "promote.target: required, as user/index"};
    }
    auto checks = string_list(params, "checks");
    if (!checks) {
        return checks.error();
    }
    options.checks = params.contains("checks")
                         ? std::set<std::string>(checks->begin(), checks->end())
                         : kAllChecks;
    for (const auto& check : options.checks) {
        if (!kAllChecks.contains(check)) {
            return Error{ErrorCode::kInvalidInput,
                         "promote.checks: unknown check " + check +
                             " (filename, sha256, record, paths, pth, metadata, version_policy)"};
        }
    }
    auto pth = string_list(params, "pth_allow");
    auto required = string_list(params, "require_files");
    if (!pth || !required) {
        return !pth ? pth.error() : required.error();
    }
    options.pth_allow = std::move(*pth);
    options.require_files = std::move(*required);
    if (params.contains("version_policy")) {
        const auto& policy = params["version_policy"];
        if (!policy.is_object()) {
            return Error{ErrorCode::kInvalidInput, "promote.version_policy: expected a map"};
        }
        for (const auto& [key, value] : policy.items()) {
            if (!value.is_boolean()) {
                return Error{ErrorCode::kInvalidInput,
                             "promote.version_policy." + key + ": expected true or false"};
            }
            if (key == "allow_dev") {
                options.version_policy.allow_dev = value.get<bool>();
            } else if (key == "allow_local") {
                options.version_policy.allow_local = value.get<bool>();
            } else if (key == "allow_pre") {
                options.version_policy.allow_pre = value.get<bool>();
            } else if (key == "allow_post") {
                options.version_policy.allow_post = value.get<bool>();
            } else {
                return Error{ErrorCode::kInvalidInput,
                             "promote.version_policy." + key + ": unknown key"};
            }
        }
    }
    return options;
}

Promoter::Promoter(DevpiClient& devpi, common::Store& store, const common::Clock& clock,
                   std::filesystem::path work_dir, common::Retention* retention)
    : devpi_(devpi),
      store_(store),
      clock_(clock),
      work_dir_(std::move(work_dir)),
      retention_(retention) {}

common::RetentionRule Promoter::retention_rule() {
    return common::rule_by_field(std::string(kCollection), "decided_at", [](const json& body) {
        return body.value("status", "") != "waiting";
    });
}

Status Promoter::record(const std::string& key, json decision) {
    decision["decided_at"] = common::format_utc(clock_.now());
    for (int attempt = 0; attempt < kMaxCasAttempts; ++attempt) {
        auto existing = store_.get(kCollection, key);
        if (!existing && existing.error().code != ErrorCode::kNotFound) {
            return existing.error();
        }
        json history = json::array();
        if (existing && existing->body.contains("history")) {
            history = existing->body["history"];
        }
        history.push_back({{"status", decision["status"]},
                           {"decided_at", decision["decided_at"]},
                           {"fingerprint", decision["fingerprint"]},
                           {"event", decision["event"]},
                           {"reasons", decision["reasons"]}});
        while (history.size() > kMaxHistory) {
            history.erase(history.begin());
        }
        decision["history"] = std::move(history);
        const bool waiting = decision.value("status", "") == "waiting";
        auto written =
            store_.compare_and_set(kCollection, key, existing ? existing->version : 0, decision);
        if (written) {
            if (!waiting) {
                common::track_finished(retention_, kCollection, key, clock_.now());
            }
            return {};
        }
        if (written.error().code != ErrorCode::kConflict &&
            written.error().code != ErrorCode::kNotFound) {
            return written.error();
        }
    }
    return Error{ErrorCode::kConflict, "too many concurrent decisions for " + key};
}

Result<json> Promoter::check_file(const PromoteOptions& options, const Event& event,
                                  const ReleaseFile& file, bool& passed) {
    json checks = json::array();
    const auto add = [&](const CheckOutcome& outcome) {
        passed = passed && outcome.passed;
        checks.push_back(outcome_json(outcome));
    };
    const auto enabled = [&](const char* check) { return options.checks.contains(check); };
    auto dist = parse_distribution_filename(file.filename);
    if (enabled("filename")) {
        add(check_filename(file.filename, event.repository, event.version));
    }
    const bool content = enabled("sha256") || enabled("record") || enabled("paths") ||
                         enabled("pth") || enabled("metadata");
    if (!content) {
        return checks;
    }
    if (!dist) {
        add({"archive", false, "not a wheel or sdist name: " + dist.error().message});
        return checks;
    }
    static std::atomic<std::uint64_t> sequence{0};
    std::error_code ignored;
    std::filesystem::create_directories(work_dir_, ignored);
    const auto path = work_dir_ / ("promote-" + std::to_string(::getpid()) + "-" +
                                   std::to_string(sequence.fetch_add(1)) + ".part");
    auto sha256 = devpi_.download(file, path);
    if (!sha256) {
        if (sha256.error().code == ErrorCode::kTooLarge) {
            add({"archive", false, sha256.error().message});
            return checks;
        }
        return sha256.error();  // DevPI down or the file went away: retry the event
    }
    struct Remove {
        std::filesystem::path path;
        ~Remove() {
            std::error_code ignored;
            std::filesystem::remove(path, ignored);
        }
    } remove{path};
    if (enabled("sha256")) {
        if (file.sha256.empty()) {
            add({"sha256", false, "the index lists no sha256 for " + file.filename});
        } else if (file.sha256 != *sha256) {
            add({"sha256", false,
                 "downloaded sha256 " + *sha256 + " differs from the index's " + file.sha256});
        } else {
            add({"sha256", true, "sha256 " + *sha256});
        }
    }
    ArchiveCheckSettings archive;
    archive.paths = enabled("paths");
    archive.record = enabled("record");
    archive.pth = enabled("pth");
    archive.metadata = enabled("metadata");
    archive.pth_allow = options.pth_allow;
    if (archive.paths || archive.record || archive.pth || archive.metadata) {
        for (const auto& outcome : check_distribution_archive(path, *dist, archive)) {
            add(outcome);
        }
    }
    return checks;
}

ActionResult Promoter::promote(const PromoteOptions& options, const Event& event,
                               const std::string& job_id) {
    if (event.source != Source::kDevpi || event.version.empty()) {
        return final_failure("promote needs a DevPI upload event");
    }
    const auto& index = event.project;
    const auto key = decision_key(event, options.target);
    std::scoped_lock decision_lock(
        decision_locks_[std::hash<std::string>{}(key) % decision_locks_.size()]);
    auto files = devpi_.version_files(index, event.repository, event.version);
    if (!files) {
        // The upload trigger fires before devpi commits the upload (devpi-api.md §8b): a version
        // not visible yet is retried, as is DevPI being down.
        return retry_later(Error{files.error().code, "listing " + event.repository + " " +
                                                         event.version + " on " + index + ": " +
                                                         files.error().message});
    }
    if (files->empty()) {
        return retry_later(Error{ErrorCode::kNotFound, "no release files for " + event.repository +
                                                           " " + event.version + " on " + index +
                                                           " yet"});
    }
    const auto print = files_fingerprint(*files);
    auto existing = store_.get(kCollection, key);
    if (!existing && existing.error().code != ErrorCode::kNotFound) {
        return retry_later(existing.error());
    }
    if (existing && existing->body.value("fingerprint", "") == print &&
        settled(existing->body.value("status", ""))) {
        ActionResult already;
        already.detail = "already decided for these files: " + existing->body.value("status", "");
        return already;
    }
    json decision{{"index", index},           {"project", event.repository},
                  {"version", event.version}, {"target", options.target},
                  {"fingerprint", print},     {"event", job_id}};
    json reasons = json::array();
    // Wait for every required file (e.g. one wheel per platform).
    for (const auto& pattern : options.require_files) {
        const bool present = std::any_of(files->begin(), files->end(), [&](const auto& file) {
            return fnmatch(pattern.c_str(), file.filename.c_str(), 0) == 0;
        });
        if (!present) {
            reasons.push_back("waiting for a file matching " + pattern);
        }
    }
    json file_results = json::array();
    for (const auto& file : *files) {
        file_results.push_back({{"filename", file.filename}, {"sha256", file.sha256}});
    }
    if (!reasons.empty()) {
        decision["status"] = "waiting";
        decision["reasons"] = std::move(reasons);
        decision["files"] = std::move(file_results);
        if (auto stored = record(key, decision); !stored) {
            return retry_later(stored.error());
        }
        ActionResult waiting;
        waiting.detail = "waiting for files";
        return waiting;
    }
    bool passed = true;
    if (options.checks.contains("version_policy")) {
        const auto outcome = check_version_policy(event.version, options.version_policy);
        decision["version_check"] = outcome_json(outcome);
        if (!outcome.passed) {
            passed = false;
            reasons.push_back("version_policy: " + outcome.detail);
        }
    }
    file_results = json::array();
    for (const auto& file : *files) {
        bool file_passed = true;
        auto checks = check_file(options, event, file, file_passed);
        if (!checks) {
            return retry_later(checks.error());
        }
        for (const auto& check : *checks) {
            if (!check["passed"].get<bool>()) {
                reasons.push_back(file.filename + ": " + check["check"].get<std::string>() + ": " +
                                  check["detail"].get<std::string>());
            }
        }
        passed = passed && file_passed;
        file_results.push_back(
            {{"filename", file.filename}, {"sha256", file.sha256}, {"checks", std::move(*checks)}});
    }
    decision["files"] = std::move(file_results);
    if (!passed) {
        decision["status"] = "rejected";
        decision["reasons"] = reasons;
        if (auto stored = record(key, decision); !stored) {
            return retry_later(stored.error());
        }
        common::log::warn("promotion rejected", {{"index", index},
                                                 {"project", event.repository},
                                                 {"version", event.version},
                                                 {"reasons", reasons.dump()}});
        return final_failure("promotion of " + event.repository + " " + event.version +
                             " rejected: " + reasons.dump());
    }
    auto pushed = push(options, event, *files, decision);
    if (pushed.retryable) {
        return pushed;
    }
    if (auto stored = record(key, decision); !stored) {
        return retry_later(stored.error());
    }
    common::log::info("promotion decided", {{"index", index},
                                            {"project", event.repository},
                                            {"version", event.version},
                                            {"target", options.target},
                                            {"status", decision["status"].get<std::string>()}});
    return pushed;
}

ActionResult Promoter::push(const PromoteOptions& options, const Event& event,
                            const std::vector<ReleaseFile>& files, json& decision) {
    auto answer = devpi_.push(event.project, event.repository, event.version, options.target);
    if (!answer) {
        return retry_later(answer.error());
    }
    const auto failed = [&](const std::string& reason) {
        decision["status"] = "failed";
        decision["reasons"] = json::array({reason});
        decision["push_status"] = answer->status;
        return final_failure("promotion of " + event.repository + " " + event.version + ": " +
                             reason);
    };
    switch (answer->status) {
        case 200: {
            decision["status"] = "promoted";
            decision["reasons"] = json::array();
            decision["push_status"] = 200;
            decision["actionlog"] = answer->result;
            ActionResult ok;
            ok.detail = "promoted to " + options.target;
            return ok;
        }
        case 409: {
            // Non-volatile target with the release already there: promoted before (our answer
            // was lost, or someone else pushed) when every staging file is there, same hash.
            auto there = devpi_.version_files(options.target, event.repository, event.version);
            if (!there) {
                return retry_later(there.error());
            }
            std::vector<std::string> differences;
            for (const auto& file : files) {
                const auto match = std::find_if(there->begin(), there->end(), [&](const auto& t) {
                    return t.filename == file.filename;
                });
                if (match == there->end()) {
                    differences.push_back(file.filename + " is not on " + options.target);
                } else if (match->sha256 != file.sha256) {
                    differences.push_back(file.filename + " on " + options.target +
                                          " has a different sha256");
                }
            }
            if (differences.empty()) {
                decision["status"] = "already_promoted";
                decision["reasons"] = json::array();
                decision["push_status"] = 409;
                ActionResult ok;
                ok.detail = "already on " + options.target + " with the same hashes";
                return ok;
            }
            std::string joined;
            for (const auto& difference : differences) {
                joined += (joined.empty() ? "" : "; ") + difference;
            }
            return failed("the non-volatile target refused the push (409): " + joined);
        }
        case 401:
        case 403:
            return failed("DevPI refused the push (" + std::to_string(answer->status) +
                          "): the promotion user must be in acl_upload of " + options.target +
                          " (" + answer->message + ")");
        case 404: return failed("DevPI: no index " + options.target + " (" + answer->message + ")");
        default:
            if (retryable_status(answer->status)) {
                return retry_later(Error{ErrorCode::kUpstream, "DevPI push answered " +
                                                                   std::to_string(answer->status) +
                                                                   ": " + answer->message});
            }
            return failed("DevPI refused the push (" + std::to_string(answer->status) +
                          "): " + answer->message);
    }
}

Result<json> Promoter::list(const std::string& index, const std::string& project,
                            const std::string& status, const std::string& cursor,
                            std::size_t limit) {
    json items = json::array();
    std::string next = cursor;
    const auto wanted_project = normalize_project_name(project);
    // Scan pages until `limit` matches or the end; a filter that matches little still answers
    // in bounded work (at most 20 pages per call, the cursor says where to go on).
    for (int page_count = 0; page_count < 20 && items.size() < limit; ++page_count) {
        auto page = store_.scan(kCollection, next, 100);
        if (!page) {
            return page.error();
        }
        for (const auto& document : page->documents) {
            const auto& body = document.body;
            next = common::Store::cursor_after(document.id);
            if ((!index.empty() && body.value("index", "") != index) ||
                (!project.empty() &&
                 normalize_project_name(body.value("project", "")) != wanted_project) ||
                (!status.empty() && body.value("status", "") != status)) {
                continue;
            }
            items.push_back(body);
            if (items.size() >= limit) {
                break;
            }
        }
        if (page->next_cursor.empty()) {
            if (items.size() < limit) {
                next.clear();
            }
            break;
        }
    }
    return json{{"promotions", std::move(items)}, {"next_cursor", next}};
}

}  // namespace aiops::webhook
