#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

// C2/C3: logic reads time only through this interface, so tests drive it with a fake clock and
// never sleep. Wall-clock time (not steady_clock) because storage persists timestamps and shares
// them between processes and replicas.
namespace aiops::common {

struct Clock {
    virtual ~Clock() = default;
    virtual std::chrono::system_clock::time_point now() const = 0;
};

// The real clock; main() creates one and passes it by reference.
struct SystemClock final : Clock {
    std::chrono::system_clock::time_point now() const override {
        return std::chrono::system_clock::now();
    }
};

// RFC 3339 UTC with whole seconds: "2026-11-25T14:38:04Z".
std::string format_utc(std::chrono::system_clock::time_point time);
// The inverse of format_utc: exactly "YYYY-MM-DDTHH:MM:SSZ", else nullopt.
std::optional<std::chrono::system_clock::time_point> parse_utc(std::string_view text);

}  // namespace aiops::common
