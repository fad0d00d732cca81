#define BOOST_TEST_MODULE common_result
#include "aiops/common/result.h"

#include <boost/test/unit_test.hpp>

using aiops::common::Error;
using aiops::common::ErrorCode;
using aiops::common::Result;

BOOST_AUTO_TEST_SUITE(result)

BOOST_AUTO_TEST_CASE(holds_a_value_or_an_error) {
    Result<int> ok = 42;
    Result<int> failed = Error{ErrorCode::kNotFound, "no such thing"};

    BOOST_TEST(ok.has_value());
    BOOST_TEST(ok.value() == 42);
    BOOST_TEST(!failed);
    BOOST_TEST(failed.error().message == "no such thing");
}

BOOST_AUTO_TEST_CASE(every_code_has_a_stable_wire_name_and_status) {
    BOOST_TEST(aiops::common::wire_name(ErrorCode::kTooLarge) == "too_large");
    BOOST_TEST(aiops::common::http_status(ErrorCode::kTooLarge) == 413);
    BOOST_TEST(aiops::common::wire_name(ErrorCode::kInvalidInput) == "invalid_input");
    BOOST_TEST(aiops::common::http_status(ErrorCode::kUnauthorized) == 401);
    BOOST_TEST(aiops::common::http_status(ErrorCode::kForbidden) == 403);
    BOOST_TEST(aiops::common::http_status(ErrorCode::kConflict) == 409);
    BOOST_TEST(aiops::common::http_status(ErrorCode::kBlockedUrl) == 400);
    BOOST_TEST(aiops::common::wire_name(ErrorCode::kBlockedUrl) == "blocked_url");
}

BOOST_AUTO_TEST_CASE(void_result_is_ok_by_default) {
    aiops::common::Status ok;
    aiops::common::Status failed = Error{ErrorCode::kInternal, "boom"};

    BOOST_TEST(ok.has_value());
    BOOST_TEST(!failed.has_value());
    BOOST_TEST(failed.error().message == "boom");
}

BOOST_AUTO_TEST_SUITE_END()
