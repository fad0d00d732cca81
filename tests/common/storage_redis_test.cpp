#define BOOST_TEST_MODULE storage_redis
#include <boost/test/unit_test.hpp>

#include "fixtures/redis_server.h"
#include "fixtures/temp_dir.h"
#include "storage_conformance.h"

// Runs the storage conformance suite (storage_conformance*.cpp) against a real redis-server
// (with a password, so every connection authenticates), plus the Redis-specific cases below.
namespace aiops::testing {
namespace {

constexpr const char* kPassword = "conformance-pw";

RedisServer& shared_server() {
    static const TempDir dir;  // one server for the whole executable; each store gets a prefix
    static RedisServer server(dir.path(), kPassword);
    return server;
}

}  // namespace

common::StorageSettings fresh_storage_settings() {
    static int stores = 0;
    ++stores;
    return {.url = shared_server().url(),
            .password = kPassword,
            .key_prefix = "test" + std::to_string(stores) + ":"};
}

}  // namespace aiops::testing

namespace {

using aiops::common::ErrorCode;
using aiops::common::open_store;
using aiops::testing::FakeClock;
using aiops::testing::fresh_storage_settings;

BOOST_AUTO_TEST_SUITE(storage_redis)

BOOST_AUTO_TEST_CASE(rejects_malformed_redis_urls) {
    FakeClock clock;

    BOOST_TEST(open_store({.url = "redis://"}, clock).error().code == ErrorCode::kInvalidInput);
    BOOST_TEST(open_store({.url = "redis://h:99999"}, clock).error().code ==
               ErrorCode::kInvalidInput);
    BOOST_TEST(open_store({.url = "redis://h:6379/x"}, clock).error().code ==
               ErrorCode::kInvalidInput);
}

BOOST_AUTO_TEST_CASE(wrong_password_is_unauthorized_and_never_echoed) {
    FakeClock clock;
    auto settings = fresh_storage_settings();
    settings.password = "wrong-pw-value";

    auto store = open_store(settings, clock);

    BOOST_REQUIRE(!store.has_value());
    BOOST_TEST(store.error().code == ErrorCode::kUnauthorized);
    BOOST_TEST(store.error().message.find("wrong-pw-value") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(password_in_the_url_is_used) {
    FakeClock clock;
    auto settings = fresh_storage_settings();
    const std::string url = settings.url;
    settings.url =
        "redis://:" + settings.password + "@" + url.substr(std::string("redis://").size());
    settings.password.clear();

    auto store = open_store(settings, clock);

    BOOST_REQUIRE(store.has_value());
    BOOST_TEST((*store)->ping().has_value());
}

BOOST_AUTO_TEST_CASE(unreachable_server_is_unavailable) {
    FakeClock clock;
    const int port = aiops::testing::free_port();

    auto store = open_store({.url = "redis://127.0.0.1:" + std::to_string(port)}, clock);

    BOOST_REQUIRE(!store.has_value());
    BOOST_TEST(store.error().code == ErrorCode::kUnavailable);
}

BOOST_AUTO_TEST_CASE(stores_with_different_key_prefixes_do_not_see_each_other) {
    FakeClock clock;
    auto first = open_store(fresh_storage_settings(), clock);
    auto second = open_store(fresh_storage_settings(), clock);
    BOOST_REQUIRE(first.has_value());
    BOOST_REQUIRE(second.has_value());

    BOOST_TEST((*first)->put("c", "a", {}).has_value());
    BOOST_TEST((*first)->enqueue("q", "k", {}).has_value());

    BOOST_TEST((*second)->get("c", "a").error().code == ErrorCode::kNotFound);
    BOOST_TEST((*second)->queue_stats("q")->ready == 0);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
