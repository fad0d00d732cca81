#define BOOST_TEST_MODULE docs_config_reference
// Config's recording of every getter call: the data behind --print-config-reference and
// docs/configuration.md (tests/docs/check_config_reference.py checks the doc against the binaries).
#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "aiops/common/config.h"

using aiops::common::Config;
using aiops::common::ConfigKey;

namespace {

const ConfigKey& key_named(const std::vector<ConfigKey>& keys, const std::string& path) {
    for (const auto& key : keys) {
        if (key.path == path) {
            return key;
        }
    }
    BOOST_FAIL("no recorded key " + path);
    return keys.front();  // not reached
}

}  // namespace

BOOST_AUTO_TEST_SUITE(config_reference)

BOOST_AUTO_TEST_CASE(every_getter_records_its_path_type_fallback_and_bounds) {
    auto config = Config::from_yaml("server:\n  workers: 8\n", {});
    BOOST_REQUIRE(config);

    (void)config->get_string("log.level", "info");
    (void)config->get_int("server.workers", 16, 1, 1024);
    (void)config->get_bool("auth.anonymous_read", false);
    (void)config->get_string_list("x.allowed_schemes", {"http", "https"});
    (void)config->get_secret("storage.password");
    (void)config->get_node("auth.tokens");
    const auto keys = config->keys_read();

    BOOST_REQUIRE_EQUAL(keys.size(), 6U);
    BOOST_TEST(keys.front().path == "auth.anonymous_read");  // sorted by path
    const auto& workers = key_named(keys, "server.workers");
    BOOST_TEST(workers.type == "int");
    BOOST_TEST(workers.default_json == "16");  // the fallback, not the file's 8
    BOOST_TEST(workers.min_value.value() == 1);
    BOOST_TEST(workers.max_value.value() == 1024);
    BOOST_TEST(key_named(keys, "log.level").default_json == "\"info\"");
    BOOST_TEST(key_named(keys, "auth.anonymous_read").default_json == "false");
    BOOST_TEST(key_named(keys, "x.allowed_schemes").default_json == "[\"http\",\"https\"]");
    BOOST_TEST(key_named(keys, "storage.password").type == "secret");
    BOOST_TEST(key_named(keys, "auth.tokens").type == "node");
    BOOST_TEST(!key_named(keys, "log.level").min_value.has_value());
}

BOOST_AUTO_TEST_CASE(the_first_call_for_a_path_is_recorded_once) {
    auto config = Config::from_yaml("", {});
    BOOST_REQUIRE(config);

    (void)config->get_string("server.data_dir", "data");
    (void)config->get_string("server.data_dir", "elsewhere");

    const auto keys = config->keys_read();
    BOOST_REQUIRE_EQUAL(keys.size(), 1U);
    BOOST_TEST(keys[0].default_json == "\"data\"");
}

BOOST_AUTO_TEST_CASE(a_key_the_service_asks_has_about_is_marked_service_default) {
    auto config = Config::from_yaml("", {});
    BOOST_REQUIRE(config);

    (void)config->get_int("server.workers", 16, 1, 1024);
    (void)config->get_int("server.read_timeout_ms", 30000, 100, 3600000);
    (void)config->has("server.workers");

    const auto keys = config->keys_read();
    BOOST_TEST(key_named(keys, "server.workers").service_default);
    BOOST_TEST(!key_named(keys, "server.read_timeout_ms").service_default);
}

BOOST_AUTO_TEST_CASE(reference_json_names_env_variables_and_secret_files) {
    auto config = Config::from_yaml("", {});
    BOOST_REQUIRE(config);
    (void)config->get_int("storage.queue.max_attempts", 5, 1, 1000);
    (void)config->get_secret("harbor.password");

    const auto reference = nlohmann::json::parse(config->reference_json());

    BOOST_REQUIRE_EQUAL(reference.size(), 2U);
    const auto& secret = reference[0];
    BOOST_TEST(secret["path"] == "harbor.password");
    BOOST_TEST(secret["type"] == "secret");
    BOOST_TEST(secret["default"].is_null());
    BOOST_TEST(secret["env"] == "AIOPS_HARBOR_PASSWORD");
    BOOST_TEST(secret["file_key"] == "harbor.password_file");
    BOOST_TEST(secret["file_env"] == "AIOPS_HARBOR_PASSWORD_FILE");
    const auto& attempts = reference[1];
    BOOST_TEST(attempts["default"] == 5);
    BOOST_TEST(attempts["min"] == 1);
    BOOST_TEST(attempts["max"] == 1000);
    BOOST_TEST(attempts["env"] == "AIOPS_STORAGE_QUEUE_MAX_ATTEMPTS");
    BOOST_TEST(!attempts.contains("service_default"));
}

BOOST_AUTO_TEST_CASE(print_flag_loads_an_empty_config_ignoring_file_env_and_flags) {
    const char* argv[] = {"svc",      "--print-config-reference",
                          "--config", "/nonexistent.yaml",
                          "--listen", "0.0.0.0:1",
                          "--labels", "pool=h100"};
    const std::vector<aiops::common::ServiceFlag> flags{{"--labels", "agent.labels", "labels"}};
    auto cli = aiops::common::parse_command_line(8, argv, "svc", "test", flags);
    BOOST_REQUIRE(!cli.exit_code.has_value());
    BOOST_TEST(cli.options.print_config_reference);

    auto config =
        aiops::common::load_service_config(cli.options, {{"AIOPS_SERVER_LISTEN", "10.0.0.1:2"}});

    BOOST_REQUIRE(config);  // the unreadable --config file is not opened
    BOOST_TEST(config->get_string("server.listen", "127.0.0.1:8080") == "127.0.0.1:8080");
    BOOST_TEST(!config->get_node("agent.labels").IsDefined());
}

BOOST_AUTO_TEST_CASE(a_flag_or_env_value_reaches_get_node_as_a_scalar) {
    auto config = Config::from_yaml("", {{"AIOPS_PREHEAT_SEED_SELECTOR", "role=seed"}});
    BOOST_REQUIRE(config);
    config->set_override("agent.labels", "pool=h100,zone=a");

    const auto labels = config->get_node("agent.labels");
    const auto selector = config->get_node("preheat.seed_selector");

    BOOST_REQUIRE(labels.IsScalar());
    BOOST_TEST(labels.Scalar() == "pool=h100,zone=a");
    BOOST_REQUIRE(selector.IsScalar());
    BOOST_TEST(selector.Scalar() == "role=seed");
    BOOST_TEST(config->finish().has_value());
}

BOOST_AUTO_TEST_SUITE_END()
