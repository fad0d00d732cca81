#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "aiops/common/metrics.h"
#include "aiops/common/result.h"
#include "aiops/common/storage.h"
#include "devpi_client.h"
#include "event.h"

// The DevPI reconciliation poller (devpi-api.md §8c): the upload trigger can be missing, fail,
// fire before the upload is committed, and never fires on push. Every `interval` the poller reads
// X-Devpi-Serial (GET /+api, cheap); when it moved since the last pass it diffs each configured
// index's projects → versions → release files (JSON API) against what it stored, and emits one
// UPLOAD event per version whose file set changed. The event key carries the file set's
// fingerprint, so a version is emitted once per file set however often it is polled, and the
// promotion's decision record makes the hook's event and the poller's one decide once.
//
// State in the Store (resumes after a restart): "devpi_poll" <index> → {serial} once the index
// has been diffed completely at that serial; "devpi_poll_files" <index>|<project> →
// {versions: {version: fingerprint}}. An index seen for the first time is a baseline: its
// existing versions are remembered, not emitted (unless emit_existing).
namespace aiops::webhook {

struct PollerSettings {
    std::vector<std::string> indexes{};  // "user/index"
    std::chrono::milliseconds interval{30000};
    bool emit_existing = false;
    std::size_t max_projects = 10000;  // per index and pass
};

class DevpiPoller {
public:
    using Accept = std::function<common::Result<bool>(const Event&)>;
    DevpiPoller(PollerSettings settings, DevpiClient& devpi, common::Store& store, Accept accept,
                common::Metrics& metrics);
    ~DevpiPoller();
    DevpiPoller(const DevpiPoller&) = delete;
    DevpiPoller& operator=(const DevpiPoller&) = delete;

    void start();
    void stop();
    // Poll soon (the upload trigger fired for `index`): the next pass diffs it even when the
    // serial did not move yet, and again one interval later.
    void nudge();
    // One pass over every index; the number of events emitted.
    common::Result<std::size_t> poll_once(bool force);

private:
    void loop();
    common::Result<std::size_t> poll_index(const std::string& index, std::int64_t serial,
                                           bool force);

    PollerSettings settings_;
    DevpiClient& devpi_;
    common::Store& store_;
    Accept accept_;
    common::Counter& polls_;
    common::Counter& emitted_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;  // guarded by mutex_
    bool nudged_ = false;    // guarded by mutex_
    std::thread thread_;
};

}  // namespace aiops::webhook
