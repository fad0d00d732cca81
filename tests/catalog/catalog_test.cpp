// The catalog domain layer on a real store. Compiled twice: against SQLite (label unit) and
// against a real redis-server (AIOPS_CATALOG_ON_REDIS, label integration) — same cases.
#define BOOST_TEST_MODULE catalog_domain
#include "catalog.h"

#include <boost/test/unit_test.hpp>
#include <set>
#include <thread>

#include "fixtures/fake_clock.h"
#include "fixtures/redis_server.h"
#include "fixtures/temp_dir.h"

using namespace aiops::catalog;
using aiops::common::ErrorCode;
using json = nlohmann::json;

namespace {

struct CatalogFixture {
    CatalogFixture() {
        aiops::common::StorageSettings settings;
#ifdef AIOPS_CATALOG_ON_REDIS
        redis = std::make_unique<aiops::testing::RedisServer>(dir.path() / "redis");
        settings.url = redis->url();
#else
        settings.url = "sqlite://" + (dir.path() / "catalog.db").string();
#endif
        auto opened = aiops::common::open_store(settings, clock);
        BOOST_REQUIRE_MESSAGE(opened.has_value(), (opened ? "" : opened.error().message));
        store = std::move(opened).value();
        catalog = std::make_unique<Catalog>(*store, clock, CatalogSettings{});
    }

    json create(const std::string& name, json tags, json extra = json::object()) {
        json body = {{"container_registry_name", name}, {"container_registry_tags", tags}};
        body.update(extra);
        auto record = catalog->create_registry(body);
        BOOST_REQUIRE_MESSAGE(record.has_value(), (record ? "" : record.error().message));
        return record.value();
    }

    std::vector<std::string> names(const QueryPage& page) {
        std::vector<std::string> out;
        for (const auto& item : page.items) {
            out.push_back(item["container_registry_name"]);
        }
        return out;
    }

    aiops::testing::TempDir dir;
    aiops::testing::FakeClock clock;
#ifdef AIOPS_CATALOG_ON_REDIS
    std::unique_ptr<aiops::testing::RedisServer> redis;
#endif
    std::unique_ptr<aiops::common::Store> store;
    std::unique_ptr<Catalog> catalog;
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(catalog_domain, CatalogFixture)

BOOST_AUTO_TEST_CASE(duplicate_id_conflicts_and_missing_records_are_not_found) {
    const auto first = create("a", {"x"});

    auto again =
        catalog->create_registry({{"container_registry_id", first["container_registry_id"]},
                                  {"container_registry_name", "b"}});

    BOOST_REQUIRE(!again);
    BOOST_TEST(again.error().code == ErrorCode::kConflict);
    BOOST_TEST(catalog->get_registry("nope").error().code == ErrorCode::kNotFound);
    BOOST_TEST(catalog->delete_registry("nope").error().code == ErrorCode::kNotFound);
    BOOST_TEST(catalog->update_registry("nope", {{"container_registry_name", "z"}}).error().code ==
               ErrorCode::kNotFound);
}

BOOST_AUTO_TEST_CASE(create_get_update_delete_round_trip) {
    const auto created = create("reg", {"ai"});
    const std::string id = created["container_registry_id"];

    auto updated = catalog->update_registry(
        id, json::parse(R"({"$set": {"container_registry_metadata.owner": "ml"}})"));
    BOOST_REQUIRE(updated);

    BOOST_TEST(catalog->get_registry(id).value()["container_registry_metadata"]["owner"] == "ml");
    BOOST_TEST(catalog->delete_registry(id).has_value());
    BOOST_TEST(!catalog->get_registry(id));
}

BOOST_AUTO_TEST_CASE(concurrent_updates_of_one_record_lose_nothing) {
    const std::string id = create("hot", json::array())["container_registry_id"];
    constexpr int kThreads = 6;
    constexpr int kPerThread = 15;

    std::vector<std::thread> writers;
    for (int thread_idx = 0; thread_idx < kThreads; ++thread_idx) {
        writers.emplace_back([&, thread_idx] {
            for (int idx = 0; idx < kPerThread; ++idx) {
                const auto tag = "t" + std::to_string(thread_idx) + "-" + std::to_string(idx);
                auto result = catalog->update_registry(
                    id, {{"$addToSet", {{"container_registry_tags", tag}}}});
                BOOST_TEST(result.has_value());
            }
        });
    }
    for (auto& writer : writers) {
        writer.join();
    }

    const auto record = catalog->get_registry(id).value();
    BOOST_TEST(record["container_registry_tags"].size() == std::size_t{kThreads * kPerThread});
}

BOOST_AUTO_TEST_CASE(tag_queries_use_the_index_and_stay_correct_after_updates) {
    create("a", {"ai", "internal"});
    create("b", {"ai"});
    const std::string c_id = create("c", {"internal"})["container_registry_id"];
    create("d", {"other"});

    auto page = catalog->query_registries(
        json::parse(R"({"container_registry_tags": {"$in": ["ai", "internal"]}})"), {});
    BOOST_REQUIRE(page);
    BOOST_TEST(page.value().used_index);
    BOOST_TEST(page.value().items.size() == 3U);

    BOOST_REQUIRE(catalog->update_registry(
        c_id, json::parse(R"({"$pull": {"container_registry_tags": "internal"}})")));
    auto after =
        catalog->query_registries(json::parse(R"({"container_registry_tags": "internal"})"), {});
    BOOST_REQUIRE(after);
    BOOST_TEST(names(after.value()) == std::vector<std::string>{"a"});

    auto all_of = catalog->query_registries(
        json::parse(R"({"container_registry_tags": {"$all": ["ai", "internal"]}})"), {});
    BOOST_REQUIRE(all_of);
    BOOST_TEST(names(all_of.value()) == std::vector<std::string>{"a"});
}

BOOST_AUTO_TEST_CASE(scans_evaluate_any_filter) {
    create("alpha-1", {"x"}, {{"container_registry_storage_info", {{"storage_size", 100}}}});
    create("alpha-2", {"y"}, {{"container_registry_storage_info", {{"storage_size", -1}}}});
    create("beta", {"z"});

    auto page =
        catalog->query_registries(json::parse(R"({"container_registry_name": {"$regex": "^alpha"},
                        "container_registry_storage_info.storage_size": {"$gte": 0}})"),
                                  {});

