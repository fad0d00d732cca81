#define BOOST_TEST_MODULE common_registry_client
#include "aiops/common/registry_client.h"

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <string>

#include "fixtures/loopback_http_server.h"
#include "fixtures/oci_artifact.h"
#include "fixtures/registry_server.h"

namespace common = aiops::common;
namespace testing = aiops::testing;
using common::ErrorCode;

namespace {

std::string pattern_bytes(std::size_t size, char seed) {
    std::string bytes(size, '\0');
    for (std::size_t index = 0; index < size; ++index) {
        bytes[index] = static_cast<char>(seed + static_cast<char>(index % 251));
    }
    return bytes;
}

testing::BuiltArtifact three_layer_model() {
    const auto& names = common::modelpack::kCncfNames;
    const auto raw = [](common::modelpack::LayerKind kind) {
        return common::modelpack::layer_media_type(common::modelpack::Naming::kCncf, kind,
                                                   common::modelpack::LayerEncoding::kRaw);
    };
    return testing::build_artifact(
        {{raw(common::modelpack::LayerKind::kWeightConfig),
          R"({"hidden":64})",
          {{std::string(names.filepath_annotation), "config.json"}}},
         {raw(common::modelpack::LayerKind::kWeight),
          pattern_bytes(300000, 'w'),
          {{std::string(names.filepath_annotation), "model.safetensors"}}},
         {raw(common::modelpack::LayerKind::kDoc),
          "# README\n",
          {{std::string(names.filepath_annotation), "README.md"}}}},
        std::string(names.manifest_artifact_type), std::string(names.config),
        R"({"descriptor":{"name":"tiny"},"modelfs":{"type":"layers","diffIds":[]},"config":{}})");
}

struct PlainRegistry {
    testing::RegistryServer registry;
    std::unique_ptr<common::HttpClient> http = common::HttpClient::create({}).value();
    std::unique_ptr<common::RegistryClient> client =
        common::RegistryClient::create(*http, {.base_url = registry.url()}).value();
};

// Overwrites a stored blob with same-size different bytes: the registry serves them unverified.
void tamper(const std::filesystem::path& path) {
    std::string bytes = testing::read_file(path);
    bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x01);
    testing::write_file(path, bytes);
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(registry_client_plain, PlainRegistry)

BOOST_AUTO_TEST_CASE(rejects_invalid_names_and_references_before_any_request) {
    BOOST_TEST(client->get_manifest("Upper/Case", "latest").error().code ==
               ErrorCode::kInvalidInput);
    BOOST_TEST(client->get_manifest("ok/repo", "bad tag").error().code == ErrorCode::kInvalidInput);
    BOOST_TEST(client->head_manifest("ok/repo", "../x").error().code == ErrorCode::kInvalidInput);
    BOOST_TEST(client->list_tags("ok/repo", 0).error().code == ErrorCode::kInvalidInput);
}

BOOST_AUTO_TEST_CASE(missing_repository_manifest_and_blob_are_not_found) {
    const auto digest = common::compute_digest("absent").value();

    BOOST_TEST(client->get_manifest("no/such", "latest").error().code == ErrorCode::kNotFound);
    BOOST_TEST(client->head_manifest("no/such", "latest").error().code == ErrorCode::kNotFound);
    BOOST_TEST(client->head_blob("no/such", digest).error().code == ErrorCode::kNotFound);
    const auto blob = client->get_blob("no/such", digest, [](std::string_view) { return true; });
    BOOST_TEST(blob.error().code == ErrorCode::kNotFound);
}

BOOST_AUTO_TEST_CASE(manifest_referencing_missing_blobs_is_refused) {
    const auto artifact = three_layer_model();

    const auto put = client->put_manifest("models/tiny", "v1", artifact.manifest_bytes,
                                          common::media_type::kOciManifest);

    BOOST_TEST_REQUIRE(!put.has_value());
    BOOST_TEST(put.error().code == ErrorCode::kInvalidInput);
    BOOST_TEST(put.error().message.find("MANIFEST_BLOB_UNKNOWN") != std::string::npos,
               put.error().message);
}

BOOST_AUTO_TEST_CASE(pushed_artifact_heads_and_gets_with_digest_and_content_type) {
    const auto artifact = three_layer_model();
    BOOST_TEST(client->ping().has_value());
    const auto pushed = testing::push_artifact(*client, "models/team/tiny", "v1", artifact);
    BOOST_TEST_REQUIRE(pushed.has_value(), (pushed ? "" : pushed.error().message));

    const auto head = client->head_manifest("models/team/tiny", "v1");
    const auto by_tag = client->get_manifest("models/team/tiny", "v1");
    const auto by_digest = client->get_manifest("models/team/tiny", artifact.manifest_digest.str());

    BOOST_TEST(*pushed == artifact.manifest_digest);
    BOOST_TEST_REQUIRE(head.has_value());
    BOOST_TEST(head->digest == artifact.manifest_digest);
    BOOST_TEST(head->media_type == common::media_type::kOciManifest);
    BOOST_TEST(head->size == artifact.manifest_bytes.size());
    BOOST_TEST_REQUIRE(by_tag.has_value());
    BOOST_TEST(by_tag->bytes == artifact.manifest_bytes);
    BOOST_TEST(by_tag->media_type == common::media_type::kOciManifest);
    BOOST_TEST_REQUIRE(by_digest.has_value());
    BOOST_TEST(by_digest->digest == artifact.manifest_digest);
    const auto parsed = common::parse_manifest(by_tag->bytes, by_tag->media_type);
    BOOST_TEST_REQUIRE(parsed.has_value());
    BOOST_TEST(std::get<common::ImageManifest>(*parsed).layers.size() == 3U);
}

BOOST_AUTO_TEST_CASE(tampered_blob_and_manifest_fail_with_digest_mismatch) {
    const auto artifact = three_layer_model();
    BOOST_TEST_REQUIRE(testing::push_artifact(*client, "models/tiny", "v1", artifact).has_value());
    const auto& weights = artifact.manifest.layers[1].digest;
    tamper(registry.blob_data_path(weights.str()));
    tamper(registry.blob_data_path(artifact.manifest_digest.str()));

    std::uint64_t streamed = 0;
    const auto blob = client->get_blob("models/tiny", weights, [&](std::string_view chunk) {
        streamed += chunk.size();
        return true;
    });
    const auto manifest = client->get_manifest("models/tiny", artifact.manifest_digest.str());

    BOOST_TEST_REQUIRE(!blob.has_value());
    BOOST_TEST(blob.error().code == ErrorCode::kDigestMismatch);
    BOOST_TEST(streamed == artifact.layer_bytes[1].size());
    BOOST_TEST_REQUIRE(!manifest.has_value());
    BOOST_TEST(manifest.error().code == ErrorCode::kDigestMismatch);
}

BOOST_AUTO_TEST_CASE(blob_streams_verified_and_fetch_blob_enforces_its_cap) {
    const auto artifact = three_layer_model();
    BOOST_TEST_REQUIRE(testing::push_artifact(*client, "models/tiny", "v1", artifact).has_value());
    const auto& weights = artifact.manifest.layers[1].digest;

    std::string streamed;
    int chunks = 0;
    const auto count = client->get_blob("models/tiny", weights, [&](std::string_view chunk) {
        streamed.append(chunk);
        ++chunks;
        return true;
    });
    const auto capped = client->fetch_blob("models/tiny", weights, 1000);
    const auto stopped =
        client->get_blob("models/tiny", weights, [](std::string_view) { return false; });

    BOOST_TEST_REQUIRE(count.has_value());
    BOOST_TEST(*count == artifact.layer_bytes[1].size());
    BOOST_TEST(streamed == artifact.layer_bytes[1]);
    BOOST_TEST(chunks > 1);
    BOOST_TEST(capped.error().code == ErrorCode::kTooLarge);
    BOOST_TEST(stopped.error().code == ErrorCode::kInternal);
    BOOST_TEST(*client->head_blob("models/tiny", weights) == artifact.layer_bytes[1].size());
}

BOOST_AUTO_TEST_CASE(range_reads_return_exactly_the_requested_bytes) {
    const auto artifact = three_layer_model();
    BOOST_TEST_REQUIRE(testing::push_artifact(*client, "models/tiny", "v1", artifact).has_value());
    const auto& weights = artifact.manifest.layers[1].digest;
    const std::string& bytes = artifact.layer_bytes[1];

    const auto middle = client->read_blob_range("models/tiny", weights, 100000, 12345);
    const auto tail = client->read_blob_range("models/tiny", weights, bytes.size() - 3, 10);
    const auto beyond = client->read_blob_range("models/tiny", weights, bytes.size() + 10, 10);

    BOOST_TEST_REQUIRE(middle.has_value());
    BOOST_TEST(*middle == bytes.substr(100000, 12345));
    BOOST_TEST_REQUIRE(tail.has_value());
    BOOST_TEST(*tail == bytes.substr(bytes.size() - 3));
    BOOST_TEST(beyond.error().code == ErrorCode::kRangeNotSatisfiable, beyond.error().message);
}

BOOST_AUTO_TEST_CASE(tags_and_catalog_follow_link_pagination) {
    const auto artifact = three_layer_model();
    for (const char* tag : {"v1", "v2", "v3"}) {
        BOOST_TEST_REQUIRE(
            testing::push_artifact(*client, "models/tiny", tag, artifact).has_value());
    }
    BOOST_TEST_REQUIRE(testing::push_artifact(*client, "a/b/c", "latest", artifact).has_value());

    const auto paged = client->list_tags("models/tiny", 1);
    const auto whole = client->list_tags("models/tiny");
    const auto catalog = client->catalog(1);

    BOOST_TEST_REQUIRE(paged.has_value(), (paged ? "" : paged.error().message));
    BOOST_TEST(*paged == (std::vector<std::string>{"v1", "v2", "v3"}));
    BOOST_TEST(*whole == *paged);
    BOOST_TEST_REQUIRE(catalog.has_value(), (catalog ? "" : catalog.error().message));
    BOOST_TEST(*catalog == (std::vector<std::string>{"a/b/c", "models/tiny"}));
}

BOOST_AUTO_TEST_CASE(chunked_upload_mount_and_repeat_push) {
    const std::string bytes = pattern_bytes(200000, 'c');
    std::size_t offset = 0;
    const common::BlobSource source = [&](char* buffer, std::size_t capacity) {
        const std::size_t count = std::min(capacity, bytes.size() - offset);
        std::copy_n(bytes.data() + offset, count, buffer);
        offset += count;
        return common::Result<std::size_t>(count);
    };

    const auto chunked = client->push_blob_chunked("src/repo", source, 65536);
    BOOST_TEST_REQUIRE(chunked.has_value(), (chunked ? "" : chunked.error().message));
    const auto mounted = client->mount_blob("dst/repo", chunked->digest, "src/repo");
    const auto not_mounted =
        client->mount_blob("dst/repo", common::compute_digest("nowhere").value(), "src/repo");
    const auto again = client->push_blob("dst/repo", bytes);

    BOOST_TEST(chunked->digest == common::compute_digest(bytes).value());
    BOOST_TEST(chunked->size == bytes.size());
    BOOST_TEST(*client->fetch_blob("src/repo", chunked->digest, 1U << 20) == bytes);
    BOOST_TEST_REQUIRE(mounted.has_value());
    BOOST_TEST(*mounted);
    BOOST_TEST_REQUIRE(not_mounted.has_value());
    BOOST_TEST(!*not_mounted);
    BOOST_TEST_REQUIRE(again.has_value());
    BOOST_TEST(again->already_present);
}

BOOST_AUTO_TEST_SUITE_END()

// Harbor's proxy-cache path: a blob endpoint that ignores Range and streams the whole blob (200).
BOOST_AUTO_TEST_CASE(range_read_from_a_server_that_ignores_range_reads_only_the_prefix) {
    const std::string blob = pattern_bytes(4U << 20, 'r');
    const auto digest = common::compute_digest(blob).value();
    testing::LoopbackHttpServer server;
    server.server().Get("/v2/", [](const httplib::Request&, httplib::Response& res) {
        res.set_content("{}", "application/json");
    });
    server.server().Get(
        R"(/v2/proxy/blob/blobs/(.+))", [&](const httplib::Request& req, httplib::Response& res) {
            BOOST_TEST(req.has_header("Range"));
            // Chunked + explicit 200: httplib neither slices nor relabels it.
            res.status = 200;
            res.set_chunked_content_provider(
                "application/octet-stream", [&](std::size_t offset, httplib::DataSink& sink) {
                    const std::size_t size = std::min<std::size_t>(65536, blob.size() - offset);
                    sink.write(blob.data() + offset, size);
                    if (offset + size == blob.size()) {
                        sink.done();
                    }
                    return true;
                });
        });
    server.start();
    auto http = common::HttpClient::create({}).value();
    auto client = common::RegistryClient::create(*http, {.base_url = server.url("")}).value();

    const auto range = client->read_blob_range("proxy/blob", digest, 1000, 5000);

    BOOST_TEST_REQUIRE(range.has_value(), (range ? "" : range.error().message));
    BOOST_TEST(range->size() == 5000U);
    BOOST_TEST((*range == blob.substr(1000, 5000)));
}
