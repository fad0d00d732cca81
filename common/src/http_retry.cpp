// Pure pieces of http_client.h: header-name ordering, header lookup, retry delays, Retry-After.
#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

#include "aiops/common/http_client.h"

namespace aiops::common {
namespace {

constexpr std::int64_t kMaxRetryAfterSeconds = 1LL << 31;

std::string_view trim(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
        text.remove_prefix(1);
    }
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
        text.remove_suffix(1);
    }
    return text;
}

bool all_digits(std::string_view text) {
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](unsigned char ch) { return std::isdigit(ch); });
}

bool has_letter(std::string_view text) {
    return std::any_of(text.begin(), text.end(), [](unsigned char ch) { return std::isalpha(ch); });
}

}  // namespace

bool CaseInsensitiveLess::operator()(std::string_view lhs, std::string_view rhs) const {
    return std::lexicographical_compare(lhs.begin(), lhs.end(), rhs.begin(), rhs.end(),
                                        [](unsigned char left, unsigned char right) {
                                            return std::tolower(left) < std::tolower(right);
                                        });
}

std::optional<std::string> HttpResponse::header(std::string_view name) const {
    const auto found = headers.find(name);
    if (found == headers.end()) {
        return std::nullopt;
    }
    return found->second;
}

std::chrono::milliseconds delay_before_attempt(const RetryPolicy& policy, int attempt,
                                               std::optional<std::chrono::milliseconds> retry_after,
                                               double jitter) {
    using std::chrono::milliseconds;
    if (attempt < 2) {
        return milliseconds(0);
    }
    if (retry_after) {
        return std::clamp(*retry_after, milliseconds(0), policy.max_retry_after);
    }
    const int doublings = std::min(attempt - 2, 30);
    const double exponential =
        static_cast<double>(policy.base_delay.count()) * std::ldexp(1.0, doublings);
    const double capped = std::min(exponential, static_cast<double>(policy.max_delay.count()));
    const double scaled = capped * std::clamp(jitter, 0.5, 1.0);
    return milliseconds(static_cast<std::int64_t>(std::max(0.0, scaled)));
}

std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now) {
    value = trim(value);
    if (all_digits(value)) {
        std::int64_t seconds = kMaxRetryAfterSeconds;
        const auto* end = value.data() + value.size();
        auto [ptr, ec] = std::from_chars(value.data(), end, seconds);
        if (ec == std::errc::result_out_of_range || seconds > kMaxRetryAfterSeconds) {
            seconds = kMaxRetryAfterSeconds;
        } else if (ec != std::errc() || ptr != end) {
            return std::nullopt;
        }
        return std::chrono::seconds(seconds);
    }
    // An HTTP-date (IMF-fixdate, RFC 850 or asctime): always has a weekday or month name.
    if (!has_letter(value) || value.size() > 64) {
        return std::nullopt;
    }
    const std::string date(value);
    const time_t when = curl_getdate(date.c_str(), nullptr);
    if (when == -1) {
        return std::nullopt;
    }
    const auto delta = std::chrono::system_clock::from_time_t(when) - now;
    return std::max(std::chrono::duration_cast<std::chrono::milliseconds>(delta),
                    std::chrono::milliseconds(0));
}

}  // namespace aiops::common