    BOOST_REQUIRE(page);
    BOOST_TEST(!page.value().used_index);
    BOOST_TEST(names(page.value()) == std::vector<std::string>{"alpha-1"});
}

BOOST_AUTO_TEST_CASE(cursor_paging_returns_every_match_exactly_once) {
    for (int idx = 0; idx < 45; ++idx) {
        create("r" + std::to_string(idx), idx % 3 == 0 ? json{"ai"} : json{"other"});
    }
    for (const auto* filter : {R"({})", R"({"container_registry_tags": "ai"})"}) {
        std::set<std::string> seen;
        std::size_t pages = 0;
        QueryOptions options{.limit = 7};
        do {
            auto page = catalog->query_registries(json::parse(filter), options);
            BOOST_REQUIRE(page);
            for (const auto& item : page.value().items) {
                BOOST_TEST(seen.insert(item["container_registry_id"].get<std::string>()).second);
            }
            options.cursor = page.value().next_cursor;
            ++pages;
        } while (!options.cursor.empty());
        BOOST_TEST(seen.size() == (std::string(filter) == "{}" ? 45U : 15U));
        BOOST_TEST(pages >= 3U);
    }
}

BOOST_AUTO_TEST_CASE(sorted_paging_orders_by_the_field) {
    for (const auto* name : {"m", "c", "x", "a", "q"}) {
        create(name, json::array());
    }
    QueryOptions options{.limit = 2, .sort = "-container_registry_name"};
    std::vector<std::string> order;
    do {
        auto page = catalog->query_registries(json::object(), options);
        BOOST_REQUIRE(page);
        for (const auto& name : names(page.value())) {
            order.push_back(name);
        }
        options.cursor = page.value().next_cursor;
    } while (!options.cursor.empty());

    BOOST_TEST(order == (std::vector<std::string>{"x", "q", "m", "c", "a"}));
}

BOOST_AUTO_TEST_CASE(bad_queries_are_invalid_input) {
    BOOST_TEST(catalog->query_registries(json::parse(R"({"a": {"$bogus": 1}})"), {}).error().code ==
               ErrorCode::kInvalidInput);
    BOOST_TEST(catalog->query_registries(json::object(), {.limit = 1001}).error().code ==
               ErrorCode::kInvalidInput);
    BOOST_TEST(catalog->query_registries(json::object(), {.cursor = "garbage"}).error().code ==
               ErrorCode::kInvalidInput);
}

BOOST_AUTO_TEST_CASE(health_results_keep_a_bounded_history_and_are_queryable) {
    const std::string id = create("h", json::array())["container_registry_id"];
    for (int idx = 0; idx < 25; ++idx) {
        BOOST_REQUIRE(catalog->record_health(id, {{"status", idx % 2 == 0 ? "up" : "down"}}));
    }

    const auto record = catalog->get_registry(id).value();
    BOOST_TEST(record["health"]["status"] == "up");
    BOOST_TEST(record["health"]["history"].size() == CatalogSettings{}.health_history);
    auto down = catalog->query_registries(json::parse(R"({"health.status": "down"})"), {});
    BOOST_REQUIRE(down);
    BOOST_TEST(down.value().items.empty());
    auto up = catalog->query_registries(json::parse(R"({"health.status": "up"})"), {});
    BOOST_TEST(up.value().items.size() == 1U);
}

BOOST_AUTO_TEST_CASE(models_upsert_by_registry_repository_and_digest) {
    const json model = {{"registry_id", "harbor"},
                        {"repository", "hf/org/model"},
                        {"digest", "sha256:" + std::string(64, 'b')},
                        {"format", "safetensors"}};
    auto first = catalog->upsert_model(model);
    BOOST_REQUIRE(first);
    BOOST_TEST(first.value().second);

    auto scanned = model;
    scanned["scan_status"] = "clean";
    auto second = catalog->upsert_model(scanned);
    BOOST_REQUIRE(second);
    BOOST_TEST(!second.value().second);

    auto page = catalog->query_models(json::parse(R"({"scan_status": "clean"})"), {});
    BOOST_REQUIRE(page);
    BOOST_TEST(page.value().used_index);
    BOOST_REQUIRE(page.value().items.size() == 1U);
    const std::string id = page.value().items[0]["model_id"];
    BOOST_TEST(catalog->delete_model(id).has_value());
    BOOST_TEST(catalog->get_model(id).error().code == ErrorCode::kNotFound);
}

BOOST_AUTO_TEST_SUITE_END()
