#define BOOST_TEST_MODULE common_url_guard
#include "aiops/common/url_guard.h"

#include <boost/test/unit_test.hpp>

#include "aiops/common/config.h"

using aiops::common::AddressClass;
using aiops::common::classify_address;
using aiops::common::ErrorCode;
using aiops::common::parse_url;
using aiops::common::UrlGuard;
using aiops::common::UrlPolicy;

namespace {

AddressClass class_of(const char* ip) {
    auto result = classify_address(ip);
    BOOST_REQUIRE_MESSAGE(result, ip);
    return *result;
}

UrlGuard make_guard(UrlPolicy policy) {
    auto guard = UrlGuard::create(std::move(policy));
    BOOST_REQUIRE(guard);
    return std::move(guard).value();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(parse_url_cases)

BOOST_AUTO_TEST_CASE(rejects_malformed_urls) {
    for (const char* bad : {"",
                            "example.com/x",
                            "http//example.com",
                            "://example.com",
                            "http://",
                            "http:///path",
                            "http://exa mple.com/",
                            "http://a.com/ x",
                            "http://a.com/\x01",
                            "http://a.com\r\nHost: b/",
                            "http://a.com:0/",
                            "http://a.com:65536/",
                            "http://a.com:8o/",
                            "http://a.com:123456/",
                            "http://a.com:-1/",
                            "http://[::1/",
                            "http://[::1]x/",
                            "http://[zz::1]/",
                            "http://[fe80::1%25eth0]/",
                            "http://a%2ecom/",
                            "http://a.com\\@b.com/",
                            "http://caf\xc3\xa9.com/",
                            "1http://a.com/"}) {
        auto url = parse_url(bad);
        BOOST_TEST(!url, "accepted: " << bad);
        if (!url) {
            BOOST_TEST(url.error().code == ErrorCode::kInvalidInput);
        }
    }
}

BOOST_AUTO_TEST_CASE(reports_userinfo_without_keeping_it) {
    auto url = parse_url("https://user:secret@Registry.Example.com/v2/");

    BOOST_REQUIRE(url);
    BOOST_TEST(url->has_userinfo);
    BOOST_TEST(url->host == "registry.example.com");
    BOOST_TEST(aiops::common::format_url(*url).find("secret") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(splits_scheme_host_port_and_target) {
    auto url = parse_url("HTTPS://Harbor.Example.com:8443/v2/lib/blobs/sha256:ab?n=1#frag");

    BOOST_REQUIRE(url);
    BOOST_TEST(url->scheme == "https");
    BOOST_TEST(url->host == "harbor.example.com");
    BOOST_TEST(url->port == 8443);
    BOOST_TEST(url->target == "/v2/lib/blobs/sha256:ab?n=1");
    BOOST_TEST(!url->has_userinfo);
}

BOOST_AUTO_TEST_CASE(fills_default_ports_and_root_target) {
    auto plain = parse_url("http://example.com");
    auto secure = parse_url("https://example.com?q=1");
    auto empty_port = parse_url("http://example.com:/x");

    BOOST_REQUIRE(plain && secure && empty_port);
    BOOST_TEST(plain->port == 80);
    BOOST_TEST(plain->target == "/");
    BOOST_TEST(secure->port == 443);
    BOOST_TEST(secure->target == "/?q=1");
    BOOST_TEST(empty_port->port == 80);
}

BOOST_AUTO_TEST_CASE(accepts_bracketed_ipv6_and_formats_it_back) {
    auto url = parse_url("http://[::FFFF:127.0.0.1]:8080/a");

    BOOST_REQUIRE(url);
    BOOST_TEST(url->host == "::ffff:127.0.0.1");
    BOOST_TEST(url->port == 8080);
    BOOST_TEST(aiops::common::format_url(*url) == "http://[::ffff:127.0.0.1]:8080/a");
}

BOOST_AUTO_TEST_CASE(format_omits_default_port) {
    auto url = parse_url("https://example.com:443/x?y");

    BOOST_REQUIRE(url);
    BOOST_TEST(aiops::common::format_url(*url) == "https://example.com/x?y");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(classify_address_cases)

BOOST_AUTO_TEST_CASE(rejects_non_addresses) {
    for (const char* bad : {"", "localhost", "127.1", "0x7f.0.0.1", "1.2.3.4.5", "[::1]",
                            "fe80::1%eth0", "256.1.1.1", "1.2.3.4 "}) {
        BOOST_TEST(!classify_address(bad), "accepted: " << bad);
    }
}

BOOST_AUTO_TEST_CASE(classifies_ipv4_ranges) {
    BOOST_TEST(class_of("127.0.0.1") == AddressClass::kLoopback);
    BOOST_TEST(class_of("127.255.255.254") == AddressClass::kLoopback);
    BOOST_TEST(class_of("10.0.0.1") == AddressClass::kPrivate);
    BOOST_TEST(class_of("172.16.0.1") == AddressClass::kPrivate);
    BOOST_TEST(class_of("172.31.255.255") == AddressClass::kPrivate);
    BOOST_TEST(class_of("172.32.0.1") == AddressClass::kPublic);
    BOOST_TEST(class_of("172.15.255.255") == AddressClass::kPublic);
    BOOST_TEST(class_of("192.168.1.1") == AddressClass::kPrivate);
    BOOST_TEST(class_of("100.64.0.1") == AddressClass::kPrivate);
    BOOST_TEST(class_of("100.127.255.255") == AddressClass::kPrivate);
    BOOST_TEST(class_of("100.128.0.1") == AddressClass::kPublic);
    BOOST_TEST(class_of("169.254.169.254") == AddressClass::kLinkLocal);
    BOOST_TEST(class_of("0.0.0.0") == AddressClass::kUnspecified);
    BOOST_TEST(class_of("0.1.2.3") == AddressClass::kReserved);
    BOOST_TEST(class_of("224.0.0.1") == AddressClass::kMulticast);
    BOOST_TEST(class_of("239.255.255.250") == AddressClass::kMulticast);
    BOOST_TEST(class_of("240.0.0.1") == AddressClass::kReserved);
    BOOST_TEST(class_of("255.255.255.255") == AddressClass::kReserved);
    BOOST_TEST(class_of("8.8.8.8") == AddressClass::kPublic);
    BOOST_TEST(class_of("93.184.216.34") == AddressClass::kPublic);
}

BOOST_AUTO_TEST_CASE(classifies_ipv6_ranges) {
    BOOST_TEST(class_of("::1") == AddressClass::kLoopback);
    BOOST_TEST(class_of("::") == AddressClass::kUnspecified);
    BOOST_TEST(class_of("fc00::1") == AddressClass::kPrivate);
    BOOST_TEST(class_of("fd12:3456::1") == AddressClass::kPrivate);
    BOOST_TEST(class_of("fec0::1") == AddressClass::kPrivate);
    BOOST_TEST(class_of("fe80::1") == AddressClass::kLinkLocal);
    BOOST_TEST(class_of("febf::1") == AddressClass::kLinkLocal);
    BOOST_TEST(class_of("ff02::1") == AddressClass::kMulticast);
    BOOST_TEST(class_of("::7f00:1") == AddressClass::kReserved);
    BOOST_TEST(class_of("2001:4860:4860::8888") == AddressClass::kPublic);
    BOOST_TEST(class_of("2606:4700::1111") == AddressClass::kPublic);
}

BOOST_AUTO_TEST_CASE(classifies_embedded_ipv4_by_its_ipv4_part) {
    BOOST_TEST(class_of("::ffff:127.0.0.1") == AddressClass::kLoopback);
    BOOST_TEST(class_of("::ffff:7f00:1") == AddressClass::kLoopback);
    BOOST_TEST(class_of("::ffff:169.254.169.254") == AddressClass::kLinkLocal);
    BOOST_TEST(class_of("::ffff:10.1.2.3") == AddressClass::kPrivate);
    BOOST_TEST(class_of("::ffff:8.8.8.8") == AddressClass::kPublic);
    BOOST_TEST(class_of("64:ff9b::10.0.0.1") == AddressClass::kPrivate);
    BOOST_TEST(class_of("64:ff9b::8.8.8.8") == AddressClass::kPublic);
    BOOST_TEST(class_of("2002:7f00:1::") == AddressClass::kLoopback);
    BOOST_TEST(class_of("2002:a9fe:a9fe::1") == AddressClass::kLinkLocal);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(url_guard)

BOOST_AUTO_TEST_CASE(rejects_invalid_policy) {
    UrlPolicy bad_cidr;
    bad_cidr.allow_cidrs = {"10.0.0.0/33"};
    UrlPolicy bad_v6_cidr;
    bad_v6_cidr.allow_cidrs = {"fd00::/129"};
    UrlPolicy junk_cidr;
    junk_cidr.allow_cidrs = {"ten/8"};
    UrlPolicy no_schemes;
    no_schemes.allowed_schemes.clear();

    BOOST_TEST(!UrlGuard::create(bad_cidr));
    BOOST_TEST(!UrlGuard::create(bad_v6_cidr));
    BOOST_TEST(!UrlGuard::create(junk_cidr));
    BOOST_TEST(!UrlGuard::create(no_schemes));
}

BOOST_AUTO_TEST_CASE(denies_internal_addresses_by_default) {
    const auto guard = make_guard({});

    for (const char* url :
         {"http://127.0.0.1/", "http://10.1.2.3/", "http://169.254.169.254/latest/meta-data/",
          "http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://0.0.0.0:8080/",
          "http://[fd00::1]/", "http://192.168.0.1/", "http://100.64.0.1/", "http://224.0.0.1/",
          "http://[fe80::1]/", "http://localhost/", "http://2130706433/", "http://0x7f.1/"}) {
        auto checked = guard.check(url);
        BOOST_TEST(!checked, "allowed: " << url);
        if (!checked) {
            BOOST_TEST(checked.error().code == ErrorCode::kBlockedUrl, url);
        }
    }
}

BOOST_AUTO_TEST_CASE(message_names_the_reason) {
    const auto guard = make_guard({});

    auto checked = guard.check("http://169.254.169.254/latest/meta-data/");

    BOOST_REQUIRE(!checked);
    BOOST_TEST(checked.error().message.find("link-local") != std::string::npos);
    BOOST_TEST(checked.error().message.find("169.254.169.254") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(denies_other_schemes_and_credentials) {
    const auto guard = make_guard({});

    auto ftp = guard.check("ftp://8.8.8.8/pub");
    auto file = guard.check("file:///etc/passwd");
    auto gopher = guard.check("gopher://8.8.8.8/");
    auto userinfo = guard.check("http://admin:hunter2@8.8.8.8/");

    BOOST_REQUIRE(!ftp);
    BOOST_TEST(ftp.error().code == ErrorCode::kBlockedUrl);
    BOOST_REQUIRE(!file);
    BOOST_TEST(file.error().code == ErrorCode::kBlockedUrl);
    BOOST_TEST(!gopher);
    BOOST_REQUIRE(!userinfo);
    BOOST_TEST(userinfo.error().code == ErrorCode::kBlockedUrl);
    BOOST_TEST(userinfo.error().message.find("hunter2") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(malformed_url_is_invalid_input) {
    const auto guard = make_guard({});

    auto checked = guard.check("http://exa mple.com/");

    BOOST_REQUIRE(!checked);
    BOOST_TEST(checked.error().code == ErrorCode::kInvalidInput);
}

BOOST_AUTO_TEST_CASE(allows_public_literal_and_returns_its_address) {
    const auto guard = make_guard({});

    auto checked = guard.check("https://8.8.8.8/dns-query");

    BOOST_REQUIRE(checked);
    BOOST_TEST(checked->url.port == 443);
    BOOST_REQUIRE(checked->addresses.size() == 1U);
    BOOST_TEST(checked->addresses.front() == "8.8.8.8");
}

BOOST_AUTO_TEST_CASE(class_flags_allow_their_class_only) {
    UrlPolicy policy;
    policy.allow_loopback = true;
    policy.allow_private = true;
    policy.allow_link_local = true;
    const auto guard = make_guard(policy);

    BOOST_TEST(guard.check("http://127.0.0.1:8080/").has_value());
    BOOST_TEST(guard.check("http://[::1]/").has_value());
    BOOST_TEST(guard.check("http://10.0.0.5/").has_value());
    BOOST_TEST(guard.check("http://[fd00::5]/").has_value());
    BOOST_TEST(guard.check("http://169.254.169.254/").has_value());
    BOOST_TEST(!guard.check("http://0.0.0.0/").has_value());
    BOOST_TEST(!guard.check("http://224.0.0.1/").has_value());
}

BOOST_AUTO_TEST_CASE(localhost_is_allowed_with_loopback_flag) {
    UrlPolicy policy;
    policy.allow_loopback = true;
    const auto guard = make_guard(policy);

    auto checked = guard.check("http://localhost:5000/v2/");

    BOOST_REQUIRE(checked);
    BOOST_TEST(!checked->addresses.empty());
}

BOOST_AUTO_TEST_CASE(allow_cidrs_open_exactly_their_range) {
    UrlPolicy policy;
    policy.allow_cidrs = {"10.1.0.0/16", "fd00:1::/32", "127.0.0.1"};
    const auto guard = make_guard(policy);

    BOOST_TEST(guard.check("http://10.1.200.3/").has_value());
    BOOST_TEST(!guard.check("http://10.2.0.1/").has_value());
    BOOST_TEST(guard.check("http://[fd00:1:abcd::1]/").has_value());
    BOOST_TEST(!guard.check("http://[fd00:2::1]/").has_value());
    BOOST_TEST(guard.check("http://127.0.0.1/").has_value());
    BOOST_TEST(guard.check("http://[::ffff:127.0.0.1]/").has_value());
    BOOST_TEST(!guard.check("http://127.0.0.2/").has_value());
}

BOOST_AUTO_TEST_CASE(allow_hosts_match_the_host_name_only) {
    UrlPolicy policy;
    policy.allow_hosts = {"127.0.0.1", "Harbor.Internal."};
    const auto guard = make_guard(policy);

    BOOST_TEST(guard.check("http://127.0.0.1:9000/").has_value());
    BOOST_TEST(!guard.check("http://localhost:9000/").has_value());
    BOOST_TEST(!guard.check("http://127.0.0.2/").has_value());
    BOOST_TEST(
        guard.check_addresses(*parse_url("https://harbor.internal/"), {"10.0.0.7"}).has_value());
}

BOOST_AUTO_TEST_CASE(any_denied_address_denies_the_host) {
    const auto guard = make_guard({});
    auto url = parse_url("https://rebind.example.com/");
    BOOST_REQUIRE(url);

    auto status = guard.check_addresses(*url, {"8.8.8.8", "10.0.0.1"});

    BOOST_REQUIRE(!status);
    BOOST_TEST(status.error().code == ErrorCode::kBlockedUrl);
    BOOST_TEST(status.error().message.find("10.0.0.1") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(policy_is_read_from_config) {
    auto config = aiops::common::Config::from_yaml(
        "outbound:\n  allow_private: true\n  allow_hosts: [harbor.local]\n"
        "  allow_cidrs: [10.0.0.0/8]\n",
        {{"AIOPS_OUTBOUND_ALLOW_LOOPBACK", "true"}});
    BOOST_REQUIRE(config);

    const auto policy = aiops::common::url_policy_from_config(*config, "outbound");

    BOOST_TEST(policy.allow_loopback);
    BOOST_TEST(policy.allow_private);
    BOOST_TEST(!policy.allow_link_local);
    BOOST_TEST(policy.allow_hosts == std::vector<std::string>{"harbor.local"});
    BOOST_TEST(policy.allow_cidrs == std::vector<std::string>{"10.0.0.0/8"});
    BOOST_TEST(policy.allowed_schemes == (std::vector<std::string>{"http", "https"}));
    BOOST_TEST(config->finish().has_value());
}

BOOST_AUTO_TEST_SUITE_END()
