#define BOOST_TEST_MODULE common_log
#include "aiops/common/log.h"

#include <boost/test/unit_test.hpp>

namespace aiops_log = aiops::common::log;

BOOST_AUTO_TEST_SUITE(logging)

BOOST_AUTO_TEST_CASE(secret_fields_are_redacted_recursively) {
    const nlohmann::json fields = {{"Authorization", "Bearer abc"},
                                   {"request_id", "r1"},
                                   {"upstream", {{"token", "t"}, {"url", "https://x"}}}};

    const auto clean = aiops_log::redact(fields);

    BOOST_TEST(clean["Authorization"] == "[redacted]");
    BOOST_TEST(clean["request_id"] == "r1");
    BOOST_TEST(clean["upstream"]["token"] == "[redacted]");
    BOOST_TEST(clean["upstream"]["url"] == "https://x");
}

BOOST_AUTO_TEST_CASE(levels_parse_case_insensitively) {
    BOOST_TEST(static_cast<int>(aiops_log::parse_level("WARN")) ==
               static_cast<int>(aiops_log::Level::kWarn));
    BOOST_TEST(static_cast<int>(aiops_log::parse_level("nonsense", aiops_log::Level::kError)) ==
               static_cast<int>(aiops_log::Level::kError));
}

BOOST_AUTO_TEST_SUITE_END()
