#define BOOST_TEST_MODULE common_metrics
#include "aiops/common/metrics.h"

#include <boost/test/unit_test.hpp>
#include <limits>
#include <stdexcept>

using aiops::common::escape_label_value;
using aiops::common::format_metric_value;
using aiops::common::Metrics;

namespace {

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(metrics)

BOOST_AUTO_TEST_CASE(wrong_number_of_label_values_is_rejected) {
    Metrics metrics;
    auto& counter = metrics.counter("jobs_total", "Jobs", {"kind"});

    BOOST_CHECK_THROW(counter.inc({}), std::invalid_argument);
    BOOST_CHECK_THROW(counter.inc({"a", "b"}), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(invalid_names_and_type_clashes_are_rejected) {
    Metrics metrics;
    (void)metrics.counter("jobs_total", "Jobs");

    BOOST_CHECK_THROW(metrics.gauge("jobs_total", "Jobs"), std::invalid_argument);
    BOOST_CHECK_THROW(metrics.counter("9lives", "x"), std::invalid_argument);
    BOOST_CHECK_THROW(metrics.counter("ok_total", "x", {"bad-label"}), std::invalid_argument);
    BOOST_CHECK_THROW(metrics.counter("jobs_total", "Jobs").inc({}, -1.0), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(label_values_escape_backslash_quote_and_newline) {
    BOOST_TEST(escape_label_value("a\"b\\c\nd") == "a\\\"b\\\\c\\nd");

    Metrics metrics;
    metrics.counter("odd_total", "Odd labels", {"path"}).inc({"/x\"y\n"});

    BOOST_TEST(contains(metrics.render(), "odd_total{path=\"/x\\\"y\\n\"} 1\n"));
}

BOOST_AUTO_TEST_CASE(special_values_use_prometheus_spelling) {
    BOOST_TEST(format_metric_value(std::numeric_limits<double>::infinity()) == "+Inf");
    BOOST_TEST(format_metric_value(-std::numeric_limits<double>::infinity()) == "-Inf");
    BOOST_TEST(format_metric_value(std::numeric_limits<double>::quiet_NaN()) == "NaN");
    BOOST_TEST(format_metric_value(3.0) == "3");
    BOOST_TEST(format_metric_value(0.25) == "0.25");
}

BOOST_AUTO_TEST_CASE(counter_renders_help_type_and_one_line_per_label_set) {
    Metrics metrics;
    auto& counter = metrics.counter("http_requests_total", "Requests\nanswered", {"route", "code"});

    counter.inc({"/a", "200"});
    counter.inc({"/a", "200"});
    counter.inc({"/b", "404"}, 0.5);

    const auto text = metrics.render();
    BOOST_TEST(contains(text, "# HELP http_requests_total Requests\\nanswered\n"));
    BOOST_TEST(contains(text, "# TYPE http_requests_total counter\n"));
    BOOST_TEST(contains(text, "http_requests_total{route=\"/a\",code=\"200\"} 2\n"));
    BOOST_TEST(contains(text, "http_requests_total{route=\"/b\",code=\"404\"} 0.5\n"));
    BOOST_TEST(counter.value({"/a", "200"}) == 2.0);
}

BOOST_AUTO_TEST_CASE(gauge_goes_up_and_down) {
    Metrics metrics;
    auto& gauge = metrics.gauge("queue_depth", "Queued jobs");

    gauge.add({}, 5);
    gauge.add({}, -2);

    BOOST_TEST(gauge.value() == 3.0);
    BOOST_TEST(contains(metrics.render(), "# TYPE queue_depth gauge\nqueue_depth 3\n"));
}

BOOST_AUTO_TEST_CASE(histogram_buckets_are_cumulative_with_sum_and_count) {
    Metrics metrics;
    auto& histogram = metrics.histogram("op_seconds", "Op time", {"op"}, {0.1, 1.0});

    histogram.observe({"get"}, 0.05);
    histogram.observe({"get"}, 0.1);  // le is inclusive
    histogram.observe({"get"}, 0.5);
    histogram.observe({"get"}, 7.0);

    const auto text = metrics.render();
    BOOST_TEST(contains(text, "# TYPE op_seconds histogram\n"));
    BOOST_TEST(contains(text, "op_seconds_bucket{op=\"get\",le=\"0.1\"} 2\n"));
    BOOST_TEST(contains(text, "op_seconds_bucket{op=\"get\",le=\"1\"} 3\n"));
    BOOST_TEST(contains(text, "op_seconds_bucket{op=\"get\",le=\"+Inf\"} 4\n"));
    BOOST_TEST(contains(text, "op_seconds_sum{op=\"get\"} 7.65\n"));
    BOOST_TEST(contains(text, "op_seconds_count{op=\"get\"} 4\n"));
    BOOST_TEST(histogram.count({"get"}) == 4U);
}

BOOST_AUTO_TEST_CASE(registering_a_name_again_returns_the_same_family) {
    Metrics metrics;
    auto& first = metrics.counter("jobs_total", "Jobs");

    auto& second = metrics.counter("jobs_total", "Jobs");

    BOOST_TEST(&first == &second);
}

BOOST_AUTO_TEST_SUITE_END()
