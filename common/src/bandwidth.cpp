#include "aiops/common/bandwidth.h"

#include <algorithm>
#include <thread>

namespace aiops::common {

BandwidthLimiter::BandwidthLimiter(std::uint64_t bytes_per_second, Now now, Sleep sleep)
    : rate_(bytes_per_second), now_(std::move(now)), sleep_(std::move(sleep)) {}

BandwidthLimiter::BandwidthLimiter(std::uint64_t bytes_per_second)
    : BandwidthLimiter(
          bytes_per_second, [] { return std::chrono::steady_clock::now(); },
          [](std::chrono::nanoseconds wait) { std::this_thread::sleep_for(wait); }) {}

void BandwidthLimiter::consume(std::size_t bytes) {
    if (rate_ == 0 || bytes == 0) {
        return;
    }
    const auto cost = std::chrono::nanoseconds(
        static_cast<std::int64_t>(static_cast<double>(bytes) * 1e9 / static_cast<double>(rate_)));
    std::chrono::steady_clock::time_point now;
    std::chrono::steady_clock::time_point until;
    {
        const std::lock_guard lock(mutex_);
        now = now_();
        next_free_ = std::max(next_free_, now - std::chrono::seconds(1)) + cost;
        until = next_free_;
    }
    if (until > now) {
        sleep_(until - now);
    }
}

}  // namespace aiops::common
