#define BOOST_TEST_MODULE common_http_response
#include <boost/test/unit_test.hpp>

#include "aiops/common/config.h"
#include "aiops/common/http_server.h"

namespace common = aiops::common;
using common::ErrorCode;

BOOST_AUTO_TEST_SUITE(http_response)

BOOST_AUTO_TEST_CASE(request_ids_with_bad_characters_or_length_are_invalid) {
    BOOST_TEST(!common::is_valid_request_id(""));
    BOOST_TEST(!common::is_valid_request_id(std::string(129, 'a')));
    BOOST_TEST(!common::is_valid_request_id("abc def"));
    BOOST_TEST(!common::is_valid_request_id("abc\r\nX-Evil: 1"));
    BOOST_TEST(!common::is_valid_request_id("a/b"));
}

BOOST_AUTO_TEST_CASE(request_ids_of_safe_characters_are_valid) {
    BOOST_TEST(common::is_valid_request_id(std::string(128, 'a')));
    BOOST_TEST(common::is_valid_request_id("Req-1.2_3"));
}

BOOST_AUTO_TEST_CASE(generated_request_ids_are_valid_and_distinct) {
    const auto first = common::new_request_id();
    const auto second = common::new_request_id();

    BOOST_TEST(common::is_valid_request_id(first));
    BOOST_TEST(first.size() == 32U);
    BOOST_TEST(first != second);
}

BOOST_AUTO_TEST_CASE(write_error_renders_the_envelope_with_the_mapped_status) {
    httplib::Response res;

    common::write_error(res, {ErrorCode::kTooLarge, "body over 1 KiB"});

    BOOST_TEST(res.status == 413);
    BOOST_TEST(res.get_header_value("Content-Type") == "application/json");
    const auto body = nlohmann::json::parse(res.body);
    BOOST_TEST(body == nlohmann::json::parse(
                           R"({"error":{"code":"too_large","message":"body over 1 KiB"}})"));
}

BOOST_AUTO_TEST_CASE(unauthorized_error_carries_the_bearer_challenge) {
    httplib::Response res;

    common::write_error(res, {ErrorCode::kUnauthorized, "a bearer token is required"});

    BOOST_TEST(res.status == 401);
    BOOST_TEST(res.get_header_value("WWW-Authenticate") == "Bearer realm=\"aiops\"");
    BOOST_TEST(nlohmann::json::parse(res.body)["error"]["code"] == "unauthorized");
}

BOOST_AUTO_TEST_CASE(statuses_map_back_to_error_codes) {
    BOOST_TEST(common::error_code_for_status(404) == ErrorCode::kNotFound);
    BOOST_TEST(common::error_code_for_status(405) == ErrorCode::kMethodNotAllowed);
    BOOST_TEST(common::error_code_for_status(413) == ErrorCode::kTooLarge);
    BOOST_TEST(common::error_code_for_status(418) == ErrorCode::kInvalidInput);
    BOOST_TEST(common::error_code_for_status(599) == ErrorCode::kInternal);
}

BOOST_AUTO_TEST_CASE(server_settings_report_bad_listen_and_half_tls) {
    auto config = common::Config::from_yaml(
        "server:\n  listen: nope\n  workers: 0\n  tls:\n    cert_file: /x.crt\n", {});
    BOOST_REQUIRE(config);

    (void)common::server_settings_from_config(*config);
    const auto status = config->finish();

    BOOST_REQUIRE(!status);
    const auto& message = status.error().message;
    BOOST_TEST(message.find("server.listen") != std::string::npos);
    BOOST_TEST(message.find("server.workers") != std::string::npos);
    BOOST_TEST(message.find("cert_file and key_file must be set together") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(server_settings_read_every_key) {
    auto config = common::Config::from_yaml(
        "server:\n  listen: 0.0.0.0:9443\n  workers: 3\n  read_timeout_ms: 1500\n"
        "  write_timeout_ms: 2500\n  max_body_bytes: 4096\n  shutdown_grace_ms: 700\n"
        "  tls: {cert_file: /c, key_file: /k, client_ca_file: /ca}\n",
        {});
    BOOST_REQUIRE(config);

    const auto settings = common::server_settings_from_config(*config);

    BOOST_TEST(config->finish().has_value());
    BOOST_TEST(settings.host == "0.0.0.0");
    BOOST_TEST(settings.port == 9443);
    BOOST_TEST(settings.workers == 3);
    BOOST_TEST(settings.read_timeout.count() == 1500);
    BOOST_TEST(settings.write_timeout.count() == 2500);
    BOOST_TEST(settings.max_body_bytes == 4096U);
    BOOST_TEST(settings.shutdown_grace.count() == 700);
    BOOST_TEST(settings.tls.client_ca_file == "/ca");
}

BOOST_AUTO_TEST_CASE(server_settings_default_to_loopback_8080) {
    auto config = common::Config::from_yaml("", {});
    BOOST_REQUIRE(config);

    const auto settings = common::server_settings_from_config(*config);

    BOOST_TEST(settings.host == "127.0.0.1");
    BOOST_TEST(settings.port == 8080);
    BOOST_TEST(!settings.tls.enabled());
}

BOOST_AUTO_TEST_CASE(byte_ranges_that_cannot_be_satisfied_are_errors) {
    using aiops::common::ErrorCode;
    for (const char* header : {"bytes=100-", "bytes=5-2", "bytes=-0", "bytes=x-1", "bytes=1-y",
                               "bytes=", "bytes=99999999999999999999-"}) {
        auto range = common::parse_byte_range(header, 100);
        BOOST_TEST_CONTEXT(header) {
            BOOST_REQUIRE(!range.has_value());
            BOOST_TEST(static_cast<int>(range.error().code) ==
                       static_cast<int>(ErrorCode::kRangeNotSatisfiable));
        }
    }
    BOOST_TEST(!common::parse_byte_range("bytes=0-", 0).has_value());
}

BOOST_AUTO_TEST_CASE(byte_ranges_absent_multi_or_other_units_mean_the_whole_entity) {
    for (const char* header : {"", "bytes=0-1,5-6", "items=0-1"}) {
        auto range = common::parse_byte_range(header, 100);
        BOOST_REQUIRE(range.has_value());
        BOOST_TEST(!range->has_value());
    }
}

BOOST_AUTO_TEST_CASE(byte_ranges_are_clipped_to_the_entity) {
    struct Case {
        const char* header;
        std::uint64_t first;
        std::uint64_t last;
    };
    for (const auto& c :
         {Case{"bytes=0-9", 0, 9}, Case{"bytes=90-", 90, 99}, Case{"bytes=90-1000", 90, 99},
          Case{"bytes=-10", 90, 99}, Case{"bytes=-1000", 0, 99}, Case{"bytes=99-99", 99, 99}}) {
        auto range = common::parse_byte_range(c.header, 100);
        BOOST_TEST_CONTEXT(c.header) {
            BOOST_REQUIRE(range.has_value());
            BOOST_REQUIRE(range->has_value());
            BOOST_TEST((*range)->first == c.first);
            BOOST_TEST((*range)->last == c.last);
            BOOST_TEST((*range)->length() == c.last - c.first + 1);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
