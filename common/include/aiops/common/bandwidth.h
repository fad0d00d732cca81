#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>

// A shared byte-rate cap (0 = unlimited): callers report bytes as they pass and are paused long
// enough to keep the long-run rate under the cap. Idle time is banked for at most one second, so
// a burst after a pause stays bounded. Used by the proxy-adapter (Hugging Face downloads) and the
// preheat agent (a node's ingress, so preheating never saturates a GPU node's NIC).
namespace aiops::common {

class BandwidthLimiter {
public:
    using Sleep = std::function<void(std::chrono::nanoseconds)>;
    using Now = std::function<std::chrono::steady_clock::time_point()>;
    BandwidthLimiter(std::uint64_t bytes_per_second, Now now, Sleep sleep);
    // The real clock and std::this_thread::sleep_for.
    explicit BandwidthLimiter(std::uint64_t bytes_per_second);
    void consume(std::size_t bytes);

private:
    std::uint64_t rate_;
    Now now_;
    Sleep sleep_;
    std::mutex mutex_;
    std::chrono::steady_clock::time_point next_free_{};  // when the bytes so far are "paid"
};

}  // namespace aiops::common
