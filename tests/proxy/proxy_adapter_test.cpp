#define BOOST_TEST_MODULE proxy_adapter
#include <boost/test/unit_test.hpp>

// proxy-adapter end to end: the real binary between the Hugging Face Hub test server
// (tests/fixtures/hf_hub_server.h) and real clients — skopeo (inspect, copy into a real
// docker-registry, as Harbor's replication does), our RegistryClient (Harbor-like Range reads) and
// raw HTTP for the exact headers Harbor depends on.
#include <atomic>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "aiops/common/digest.h"
#include "aiops/common/encoding.h"
#include "aiops/common/http_client.h"
#include "aiops/common/registry_client.h"
#include "fixtures/hf_hub_server.h"
#include "fixtures/oci_artifact.h"
#include "fixtures/registry_server.h"
#include "fixtures/temp_dir.h"
#include "proxy_process.h"

namespace common = aiops::common;
namespace fixtures = aiops::testing;
using nlohmann::json;

namespace {

constexpr const char* kRepo = "acme/tiny-llm";
constexpr const char* kGatedRepo = "acme/gated-llm";
constexpr const char* kHfToken = "hf_test_token_0123456789abcdef";
constexpr const char* kCommit = "0123456789abcdef0123456789abcdef01234567";
constexpr std::uint64_t kWeightBytes = 12U << 20;

// A valid safetensors file: u64 LE header length, JSON header, then the F32 data.
void write_safetensors(const std::filesystem::path& path, std::uint64_t total_bytes) {
    std::string header = R"({"weight":{"dtype":"F32","shape":[SHAPE],"data_offsets":[0,END]}})";
    std::uint64_t data_bytes = total_bytes - 8 - header.size();
    data_bytes -= data_bytes % 4;
    header.replace(header.find("SHAPE"), 5, std::to_string(data_bytes / 4));
    header.replace(header.find("END"), 3, std::to_string(data_bytes));
    header.resize(total_bytes - 8 - data_bytes, ' ');
    std::ofstream out(path, std::ios::binary);
    const std::uint64_t length = header.size();
    for (int i = 0; i < 8; ++i) {
        out.put(static_cast<char>((length >> (8 * i)) & 0xFF));
    }
    out << header;
    out.close();
    fixtures::write_pseudo_random_file(path.string() + ".data", data_bytes, 7);
    std::ofstream append(path, std::ios::binary | std::ios::app);
    std::ifstream data(path.string() + ".data", std::ios::binary);
    append << data.rdbuf();
}

struct Files {
    std::map<std::string, std::string> small;  // path → content
    std::filesystem::path weights;
};

fixtures::HfRepo tiny_repo(const fixtures::TempDir& dir, Files& files) {
    files.small = {
        {"config.json",
         R"({"architectures":["LlamaForCausalLM"],"model_type":"llama","torch_dtype":"bfloat16",)"
         R"("transformers_version":"4.40.0"})"},
        {"tokenizer.json", R"({"version":"1.0","model":{"type":"BPE"}})"},
        {"README.md", "---\nlicense: apache-2.0\n---\n# tiny-llm\nA test model.\n"},
        {"scripts/convert.py", "print('convert')\n"},
        {".gitattributes", "*.safetensors filter=lfs diff=lfs merge=lfs -text\n"},
    };
    files.weights = dir / "model.safetensors";
    write_safetensors(files.weights, kWeightBytes);
    fixtures::HfRepo repo;
    repo.id = kRepo;
    for (const auto& [path, content] : files.small) {
        repo.files.push_back({path, content, {}, false});
    }
    repo.files.push_back({"model.safetensors", "", files.weights, true});
    repo.branches = {{"main", kCommit}};
    repo.tags = {{"v1.0", kCommit}};
    repo.card_data = {{"license", "apache-2.0"}};
    repo.config = {{"model_type", "llama"}};
    repo.safetensors_total = kWeightBytes / 4;
    return repo;
}

struct Reply {
    int status = 0;
    std::string body;
    httplib::Headers headers;
    std::string header(const std::string& name) const {
        auto it = headers.find(name);
        return it == headers.end() ? "" : it->second;
    }
    json json_body() const { return json::parse(body, nullptr, false); }
};

struct ProxyFixture {
    fixtures::TempDir dir;
    Files files;
    fixtures::HfHubServer hub;
    std::unique_ptr<fixtures::ProxyProcess> proxy;

