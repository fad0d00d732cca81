#define BOOST_TEST_MODULE catalog_model_record
#include "model_record.h"

#include <boost/test/unit_test.hpp>

using namespace aiops::catalog;
using json = nlohmann::json;

namespace {

const std::string kDigest = "sha256:" + std::string(64, 'a');

json model() {
    return {{"registry_id", "harbor-prod"},
            {"repository", "hf/meta-llama/llama-3-8b"},
            {"digest", kDigest},
            {"tags", {"main"}},
            {"format", "safetensors"},
            {"param_size", "8B"},
            {"licenses", {"llama3"}},
            {"size_bytes", 16000000000LL},
            {"severity_summary", {{"critical", 0}, {"high", 1}}}};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(model_record)

BOOST_AUTO_TEST_CASE(rejects_bad_fields_naming_them) {
    auto body = model();
    body["digest"] = "sha256:XYZ";
    auto bad_digest = upsert_model(nullptr, body, "t");
    BOOST_REQUIRE(!bad_digest);
    BOOST_TEST(bad_digest.error().message.find("digest") != std::string::npos);

    body = model();
    body["repository"] = "/Upper";
    BOOST_TEST(!upsert_model(nullptr, body, "t"));

    body = model();
    body["severity_summary"]["fatal"] = 1;
    BOOST_TEST(!upsert_model(nullptr, body, "t"));

    body = model();
    body["scan_status"] = "great";
    BOOST_TEST(!upsert_model(nullptr, body, "t"));

    body = model();
    body["model_id"] = "x";
    BOOST_TEST(!upsert_model(nullptr, body, "t"));

    body = model();
    body.erase("registry_id");
    BOOST_TEST(!upsert_model(nullptr, body, "t"));

    body = model();
    body["size_bytes"] = -1;
    BOOST_TEST(!upsert_model(nullptr, body, "t"));
}

BOOST_AUTO_TEST_CASE(id_is_derived_from_registry_repository_and_digest) {
    auto first = upsert_model(nullptr, model(), "t1");
    BOOST_REQUIRE(first);

    BOOST_TEST(first.value()["model_id"] ==
               model_id_for("harbor-prod", "hf/meta-llama/llama-3-8b", kDigest));
    BOOST_TEST(first.value()["model_id"].get<std::string>().size() == 32U);
    BOOST_TEST(model_id_for("a", "b", kDigest) != model_id_for("a", "c", kDigest));
    BOOST_TEST(first.value()["scan_status"] == "not_scanned");
}

BOOST_AUTO_TEST_CASE(upsert_keeps_created_at_and_merges_fields) {
    auto first = upsert_model(nullptr, model(), "t1");
    BOOST_REQUIRE(first);
    auto update = model();
    update["scan_status"] = "clean";
    update.erase("format");

    auto second = upsert_model(&first.value(), update, "t2");

    BOOST_REQUIRE(second);
    BOOST_TEST(second.value()["created_at"] == "t1");
    BOOST_TEST(second.value()["updated_at"] == "t2");
    BOOST_TEST(second.value()["scan_status"] == "clean");
    BOOST_TEST(second.value()["format"] == "safetensors");
}

BOOST_AUTO_TEST_SUITE_END()
