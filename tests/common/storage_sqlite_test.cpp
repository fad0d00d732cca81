#define BOOST_TEST_MODULE storage_sqlite
#include <boost/test/unit_test.hpp>
#include <filesystem>

#include "fixtures/temp_dir.h"
#include "storage_conformance.h"

// Runs the storage conformance suite (storage_conformance*.cpp) against SQLite, plus the
// SQLite-specific cases below.
namespace aiops::testing {

common::StorageSettings fresh_storage_settings() {
    static const TempDir dir;  // outlives every store of this test executable
    static int stores = 0;
    ++stores;
    return {.url = "sqlite://" + (dir / ("store-" + std::to_string(stores) + ".db")).string()};
}

}  // namespace aiops::testing

namespace {

using aiops::common::ErrorCode;
using aiops::common::open_store;
using aiops::testing::FakeClock;
using aiops::testing::TempDir;

BOOST_AUTO_TEST_SUITE(storage_sqlite)

BOOST_AUTO_TEST_CASE(rejects_unknown_scheme_and_empty_url) {
    FakeClock clock;

    BOOST_TEST(open_store({.url = ""}, clock).error().code == ErrorCode::kInvalidInput);
    BOOST_TEST(open_store({.url = "mysql://db/x"}, clock).error().code == ErrorCode::kInvalidInput);
}

BOOST_AUTO_TEST_CASE(unwritable_path_fails_to_open) {
    FakeClock clock;
    TempDir dir;
    aiops::testing::write_file(dir / "file", "not a directory");

    auto store = open_store({.url = "sqlite://" + (dir / "file" / "x.db").string()}, clock);

    BOOST_TEST(!store.has_value());
}

BOOST_AUTO_TEST_CASE(plain_data_dir_path_creates_the_database_inside_it) {
    FakeClock clock;
    TempDir dir;

    auto store = open_store({.url = (dir / "data").string()}, clock);

    BOOST_REQUIRE(store.has_value());
    BOOST_TEST((*store)->put("c", "a", {}).has_value());
    BOOST_TEST(std::filesystem::exists(dir / "data" / "aiops.db"));
}

BOOST_AUTO_TEST_CASE(documents_and_jobs_survive_reopening_the_file) {
    FakeClock clock;
    TempDir dir;
    const aiops::common::StorageSettings settings{.url = "sqlite://" + (dir / "s.db").string()};
    {
        auto store = open_store(settings, clock);
        BOOST_REQUIRE(store.has_value());
        BOOST_TEST((*store)->put("c", "a", {{"v", 1}}).has_value());
        BOOST_TEST((*store)->enqueue("q", "k", {{"n", 1}}).has_value());
    }

    auto reopened = open_store(settings, clock);

    BOOST_REQUIRE(reopened.has_value());
    BOOST_TEST((*reopened)->get("c", "a")->body == nlohmann::json({{"v", 1}}));
    BOOST_TEST((*reopened)->queue_stats("q")->ready == 1);
}

BOOST_AUTO_TEST_CASE(settings_from_config_default_to_sqlite_in_the_data_dir) {
    auto config = aiops::common::Config::from_yaml("server:\n  data_dir: /var/lib/x\n", {});
    BOOST_REQUIRE(config.has_value());

    const auto settings = aiops::common::storage_settings_from_config(*config);

    BOOST_TEST(settings.url == "sqlite:///var/lib/x/aiops.db");
    BOOST_TEST(settings.password.empty());
    BOOST_TEST(config->finish().has_value());
}

BOOST_AUTO_TEST_CASE(settings_from_config_read_url_and_password_file) {
    TempDir dir;
    aiops::testing::write_file(dir / "pw", "s3cret\n");
    auto config = aiops::common::Config::from_yaml(
        "storage:\n  url: redis://redis:6379/2\n  password_file: " + (dir / "pw").string() +
            "\n  queue:\n    max_attempts: 9\n",
        {});
    BOOST_REQUIRE(config.has_value());

    const auto settings = aiops::common::storage_settings_from_config(*config);

    BOOST_TEST(settings.url == "redis://redis:6379/2");
    BOOST_TEST(settings.password == "s3cret");
    BOOST_TEST(settings.queue.max_attempts == 9);
    BOOST_TEST(config->finish().has_value());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
