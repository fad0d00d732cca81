#include "aiops/common/clock.h"

#include <cctype>
#include <ctime>

namespace aiops::common {

std::string format_utc(std::chrono::system_clock::time_point time) {
    const auto seconds = std::chrono::system_clock::to_time_t(time);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[32];
    const auto length = std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
    return std::string(text, length);
}

std::optional<std::chrono::system_clock::time_point> parse_utc(std::string_view text) {
    // Positions of the digits in "YYYY-MM-DDTHH:MM:SSZ"; the rest are fixed separators.
    static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:ddZ";
    if (text.size() != kShape.size()) {
        return std::nullopt;
    }
    for (std::size_t index = 0; index < kShape.size(); ++index) {
        const bool digit = std::isdigit(static_cast<unsigned char>(text[index])) != 0;
        if (kShape[index] == 'd' ? !digit : text[index] != kShape[index]) {
            return std::nullopt;
        }
    }
    const auto number = [text](std::size_t from, std::size_t length) {
        int value = 0;
        for (std::size_t index = from; index < from + length; ++index) {
            value = value * 10 + (text[index] - '0');
        }
        return value;
    };
    std::tm utc{};
    utc.tm_year = number(0, 4) - 1900;
    utc.tm_mon = number(5, 2) - 1;
    utc.tm_mday = number(8, 2);
    utc.tm_hour = number(11, 2);
    utc.tm_min = number(14, 2);
    utc.tm_sec = number(17, 2);
    if (utc.tm_mon > 11 || utc.tm_mday < 1 || utc.tm_mday > 31 || utc.tm_hour > 23 ||
        utc.tm_min > 59 || utc.tm_sec > 60) {
        return std::nullopt;
    }
    const std::time_t seconds = timegm(&utc);
    return std::chrono::system_clock::from_time_t(seconds);
}

}  // namespace aiops::common