    explicit ProxyFixture(const std::string& extra_config = "") {
        hub.add_repo(tiny_repo(dir, files));
        fixtures::HfRepo gated;
        gated.id = kGatedRepo;
        gated.gated = "manual";
        gated.files.push_back({"config.json", R"({"model_type":"bert"})", {}, false});
        gated.files.push_back({"model.safetensors", std::string(4096, 'g'), {}, true});
        hub.add_repo(gated);
        hub.allow_token(kHfToken);
        proxy = std::make_unique<fixtures::ProxyProcess>(dir.path() / "proxy", hub.endpoint(),
                                                         extra_config);
    }

    Reply call(const std::string& method, const std::string& path, httplib::Headers headers = {}) {
        httplib::Client client("127.0.0.1", proxy->port());
        client.set_read_timeout(60, 0);
        auto result = method == "HEAD" ? client.Head(path.c_str(), headers)
                                       : client.Get(path.c_str(), headers);
        if (!result) {
            return Reply{0, "", {}};
        }
        return Reply{result->status, result->body, result->headers};
    }

    std::string file_bytes(const std::string& path) const {
        if (path == "model.safetensors") {
            return fixtures::read_file(files.weights);
        }
        return files.small.at(path);
    }
};

std::string sha256(std::string_view bytes) { return common::compute_digest(bytes).value().str(); }

json layer_for(const json& manifest, const std::string& path) {
    for (const auto& layer : manifest["layers"]) {
        if (layer["annotations"].value("org.cncf.model.filepath", "") == path) {
            return layer;
        }
    }
    return json();
}

std::string oci_error_code(const Reply& reply) {
    auto body = reply.json_body();
    if (!body.is_object() || !body.contains("errors") || body["errors"].empty()) {
        return "";
    }
    return body["errors"][0].value("code", "");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(errors)

BOOST_AUTO_TEST_CASE(bad_digests_unknown_repos_and_unknown_blobs_are_oci_errors) {
    ProxyFixture f;

    const auto bad_digest = f.call("GET", "/v2/acme/tiny-llm/blobs/sha256:xyz");
    const auto unknown_blob =
        f.call("GET", "/v2/acme/tiny-llm/blobs/sha256:" + std::string(64, 'a'));
    const auto unknown_repo = f.call("GET", "/v2/acme/no-such-model/manifests/main");
    const auto unknown_revision = f.call("GET", "/v2/acme/tiny-llm/manifests/no-such-branch");
    const auto not_a_repo_id = f.call("GET", "/v2/a/b/c/manifests/main");

    BOOST_TEST(bad_digest.status == 400);
    BOOST_TEST(oci_error_code(bad_digest) == "DIGEST_INVALID");
    BOOST_TEST(unknown_blob.status == 404);
    BOOST_TEST(oci_error_code(unknown_blob) == "BLOB_UNKNOWN");
    // HF answers 401 RepoNotFound for a missing repo (ambiguous with private): UNAUTHORIZED.
    BOOST_TEST(unknown_repo.status == 401);
    BOOST_TEST(oci_error_code(unknown_repo) == "UNAUTHORIZED");
    BOOST_TEST(unknown_revision.status == 404);
    BOOST_TEST(oci_error_code(unknown_revision) == "MANIFEST_UNKNOWN");
    BOOST_TEST(not_a_repo_id.status == 404);
    BOOST_TEST(oci_error_code(not_a_repo_id) == "MANIFEST_UNKNOWN");
}

BOOST_AUTO_TEST_CASE(a_denied_repository_is_denied_without_asking_the_hub) {
    ProxyFixture f("repositories:\n  allow: ['acme/*']\n  deny: ['acme/tiny-*']\n");
    const auto before = f.hub.api_requests();

    const auto reply = f.call("GET", "/v2/acme/tiny-llm/manifests/main");

    BOOST_TEST(reply.status == 403);
    BOOST_TEST(oci_error_code(reply) == "DENIED");
    BOOST_TEST(f.hub.api_requests() == before);
}

BOOST_AUTO_TEST_CASE(gated_models_need_the_clients_own_hf_token) {
    ProxyFixture f("registry_auth:\n  mode: hf_token\n");
    const std::string basic = "Basic " + common::base64_encode(std::string("harbor:") + kHfToken);
    const std::string wrong = "Basic " + common::base64_encode("harbor:hf_wrong_token_000000");

    const auto anonymous = f.call("GET", "/v2/acme/gated-llm/manifests/main");
    const auto wrong_token =
        f.call("GET", "/v2/acme/gated-llm/manifests/main", {{"Authorization", wrong}});
    const auto with_token =
        f.call("GET", "/v2/acme/gated-llm/manifests/main", {{"Authorization", basic}});
    // What one token resolved is not visible without it.
    const auto digest = with_token.header("Docker-Content-Digest");
    const auto by_digest_anonymous = f.call("GET", "/v2/acme/gated-llm/manifests/" + digest);

    BOOST_TEST(anonymous.status == 401);
    BOOST_TEST(oci_error_code(anonymous) == "UNAUTHORIZED");
    BOOST_TEST(wrong_token.status == 403);
    BOOST_TEST(oci_error_code(wrong_token) == "DENIED");
    BOOST_TEST(with_token.status == 200);
    BOOST_TEST(by_digest_anonymous.status == 404);
    BOOST_TEST(f.hub.authorization_headers_seen_by_cdn().empty());
}

BOOST_AUTO_TEST_CASE(hub_rate_limits_surface_as_429_with_retry_after) {
    ProxyFixture f;
    f.hub.rate_limit_next(100, 1);

    const auto reply = f.call("GET", "/v2/acme/tiny-llm/manifests/main");

    BOOST_TEST(reply.status == 429);
    BOOST_TEST(oci_error_code(reply) == "TOOMANYREQUESTS");
    BOOST_TEST(reply.header("Retry-After") == "1");
}

BOOST_AUTO_TEST_CASE(a_short_rate_limit_is_retried_transparently) {
    ProxyFixture f;
    f.hub.rate_limit_next(1, 1);

    const auto reply = f.call("GET", "/v2/acme/tiny-llm/manifests/main");

    BOOST_TEST(reply.status == 200);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(registry_api)

BOOST_AUTO_TEST_CASE(manifest_get_and_head_carry_type_digest_and_length) {
    ProxyFixture f;

    const auto get = f.call("GET", "/v2/acme/tiny-llm/manifests/main");
    const auto head = f.call("HEAD", "/v2/acme/tiny-llm/manifests/main");

    BOOST_REQUIRE(get.status == 200);
    BOOST_TEST(get.header("Content-Type") == "application/vnd.oci.image.manifest.v1+json");
    BOOST_TEST(get.header("Docker-Content-Digest") == sha256(get.body));
    BOOST_TEST(get.header("Content-Length") == std::to_string(get.body.size()));
    BOOST_TEST(head.status == 200);
    BOOST_TEST(head.header("Content-Type") == get.header("Content-Type"));
    BOOST_TEST(head.header("Docker-Content-Digest") == get.header("Docker-Content-Digest"));
    BOOST_TEST(head.header("Content-Length") == get.header("Content-Length"));
    BOOST_TEST(head.body.empty());
}

BOOST_AUTO_TEST_CASE(the_manifest_is_a_modelpack_artifact_of_the_commit) {
    ProxyFixture f;

    const auto reply = f.call("GET", "/v2/acme/tiny-llm/manifests/main");
    const auto manifest = reply.json_body();

    BOOST_REQUIRE(reply.status == 200);
    BOOST_TEST(manifest["artifactType"] == "application/vnd.cncf.model.manifest.v1+json");
    BOOST_TEST(manifest["config"]["mediaType"] == "application/vnd.cncf.model.config.v1+json");
    const auto weights = layer_for(manifest, "model.safetensors");
    BOOST_TEST(weights["mediaType"] == "application/vnd.cncf.model.weight.v1.raw");
    BOOST_TEST(weights["digest"] == sha256(f.file_bytes("model.safetensors")));
    BOOST_TEST(weights["size"] == kWeightBytes);
    BOOST_TEST(layer_for(manifest, "config.json")["mediaType"] ==
               "application/vnd.cncf.model.weight.config.v1.raw");
    BOOST_TEST(layer_for(manifest, "README.md")["mediaType"] ==
               "application/vnd.cncf.model.doc.v1.raw");
    BOOST_TEST(layer_for(manifest, "scripts/convert.py")["mediaType"] ==
               "application/vnd.cncf.model.code.v1.raw");
    BOOST_TEST(layer_for(manifest, ".gitattributes").is_null());
    // The weights' digest came from the tree's LFS oid: the file was never downloaded.
    BOOST_TEST(f.hub.content_gets(kRepo, "model.safetensors") == 0U);

    const auto config =
        f.call("GET", "/v2/acme/tiny-llm/blobs/" + manifest["config"]["digest"].get<std::string>());
    const auto config_json = config.json_body();
    BOOST_REQUIRE(config.status == 200);
    BOOST_TEST(config_json["descriptor"]["revision"] == std::string(kCommit));
    BOOST_TEST(config_json["descriptor"]["licenses"] == json::array({"apache-2.0"}));
    BOOST_TEST(config_json["config"]["format"] == "safetensors");
    BOOST_TEST(config_json["modelfs"]["diffIds"].size() == manifest["layers"].size());
}

BOOST_AUTO_TEST_CASE(legacy_cnai_naming_for_harbor_2_13_to_2_15) {
    ProxyFixture f("modelpack_naming: cnai\n");

    const auto manifest = f.call("GET", "/v2/acme/tiny-llm/manifests/main").json_body();

    BOOST_TEST(manifest["artifactType"] == "application/vnd.cnai.model.manifest.v1+json");
    bool all_cnai = true;
    for (const auto& layer : manifest["layers"]) {
        all_cnai =
            all_cnai && layer["annotations"].contains("org.cnai.model.filepath") &&
            layer["mediaType"].get<std::string>().find("vnd.cnai.model") != std::string::npos;
    }
    BOOST_TEST(all_cnai);
}

BOOST_AUTO_TEST_CASE(the_same_commit_gives_the_same_digest_after_a_restart_and_by_commit) {
    ProxyFixture f;
    const auto first = f.call("GET", "/v2/acme/tiny-llm/manifests/main");
    const auto commit = std::string(kCommit);

    f.proxy->restart();
    const auto by_commit = f.call("GET", "/v2/acme/tiny-llm/manifests/" + commit);
    const auto by_digest =
        f.call("GET", "/v2/acme/tiny-llm/manifests/" + first.header("Docker-Content-Digest"));

    BOOST_REQUIRE(first.status == 200);
    BOOST_TEST(by_commit.body == first.body);
    BOOST_TEST(by_digest.body == first.body);
}

BOOST_AUTO_TEST_CASE(tags_are_branches_and_tags_and_the_catalog_is_the_allow_list) {
    ProxyFixture f(
        "repositories:\n  prefix: hf\n  allow: [acme/tiny-llm, acme/gated-llm, "
        "'other/*']\n");

    const auto tags = f.call("GET", "/v2/hf/acme/tiny-llm/tags/list");
    const auto first_page = f.call("GET", "/v2/_catalog?n=1");
    const auto second_page = f.call("GET", "/v2/_catalog?n=1&last=hf/acme/gated-llm");
    const auto without_prefix = f.call("GET", "/v2/acme/tiny-llm/manifests/main");

    BOOST_REQUIRE(tags.status == 200);
    BOOST_TEST(tags.json_body()["name"] == "hf/acme/tiny-llm");
    BOOST_TEST(tags.json_body()["tags"] == json::array({"main", "v1.0"}));
    BOOST_TEST(first_page.json_body()["repositories"] == json::array({"hf/acme/gated-llm"}));
    BOOST_TEST(first_page.header("Link") ==
               "</v2/_catalog?last=hf/acme/gated-llm&n=1>; rel=\"next\"");
    BOOST_TEST(second_page.json_body()["repositories"] == json::array({"hf/acme/tiny-llm"}));
    BOOST_TEST(second_page.header("Link").empty());
    BOOST_TEST(without_prefix.status == 404);
}

BOOST_AUTO_TEST_CASE(blob_ranges_are_served_like_harbors_chunked_copy_expects) {
    ProxyFixture f;
    const auto manifest = f.call("GET", "/v2/acme/tiny-llm/manifests/main").json_body();
    const auto digest = layer_for(manifest, "model.safetensors")["digest"].get<std::string>();
    const auto expected = f.file_bytes("model.safetensors");
    const std::string path = "/v2/acme/tiny-llm/blobs/" + digest;

    const auto head = f.call("HEAD", path);
    std::string assembled;
    constexpr std::uint64_t kChunk = 10U << 20;  // REPLICATION_CHUNK_SIZE
    for (std::uint64_t offset = 0; offset < expected.size(); offset += kChunk) {
        const auto last = std::min<std::uint64_t>(offset + kChunk, expected.size()) - 1;
        const auto part =
            f.call("GET", path,
                   {{"Range", "bytes=" + std::to_string(offset) + "-" + std::to_string(last)}});
        BOOST_REQUIRE(part.status == 206);
        BOOST_TEST(part.header("Content-Range") == "bytes " + std::to_string(offset) + "-" +
                                                       std::to_string(last) + "/" +
                                                       std::to_string(expected.size()));
        assembled += part.body;
    }
    const auto unsatisfiable = f.call("GET", path, {{"Range", "bytes=999999999-"}});

    BOOST_TEST(head.status == 200);
    BOOST_TEST(head.header("Content-Length") == std::to_string(expected.size()));
    BOOST_TEST((assembled == expected));
    BOOST_TEST(unsatisfiable.status == 416);
    // Every range came from one upstream download.
    BOOST_TEST(f.hub.content_gets(kRepo, "model.safetensors") == 1U);
}

BOOST_AUTO_TEST_CASE(bearer_mode_issues_tokens_harbor_can_cache) {
    ProxyFixture f(
        "registry_auth:\n  mode: bearer\n  token_secret: 0123456789abcdef0123456789abcdef\n"
        "  users:\n    - {name: harbor, password: replication-pass}\n");
    const std::string basic = "Basic " + common::base64_encode("harbor:replication-pass");

    const auto discovery = f.call("GET", "/v2/");
    const auto refused = f.call("GET", "/token?service=aiops-proxy-adapter",
                                {{"Authorization", "Basic " + common::base64_encode("harbor:x")}});
    const auto issued = f.call("GET",
                               "/token?service=aiops-proxy-adapter&scope=repository:"
                               "acme/tiny-llm:pull",
                               {{"Authorization", basic}});
    const auto token = issued.json_body().value("token", "");
    const auto with_token =
        f.call("GET", "/v2/acme/tiny-llm/manifests/main", {{"Authorization", "Bearer " + token}});
    const auto forged = f.call("GET", "/v2/acme/tiny-llm/manifests/main",
                               {{"Authorization", "Bearer " + token + "x"}});

    BOOST_TEST(discovery.status == 401);
    BOOST_TEST(discovery.header("WWW-Authenticate").find("Bearer realm=\"http://127.0.0.1:") == 0U);
    BOOST_TEST(refused.status == 401);
    BOOST_REQUIRE(issued.status == 200);
    BOOST_TEST(issued.json_body()["expires_in"].is_number_integer());
    BOOST_TEST(issued.json_body()["issued_at"].is_string());
    BOOST_TEST(issued.json_body()["access_token"] == token);
    BOOST_TEST(with_token.status == 200);
    BOOST_TEST(forged.status == 401);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(interop)

BOOST_AUTO_TEST_CASE(skopeo_copies_the_model_into_a_real_registry_byte_for_byte) {
    ProxyFixture f;
    fixtures::RegistryServer registry;
    const auto scratch = f.dir / "skopeo";
    std::filesystem::create_directories(scratch);

    const auto inspect =
        fixtures::run_skopeo({"inspect", "--tls-verify=false", "--raw",
                              "docker://" + f.proxy->host_port() + "/acme/tiny-llm:main"},
                             scratch);
    const auto copy =
        fixtures::run_skopeo({"copy", "--src-tls-verify=false", "--dest-tls-verify=false",
                              "docker://" + f.proxy->host_port() + "/acme/tiny-llm:main",
                              "docker://" + registry.host_port() + "/mirror/tiny-llm:main"},
                             scratch, std::chrono::seconds(120));

    BOOST_REQUIRE_MESSAGE(inspect.exit_status == 0, inspect.output);
    BOOST_REQUIRE_MESSAGE(copy.exit_status == 0, copy.output);
    auto http = common::HttpClient::create({}).value();
    auto client = common::RegistryClient::create(*http, {.base_url = registry.url()}).value();
    auto copied = client->get_manifest("mirror/tiny-llm", "main");
    BOOST_REQUIRE(copied.has_value());
    BOOST_TEST(copied->bytes == inspect.output);  // skopeo kept the digest
    const auto manifest = json::parse(copied->bytes);
    for (const auto& layer : manifest["layers"]) {
        const auto path = layer["annotations"]["org.cncf.model.filepath"].get<std::string>();
        auto blob = client->fetch_blob(
            "mirror/tiny-llm", common::Digest::parse(layer["digest"].get<std::string>()).value(),
            64U << 20);
        BOOST_REQUIRE_MESSAGE(blob.has_value(), path);
        BOOST_TEST((*blob == f.file_bytes(path)), path);
    }
}

BOOST_AUTO_TEST_CASE(a_range_only_client_reads_every_file_back) {
    ProxyFixture f;
    auto http = common::HttpClient::create({}).value();
    auto client = common::RegistryClient::create(*http, {.base_url = f.proxy->url()}).value();

    auto manifest_response = client->get_manifest("acme/tiny-llm", "main");
    BOOST_REQUIRE(manifest_response.has_value());
    const auto manifest = json::parse(manifest_response->bytes);
    for (const auto& layer : manifest["layers"]) {
        const auto path = layer["annotations"]["org.cncf.model.filepath"].get<std::string>();
        const auto digest = common::Digest::parse(layer["digest"].get<std::string>()).value();
        const auto size = layer["size"].get<std::uint64_t>();
        std::string assembled;
        for (std::uint64_t offset = 0; offset < size; offset += 5U << 20) {
            auto part = client->read_blob_range("acme/tiny-llm", digest, offset, 5U << 20);
            BOOST_REQUIRE_MESSAGE(part.has_value(), path);
            assembled += *part;
        }
        BOOST_TEST((assembled == f.file_bytes(path)), path);
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(faults)

BOOST_AUTO_TEST_CASE(wrong_bytes_from_the_hub_abort_the_pull_and_nothing_is_cached) {
    ProxyFixture f;
    const auto manifest = f.call("GET", "/v2/acme/tiny-llm/manifests/main").json_body();
    const auto digest = layer_for(manifest, "model.safetensors")["digest"].get<std::string>();
    f.hub.corrupt_file(kRepo, "model.safetensors");

    const auto first = f.call("GET", "/v2/acme/tiny-llm/blobs/" + digest);
    const auto second = f.call("GET", "/v2/acme/tiny-llm/blobs/" + digest);

    // The status line was out before the mismatch was known: the body is cut short.
    BOOST_TEST(first.body.size() < kWeightBytes);
    BOOST_TEST(second.body.size() < kWeightBytes);
    BOOST_TEST(f.hub.content_gets(kRepo, "model.safetensors") == 2U);  // not served from cache
    BOOST_TEST(
        !std::filesystem::exists(f.proxy->cache_dir() / "blobs" / "sha256" / digest.substr(7)));
}

BOOST_AUTO_TEST_CASE(a_connection_cut_mid_blob_fails_that_pull_and_the_next_one_succeeds) {
    ProxyFixture f;
    const auto manifest = f.call("GET", "/v2/acme/tiny-llm/manifests/main").json_body();
    const auto digest = layer_for(manifest, "model.safetensors")["digest"].get<std::string>();
    f.hub.cut_file_after(kRepo, "model.safetensors", 1U << 20);

    const auto cut = f.call("GET", "/v2/acme/tiny-llm/blobs/" + digest);
    f.hub.clear_faults();
    const auto retried = f.call("GET", "/v2/acme/tiny-llm/blobs/" + digest);

    BOOST_TEST(cut.body.size() < kWeightBytes);
    BOOST_TEST(retried.status == 200);
    BOOST_TEST((retried.body == f.file_bytes("model.safetensors")));
}

BOOST_AUTO_TEST_CASE(with_the_hub_down_a_warm_cache_still_serves) {
    ProxyFixture f;
    const auto manifest_reply = f.call("GET", "/v2/acme/tiny-llm/manifests/main");
    const auto manifest = manifest_reply.json_body();
    const auto digest = layer_for(manifest, "model.safetensors")["digest"].get<std::string>();
    BOOST_REQUIRE(f.call("GET", "/v2/acme/tiny-llm/blobs/" + digest).status == 200);
    const auto commit = std::string(kCommit);

    f.hub.stop();
    f.proxy->restart();
    const auto by_commit = f.call("GET", "/v2/acme/tiny-llm/manifests/" + commit);
    const auto by_branch = f.call("GET", "/v2/acme/tiny-llm/manifests/main");
    const auto blob = f.call("GET", "/v2/acme/tiny-llm/blobs/" + digest);
    const auto config =
        f.call("GET", "/v2/acme/tiny-llm/blobs/" + manifest["config"]["digest"].get<std::string>());

    BOOST_TEST(by_commit.status == 200);
    BOOST_TEST(by_commit.body == manifest_reply.body);
    BOOST_TEST(by_branch.status == 200);  // the last known commit of the branch
    BOOST_TEST(blob.status == 200);
    BOOST_TEST((blob.body == f.file_bytes("model.safetensors")));
    BOOST_TEST(config.status == 200);
}

BOOST_AUTO_TEST_CASE(fifty_concurrent_pulls_of_a_cold_blob_reach_the_hub_once) {
    ProxyFixture f;
    const auto manifest = f.call("GET", "/v2/acme/tiny-llm/manifests/main").json_body();
    const auto digest = layer_for(manifest, "model.safetensors")["digest"].get<std::string>();
    const auto expected = sha256(f.file_bytes("model.safetensors"));

    std::atomic<int> matching{0};
    std::vector<std::thread> pullers;
    for (int i = 0; i < 50; ++i) {
        pullers.emplace_back([&] {
            httplib::Client client("127.0.0.1", f.proxy->port());
            client.set_read_timeout(120, 0);
            auto reply = client.Get(("/v2/acme/tiny-llm/blobs/" + digest).c_str());
            if (reply && reply->status == 200 && sha256(reply->body) == expected) {
                ++matching;
            }
        });
    }
    for (auto& puller : pullers) {
        puller.join();
    }

    BOOST_TEST(matching.load() == 50);
    BOOST_TEST(f.hub.content_gets(kRepo, "model.safetensors") == 1U);
}

BOOST_AUTO_TEST_SUITE_END()
