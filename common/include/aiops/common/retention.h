#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "aiops/common/clock.h"
#include "aiops/common/config.h"
#include "aiops/common/metrics.h"
#include "aiops/common/result.h"
#include "aiops/common/storage.h"

// Retention of finished records (scans, webhook results, preheat jobs, ...): without it the Store
// grows with traffic for ever. A service tells track() when a document finished; the sweeper
// erases it `keep` later.
//
// Finding what expired must not read every document (a scan report is tens of KB), so track()
// writes a small marker into the `retention_index` collection whose id sorts by time:
//   "<finished, epoch seconds, 12 digits>|<collection>|<document id>"
// A sweep pages the markers from the start and stops at the first one newer than now - keep: it
// reads only what expired plus one page. Before erasing, it re-reads the document and asks the
// collection's rule when the document finished *now*: a document finished again later (a
// re-decided promotion, a re-run job) or back in progress is kept and only the stale marker goes
// (the later finish wrote its own). Markers of erased or missing documents are dropped. A rule
// may name dependents: documents erased with the one it expires, so only the parent needs a
// marker.
//
// A crash between the write that finished a document and track() leaves that one document
// untracked (kept for ever, never lost); track() failures are logged and counted, not fatal.
namespace aiops::common {

inline constexpr std::string_view kRetentionIndex = "retention_index";

struct RetentionSettings {
    std::chrono::seconds keep{
        std::chrono::hours(24 * 30)};          // 0 = keep everything (tracking and sweeps off)
    std::chrono::seconds interval{3600};       // between sweeps
    std::size_t max_erase_per_sweep = 10'000;  // markers handled per sweep; the next continues
};

// retention.keep_days (30; 0 = off), retention.interval_s (3600), retention.max_erase_per_sweep.
RetentionSettings retention_settings_from_config(Config& config);

struct DocumentRef {
    std::string collection;
    std::string id;
};

struct RetentionRule {
    std::string collection;
    // When the document finished, read from its body; nullopt while it is still in progress
    // (such documents are never erased).
    std::function<std::optional<std::chrono::system_clock::time_point>(const nlohmann::json&)>
        finished_at;
    // Optional: documents that live and die with this one (a webhook event's per-step records),
    // read from its id and body. They are erased first, so a crash between leaves the parent
    // and its marker and the next sweep finishes the job; they need no markers of their own.
    std::function<std::vector<DocumentRef>(const std::string& id, const nlohmann::json& body)>
        dependents{};
};

// A finished_at reader for a field holding RFC 3339 UTC text (format_utc) or epoch seconds; with
// `settled`, only documents it accepts count as finished.
RetentionRule rule_by_field(std::string collection, std::string field,
                            std::function<bool(const nlohmann::json&)> settled = {});

struct SweepResult {
    std::size_t erased = 0;  // documents the markers named (their dependents not counted)
    std::size_t kept = 0;    // markers dropped without erasing: finished later, busy or gone
    bool more = false;       // stopped at max_erase_per_sweep with expired markers left
};

class Retention {
public:
    // Metrics: aiops_retention_erased_total{collection}, aiops_retention_sweeps_total{outcome},
    // aiops_retention_track_failures_total{collection}. `store`, `clock` and `metrics` must
    // outlive this object.
    Retention(Store& store, const Clock& clock, Metrics& metrics, RetentionSettings settings,
              std::vector<RetentionRule> rules);
    ~Retention();  // stop()
    Retention(const Retention&) = delete;
    Retention& operator=(const Retention&) = delete;

    bool enabled() const { return settings_.keep.count() > 0; }

    // Records that collection/id finished at `at`. A no-op when retention is off; errors are
    // logged and counted (the document stays, untracked) and also returned for tests.
    Status track(std::string_view collection, std::string_view id,
                 std::chrono::system_clock::time_point at);

    // One sweep on the calling thread (what the background thread runs each interval).
    Result<SweepResult> sweep_once();

    void start();  // background sweeps: one shortly after start, then every interval
    void stop();   // wakes and joins the thread; a sweep in progress finishes its current page

private:
    void loop();
    const RetentionRule* rule_for(std::string_view collection) const;
    // Erases one expired marker's document if it is still finished before `cutoff`.
    Result<bool> expire(const std::string& collection, const std::string& id,
                        std::chrono::system_clock::time_point cutoff);

    Store& store_;
    const Clock& clock_;
    RetentionSettings settings_;
    std::vector<RetentionRule> rules_;
    Counter& erased_;
    Counter& sweeps_;
    Counter& track_failures_;
    std::mutex mutex_;  // guards stopping_
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

// For components whose Retention is optional (null where nothing expires, e.g. unit tests):
// track() when there is one. Failures are logged and counted by track() itself.
void track_finished(Retention* retention, std::string_view collection, std::string_view id,
                    std::chrono::system_clock::time_point at);

}  // namespace aiops::common
