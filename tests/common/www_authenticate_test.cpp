#define BOOST_TEST_MODULE common_www_authenticate
#include "aiops/common/www_authenticate.h"

#include <boost/test/unit_test.hpp>
#include <string>

#include "aiops/common/link_header.h"

namespace common = aiops::common;
using common::ErrorCode;

BOOST_AUTO_TEST_SUITE(www_authenticate)

BOOST_AUTO_TEST_CASE(rejects_empty_garbage_unterminated_and_oversize_headers) {
    const std::string oversize(common::kMaxWwwAuthenticateBytes + 1, 'a');
    const std::string_view cases[] = {std::string_view(),
                                      "   ",
                                      ",,",
                                      "Bearer realm=\"unterminated",
                                      "Bearer realm=\"x\\",
                                      "@@@",
                                      "Bearer realm=\"a\" service=\"b\"",
                                      "Basic\"realm\"",
                                      "Bearer realm=a @",
                                      std::string_view(oversize)};
    for (const std::string_view header : cases) {
        const auto parsed = common::parse_www_authenticate(header);
        BOOST_TEST_REQUIRE(!parsed.has_value(), std::string(header.substr(0, 40)));
        BOOST_TEST(parsed.error().code == ErrorCode::kInvalidInput);
    }
}

BOOST_AUTO_TEST_CASE(parses_distribution_bearer_challenge) {
    const auto parsed = common::parse_www_authenticate(
        R"(Bearer realm="https://auth.example.com/token",service="registry.example.com",)"
        R"(scope="repository:proxy/library/nginx:pull,push")");

    BOOST_TEST_REQUIRE(parsed.has_value());
    BOOST_TEST_REQUIRE(parsed->size() == 1U);
    const auto& challenge = parsed->front();
    BOOST_TEST(challenge.scheme == "bearer");
    BOOST_TEST(*challenge.param("realm") == "https://auth.example.com/token");
    BOOST_TEST(*challenge.param("service") == "registry.example.com");
    BOOST_TEST(*challenge.param("scope") == "repository:proxy/library/nginx:pull,push");
    BOOST_TEST(!challenge.param("error").has_value());
}

BOOST_AUTO_TEST_CASE(parses_several_challenges_escapes_case_and_whitespace) {
    const auto parsed = common::parse_www_authenticate(
        "  basic REALM = \"har\\\"bor\" ,  Bearer realm=\"http://h/service/token\", "
        "service=harbor-registry, Negotiate abc+/def==");

    BOOST_TEST_REQUIRE(parsed.has_value());
    BOOST_TEST_REQUIRE(parsed->size() == 3U);
    BOOST_TEST((*parsed)[0].scheme == "basic");
    BOOST_TEST(*(*parsed)[0].param("realm") == "har\"bor");
    BOOST_TEST(*(*parsed)[1].param("service") == "harbor-registry");
    BOOST_TEST((*parsed)[2].token68 == "abc+/def==");
    const auto bearer = common::find_challenge(*parsed, "BEARER");
    BOOST_TEST_REQUIRE(bearer.has_value());
    BOOST_TEST(*bearer->param("realm") == "http://h/service/token");
}

BOOST_AUTO_TEST_CASE(parses_bare_schemes_and_empty_quoted_values) {
    const auto parsed = common::parse_www_authenticate(R"(Basic, Bearer realm="", error=x)");

    BOOST_TEST_REQUIRE(parsed.has_value());
    BOOST_TEST_REQUIRE(parsed->size() == 2U);
    BOOST_TEST((*parsed)[0].params.empty());
    BOOST_TEST(*(*parsed)[1].param("realm") == "");
    BOOST_TEST(*(*parsed)[1].param("error") == "x");
    BOOST_TEST(!common::find_challenge(*parsed, "digest").has_value());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(link_header)

BOOST_AUTO_TEST_CASE(ignores_missing_malformed_or_non_next_links) {
    BOOST_TEST(!common::parse_next_link(""));
    BOOST_TEST(!common::parse_next_link("/v2/_catalog?n=1"));
    BOOST_TEST(!common::parse_next_link("</v2/_catalog?n=1; rel=\"next\""));
    BOOST_TEST(!common::parse_next_link(R"(</a>; rel="prev")"));
    BOOST_TEST(!common::parse_next_link(R"(</a>; rel="next)"));
    BOOST_TEST(!common::parse_next_link(R"(<>; rel="next")"));
}

BOOST_AUTO_TEST_CASE(finds_next_among_several_links_and_rel_lists) {
    BOOST_TEST(*common::parse_next_link(R"(</v2/_catalog?last=b&n=1>; rel="next")") ==
               "/v2/_catalog?last=b&n=1");
    BOOST_TEST(
        *common::parse_next_link(R"(</p>; rel=prev, <http://h/n?x=1>;title="t, x";REL=next)") ==
        "http://h/n?x=1");
    BOOST_TEST(*common::parse_next_link(R"(</q>; rel="last next")") == "/q");
}

BOOST_AUTO_TEST_CASE(resolves_relative_and_absolute_references) {
    BOOST_TEST(*common::resolve_url("http://127.0.0.1:5000", "/v2/x?n=1") ==
               "http://127.0.0.1:5000/v2/x?n=1");
    BOOST_TEST(*common::resolve_url("https://h/prefix", "/v2/x") == "https://h/v2/x");
    BOOST_TEST(*common::resolve_url("https://h", "//other/v2") == "https://other/v2");
    BOOST_TEST(*common::resolve_url("https://h", "http://o/v2") == "http://o/v2");
    BOOST_TEST(!common::resolve_url("https://h", "v2/x"));
    BOOST_TEST(!common::resolve_url("no-scheme", "/v2/x"));
}

BOOST_AUTO_TEST_SUITE_END()
