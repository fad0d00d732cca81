#define BOOST_TEST_MODULE common_registry_names
#include <boost/test/unit_test.hpp>
#include <string>

#include "aiops/common/registry_client.h"

namespace common = aiops::common;

BOOST_AUTO_TEST_SUITE(registry_names)

BOOST_AUTO_TEST_CASE(rejects_invalid_repository_names) {
    for (const char* name : {"", "/", "a/", "/a", "a//b", "A", "a b", "a..b", "a___b", "-a", "a-",
                             "a/.b", "a?x=1", "a/../b", "a%2fb"}) {
        BOOST_TEST(!common::is_valid_repository_name(name), name);
    }
    BOOST_TEST(!common::is_valid_repository_name(std::string(256, 'a')));
}

BOOST_AUTO_TEST_CASE(accepts_nested_harbor_style_names) {
    for (const char* name : {"a", "library/nginx", "proxyproj/library/nginx", "ai/llama3-8b",
                             "a.b/c__d/e---f", "x_y/0"}) {
        BOOST_TEST(common::is_valid_repository_name(name), name);
    }
}

BOOST_AUTO_TEST_CASE(validates_tags) {
    for (const char* tag : {"", ".hidden", "-x", "a/b", "a:b", "sha256:abc"}) {
        BOOST_TEST(!common::is_valid_tag(tag), tag);
    }
    BOOST_TEST(!common::is_valid_tag(std::string(129, 'a')));
    BOOST_TEST(common::is_valid_tag("v1.0-rc_1"));
    BOOST_TEST(common::is_valid_tag("_latest"));
    BOOST_TEST(common::is_valid_tag(std::string(128, 'a')));
}

BOOST_AUTO_TEST_CASE(create_rejects_non_http_base_urls) {
    auto http = common::HttpClient::create({});
    BOOST_TEST_REQUIRE(http.has_value());
    for (const char* url : {"", "ftp://h", "127.0.0.1:5000", "http://h/?x", "http://h #"}) {
        const auto client = common::RegistryClient::create(**http, {.base_url = url});
        BOOST_TEST_REQUIRE(!client.has_value(), url);
        BOOST_TEST(client.error().code == common::ErrorCode::kInvalidInput);
    }
    BOOST_TEST(common::RegistryClient::create(**http, {.base_url = "https://h/"}).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
