#define BOOST_TEST_MODULE preheat_job_request
#include "job_request.h"

#include <boost/test/unit_test.hpp>

// The bodies Harbor's Dragonfly drivers send
// (shared/reference/harbor-preheat-webhook-replication.md §1.3: every key present, scope "" when
// the policy has none, scheduler_cluster_ids null).
namespace {

using aiops::common::ErrorCode;
using aiops::preheat::parse_job_request;
using aiops::preheat::parse_legacy_preheat;
using aiops::preheat::parse_manifest_url;
using aiops::preheat::Scope;
using nlohmann::json;

json harbor_body(const std::string& scope = "", const json& clusters = nullptr) {
    return {{"type", "preheat"},
            {"args",
             {{"type", "image"},
              {"url", "https://harbor.example.com/v2/ai-models/llama3-8b/manifests/v1"},
              {"tag", ""},
              {"filtered_query_params", ""},
              {"headers", {{"Authorization", "Bearer eyJhbGciOiJSUzI1NiJ9.x.y"}}},
              {"scope", scope},
              {"concurrent_count", 0},
              {"timeout", 0}}},
            {"scheduler_cluster_ids", clusters}};
}

std::string error_of(const json& body) {
    auto parsed = parse_job_request(body);
    return parsed ? "" : parsed.error().message;
}

}  // namespace

BOOST_AUTO_TEST_CASE(harbors_current_body_parses_with_dragonfly_defaults) {
    auto request = parse_job_request(harbor_body());

    BOOST_TEST_REQUIRE(request.has_value());
    BOOST_TEST(request->manifest.registry == "https://harbor.example.com");
    BOOST_TEST(request->manifest.repository == "ai-models/llama3-8b");
    BOOST_TEST(request->manifest.reference == "v1");
    BOOST_TEST(request->authorization == "Bearer eyJhbGciOiJSUzI1NiJ9.x.y");
    BOOST_TEST((request->scope == Scope::kSingleSeedPeer));
    BOOST_TEST(!request->pools.has_value());
}

BOOST_AUTO_TEST_CASE(scopes_and_cluster_ids_are_read) {
    auto all = parse_job_request(harbor_body("all_peers", json::array({2, 1, 2})));
    auto seeds = parse_job_request(harbor_body("all_seed_peers"));

    BOOST_TEST_REQUIRE(all.has_value());
    BOOST_TEST((all->scope == Scope::kAllPeers));
    BOOST_TEST((all->pools == std::vector<std::int64_t>{1, 2}));
    BOOST_TEST((seeds.value().scope == Scope::kAllSeedPeers));
}

BOOST_AUTO_TEST_CASE(a_digest_reference_a_port_and_a_nested_repository_parse) {
    auto url = parse_manifest_url(
        "http://10.0.0.5:8080/v2/proj/team/model/manifests/"
        "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");

    BOOST_TEST_REQUIRE(url.has_value());
    BOOST_TEST(url->registry == "http://10.0.0.5:8080");
    BOOST_TEST(url->repository == "proj/team/model");
    BOOST_TEST(url->reference.starts_with("sha256:"));
}

BOOST_AUTO_TEST_CASE(bad_bodies_are_rejected_naming_the_field) {
    json wrong_type = harbor_body();
    wrong_type["type"] = "sync";
    json file = harbor_body();
    file["args"]["type"] = "file";
    json no_url = harbor_body();
    no_url["args"].erase("url");
    json bad_scope = harbor_body("everyone");
    json bad_header = harbor_body();
    bad_header["args"]["headers"]["X"] = 7;
    json bad_clusters = harbor_body("", json::array({"1"}));

    BOOST_TEST(error_of(json::array()).find("object") != std::string::npos);
    BOOST_TEST(error_of(wrong_type).find("type") != std::string::npos);
    BOOST_TEST(error_of(file).find("args.type") != std::string::npos);
    BOOST_TEST(error_of(no_url).find("args.url") != std::string::npos);
    BOOST_TEST(error_of(bad_scope).find("args.scope") != std::string::npos);
    BOOST_TEST(error_of(bad_header).find("headers.X") != std::string::npos);
    BOOST_TEST(error_of(bad_clusters).find("scheduler_cluster_ids") != std::string::npos);
    BOOST_TEST(parse_job_request(no_url).error().code == ErrorCode::kInvalidInput);
}

BOOST_AUTO_TEST_CASE(urls_that_are_not_manifest_urls_are_rejected) {
    for (const char* url :
         {"harbor/v2/a/manifests/v1", "ftp://h/v2/a/manifests/v1", "https://h/v1/a/manifests/v1",
          "https://h/v2/A/manifests/v1", "https://h/v2/a/manifests/",
          "https://h/v2/a/manifests/.bad", "https://user@h/v2/a/manifests/v1",
          "https:///v2/a/manifests/v1", "https://h/v2/../etc/manifests/v1"}) {
        BOOST_TEST(!parse_manifest_url(url).has_value(), url);
    }
}

BOOST_AUTO_TEST_CASE(harbor_2_11_legacy_body_parses_as_all_peers) {
    const json legacy{{"type", "image"},
                      {"url", "https://harbor.example.com/v2/ai/llama/manifests/v1"},
                      {"headers", {{"authorization", "Bearer t"}}},
                      {"image", "ai/llama"},
                      {"tag", "v1"},
                      {"digest", "sha256:ab"}};

    auto request = parse_legacy_preheat(legacy);

    BOOST_TEST_REQUIRE(request.has_value());
    BOOST_TEST(request->authorization == "Bearer t");
    BOOST_TEST((request->scope == Scope::kAllPeers));
    BOOST_TEST(!parse_legacy_preheat(json{{"type", "image"}}).has_value());
}

BOOST_AUTO_TEST_CASE(oversized_values_are_bounded) {
    json huge_header = harbor_body();
    huge_header["args"]["headers"]["Authorization"] = std::string(20000, 'x');
    json huge_url = harbor_body();
    huge_url["args"]["url"] = "https://h/v2/" + std::string(5000, 'a') + "/manifests/v1";
    json many_clusters = harbor_body("", json::array());
    for (int id = 1; id <= 300; ++id) {
        many_clusters["scheduler_cluster_ids"].push_back(id);
    }

    BOOST_TEST(!parse_job_request(huge_header).has_value());
    BOOST_TEST(!parse_job_request(huge_url).has_value());
    BOOST_TEST(!parse_job_request(many_clusters).has_value());
}
