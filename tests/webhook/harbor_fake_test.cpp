#define BOOST_TEST_MODULE webhook_harbor_fake
#include <httplib.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "aiops/common/encoding.h"
#include "aiops/common/http_client.h"
#include "aiops/common/oci.h"
#include "aiops/common/registry_client.h"
#include "fixtures/harbor_api_server.h"
#include "fixtures/oci_artifact.h"
#include "fixtures/registry_server.h"

// The Harbor REST API v2.0 test server (shared/reference/harbor-preheat-webhook-replication.md §5)
// in front of a real docker-registry: every outcome is read back from the registry or the API.
namespace {

namespace common = aiops::common;
namespace testing = aiops::testing;
namespace media_type = common::media_type;
namespace modelpack = common::modelpack;
using json = nlohmann::json;

std::string basic(const std::string& user, const std::string& password) {
    return "Basic " + common::base64_encode(user + ":" + password);
}

std::string robot() { return basic("robot$ci", "s3cret"); }

testing::BuiltArtifact image(unsigned seed) {
    return testing::build_artifact(
        {{std::string(media_type::kOciLayerTarGzip), testing::pseudo_random_bytes(4096, seed), {}}},
        "", std::string(media_type::kOciConfig),
        R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})");
}

testing::BuiltArtifact model(modelpack::Naming naming) {
    const auto& names = modelpack::names(naming);
    return testing::build_artifact(
        {{modelpack::layer_media_type(naming, modelpack::LayerKind::kWeight,
                                      modelpack::LayerEncoding::kRaw),
          testing::pseudo_random_bytes(2048, 7),
          {{std::string(names.filepath_annotation), "model.safetensors"}}}},
        std::string(names.manifest_artifact_type), std::string(names.config),
        R"({"descriptor":{"name":"tiny"},"modelfs":{"type":"layers","diffIds":[]},"config":{}})");
}

json errors_of(const common::HttpResponse& response) {
    return json::parse(response.body).at("errors").at(0);
}

struct HarborFake {
    testing::RegistryServer registry;
    std::unique_ptr<common::HttpClient> http = common::HttpClient::create({}).value();
    std::unique_ptr<common::RegistryClient> oci =
        common::RegistryClient::create(*http, {.base_url = registry.url()}).value();
    testing::HarborApiServer harbor{registry.url()};

    HarborFake() {
        harbor.add_robot("ci", "s3cret");
        harbor.add_user("admin", "Harbor12345");
    }

    // One request, no retries, with the robot's Basic credentials unless `headers` are given.
    common::HttpResponse call(const std::string& method, const std::string& path,
                              const std::string& body = "",
                              const common::HttpHeaders& headers = {{"Authorization", robot()}}) {
        common::HttpRequest request;
        request.method = method;
        request.url = harbor.url() + path;
        request.headers = headers;
        request.body = body;
        request.retry = false;
        if (!body.empty()) {
            request.headers.emplace("Content-Type", "application/json");
        }
        auto response = http->fetch(request);
        BOOST_TEST_REQUIRE(response.has_value(), (response ? "" : response.error().message));
        return std::move(response).value();
    }

    common::Digest push(const std::string& repository, const std::string& tag,
                        const testing::BuiltArtifact& artifact) {
        auto pushed = testing::push_artifact(*oci, repository, tag, artifact);
        BOOST_TEST_REQUIRE(pushed.has_value(), (pushed ? "" : pushed.error().message));
        return *pushed;
    }

