#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "aiops/common/result.h"

// Re-checks every registry on an interval with bounded concurrency (issue 3: background checker).
// The per-registry work is a callback (CatalogApi::check_health), so this class only schedules.
namespace aiops::catalog {

struct HealthMonitorSettings {
    std::chrono::seconds interval{300};  // 0 disables the monitor
    std::size_t concurrency = 4;
};

class HealthMonitor {
public:
    using ListIds = std::function<common::Result<std::vector<std::string>>()>;
    using CheckOne = std::function<void(const std::string& id)>;

    HealthMonitor(HealthMonitorSettings settings, ListIds list_ids, CheckOne check_one);
    ~HealthMonitor();  // stop()
    HealthMonitor(const HealthMonitor&) = delete;
    HealthMonitor& operator=(const HealthMonitor&) = delete;

    void start();  // background thread: a round now, then one per interval
    void stop();   // wakes the thread and joins it; a round in progress finishes its checks

    // One round, on the calling thread plus concurrency-1 helpers: number of registries checked.
    common::Result<std::size_t> run_round();

private:
    void loop();

    HealthMonitorSettings settings_;
    ListIds list_ids_;
    CheckOne check_one_;
    std::mutex mutex_;              // guards stopping_
    std::condition_variable wake_;  // signalled by stop()
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace aiops::catalog
