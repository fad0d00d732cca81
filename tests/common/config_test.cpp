#define BOOST_TEST_MODULE common_config
#include "aiops/common/config.h"

#include <boost/test/unit_test.hpp>

#include "fixtures/temp_dir.h"

using aiops::common::Config;

BOOST_AUTO_TEST_SUITE(config)

BOOST_AUTO_TEST_CASE(reads_yaml_values_with_defaults) {
    auto config = Config::from_yaml("server:\n  listen: 0.0.0.0:9000\n  workers: 8\n", {});
    BOOST_REQUIRE(config);

    BOOST_TEST(config->get_string("server.listen", "x") == "0.0.0.0:9000");
    BOOST_TEST(config->get_int("server.workers", 4, 1, 256) == 8);
    BOOST_TEST(config->get_bool("server.tls_enabled", false) == false);
    BOOST_TEST(config->finish().has_value());
}

BOOST_AUTO_TEST_CASE(environment_overrides_file_and_flags_override_environment) {
    auto config =
        Config::from_yaml("server:\n  listen: a:1\n  max_body_bytes: 10\n",
                          {{"AIOPS_SERVER_LISTEN", "b:2"}, {"AIOPS_SERVER_MAX_BODY_BYTES", "20"}});
    BOOST_REQUIRE(config);
    BOOST_TEST(config->get_string("server.listen", "") == "b:2");
    BOOST_TEST(config->get_int("server.max_body_bytes", 0, 0, 100) == 20);

    config->set_override("server.listen", "c:3");

    BOOST_TEST(config->get_string("server.listen", "") == "c:3");
}

BOOST_AUTO_TEST_CASE(unknown_keys_and_bad_types_are_reported_together) {
    auto config = Config::from_yaml("server:\n  listne: a:1\n  workers: many\n", {});
    BOOST_REQUIRE(config);
    (void)config->get_string("server.listen", "127.0.0.1:8080");
    (void)config->get_int("server.workers", 4, 1, 256);

    const auto status = config->finish();

    BOOST_REQUIRE(!status);
    BOOST_TEST(status.error().message.find("unknown config key server.listne") !=
               std::string::npos);
    BOOST_TEST(status.error().message.find("server.workers: expected an integer") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(out_of_range_integer_is_an_error) {
    auto config = Config::from_yaml("server:\n  workers: 100000\n", {});
    BOOST_REQUIRE(config);

    BOOST_TEST(config->get_int("server.workers", 4, 1, 256) == 4);
    BOOST_TEST(!config->finish());
}

BOOST_AUTO_TEST_CASE(secret_is_read_from_file_and_never_echoed) {
    aiops::testing::TempDir dir;
    aiops::testing::write_file(dir / "token", "s3cr3t-value\n");
    auto config =
        Config::from_yaml("upstream:\n  token_file: " + (dir / "token").string() + "\n", {});
    BOOST_REQUIRE(config);

    BOOST_TEST(config->get_secret("upstream.token") == "s3cr3t-value");
    BOOST_TEST(config->finish().has_value());

    auto missing = Config::from_yaml("upstream:\n  token_file: /nonexistent/secret\n", {});
    BOOST_REQUIRE(missing);
    BOOST_TEST(missing->get_secret("upstream.token").empty());
    BOOST_TEST(!missing->finish());
}

BOOST_AUTO_TEST_CASE(invalid_yaml_is_rejected) {
    BOOST_TEST(!Config::from_yaml("server: [unclosed", {}));
    BOOST_TEST(!Config::from_yaml("- a\n- b\n", {}));
}

BOOST_AUTO_TEST_CASE(string_lists_come_from_yaml_or_comma_separated_env) {
    auto config =
        Config::from_yaml("repos:\n  allow: [a/b, c/d]\n", {{"AIOPS_REPOS_DENY", "x, y"}});
    BOOST_REQUIRE(config);

    BOOST_TEST(config->get_string_list("repos.allow", {}).size() == 2U);
    const auto deny = config->get_string_list("repos.deny", {});
    BOOST_REQUIRE(deny.size() == 2U);
    BOOST_TEST(deny[1] == "y");
}

BOOST_AUTO_TEST_CASE(command_line_takes_the_common_flags) {
    const char* argv[] = {"svc", "--listen", "127.0.0.1:0", "--data-dir", "/tmp/x"};
    auto cli = aiops::common::parse_command_line(5, argv, "svc", "test");

    BOOST_TEST(!cli.exit_code.has_value());
    auto config = aiops::common::load_service_config(cli.options, {});
    BOOST_REQUIRE(config);
    BOOST_TEST(config->get_string("server.listen", "") == "127.0.0.1:0");
    BOOST_TEST(config->get_string("server.data_dir", "") == "/tmp/x");

    const char* bad[] = {"svc", "--no-such-flag"};
    BOOST_TEST(aiops::common::parse_command_line(2, bad, "svc", "test").exit_code.value() != 0);
}

BOOST_AUTO_TEST_CASE(service_flags_override_their_config_keys) {
    const std::vector<aiops::common::ServiceFlag> flags{
        {"--upstream", "upstream.endpoint", "upstream URL"}};
    const char* argv[] = {"svc", "--upstream", "http://mirror.internal"};
    auto cli = aiops::common::parse_command_line(3, argv, "svc", "test", flags);

    BOOST_TEST(!cli.exit_code.has_value());
    auto config = aiops::common::load_service_config(cli.options, {});
    BOOST_REQUIRE(config);
    BOOST_TEST(config->get_string("upstream.endpoint", "") == "http://mirror.internal");
    BOOST_TEST(config->finish().has_value());
}

BOOST_AUTO_TEST_CASE(host_port_parsing) {
    auto v4 = aiops::common::parse_host_port("127.0.0.1:8080");
    BOOST_REQUIRE(v4);
    BOOST_TEST(v4->port == 8080);
    auto v6 = aiops::common::parse_host_port("[::1]:9");
    BOOST_REQUIRE(v6);
    BOOST_TEST(v6->host == "::1");
    BOOST_TEST(!aiops::common::parse_host_port("nohost"));
    BOOST_TEST(!aiops::common::parse_host_port("h:70000"));
}

BOOST_AUTO_TEST_SUITE_END()
