#define BOOST_TEST_MODULE catalog_filter
#include "filter.h"

#include <boost/test/unit_test.hpp>

using aiops::catalog::Filter;
using json = nlohmann::json;

namespace {

const json kRecord = json::parse(R"({
  "container_registry_id": "b3c38f52-8f2e-43a3-9aa9-bd9a4c75e509",
  "container_registry_name": "internal-ai-registry",
  "container_registry_metadata": {"environment": "production", "owner": "mlops-team"},
  "container_registry_tags": ["ai", "training", "internal", "fast-pull"],
  "container_registry_storage_info": {"storage_type": "s3", "storage_size": -1, "memory_size": 8192},
  "health": {"status": "down", "history": [{"status": "up", "latency_ms": 12},
                                           {"status": "down", "latency_ms": 3000}]}
})");

bool match(const std::string& filter_text) {
    auto filter = Filter::parse(json::parse(filter_text));
    BOOST_REQUIRE_MESSAGE(filter.has_value(),
                          filter_text + ": " + (filter ? "" : filter.error().message));
    return filter->matches(kRecord);
}

std::string parse_error(const std::string& filter_text) {
    auto filter = Filter::parse(json::parse(filter_text));
    BOOST_REQUIRE_MESSAGE(!filter.has_value(), filter_text + " should be rejected");
    return filter.error().message;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(filter_parsing)

BOOST_AUTO_TEST_CASE(unknown_operators_are_rejected_with_their_name) {
    BOOST_TEST(parse_error(R"({"a": {"$near": 1}})").find("$near") != std::string::npos);
    BOOST_TEST(parse_error(R"({"$where": "1"})").find("$where") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(operator_arguments_are_type_checked) {
    BOOST_TEST(parse_error(R"({"a": {"$in": 1}})").find("a.$in") != std::string::npos);
    BOOST_TEST(parse_error(R"({"a": {"$size": -1}})").find("$size") != std::string::npos);
    BOOST_TEST(parse_error(R"({"a": {"$regex": 5}})").find("$regex") != std::string::npos);
    BOOST_TEST(parse_error(R"({"a": {"$regex": "("}})").find("invalid regular") !=
               std::string::npos);
    BOOST_TEST(parse_error(R"({"a": {"$regex": "x", "$options": "z"}})").find("$options") !=
               std::string::npos);
    BOOST_TEST(parse_error(R"({"$or": []})").find("$or") != std::string::npos);
    BOOST_TEST(parse_error(R"({"a": {"$not": 3}})").find("$not") != std::string::npos);
    BOOST_TEST(parse_error(R"([1])").find("object") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(filters_with_too_many_conditions_are_rejected) {
    json big = json::object();
    for (int idx = 0; idx < 3000; ++idx) {
        big["f" + std::to_string(idx)] = idx;
    }
    BOOST_TEST(!Filter::parse(big).has_value());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(filter_matching)

BOOST_AUTO_TEST_CASE(equality_on_scalars_objects_and_missing_fields) {
    BOOST_TEST(match(R"({"container_registry_name": "internal-ai-registry"})"));
    BOOST_TEST(!match(R"({"container_registry_name": "other"})"));
    BOOST_TEST(match(R"({"container_registry_metadata.owner": "mlops-team"})"));
    BOOST_TEST(match(R"({"container_registry_metadata": {"environment": "production",
                                                       "owner": "mlops-team"}})"));
    BOOST_TEST(match(R"({"no_such_field": null})"));
    BOOST_TEST(!match(R"({"no_such_field": "x"})"));
    BOOST_TEST(match(R"({})"));
}

BOOST_AUTO_TEST_CASE(array_fields_match_when_any_element_matches) {
    BOOST_TEST(match(R"({"container_registry_tags": "ai"})"));
    BOOST_TEST(match(R"({"container_registry_tags": {"$in": ["ai", "internal"]}})"));
    BOOST_TEST(!match(R"({"container_registry_tags": {"$in": ["gpu"]}})"));
    BOOST_TEST(match(R"({"container_registry_tags": {"$nin": ["gpu"]}})"));
    BOOST_TEST(match(R"({"container_registry_tags": {"$all": ["ai", "training"]}})"));
    BOOST_TEST(!match(R"({"container_registry_tags": {"$all": ["ai", "gpu"]}})"));
    BOOST_TEST(match(R"({"container_registry_tags": {"$size": 4}})"));
    BOOST_TEST(match(R"({"container_registry_tags.0": "ai"})"));
    BOOST_TEST(
        match(R"({"container_registry_tags": ["ai", "training", "internal", "fast-pull"]})"));
}

BOOST_AUTO_TEST_CASE(comparisons_only_match_values_of_the_same_kind) {
    BOOST_TEST(match(R"({"container_registry_storage_info.memory_size": {"$gte": 8192}})"));
    BOOST_TEST(!match(R"({"container_registry_storage_info.memory_size": {"$gt": 8192}})"));
    BOOST_TEST(match(R"({"container_registry_storage_info.storage_size": {"$lt": 0}})"));
    BOOST_TEST(!match(R"({"container_registry_storage_info.memory_size": {"$gt": "1"}})"));
    BOOST_TEST(match(R"({"container_registry_name": {"$gt": "a", "$lte": "j"}})"));
    BOOST_TEST(match(R"({"container_registry_storage_info.memory_size": 8192.0})"));
}

BOOST_AUTO_TEST_CASE(exists_ne_regex_and_not) {
    BOOST_TEST(match(R"({"health.status": {"$exists": true}})"));
    BOOST_TEST(match(R"({"health.missing": {"$exists": false}})"));
    BOOST_TEST(match(R"({"health.status": {"$ne": "up"}})"));
    BOOST_TEST(match(R"({"container_registry_name": {"$regex": "^INTERNAL", "$options": "i"}})"));
    BOOST_TEST(!match(R"({"container_registry_name": {"$regex": "^INTERNAL"}})"));
    BOOST_TEST(match(R"({"container_registry_tags": {"$regex": "^fast"}})"));
    BOOST_TEST(match(R"({"container_registry_tags": {"$not": {"$size": 2}}})"));
    BOOST_TEST(!match(R"({"health.status": {"$not": {"$eq": "down"}}})"));
}

BOOST_AUTO_TEST_CASE(elem_match_applies_all_conditions_to_one_element) {
    BOOST_TEST(match(
        R"({"health.history": {"$elemMatch": {"status": "up", "latency_ms": {"$lt": 100}}}})"));
    BOOST_TEST(!match(
        R"({"health.history": {"$elemMatch": {"status": "up", "latency_ms": {"$gt": 100}}}})"));
    BOOST_TEST(
        match(R"({"container_registry_tags": {"$elemMatch": {"$regex": "^tr", "$ne": "x"}}})"));
    BOOST_TEST(match(R"({"health.history.latency_ms": {"$gt": 2000}})"));
}

BOOST_AUTO_TEST_CASE(logical_operators_combine_filters) {
    BOOST_TEST(
        match(R"({"$or": [{"container_registry_name": "x"}, {"container_registry_tags": "ai"}]})"));
    BOOST_TEST(!match(
        R"({"$and": [{"container_registry_name": "x"}, {"container_registry_tags": "ai"}]})"));
    BOOST_TEST(match(R"({"$nor": [{"container_registry_name": "x"}, {"health.status": "up"}]})"));
}

BOOST_AUTO_TEST_CASE(index_hints_come_from_the_top_level_and_only) {
    auto filter = Filter::parse(json::parse(
        R"({"container_registry_tags": {"$all": ["ai", "gpu"]}, "container_registry_name": "n",
            "$or": [{"container_registry_tags": "never-a-hint"}]})"));
    BOOST_REQUIRE(filter);

    const auto hints = filter->index_hints();

    BOOST_REQUIRE(hints.size() == 2U);
    bool saw_tags = false;
    for (const auto& hint : hints) {
        if (hint.path == "container_registry_tags") {
            saw_tags = true;
            BOOST_TEST(hint.all_of);
            BOOST_TEST(hint.values.size() == 2U);
        }
    }
    BOOST_TEST(saw_tags);
}

BOOST_AUTO_TEST_SUITE_END()
