#define BOOST_TEST_MODULE common_oci_manifest
#include <boost/test/unit_test.hpp>
#include <string>
#include <variant>

#include "aiops/common/oci.h"

namespace common = aiops::common;
namespace modelpack = aiops::common::modelpack;
using common::ErrorCode;

namespace {

const std::string kDigestA = "sha256:" + std::string(64, 'a');
const std::string kDigestB = "sha256:" + std::string(64, 'b');

std::string descriptor(const std::string& media_type, const std::string& digest,
                       const std::string& size, const std::string& extra = "") {
    return R"({"mediaType":")" + media_type + R"(","digest":")" + digest + R"(","size":)" + size +
           extra + "}";
}

std::string manifest_with_layers(const std::string& layers, const std::string& top_extra = "") {
    return R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)" +
           top_extra + R"("config":)" +
           descriptor("application/vnd.oci.image.config.v1+json", kDigestA, "2") +
           R"(,"layers":[)" + layers + "]}";
}

std::string layer(const std::string& size = "10", const std::string& digest = kDigestB,
                  const std::string& extra = "") {
    return descriptor("application/vnd.oci.image.layer.v1.tar", digest, size, extra);
}

void expect_invalid(const std::string& bytes, const std::string& fragment) {
    const auto parsed = common::parse_image_manifest(bytes);
    BOOST_TEST_REQUIRE(!parsed.has_value(), bytes);
    BOOST_TEST(parsed.error().code == ErrorCode::kInvalidInput);
    BOOST_TEST(parsed.error().message.find(fragment) != std::string::npos, parsed.error().message);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(manifest_rejects)

BOOST_AUTO_TEST_CASE(non_json_non_object_and_wrong_schema_version) {
    expect_invalid("", "not valid JSON");
    expect_invalid("[1,2]", "document");
    expect_invalid(R"({"schemaVersion":1,"config":{},"layers":[]})", "schemaVersion");
    expect_invalid(R"({"schemaVersion":"2"})", "schemaVersion");
    expect_invalid(R"({"schemaVersion":2.0})", "schemaVersion");
    expect_invalid(R"({"schemaVersion":-2})", "schemaVersion");
    expect_invalid(R"({"layers":[]})", "schemaVersion");
}

BOOST_AUTO_TEST_CASE(bad_digests_in_config_layers_and_subject) {
    expect_invalid(manifest_with_layers(layer("10", "sha256:abc")), "layers[0].digest");
    expect_invalid(manifest_with_layers(layer("10", "sha256:" + std::string(64, 'A'))),
                   "layers[0].digest");
    expect_invalid(manifest_with_layers(layer("10", "sha1:" + std::string(40, 'a'))), "digest");
    expect_invalid(manifest_with_layers(layer(), R"("subject":)" + layer("1", "nope") + ","),
                   "subject.digest");
    expect_invalid(
        R"({"schemaVersion":2,"config":{"mediaType":"a/b","digest":1,"size":2},"layers":[]})",
        "config.digest");
}

BOOST_AUTO_TEST_CASE(negative_fractional_huge_or_missing_sizes) {
    expect_invalid(manifest_with_layers(layer("-1")), "layers[0].size");
    expect_invalid(manifest_with_layers(layer("1.5")), "layers[0].size");
    expect_invalid(manifest_with_layers(layer("\"10\"")), "layers[0].size");
    expect_invalid(manifest_with_layers(layer("18446744073709551615")), "layers[0].size");
    expect_invalid(manifest_with_layers(R"({"mediaType":"a/b","digest":")" + kDigestB + R"("})"),
                   "layers[0].size");
}

BOOST_AUTO_TEST_CASE(wrong_media_types_and_shapes) {
    expect_invalid(R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",)"
                   R"("manifests":[]})",
                   "mediaType");
    expect_invalid(manifest_with_layers(descriptor("no-slash", kDigestB, "1")), "mediaType");
    expect_invalid(manifest_with_layers(descriptor("a/b; x=y", kDigestB, "1")), "mediaType");
    expect_invalid(manifest_with_layers(layer(), R"("artifactType":7,)"), "artifactType");
    expect_invalid(R"({"schemaVersion":2,"layers":[]})", "config");
    expect_invalid(R"({"schemaVersion":2,"config":)" +
                       descriptor("application/vnd.oci.image.config.v1+json", kDigestA, "2") + "}",
                   "layers");
    expect_invalid(manifest_with_layers("1"), "layers[0]");
}

BOOST_AUTO_TEST_CASE(non_string_annotations_urls_and_platform) {
    expect_invalid(manifest_with_layers(layer("1", kDigestB, R"(,"annotations":{"k":1})")),
                   "annotations.k");
    expect_invalid(manifest_with_layers(layer(), R"("annotations":["x"],)"), "annotations");
    expect_invalid(manifest_with_layers(layer("1", kDigestB, R"(,"urls":"http://x")")), "urls");
    expect_invalid(manifest_with_layers(layer("1", kDigestB, R"(,"platform":{"os":"linux"})")),
                   "platform.architecture");
}

BOOST_AUTO_TEST_CASE(too_many_layers_too_large_or_too_deep) {
    std::string layers;
    for (int index = 0; index < 5; ++index) {
        if (index > 0) {
            layers += ",";
        }
        layers += layer();
    }
    const auto capped =
        common::parse_image_manifest(manifest_with_layers(layers), {.max_descriptors = 4});
    BOOST_TEST_REQUIRE(!capped.has_value());
    BOOST_TEST(capped.error().message.find("layers") != std::string::npos);

    const auto large = common::parse_image_manifest(std::string(5U << 20, ' '));
    BOOST_TEST_REQUIRE(!large.has_value());
    BOOST_TEST(large.error().code == ErrorCode::kTooLarge);

    const std::string deep = manifest_with_layers(
        layer(), R"("x":)" + std::string(100, '[') + std::string(100, ']') + ",");
    expect_invalid(deep, "not valid JSON");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(manifest_accepts)

BOOST_AUTO_TEST_CASE(modelpack_manifest_with_annotations_subject_and_unknown_fields) {
    const std::string bytes = manifest_with_layers(
        layer("548105171", kDigestB,
              R"(,"annotations":{"org.cncf.model.filepath":"model.safetensors"})"),
        R"("artifactType":"application/vnd.cncf.model.manifest.v1+json","future":{"x":1},)"
        R"("subject":)" +
            descriptor("application/vnd.oci.image.manifest.v1+json", kDigestA, "7") +
            R"(,"annotations":{"org.opencontainers.image.created":"2024-01-01T00:00:00Z"},)");

    const auto parsed = common::parse_image_manifest(bytes);

    BOOST_TEST_REQUIRE(parsed.has_value(), (parsed ? "" : parsed.error().message));
    BOOST_TEST(parsed->artifact_type == modelpack::kCncfNames.manifest_artifact_type);
    BOOST_TEST(parsed->config.digest.str() == kDigestA);
    BOOST_TEST_REQUIRE(parsed->layers.size() == 1U);
    BOOST_TEST(parsed->layers[0].size == 548105171U);
    BOOST_TEST(parsed->layers[0].annotations.at("org.cncf.model.filepath") == "model.safetensors");
    BOOST_TEST_REQUIRE(parsed->subject.has_value());
    BOOST_TEST(parsed->subject->size == 7U);
    BOOST_TEST(parsed->annotations.size() == 1U);
}

BOOST_AUTO_TEST_CASE(docker_manifest_and_zero_layers) {
    const std::string bytes =
        R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",)"
        R"("config":)" +
        descriptor("application/vnd.docker.container.image.v1+json", kDigestA, "0") +
        R"(,"layers":[]})";

    const auto parsed = common::parse_image_manifest(bytes);

    BOOST_TEST_REQUIRE(parsed.has_value());
    BOOST_TEST(parsed->media_type == common::media_type::kDockerManifest);
    BOOST_TEST(parsed->layers.empty());
}

BOOST_AUTO_TEST_CASE(serialize_round_trips_byte_for_byte) {
    auto config = common::describe(common::media_type::kOciEmpty, "{}");
    BOOST_TEST_REQUIRE(config.has_value());
    BOOST_TEST(config->digest.str() == common::media_type::kOciEmptyDigest);
    auto weights = common::describe(
        modelpack::layer_media_type(modelpack::Naming::kCncf, modelpack::LayerKind::kWeight,
                                    modelpack::LayerEncoding::kRaw),
        "weights");
    weights->annotations[std::string(modelpack::kCncfNames.filepath_annotation)] = "w.bin";
    const common::ImageManifest manifest{
        .media_type = std::string(common::media_type::kOciManifest),
        .artifact_type = "application/vnd.cncf.model.manifest.v1+json",
        .config = *config,
        .layers = {*weights},
        .subject = std::nullopt,
        .annotations = {{"a", "b"}}};

    const std::string bytes = common::serialize(manifest);
    const auto parsed = common::parse_image_manifest(bytes);

    BOOST_TEST_REQUIRE(parsed.has_value());
    BOOST_TEST(common::serialize(*parsed) == bytes);
    BOOST_TEST(bytes.find(R"({"schemaVersion":2,"mediaType":)") == 0U);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(index_and_dispatch)

BOOST_AUTO_TEST_CASE(index_rejects_manifest_media_type_and_bad_entries) {
    const auto wrong = common::parse_image_index(
        R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","manifests":[]})");
    BOOST_TEST(!wrong.has_value());
    const auto bad_entry =
        common::parse_image_index(R"({"schemaVersion":2,"manifests":[)" + layer("-3") + "]}");
    BOOST_TEST_REQUIRE(!bad_entry.has_value());
    BOOST_TEST(bad_entry.error().message.find("manifests[0].size") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(index_with_platforms_parses_and_round_trips) {
    const std::string bytes =
        R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)" +
        descriptor("application/vnd.oci.image.manifest.v1+json", kDigestA, "100",
                   R"(,"platform":{"architecture":"amd64","os":"linux"})") +
        "]}";

    const auto parsed = common::parse_image_index(bytes);

    BOOST_TEST_REQUIRE(parsed.has_value());
    BOOST_TEST(parsed->manifests.at(0).platform->architecture == "amd64");
    BOOST_TEST(common::parse_image_index(common::serialize(*parsed)).has_value());
}

BOOST_AUTO_TEST_CASE(parse_manifest_dispatches_on_content_type_then_body) {
    const std::string index = R"({"schemaVersion":2,"manifests":[]})";

    const auto unsupported = common::parse_manifest(index, "text/html");
    const auto by_header =
        common::parse_manifest(index, "application/vnd.oci.image.index.v1+json; charset=utf-8");
    const auto by_shape = common::parse_manifest(index, "application/json");
    const auto by_body = common::parse_manifest(manifest_with_layers(layer()), "");

    BOOST_TEST_REQUIRE(!unsupported.has_value());
    BOOST_TEST(unsupported.error().code == ErrorCode::kUnsupportedMedia);
    BOOST_TEST(std::holds_alternative<common::ImageIndex>(*by_header));
    BOOST_TEST(std::holds_alternative<common::ImageIndex>(*by_shape));
    BOOST_TEST(std::holds_alternative<common::ImageManifest>(*by_body));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(modelpack_names)

BOOST_AUTO_TEST_CASE(rejects_non_modelpack_layer_types) {
    BOOST_TEST(!modelpack::parse_layer_media_type("application/vnd.oci.image.layer.v1.tar"));
    BOOST_TEST(!modelpack::parse_layer_media_type("application/vnd.cncf.model.weight.v1.zip"));
    BOOST_TEST(!modelpack::parse_layer_media_type("application/vnd.cncf.model.weights.v1.raw"));
    BOOST_TEST(!modelpack::naming_of("application/vnd.oci.image.config.v1+json"));
}

BOOST_AUTO_TEST_CASE(builds_and_parses_both_namings) {
    BOOST_TEST(modelpack::layer_media_type(modelpack::Naming::kCncf,
                                           modelpack::LayerKind::kWeightConfig,
                                           modelpack::LayerEncoding::kTarZstd) ==
               "application/vnd.cncf.model.weight.config.v1.tar+zstd");
    const auto legacy =
        modelpack::parse_layer_media_type("application/vnd.cnai.model.doc.v1.tar+gzip");
    BOOST_TEST_REQUIRE(legacy.has_value());
    BOOST_TEST(
        (*legacy == modelpack::LayerType{modelpack::Naming::kCnaiLegacy, modelpack::LayerKind::kDoc,
                                         modelpack::LayerEncoding::kTarGzip}));
    BOOST_TEST((modelpack::naming_of("application/vnd.cnai.model.manifest.v1+json") ==
                modelpack::Naming::kCnaiLegacy));
    BOOST_TEST(modelpack::names(modelpack::Naming::kCnaiLegacy).filepath_annotation ==
               "org.cnai.model.filepath");
}

BOOST_AUTO_TEST_SUITE_END()
