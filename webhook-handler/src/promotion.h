#pragma once

#include <array>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "action.h"
#include "aiops/common/clock.h"
#include "aiops/common/result.h"
#include "aiops/common/retention.h"
#include "aiops/common/storage.h"
#include "devpi_client.h"
#include "event.h"
#include "package_checks.h"

// The `promote` action: a version that landed on a staging index is checked file by file and
// pushed to the release index with DevPI's push (shared/reference/devpi-api.md §5–§6). Every
// decision is stored in the collection "promotions" under <index>|<project>|<version>|<target>
// with its check results, so GET /promotions shows why a version was (not) promoted.
//
// Idempotent by construction: a decision remembers the version's file set (filename + sha256);
// an event for an already decided file set (the upload hook and the serial poller both saw the
// upload, a redelivery, a replay) changes nothing. A push whose answer was lost is pushed again:
// the 409 of a non-volatile target is then checked file by file — same hashes = already
// promoted, never twice.
namespace aiops::webhook {

struct PromoteOptions {
    std::string target{};  // "user/index"
    // filename, sha256, record, paths, pth, metadata, version_policy (default: all)
    std::set<std::string> checks{};
    std::vector<std::string> pth_allow{};
    VersionPolicy version_policy{};
    // Wait until each glob matches a file of the version (e.g. every platform wheel); until
    // then the decision is "waiting" and the next upload of that version decides again.
    std::vector<std::string> require_files{};
};

// The action's parameters from the rules file; errors name the key.
common::Result<PromoteOptions> promote_options(const nlohmann::json& params);

class Promoter {
public:
    // Decisions other than "waiting" are tracked in `retention` (null: kept for ever).
    Promoter(DevpiClient& devpi, common::Store& store, const common::Clock& clock,
             std::filesystem::path work_dir, common::Retention* retention = nullptr);

    // How retention reads a decision: finished at decided_at unless still "waiting".
    static common::RetentionRule retention_rule();

    ActionResult promote(const PromoteOptions& options, const Event& event,
                         const std::string& job_id);

    // GET /promotions: decisions, optionally only for one index/project/status, paged.
    common::Result<nlohmann::json> list(const std::string& index, const std::string& project,
                                        const std::string& status, const std::string& cursor,
                                        std::size_t limit);

private:
    // Records `decision` (status, reasons, files…) with its history; an error = retry later.
    common::Status record(const std::string& key, nlohmann::json decision);
    // Checks one file: downloads it when a content check is on. A retryable error stops.
    common::Result<nlohmann::json> check_file(const PromoteOptions& options, const Event& event,
                                              const ReleaseFile& file, bool& passed);
    ActionResult push(const PromoteOptions& options, const Event& event,
                      const std::vector<ReleaseFile>& files, nlohmann::json& decision);

    DevpiClient& devpi_;
    common::Store& store_;
    const common::Clock& clock_;
    std::filesystem::path work_dir_;
    common::Retention* retention_;
    // One decision at a time per version and target in this process (striped by the decision
    // key's hash): the upload hook's event and the poller's for the same files arrive about a
    // second apart, and deciding both at once would push twice. Replicas can still overlap; the
    // second push then meets DevPI's 409 and records already_promoted.
    std::array<std::mutex, 32> decision_locks_{};
};

}  // namespace aiops::webhook
