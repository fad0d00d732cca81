#define BOOST_TEST_MODULE common_http_retry
#include <boost/test/unit_test.hpp>

#include "aiops/common/http_client.h"

using namespace std::chrono_literals;
using aiops::common::delay_before_attempt;
using aiops::common::parse_retry_after;
using aiops::common::RetryPolicy;
using std::chrono::milliseconds;

namespace {

// 2024-03-01T12:00:00Z
const auto kNow = std::chrono::system_clock::from_time_t(1709294400);

RetryPolicy policy() {
    RetryPolicy retry;
    retry.base_delay = 100ms;
    retry.max_delay = 1000ms;
    retry.max_retry_after = 5000ms;
    return retry;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(retry_delay)

BOOST_AUTO_TEST_CASE(first_attempt_has_no_delay) {
    BOOST_TEST(delay_before_attempt(policy(), 1, std::nullopt, 1.0).count() == 0);
    BOOST_TEST(delay_before_attempt(policy(), 0, 3000ms, 1.0).count() == 0);
}

BOOST_AUTO_TEST_CASE(delay_doubles_per_attempt) {
    BOOST_TEST(delay_before_attempt(policy(), 2, std::nullopt, 1.0) == 100ms);
    BOOST_TEST(delay_before_attempt(policy(), 3, std::nullopt, 1.0) == 200ms);
    BOOST_TEST(delay_before_attempt(policy(), 4, std::nullopt, 1.0) == 400ms);
    BOOST_TEST(delay_before_attempt(policy(), 5, std::nullopt, 1.0) == 800ms);
}

BOOST_AUTO_TEST_CASE(delay_is_capped_even_for_huge_attempt_numbers) {
    BOOST_TEST(delay_before_attempt(policy(), 6, std::nullopt, 1.0) == 1000ms);
    BOOST_TEST(delay_before_attempt(policy(), 1000000, std::nullopt, 1.0) == 1000ms);
}

BOOST_AUTO_TEST_CASE(jitter_scales_between_half_and_full) {
    BOOST_TEST(delay_before_attempt(policy(), 4, std::nullopt, 0.5) == 200ms);
    BOOST_TEST(delay_before_attempt(policy(), 4, std::nullopt, 0.75) == 300ms);
    // Out-of-range jitter is clamped into [0.5, 1.0].
    BOOST_TEST(delay_before_attempt(policy(), 4, std::nullopt, 0.0) == 200ms);
    BOOST_TEST(delay_before_attempt(policy(), 4, std::nullopt, 7.0) == 400ms);
}

BOOST_AUTO_TEST_CASE(retry_after_wins_over_backoff_and_is_capped) {
    BOOST_TEST(delay_before_attempt(policy(), 2, 3000ms, 0.5) == 3000ms);
    BOOST_TEST(delay_before_attempt(policy(), 2, 0ms, 1.0) == 0ms);
    BOOST_TEST(delay_before_attempt(policy(), 2, 3600000ms, 1.0) == 5000ms);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(retry_after_header)

BOOST_AUTO_TEST_CASE(garbage_is_ignored) {
    for (const char* value :
         {"", "   ", "soon", "-5", "1.5", "5s", "0x10", "Mon, 99 Foo 2024", "12 34"}) {
        BOOST_TEST(!parse_retry_after(value, kNow).has_value(), "parsed: '" << value << "'");
    }
}

BOOST_AUTO_TEST_CASE(delta_seconds_are_parsed) {
    BOOST_TEST(parse_retry_after("0", kNow).value() == 0ms);
    BOOST_TEST(parse_retry_after(" 120 ", kNow).value() == 120000ms);
}

BOOST_AUTO_TEST_CASE(huge_delta_is_clamped_not_overflowed) {
    const auto delay = parse_retry_after("99999999999999999999999", kNow);

    BOOST_REQUIRE(delay.has_value());
    BOOST_TEST(delay->count() > 0);
}

BOOST_AUTO_TEST_CASE(http_dates_are_relative_to_now) {
    BOOST_TEST(parse_retry_after("Fri, 01 Mar 2024 12:00:30 GMT", kNow).value() == 30000ms);
    BOOST_TEST(parse_retry_after("Friday, 01-Mar-24 12:01:00 GMT", kNow).value() == 60000ms);
    BOOST_TEST(parse_retry_after("Fri Mar  1 12:00:05 2024", kNow).value() == 5000ms);
}

BOOST_AUTO_TEST_CASE(past_date_means_no_wait) {
    BOOST_TEST(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", kNow).value() == 0ms);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(header_names)

BOOST_AUTO_TEST_CASE(lookup_is_case_insensitive) {
    aiops::common::HttpResponse response;
    response.headers.emplace("Content-Type", "application/json");
    response.headers.emplace("docker-content-digest", "sha256:ab");

    BOOST_TEST(response.header("content-type").value() == "application/json");
    BOOST_TEST(response.header("Docker-Content-Digest").value() == "sha256:ab");
    BOOST_TEST(!response.header("location").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
