#define BOOST_TEST_MODULE common_json
#include "aiops/common/json.h"

#include <boost/test/unit_test.hpp>
#include <string>

using aiops::common::ErrorCode;
using aiops::common::parse_json;

BOOST_AUTO_TEST_SUITE(json)

BOOST_AUTO_TEST_CASE(rejects_nesting_deeper_than_the_limit) {
    const std::string deep = std::string(100, '[') + std::string(100, ']');

    auto parsed = parse_json(deep, {.max_bytes = 1000, .max_depth = 32});

    BOOST_REQUIRE(!parsed);
    BOOST_TEST(parsed.error().code == ErrorCode::kInvalidInput);
}

BOOST_AUTO_TEST_CASE(rejects_oversize_bodies) {
    auto parsed = parse_json(std::string(2000, ' '), {.max_bytes = 1000, .max_depth = 32});

    BOOST_REQUIRE(!parsed);
    BOOST_TEST(parsed.error().code == ErrorCode::kTooLarge);
}

BOOST_AUTO_TEST_CASE(brackets_inside_strings_do_not_count) {
    BOOST_TEST(aiops::common::json_nesting_depth(R"({"a":"[[[[\"[[[["})", 10) == 1);
}

BOOST_AUTO_TEST_CASE(malformed_json_is_invalid_input) {
    auto parsed = parse_json("{\"a\":");
    BOOST_REQUIRE(!parsed);
    BOOST_TEST(parsed.error().code == ErrorCode::kInvalidInput);
}

BOOST_AUTO_TEST_CASE(parses_valid_json) {
    auto parsed = parse_json(R"({"a":[1,2,3]})");
    BOOST_REQUIRE(parsed);
    BOOST_TEST(parsed.value()["a"].size() == 3U);
}

BOOST_AUTO_TEST_SUITE_END()