    // Two images pushed by digest only, and an OCI index over them tagged `tag`.
    std::pair<common::Digest, std::vector<common::Digest>> push_index(const std::string& repository,
                                                                      const std::string& tag) {
        common::ImageIndex index;
        index.media_type = media_type::kOciIndex;
        std::vector<common::Digest> children;
        for (const auto& [seed, arch] : {std::pair{11U, "amd64"}, std::pair{12U, "arm64"}}) {
            const auto child = image(seed);
            BOOST_TEST_REQUIRE(oci->push_blob(repository, child.config_bytes).has_value());
            BOOST_TEST_REQUIRE(oci->push_blob(repository, child.layer_bytes.at(0)).has_value());
            BOOST_TEST_REQUIRE(oci->put_manifest(repository, child.manifest_digest.str(),
                                                 child.manifest_bytes, media_type::kOciManifest)
                                   .has_value());
            auto descriptor = common::describe(media_type::kOciManifest, child.manifest_bytes);
            descriptor->platform = common::Platform{arch, "linux", "", ""};
            index.manifests.push_back(*descriptor);
            children.push_back(child.manifest_digest);
        }
        const auto bytes = common::serialize(index);
        auto digest = oci->put_manifest(repository, tag, bytes, media_type::kOciIndex);
        BOOST_TEST_REQUIRE(digest.has_value());
        return {*digest, children};
    }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(harbor_api_server, HarborFake)

BOOST_AUTO_TEST_CASE(requests_without_valid_basic_credentials_are_401_and_change_nothing) {
    const auto built = image(1);
    const auto digest = push("src/app", "v1", built);
    const int label = harbor.add_label("approved");
    const std::string labels = "/api/v2.0/projects/src/repositories/app/artifacts/v1/labels";
    const std::string body = json{{"id", label}}.dump();

    const auto anonymous = call("POST", labels, body, {});
    const auto wrong_secret =
        call("POST", labels, body, {{"Authorization", basic("robot$ci", "x")}});
    const auto unknown_robot =
        call("POST", labels, body, {{"Authorization", basic("robot$x", "s")}});
    const auto bearer = call("POST", labels, body, {{"Authorization", "Bearer s3cret"}});
    const auto admin = call("GET", "/api/v2.0/projects/src/repositories/app/artifacts/v1", "",
                            {{"Authorization", basic("admin", "Harbor12345")}});

    for (const auto* refused : {&anonymous, &wrong_secret, &unknown_robot, &bearer}) {
        BOOST_TEST(refused->status == 401);
        BOOST_TEST(!refused->header("X-Request-Id").value_or("").empty());
        BOOST_TEST(errors_of(*refused).at("code") == "UNAUTHORIZED");
    }
    BOOST_TEST(harbor.labels_of("src/app", digest.str()).empty());
    BOOST_TEST(admin.status == 200);
    BOOST_TEST(json::parse(admin.body).at("digest").get<std::string>() == digest.str());
}

// Harbor (Go's net/http) drains an unread request body before reusing the connection; the fake
// must too, or a refused POST's body is read as the next request line on a keep-alive connection.
BOOST_AUTO_TEST_CASE(a_refused_request_body_does_not_poison_the_next_request_on_its_connection) {
    const auto built = image(2);
    push("src/app", "v1", built);
    const int label = harbor.add_label("approved");
    httplib::Client client("127.0.0.1", harbor.port());
    client.set_keep_alive(true);
    const std::string path = "/api/v2.0/projects/src/repositories/app/artifacts/v1";
    for (int round = 0; round < 3; ++round) {
        const auto refused =
            client.Post(path + "/labels", json{{"id", label}}.dump(), "application/json");
        BOOST_TEST_REQUIRE(static_cast<bool>(refused));
        BOOST_TEST(refused->status == 401);
        const auto next = client.Get(path, {{"Authorization", robot()}});
        BOOST_TEST_REQUIRE(static_cast<bool>(next));
        BOOST_TEST(next->status == 200);
    }
}

BOOST_AUTO_TEST_CASE(copy_lands_manifest_blobs_and_tags_in_the_target_repository) {
    const auto built = image(2);
    const auto digest = push("src/app", "v1", built);

    const auto copied =
        call("POST", "/api/v2.0/projects/dst/repositories/team%252Fapp/artifacts?from=src/app:v1");

    BOOST_TEST(copied.status == 201);
    BOOST_TEST(copied.header("Location").value_or("") ==
               "/api/v2.0/projects/dst/repositories/team%2Fapp/artifacts/v1");
    const auto by_digest = oci->get_manifest("dst/team/app", digest.str());
    const auto by_tag = oci->get_manifest("dst/team/app", "v1");
    BOOST_TEST_REQUIRE(by_digest.has_value());
    BOOST_TEST(by_digest->bytes == built.manifest_bytes);
    BOOST_TEST_REQUIRE(by_tag.has_value());
    BOOST_TEST(by_tag->digest == digest);
    const auto layer = oci->fetch_blob("dst/team/app", built.manifest.layers.at(0).digest, 1 << 20);
    BOOST_TEST_REQUIRE(layer.has_value());
    BOOST_TEST(*layer == built.layer_bytes.at(0));
    BOOST_TEST(oci->head_blob("dst/team/app", built.manifest.config.digest).has_value());
}

BOOST_AUTO_TEST_CASE(copy_by_digest_of_an_index_copies_children_and_source_tags) {
    const auto [index, children] = push_index("src/multi", "latest");

    const auto copied = call("POST", "/api/v2.0/projects/dst/repositories/multi/artifacts?from=" +
                                         common::percent_encode("src/multi@" + index.str(), false));

    BOOST_TEST(copied.status == 201);
    BOOST_TEST(copied.header("Location").value_or("") ==
               "/api/v2.0/projects/dst/repositories/multi/artifacts/" + index.str());
    const auto root = oci->get_manifest("dst/multi", index.str());
    BOOST_TEST_REQUIRE(root.has_value());
    BOOST_TEST(root->media_type == media_type::kOciIndex);
    for (const auto& child : children) {
        BOOST_TEST(oci->get_manifest("dst/multi", child.str()).has_value(), child.str());
    }
    const auto tags = oci->list_tags("dst/multi");
    BOOST_TEST_REQUIRE(tags.has_value());
    BOOST_TEST(*tags == std::vector<std::string>{"latest"}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(copy_of_a_missing_source_is_404_and_a_malformed_from_is_400) {
    push("src/app", "v1", image(3));
    const std::string copy = "/api/v2.0/projects/dst/repositories/app/artifacts";

    const auto missing_tag = call("POST", copy + "?from=src/app:nope");
    const auto missing_repo = call("POST", copy + "?from=src/none:v1");
    const auto no_reference = call("POST", copy + "?from=src/app");
    const auto no_project = call("POST", copy + "?from=app:v1");
    const auto bad_digest = call("POST", copy + "?from=src/app@sha256:abc");
    const auto no_from = call("POST", copy);

    BOOST_TEST(missing_tag.status == 404);
    BOOST_TEST(errors_of(missing_tag).at("code") == "NOT_FOUND");
    BOOST_TEST(missing_repo.status == 404);
    for (const auto* malformed : {&no_reference, &no_project, &bad_digest, &no_from}) {
        BOOST_TEST(malformed->status == 400);
        BOOST_TEST(errors_of(*malformed).at("code") == "BAD_REQUEST");
    }
    BOOST_TEST(oci->list_tags("dst/app").error().code == common::ErrorCode::kNotFound);
}

BOOST_AUTO_TEST_CASE(labels_attach_once_then_conflict_list_and_detach) {
    const auto digest = push("src/app", "v1", image(4));
    const int scanned = harbor.add_label("scanned");
    harbor.add_label("approved");
    const std::string artifact =
        "/api/v2.0/projects/src/repositories/app/artifacts/" + digest.str();

    const auto added = call("POST", artifact + "/labels", json{{"id", scanned}}.dump());
    const auto again = call("POST", artifact + "/labels", json{{"id", scanned}}.dump());
    const auto unknown = call("POST", artifact + "/labels", R"({"id":999})");
    const auto no_artifact =
        call("POST", "/api/v2.0/projects/src/repositories/app/artifacts/v9/labels",
             json{{"id", scanned}}.dump());
    const auto shown = call("GET", artifact + "?with_label=true&with_tag=true");

    BOOST_TEST(added.status == 200);
    BOOST_TEST(again.status == 409);
    BOOST_TEST(errors_of(again).at("code") == "CONFLICT");
    BOOST_TEST(unknown.status == 404);
    BOOST_TEST(no_artifact.status == 404);
    BOOST_TEST(harbor.labels_of("src/app", digest.str()) == std::vector<std::string>{"scanned"},
               boost::test_tools::per_element());
    BOOST_TEST_REQUIRE(shown.status == 200);
    const auto labels = json::parse(shown.body).at("labels");
    BOOST_TEST_REQUIRE(labels.size() == 1U);
    BOOST_TEST(labels[0].at("id") == scanned);
    BOOST_TEST(labels[0].at("name") == "scanned");
    BOOST_TEST(labels[0].at("scope") == "g");

    const auto removed = call("DELETE", artifact + "/labels/" + std::to_string(scanned));
    const auto removed_again = call("DELETE", artifact + "/labels/" + std::to_string(scanned));

    BOOST_TEST(removed.status == 200);
    BOOST_TEST(removed_again.status == 404);
    BOOST_TEST(harbor.labels_of("src/app", digest.str()).empty());
}

BOOST_AUTO_TEST_CASE(label_list_matches_names_like_harbor_and_needs_a_scope) {
    const int scanned = harbor.add_label("scanned");
    const int rescanned = harbor.add_label("re-Scanned");
    harbor.add_label("approved");

    const auto exact = call("GET", "/api/v2.0/labels?name=approved&scope=g");
    const auto fuzzy = call("GET", "/api/v2.0/labels?name=SCANNED&scope=g");
    const auto none = call("GET", "/api/v2.0/labels?name=nope&scope=g");
    const auto no_scope = call("GET", "/api/v2.0/labels?name=scanned");

    BOOST_TEST_REQUIRE(exact.status == 200);
    const auto approved = json::parse(exact.body);
    BOOST_TEST_REQUIRE(approved.size() == 1U);
    for (const char* field : {"id", "name", "description", "color", "scope", "project_id",
                              "creation_time", "update_time"}) {
        BOOST_TEST(approved[0].contains(field), field);
    }
    BOOST_TEST(approved[0].at("name") == "approved");
    const auto both = json::parse(fuzzy.body);
    BOOST_TEST_REQUIRE(both.size() == 2U);
    BOOST_TEST(both[0].at("id") == scanned);
    BOOST_TEST(both[1].at("id") == rescanned);
    BOOST_TEST(json::parse(none.body) == json::array());
    BOOST_TEST(no_scope.status == 400);
}

BOOST_AUTO_TEST_CASE(get_artifact_reports_harbor_types_media_types_and_tags) {
    const auto built = image(5);
    const auto digest = push("src/app", "v1", built);
    push("src/app", "stable", built);
    push("ai/legacy", "v1", model(modelpack::Naming::kCnaiLegacy));
    push("ai/current", "v1", model(modelpack::Naming::kCncf));
    const auto [index, children] = push_index("src/multi", "latest");
    const auto get = [this](const std::string& project, const std::string& repository,
                            const std::string& reference) {
        const auto response = call("GET", "/api/v2.0/projects/" + project + "/repositories/" +
                                              repository + "/artifacts/" + reference);
        BOOST_TEST_REQUIRE(response.status == 200);
        return json::parse(response.body);
    };

    const auto app = get("src", "app", "v1");
    const auto legacy = get("ai", "legacy", "v1");
    const auto current = get("ai", "current", "v1");
    const auto multi = get("src", "multi", "latest");
    const auto untagged =
        call("GET", "/api/v2.0/projects/src/repositories/app/artifacts/v1?with_tag=false");
    const auto missing = call("GET", "/api/v2.0/projects/src/repositories/app/artifacts/v9");

    BOOST_TEST(app.at("type") == "IMAGE");
    BOOST_TEST(app.at("digest").get<std::string>() == digest.str());
    BOOST_TEST(app.at("media_type").get<std::string>() == media_type::kOciConfig);
    BOOST_TEST(app.at("manifest_media_type").get<std::string>() == media_type::kOciManifest);
    std::vector<std::string> tags;
    for (const auto& tag : app.at("tags")) {
        tags.push_back(tag.at("name"));
    }
    std::sort(tags.begin(), tags.end());  // the registry's tag order
    BOOST_TEST(tags == (std::vector<std::string>{"stable", "v1"}),
               boost::test_tools::per_element());
    BOOST_TEST(legacy.at("type") == "CNAI");
    BOOST_TEST(current.at("type") == "MODEL");
    BOOST_TEST(current.at("media_type").get<std::string>() == modelpack::kCncfNames.config);
    BOOST_TEST(multi.at("type") == "IMAGE");
    BOOST_TEST(multi.at("digest").get<std::string>() == index.str());
    BOOST_TEST(multi.at("media_type").get<std::string>() == media_type::kOciIndex);
    BOOST_TEST(json::parse(untagged.body).at("tags").is_null());
    BOOST_TEST(missing.status == 404);
    BOOST_TEST(errors_of(missing).at("code") == "NOT_FOUND");
}

BOOST_AUTO_TEST_CASE(scan_accepts_images_and_refuses_models_and_missing_artifacts) {
    push("src/app", "v1", image(6));
    push_index("src/multi", "latest");
    push("ai/current", "v1", model(modelpack::Naming::kCncf));
    push("ai/legacy", "v1", model(modelpack::Naming::kCnaiLegacy));
    const auto scan = [this](const std::string& repository, const std::string& body = "") {
        return call("POST", "/api/v2.0/projects/" + repository + "/artifacts/v1/scan", body);
    };

    const auto image_scan = scan("src/repositories/app", R"({"scan_type":"vulnerability"})");
    const auto sbom_scan = scan("src/repositories/app", R"({"scan_type":"sbom"})");
    const auto index_scan =
        call("POST", "/api/v2.0/projects/src/repositories/multi/artifacts/latest/scan");
    const auto current_model = scan("ai/repositories/current");
    const auto legacy_model = scan("ai/repositories/legacy");
    const auto missing = scan("src/repositories/none");
    const auto bad_type = scan("src/repositories/app", R"({"scan_type":"virus"})");

    BOOST_TEST(image_scan.status == 202);
    BOOST_TEST(sbom_scan.status == 202);
    BOOST_TEST(index_scan.status == 202);
    for (const auto* refused : {&current_model, &legacy_model}) {
        BOOST_TEST(refused->status == 400);
        BOOST_TEST(errors_of(*refused).at("code") == "BAD_REQUEST");
    }
    BOOST_TEST(missing.status == 404);
    BOOST_TEST(bad_type.status == 400);
    const auto calls = harbor.calls();
    BOOST_TEST_REQUIRE(calls.size() >= 2U);
    BOOST_TEST(calls.at(0).method == "POST");
    BOOST_TEST(calls.at(0).path == "/api/v2.0/projects/src/repositories/app/artifacts/v1/scan");
    BOOST_TEST(calls.at(0).body == R"({"scan_type":"vulnerability"})");
    BOOST_TEST(calls.at(0).authorization == robot());
    BOOST_TEST(calls.at(0).status == 202);
    BOOST_TEST(!calls.at(0).had_cookie);
}

BOOST_AUTO_TEST_CASE(double_encoded_repository_resolves_and_single_encoded_slash_is_404) {
    const auto digest = push("proj/team/app", "v1", image(7));
    const std::string prefix = "/api/v2.0/projects/proj/repositories/";

    const auto twice = call("GET", prefix + "team%252Fapp/artifacts/v1");
    const auto encoded_digest = call(
        "GET", prefix + "team%252Fapp/artifacts/" + common::percent_encode(digest.str(), false));
    const auto once = call("GET", prefix + "team%2Fapp/artifacts/v1");
    const auto once_scan = call("POST", prefix + "team%2Fapp/artifacts/v1/scan");

    BOOST_TEST_REQUIRE(twice.status == 200);
    BOOST_TEST(json::parse(twice.body).at("digest").get<std::string>() == digest.str());
    BOOST_TEST(encoded_digest.status == 200);
    BOOST_TEST(once.status == 404);
    BOOST_TEST(errors_of(once).at("code") == "NOT_FOUND");
    BOOST_TEST(once_scan.status == 404);
    BOOST_TEST(harbor.calls().at(0).path == prefix + "team%252Fapp/artifacts/v1");
}

BOOST_AUTO_TEST_CASE(replayed_session_cookie_without_csrf_token_is_403) {
    push("src/app", "v1", image(8));
    const std::string artifact = "/api/v2.0/projects/src/repositories/app/artifacts/v1";

    const auto first = call("GET", artifact);
    const auto set_cookie = first.header("Set-Cookie").value_or("");
    const auto cookie = set_cookie.substr(0, set_cookie.find(';'));
    const auto replayed =
        call("POST", artifact + "/scan", "", {{"Authorization", robot()}, {"Cookie", cookie}});
    const auto token = replayed.header("X-Harbor-CSRF-Token").value_or("");
    const auto with_token =
        call("POST", artifact + "/scan", "",
             {{"Authorization", robot()}, {"Cookie", cookie}, {"X-Harbor-CSRF-Token", token}});
    const auto forged = call("POST", artifact + "/scan", "",
                             {{"Authorization", robot()}, {"Cookie", "sid=forged"}});
    const auto cookieless = call("POST", artifact + "/scan");

    BOOST_TEST(cookie.rfind("sid=", 0) == 0U);
    BOOST_TEST(cookie.size() > 4U);
    BOOST_TEST(replayed.status == 403);
    BOOST_TEST(errors_of(replayed).at("code") == "FORBIDDEN");
    BOOST_TEST(errors_of(replayed).at("message") == "CSRF token invalid");
    BOOST_TEST(!token.empty());
    BOOST_TEST(with_token.status == 202);
    BOOST_TEST(forged.status == 202);  // not a session Harbor issued: no CSRF check
    BOOST_TEST(cookieless.status == 202);
    const auto calls = harbor.calls();
    BOOST_TEST_REQUIRE(calls.size() == 5U);
    BOOST_TEST(!calls.at(0).had_cookie);
    BOOST_TEST(calls.at(1).had_cookie);
    BOOST_TEST(calls.at(1).status == 403);

    harbor.set_session_cookies(false);
    BOOST_TEST(!call("GET", artifact).header("Set-Cookie").has_value());
}

BOOST_AUTO_TEST_CASE(fail_next_answers_the_injected_status_before_auth) {
    push("src/app", "v1", image(9));
    const std::string artifact = "/api/v2.0/projects/src/repositories/app/artifacts/v1";
    harbor.fail_next(2, 503);

    const auto anonymous = call("GET", artifact, "", {{"X-Request-Id", "req-1"}});
    const auto second = call("GET", artifact);
    const auto third = call("GET", artifact);

    BOOST_TEST(anonymous.status == 503);
    BOOST_TEST(errors_of(anonymous).at("code") == "UNKNOWN");
    BOOST_TEST(anonymous.header("X-Request-Id").value_or("") == "req-1");
    BOOST_TEST(second.status == 503);
    BOOST_TEST(third.status == 200);
    std::vector<int> statuses;
    for (const auto& recorded : harbor.calls()) {
        statuses.push_back(recorded.status);
    }
    BOOST_TEST(statuses == (std::vector<int>{503, 503, 200}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(restart_keeps_the_port_and_the_state) {
    const auto digest = push("src/app", "v1", image(10));
    const int label = harbor.add_label("kept");
    const std::string artifact = "/api/v2.0/projects/src/repositories/app/artifacts/v1";
    BOOST_TEST_REQUIRE(call("POST", artifact + "/labels", json{{"id", label}}.dump()).status ==
                       200);
    const int port = harbor.port();

    harbor.stop();
    common::HttpRequest refused;
    refused.url = harbor.url() + artifact;
    refused.retry = false;
    const auto down = http->fetch(refused);
    harbor.restart();
    const auto back = call("GET", artifact + "?with_label=true");

    BOOST_TEST(!down.has_value());
    BOOST_TEST(harbor.port() == port);
    BOOST_TEST_REQUIRE(back.status == 200);
    BOOST_TEST(json::parse(back.body).at("labels").at(0).at("name") == "kept");
    BOOST_TEST(harbor.labels_of("src/app", digest.str()) == std::vector<std::string>{"kept"},
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
