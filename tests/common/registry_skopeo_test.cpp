#define BOOST_TEST_MODULE common_registry_skopeo
#include <boost/test/unit_test.hpp>
#include <string>

#include "aiops/common/registry_client.h"
#include "fixtures/oci_artifact.h"
#include "fixtures/registry_server.h"
#include "fixtures/temp_dir.h"
#include "fixtures/token_issuer.h"

// Interop with skopeo (containers/image): what skopeo pushes our client reads, and what our client
// pushes skopeo copies back out byte for byte.
namespace common = aiops::common;
namespace testing = aiops::testing;

namespace {

testing::BuiltArtifact oci_image() {
    const std::string layer_one = std::string(5000, 'a') + "layer-one";
    const std::string layer_two = std::string(7000, 'b') + "layer-two";
    const std::string config =
        R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[")" +
        common::compute_digest(layer_one)->str() + R"(",")" +
        common::compute_digest(layer_two)->str() + R"("]}})";
    return testing::build_artifact({{std::string(common::media_type::kOciLayerTar), layer_one, {}},
                                    {std::string(common::media_type::kOciLayerTar), layer_two, {}}},
                                   "", std::string(common::media_type::kOciConfig), config);
}

testing::BuiltArtifact model_artifact() {
    const auto& names = common::modelpack::kCncfNames;
    return testing::build_artifact(
        {{"application/vnd.cncf.model.weight.v1.raw",
          std::string(20000, 'w'),
          {{std::string(names.filepath_annotation), "model.safetensors"}}},
         {"application/vnd.cncf.model.doc.v1.raw",
          "# README",
          {{std::string(names.filepath_annotation), "README.md"}}}},
        std::string(names.manifest_artifact_type), std::string(names.config),
        R"({"descriptor":{"name":"tiny"},"modelfs":{"type":"layers","diffIds":[]},"config":{}})");
}

void expect_same_artifact(common::RegistryClient& client, const std::string& repository,
                          const testing::BuiltArtifact& artifact) {
    const auto manifest = client.get_manifest(repository, "v1");
    BOOST_TEST_REQUIRE(manifest.has_value(), (manifest ? "" : manifest.error().message));
    BOOST_TEST(manifest->digest == artifact.manifest_digest);
    BOOST_TEST(manifest->media_type == common::media_type::kOciManifest);
    for (std::size_t index = 0; index < artifact.layer_bytes.size(); ++index) {
        const auto blob =
            client.fetch_blob(repository, artifact.manifest.layers[index].digest, 1U << 20);
        BOOST_TEST_REQUIRE(blob.has_value());
        BOOST_TEST((*blob == artifact.layer_bytes[index]));
    }
}

void expect_layout_holds(const std::filesystem::path& layout,
                         const testing::BuiltArtifact& artifact) {
    BOOST_TEST(testing::oci_layout_manifest_digest(layout, "v1") == artifact.manifest_digest.str());
    BOOST_TEST(testing::oci_layout_blob(layout, artifact.manifest_digest.str()) ==
               artifact.manifest_bytes);
    BOOST_TEST(testing::oci_layout_blob(layout, artifact.manifest.config.digest.str()) ==
               artifact.config_bytes);
    for (std::size_t index = 0; index < artifact.layer_bytes.size(); ++index) {
        BOOST_TEST(
            (testing::oci_layout_blob(layout, artifact.manifest.layers[index].digest.str()) ==
             artifact.layer_bytes[index]));
    }
}

struct Scratch {
    testing::TempDir dir;
    std::unique_ptr<common::HttpClient> http = common::HttpClient::create({}).value();
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(skopeo_interop, Scratch)

BOOST_AUTO_TEST_CASE(skopeo_refuses_a_token_registry_without_credentials) {
    testing::TokenIssuer issuer;
    testing::RegistryServer registry({.token_issuer = &issuer});
    testing::write_oci_layout(dir / "in", "v1", oci_image());

    const auto copy = testing::run_skopeo(
        {"copy", "oci:" + (dir / "in").string() + ":v1",
         "docker://" + registry.host_port() + "/interop/image:v1", "--dest-tls-verify=false"},
        dir.path());

    BOOST_TEST(copy.exit_status != 0);
    BOOST_TEST(issuer.granted() == 0);
}

BOOST_AUTO_TEST_CASE(skopeo_push_is_read_by_our_client) {
    testing::RegistryServer registry;
    const auto image = oci_image();
    testing::write_oci_layout(dir / "in", "v1", image);

    const auto copy = testing::run_skopeo(
        {"copy", "--preserve-digests", "oci:" + (dir / "in").string() + ":v1",
         "docker://" + registry.host_port() + "/interop/image:v1", "--dest-tls-verify=false"},
        dir.path());

    BOOST_TEST_REQUIRE(copy.exit_status == 0, copy.output);
    auto client = common::RegistryClient::create(*http, {.base_url = registry.url()}).value();
    expect_same_artifact(*client, "interop/image", image);
}

BOOST_AUTO_TEST_CASE(our_push_is_copied_out_by_skopeo) {
    testing::RegistryServer registry;
    auto client = common::RegistryClient::create(*http, {.base_url = registry.url()}).value();
    const auto model = model_artifact();
    BOOST_TEST_REQUIRE(testing::push_artifact(*client, "interop/model", "v1", model).has_value());

    const auto copy = testing::run_skopeo(
        {"copy", "--preserve-digests", "docker://" + registry.host_port() + "/interop/model:v1",
         "oci:" + (dir / "out").string() + ":v1", "--src-tls-verify=false"},
        dir.path());

    BOOST_TEST_REQUIRE(copy.exit_status == 0, copy.output);
    expect_layout_holds(dir / "out", model);
}

BOOST_AUTO_TEST_CASE(round_trip_through_a_token_registry_with_credentials) {
    testing::TokenIssuer issuer;
    testing::RegistryServer registry({.token_issuer = &issuer});
    const std::string creds = issuer.settings().username + ":" + issuer.settings().password;
    const auto image = oci_image();
    const auto model = model_artifact();
    testing::write_oci_layout(dir / "in", "v1", image);
    auto client = common::RegistryClient::create(*http, {.base_url = registry.url(),
                                                         .username = issuer.settings().username,
                                                         .password = issuer.settings().password})
                      .value();

    const auto push = testing::run_skopeo(
        {"copy", "--preserve-digests", "--dest-creds", creds,
         "oci:" + (dir / "in").string() + ":v1",
         "docker://" + registry.host_port() + "/interop/image:v1", "--dest-tls-verify=false"},
        dir.path());
    BOOST_TEST_REQUIRE(push.exit_status == 0, push.output);
    expect_same_artifact(*client, "interop/image", image);
    BOOST_TEST_REQUIRE(testing::push_artifact(*client, "interop/model", "v1", model).has_value());
    const auto pull =
        testing::run_skopeo({"copy", "--preserve-digests", "--src-creds", creds,
                             "docker://" + registry.host_port() + "/interop/model:v1",
                             "oci:" + (dir / "out").string() + ":v1", "--src-tls-verify=false"},
                            dir.path());

    BOOST_TEST_REQUIRE(pull.exit_status == 0, pull.output);
    expect_layout_holds(dir / "out", model);
}

BOOST_AUTO_TEST_SUITE_END()
