#define BOOST_TEST_MODULE catalog_registry_record
#include "registry_record.h"

#include <boost/test/unit_test.hpp>

#include "update_operators.h"

using namespace aiops::catalog;
using json = nlohmann::json;

namespace {

const json kSeedExample = json::parse(R"({
  "container_registry_id": "b3c38f52-8f2e-43a3-9aa9-bd9a4c75e509",
  "container_registry_name": "internal-ai-registry",
  "container_registry_metadata": {"environment": "production", "owner": "mlops-team",
                                  "region": "us-west-2"},
  "container_registry_tags": ["ai", "training", "internal", "fast-pull"],
  "container_registry_public_url": "http://10.13.21.22:32633",
  "container_registry_image_prefix": "10.13.21.22:32633",
  "container_registry_config": {"auth_required": true, "mirror_enabled": false,
                                "storage_backend": "s3", "max_layer_size_mb": 500},
  "container_registry_storage_info": {"storage_type": "s3", "storage_size": -1,
                                      "memory_size": 8192, "registry_type": "aios"}
})");

std::string create_error(json body) {
    auto record = new_registry(body, "2026-11-25T00:00:00Z");
    BOOST_REQUIRE(!record.has_value());
    return record.error().message;
}

json created() {
    auto record = new_registry(kSeedExample, "2026-11-25T00:00:00Z");
    BOOST_REQUIRE(record.has_value());
    return record.value();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(registry_record)

BOOST_AUTO_TEST_CASE(rejects_unknown_fields_wrong_types_and_ranges_naming_the_field) {
    auto body = kSeedExample;
    body["surprise"] = 1;
    BOOST_TEST(create_error(body).find("surprise: unknown field") != std::string::npos);

    body = kSeedExample;
    body["container_registry_tags"] = "ai";
    BOOST_TEST(create_error(body).find("container_registry_tags") != std::string::npos);

    body = kSeedExample;
    body["container_registry_storage_info"]["storage_size"] = -2;
    BOOST_TEST(create_error(body).find("container_registry_storage_info.storage_size") !=
               std::string::npos);

    body = kSeedExample;
    body["container_registry_storage_info"]["registry_type"] = "cloud";
    BOOST_TEST(create_error(body).find("registry_type") != std::string::npos);

    body = kSeedExample;
    body["container_registry_name"] = std::string(201, 'n');
    BOOST_TEST(create_error(body).find("container_registry_name") != std::string::npos);

    body = kSeedExample;
    body["container_registry_public_url"] = "ftp://x";
    BOOST_TEST(create_error(body).find("container_registry_public_url") != std::string::npos);

    body = kSeedExample;
    body["container_registry_id"] = "not-a-uuid";
    BOOST_TEST(create_error(body).find("container_registry_id") != std::string::npos);

    body = kSeedExample;
    body["health"] = {{"status", "up"}};
    BOOST_TEST(create_error(body).find("health: is read-only") != std::string::npos);

    body = kSeedExample;
    body.erase("container_registry_name");
    BOOST_TEST(create_error(body).find("is required") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(create_keeps_the_given_id_or_generates_a_uuid_v4) {
    BOOST_TEST(created()["container_registry_id"] == "b3c38f52-8f2e-43a3-9aa9-bd9a4c75e509");
    BOOST_TEST(created()["created_at"] == "2026-11-25T00:00:00Z");

    auto minimal = new_registry({{"container_registry_name", "r"}}, "t");
    BOOST_REQUIRE(minimal);
    const auto id = minimal.value()["container_registry_id"].get<std::string>();
    BOOST_TEST(is_uuid(id));
    BOOST_TEST(id[14] == '4');
    BOOST_TEST(minimal.value()["container_registry_tags"] == json::array());
    BOOST_TEST(generate_uuid_v4() != generate_uuid_v4());
}

BOOST_AUTO_TEST_CASE(plain_update_replaces_top_level_fields) {
    auto updated = update_registry(created(), {{"container_registry_name", "renamed"}}, "t2");

    BOOST_REQUIRE(updated);
    BOOST_TEST(updated.value()["container_registry_name"] == "renamed");
    BOOST_TEST(updated.value()["updated_at"] == "t2");
    BOOST_TEST(updated.value()["created_at"] == "2026-11-25T00:00:00Z");
}

BOOST_AUTO_TEST_CASE(operator_update_sets_unsets_and_edits_tag_sets) {
    auto updated = update_registry(created(), json::parse(R"({
        "$set": {"container_registry_metadata.owner": "platform", "container_registry_config.x.y": 1},
        "$unset": {"container_registry_metadata.region": ""},
        "$addToSet": {"container_registry_tags": {"$each": ["gpu", "ai"]}},
        "$pull": {"container_registry_tags": {"$in": ["training"]}}})"),
                                   "t2");

    BOOST_REQUIRE(updated);
    const auto& record = updated.value();
    BOOST_TEST(record["container_registry_metadata"]["owner"] == "platform");
    BOOST_TEST(!record["container_registry_metadata"].contains("region"));
    BOOST_TEST(record["container_registry_config"]["x"]["y"] == 1);
    BOOST_TEST(record["container_registry_tags"] ==
               json::parse(R"(["ai", "internal", "fast-pull", "gpu"])"));
}

BOOST_AUTO_TEST_CASE(updates_cannot_change_the_id_or_read_only_fields_or_break_the_schema) {
    const auto record = created();
    BOOST_TEST(!update_registry(
        record, {{"container_registry_id", "b3c38f52-8f2e-43a3-9aa9-000000000000"}}, "t"));
    BOOST_TEST(!update_registry(record, json::parse(R"({"$set": {"health": 1}})"), "t"));
    BOOST_TEST(!update_registry(record,
                                json::parse(R"({"$unset": {"container_registry_name": 1}})"), "t"));
    BOOST_TEST(!update_registry(record,
                                json::parse(R"({"$set": {"container_registry_tags": [1]}})"), "t"));
    BOOST_TEST(!update_registry(record, json::parse(R"({"$inc": {"a": 1}})"), "t"));
    BOOST_TEST(!update_registry(record, json::parse(R"({"$set": {"a..b": 1}})"), "t"));
    BOOST_TEST(!update_registry(
        record, json::parse(R"({"$set": {"x": 1}, "container_registry_name": "y"})"), "t"));
    BOOST_TEST(!update_registry(
        record, json::parse(R"({"$addToSet": {"container_registry_name": "y"}})"), "t"));
    BOOST_TEST(!update_registry(record, json::object(), "t"));
    // Round-tripping a fetched record (read-only fields unchanged) is allowed.
    BOOST_TEST(update_registry(record, record, "t").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
