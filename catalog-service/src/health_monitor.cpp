#include "health_monitor.h"

#include <algorithm>
#include <atomic>

#include "aiops/common/log.h"

namespace aiops::catalog {

HealthMonitor::HealthMonitor(HealthMonitorSettings settings, ListIds list_ids, CheckOne check_one)
    : settings_(settings), list_ids_(std::move(list_ids)), check_one_(std::move(check_one)) {}

HealthMonitor::~HealthMonitor() { stop(); }

void HealthMonitor::start() {
    if (settings_.interval.count() <= 0 || thread_.joinable()) {
        return;
    }
    thread_ = std::thread([this] { loop(); });
}

void HealthMonitor::stop() {
    {
        std::scoped_lock lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
}

common::Result<std::size_t> HealthMonitor::run_round() {
    auto ids = list_ids_();
    if (!ids) {
        return ids.error();
    }
    std::atomic<std::size_t> next{0};
    const auto work = [&] {
        for (auto idx = next.fetch_add(1); idx < ids.value().size(); idx = next.fetch_add(1)) {
            check_one_(ids.value()[idx]);
        }
    };
    const auto helpers = std::min(settings_.concurrency, ids.value().size());
    std::vector<std::thread> threads;
    for (std::size_t idx = 1; idx < helpers; ++idx) {
        threads.emplace_back(work);
    }
    work();
    for (auto& thread : threads) {
        thread.join();
    }
    return ids.value().size();
}

void HealthMonitor::loop() {
    while (true) {
        const auto checked = run_round();
        if (!checked) {
            common::log::warn("health round failed", {{"error", checked.error().message}});
        } else {
            common::log::info("health round done", {{"registries", checked.value()}});
        }
        std::unique_lock lock(mutex_);
        if (wake_.wait_for(lock, settings_.interval, [this] { return stopping_; })) {
            return;
        }
    }
}

}  // namespace aiops::catalog
