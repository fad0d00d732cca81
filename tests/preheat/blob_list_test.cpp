#define BOOST_TEST_MODULE preheat_blob_list
#include "blob_list.h"

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "aiops/common/http_client.h"
#include "aiops/common/media_types.h"
#include "fixtures/oci_artifact.h"
#include "fixtures/registry_server.h"
#include "fixtures/token_issuer.h"

// Resolving a job's blobs the way the provider does inside POST /oapi/v1/jobs: a real
// docker-registry with token auth (like Harbor's), and Harbor's pull token used as-is
// (a Bearer for one repository, shared/reference/harbor-preheat-webhook-replication.md §1.4).
namespace {

namespace common = aiops::common;
namespace fixtures = aiops::testing;
using aiops::preheat::parse_manifest_url;
using aiops::preheat::resolve_blobs;

struct Registry {
    fixtures::TokenIssuer issuer;
    fixtures::RegistryServer registry{{.token_issuer = &issuer}};
    std::unique_ptr<common::HttpClient> http = common::HttpClient::create({}).value();

    std::unique_ptr<common::RegistryClient> pusher() {
        return common::RegistryClient::create(*http, {.base_url = registry.url(),
                                                      .username = issuer.settings().username,
                                                      .password = issuer.settings().password})
            .value();
    }
    // What Harbor puts in args.headers.Authorization: a pull token for the repository.
    std::string harbor_bearer(const std::string& repository) const {
        return issuer.pull_bearer(repository);
    }
    std::unique_ptr<common::RegistryClient> as_provider(const std::string& authorization) {
        return common::RegistryClient::create(
                   *http, {.base_url = registry.url(), .authorization = authorization})
            .value();
    }
};

fixtures::BuiltArtifact image(const std::string& arch_layer) {
    return fixtures::build_artifact(
        {{std::string(common::media_type::kOciLayerTarGzip), "shared base layer", {}},
         {std::string(common::media_type::kOciLayerTarGzip), arch_layer, {}}},
        "", std::string(common::media_type::kOciConfig),
        "{\"architecture\":\"" + arch_layer + "\"}");
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(resolve, Registry)

BOOST_AUTO_TEST_CASE(an_image_tag_resolves_to_its_config_and_layers) {
    const auto artifact = image("amd64");
    BOOST_REQUIRE(fixtures::push_artifact(*pusher(), "ai/vllm", "v1", artifact).has_value());
    const auto url = parse_manifest_url(registry.url() + "/v2/ai/vllm/manifests/v1").value();

    auto resolved = resolve_blobs(*as_provider(harbor_bearer("ai/vllm")), url, {});

    BOOST_TEST_REQUIRE(resolved.has_value(), (resolved ? "" : resolved.error().message));
    BOOST_TEST(resolved->manifest_digest == artifact.manifest_digest.str());
    BOOST_TEST_REQUIRE(resolved->blobs.size() == 3U);
    BOOST_TEST(resolved->blobs[0].digest.str() == artifact.manifest.config.digest.str());
    BOOST_TEST(resolved->blobs[2].size == artifact.manifest.layers[1].size);
    BOOST_TEST(resolved->blobs[1].url ==
               registry.url() + "/v2/ai/vllm/blobs/" + artifact.manifest.layers[0].digest.str());
}

BOOST_AUTO_TEST_CASE(an_index_is_narrowed_to_the_wanted_platforms_and_blobs_are_unique) {
    const auto amd64 = image("amd64");
    const auto arm64 = image("arm64");
    auto client = pusher();
    BOOST_REQUIRE(fixtures::push_artifact(*client, "ai/vllm", "amd64", amd64).has_value());
    BOOST_REQUIRE(fixtures::push_artifact(*client, "ai/vllm", "arm64", arm64).has_value());
    common::ImageIndex index;
    index.media_type = std::string(common::media_type::kOciIndex);
    for (const auto& [artifact, arch, variant] :
         {std::tuple{&amd64, "amd64", ""}, std::tuple{&arm64, "arm64", "v8"}}) {
        common::Descriptor entry{std::string(common::media_type::kOciManifest),
                                 artifact->manifest_digest, artifact->manifest_bytes.size()};
        entry.platform = common::Platform{arch, "linux", "", variant};
        index.manifests.push_back(entry);
    }
    BOOST_REQUIRE(client
                      ->put_manifest("ai/vllm", "multi", common::serialize(index),
                                     common::media_type::kOciIndex)
                      .has_value());
    const auto url = parse_manifest_url(registry.url() + "/v2/ai/vllm/manifests/multi").value();
    auto provider = as_provider(harbor_bearer("ai/vllm"));

    auto arm_only = resolve_blobs(*provider, url, {"linux/arm64/v8"});
    auto both = resolve_blobs(*provider, url, {});
    auto none = resolve_blobs(*provider, url, {"linux/s390x"});

    BOOST_TEST_REQUIRE(arm_only.has_value());
    BOOST_TEST(arm_only->blobs.size() == 3U);
    BOOST_TEST(arm_only->blobs[2].digest.str() == arm64.manifest.layers[1].digest.str());
    BOOST_TEST_REQUIRE(both.has_value());
    BOOST_TEST(both->blobs.size() == 5U);  // the shared base layer once
    BOOST_TEST((none.error().code == common::ErrorCode::kNotFound));
    BOOST_TEST(none.error().message.find("linux/s390x") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_token_for_another_repository_is_a_clear_unauthorized_error) {
    BOOST_REQUIRE(fixtures::push_artifact(*pusher(), "ai/vllm", "v1", image("amd64")).has_value());
    const auto url = parse_manifest_url(registry.url() + "/v2/ai/vllm/manifests/v1").value();

    auto resolved = resolve_blobs(*as_provider(harbor_bearer("ai/other")), url, {});

    BOOST_TEST_REQUIRE(!resolved.has_value());
    BOOST_TEST((resolved.error().code == common::ErrorCode::kUnauthorized));
    BOOST_TEST(resolved.error().message.find("ai/vllm:v1") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
