#define BOOST_TEST_MODULE scanner_service
#include <boost/test/unit_test.hpp>

// scanner-adapter end to end, driven exactly as Harbor drives a pluggable scanner
// (shared/reference/harbor-scanner.md §6): 1.0 MIME headers, 5 s client timeouts, no redirect
// following, 302 + Refresh-After polling, strict report types. The artifacts live in a real
// docker-registry with token auth; the adapter gets the robot's Basic credential, as from Harbor.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "aiops/common/encoding.h"
#include "aiops/common/http_client.h"
#include "aiops/common/media_types.h"
#include "aiops/common/registry_client.h"
#include "aiops/common/retention.h"
#include "aiops/common/storage.h"
#include "fixtures/fake_scanner_adapter.h"
#include "fixtures/oci_artifact.h"
#include "fixtures/process.h"
#include "fixtures/registry_front.h"
#include "fixtures/registry_server.h"
#include "fixtures/tar_archive.h"
#include "fixtures/temp_dir.h"
#include "fixtures/token_issuer.h"
#include "format_samples.h"

namespace common = aiops::common;
namespace fixtures = aiops::testing;
using nlohmann::json;

namespace {

constexpr const char* kToken = "harbor-scanner-token-0123456789";
constexpr const char* kMetadataMime = "application/vnd.scanner.adapter.metadata+json; version=1.0";
constexpr const char* kRequestMime =
    "application/vnd.scanner.adapter.scan.request+json; version=1.0";
constexpr const char* kResponseMime =
    "application/vnd.scanner.adapter.scan.response+json; version=1.0";
constexpr const char* kGenericReport = "application/vnd.security.vulnerability.report; version=1.1";
constexpr const char* kSbomReport = "application/vnd.security.sbom.report+json; version=1.0";
constexpr const char* kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";

// Protocol 2: posix.system("id") via REDUCE — what `pickle.dumps` of a malicious __reduce__ gives.
std::string malicious_pickle() {
    using namespace std::string_literals;
    return "\x80\x02"s + "cposix\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03."s;
}

std::string benign_safetensors() {
    const std::string header =
        R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"__metadata__":{"format":"pt"}})";
    std::string bytes(8, '\0');
    for (int i = 0; i < 8; ++i) {
        bytes[static_cast<std::size_t>(i)] = static_cast<char>((header.size() >> (8 * i)) & 0xFF);
    }
    return bytes + header + std::string(16, '\x01');
}

// A gzip'd tar layer holding `files` (path → bytes), as an image with baked-in weights has.
std::string tar_gz(const std::vector<std::pair<std::string, std::string>>& files) {
    return fixtures::make_tar(files, true);
}

common::Annotations filepath(const std::string& path) {
    return {{"org.cncf.model.filepath", path}};
}

std::string layer_type(common::modelpack::LayerKind kind) {
    return common::modelpack::layer_media_type(common::modelpack::Naming::kCncf, kind,
                                               common::modelpack::LayerEncoding::kRaw);
}

fixtures::BuiltArtifact model_artifact() {
    using common::modelpack::LayerKind;
    const json config{{"descriptor", {{"name", "tiny"}, {"licenses", {"cc-by-nc-4.0"}}}},
                      {"config", {{"format", "safetensors"}}},
                      {"modelfs", {{"type", "layers"}, {"diffIds", {"sha256:00"}}}}};
    const auto& names = common::modelpack::names(common::modelpack::Naming::kCncf);
    return fixtures::build_artifact(
        {{layer_type(LayerKind::kWeightConfig), R"({"model_type":"llama"})",
          filepath("config.json")},
         {layer_type(LayerKind::kWeight), benign_safetensors(), filepath("model.safetensors")},
         {layer_type(LayerKind::kWeight), malicious_pickle(), filepath("pytorch_model.bin")},
         {layer_type(LayerKind::kDoc), "# tiny\n", filepath("../../etc/README.md")}},
        std::string(names.manifest_artifact_type), std::string(names.config), config.dump());
}

fixtures::BuiltArtifact image_artifact() {
    return fixtures::build_artifact(
        {{std::string(common::media_type::kOciLayerTarGzip),
          tar_gz({{"app/models/evil.pkl", malicious_pickle()},
                  {"app/models/weights.safetensors", benign_safetensors()},
                  {"app/server.py", "print('hi')\n"}}),
          {}}},
        "", std::string(common::media_type::kOciConfig),
        R"({"architecture":"amd64","os":"linux"})");
}

// A PyTorch zip checkpoint whose data.pkl runs posix.system, behind a 3 MiB storage member: the
// analysers read the end of central directory, the directory, then the pickle — several ranges
// far apart, each more than a block (256 KiB) away from the others.
fixtures::BuiltArtifact padded_torch_artifact() {
    using common::modelpack::LayerKind;
    std::string storage(3U << 20, '\0');
    for (std::size_t index = 0; index < storage.size(); ++index) {
        storage[index] = static_cast<char>((index * 2654435761U) >> 13);
    }
    const auto checkpoint =
        fixtures::zip_file({fixtures::stored_entry("archive/data/0", storage),
                            fixtures::stored_entry("archive/version", "3\n"),
                            fixtures::stored_entry("archive/data.pkl", malicious_pickle())});
    const auto& names = common::modelpack::names(common::modelpack::Naming::kCncf);
    return fixtures::build_artifact(
        {{layer_type(LayerKind::kWeight), checkpoint, filepath("pytorch_model.bin")}},
        std::string(names.manifest_artifact_type), std::string(names.config),
        R"({"descriptor":{"name":"padded"},"config":{"format":"pytorch"},)"
        R"("modelfs":{"type":"layers","diffIds":["sha256:00"]}})");
}

struct Reply {
    int status = 0;
    std::string body;
    httplib::Headers headers;
    std::string header(const std::string& name) const {
        auto it = headers.find(name);
        return it == headers.end() ? "" : it->second;
    }
};

struct ScannerFixture {
    fixtures::TempDir dir;
    fixtures::TokenIssuer issuer;
    fixtures::RegistryServer registry{{.token_issuer = &issuer}};
    int port = fixtures::free_port();
    std::unique_ptr<fixtures::Process> scanner;
    std::string robot_basic;

    explicit ScannerFixture(const std::string& extra_config = "") {
        fixtures::write_file(dir / "scanner.yaml",
                             "server:\n  listen: 127.0.0.1:" + std::to_string(port) +
                                 "\n  data_dir: " + dir.path().string() +
                                 "\nlog:\n  level: warn\nauth:\n  tokens:\n"
                                 "    - {name: harbor, role: writer, token: " +
                                 kToken +
                                 "}\nregistry:\n  url_policy:\n    allow_loopback: true\n"
                                 "scan:\n  workers: 4\n  refresh_after_s: 1\n"
                                 "licenses:\n  deny: ['cc-by-nc-*']\n" +
                                 extra_config);
        scanner = std::make_unique<fixtures::Process>(
            std::vector<std::string>{AIOPS_SCANNER_BINARY, "--config",
                                     (dir / "scanner.yaml").string()},
            dir / "scanner.log");
        BOOST_REQUIRE_MESSAGE(fixtures::wait_for_port(port, std::chrono::seconds(20)),
                              scanner->log());
        robot_basic = "Basic " + common::base64_encode(issuer.settings().username + ":" +
                                                       issuer.settings().password);
    }

    common::Digest push(const std::string& repository, const fixtures::BuiltArtifact& artifact) {
        auto http = common::HttpClient::create({}).value();
        auto client =
            common::RegistryClient::create(*http, {.base_url = registry.url(),
                                                   .username = issuer.settings().username,
                                                   .password = issuer.settings().password})
                .value();
        auto pushed = fixtures::push_artifact(*client, repository, "v1", artifact);
        BOOST_REQUIRE(pushed.has_value());
        return *pushed;
    }

    // Ids in the scanner's retention index (its SQLite file, opened beside the running service).
    std::vector<std::string> retention_markers() const {
        common::SystemClock clock;
        auto store = common::open_store({.url = "sqlite://" + (dir / "aiops.db").string()}, clock);
        BOOST_REQUIRE(store.has_value());
        const auto markers = (*store)->scan(common::kRetentionIndex, "", 1000);
        BOOST_REQUIRE(markers.has_value());
        std::vector<std::string> ids;
        for (const auto& marker : markers->documents) {
            ids.push_back(marker.id);
        }
        return ids;
    }

    // Harbor's client: 5 s total timeout, no redirects followed.
    Reply call(const std::string& method, const std::string& path, const std::string& accept,
               const std::string& body = "", const char* token = kToken) {
        httplib::Client client("127.0.0.1", port);
        client.set_connection_timeout(5, 0);
        client.set_read_timeout(5, 0);
        client.set_follow_location(false);
        httplib::Headers headers{{"Accept", accept}};
        if (token != nullptr) {
            headers.emplace("Authorization", std::string("Bearer ") + token);
        }
        auto result = method == "POST" ? client.Post(path.c_str(), headers, body, kRequestMime)
                                       : client.Get(path.c_str(), headers);
        if (!result) {
            return {};
        }
        return Reply{result->status, result->body, result->headers};
    }

    std::string scan_request(const std::string& repository, const common::Digest& digest,
                             const std::string& authorization,
                             const std::string& registry_url = "") const {
        return json{{"registry",
                     {{"url", registry_url.empty() ? registry.url() : registry_url},
                      {"authorization", authorization},
                      {"insecure", false}}},
                    {"artifact",
                     {{"repository", repository},
                      {"tag", ""},
                      {"digest", digest.str()},
                      {"mime_type", "application/vnd.oci.image.manifest.v1+json"},
                      {"size", 1234}}},
                    {"enabled_capabilities",
                     json::array({{{"type", "vulnerability"},
                                   {"produces_mime_types", json::array({kGenericReport})},
                                   {"parameters", nullptr}}})}}
            .dump();
    }

    std::string submit(const std::string& repository, const common::Digest& digest,
                       const std::string& authorization, const std::string& registry_url = "") {
        const auto reply = call("POST", "/api/v1/scan", kResponseMime,
                                scan_request(repository, digest, authorization, registry_url));
        BOOST_REQUIRE_MESSAGE(reply.status == 202, reply.body);
        return json::parse(reply.body).at("id").get<std::string>();
    }

    // Polls like Harbor: on 302 wait Refresh-After (int8, else 5 s); anything else ends it.
    Reply poll(const std::string& id, const std::string& accept, const std::string& query = "") {
        for (int attempt = 0; attempt < 120; ++attempt) {
            auto reply = call("GET", "/api/v1/scan/" + id + "/report" + query, accept);
            if (reply.status != 302) {
                return reply;
            }
            const int refresh = std::atoi(reply.header("Refresh-After").c_str());
            BOOST_REQUIRE(refresh >= 1 && refresh <= 127);
            std::this_thread::sleep_for(std::chrono::milliseconds(200));  // Harbor waits longer
        }
        return {};
    }
};

std::vector<json> findings_for(const json& report, const std::string& package) {
    std::vector<json> found;
    for (const auto& item : report["vulnerabilities"]) {
        if (item["package"] == package) {
            found.push_back(item);
        }
    }
    return found;
}

bool has_rule(const json& report, const std::string& package, const std::string& rule,
              const std::string& severity) {
    const auto items = findings_for(report, package);
    return std::any_of(items.begin(), items.end(), [&](const json& item) {
        return item["id"] == rule && item["severity"] == severity;
    });
}

// Harbor unmarshals into Go structs: every field must have exactly the expected JSON type.
void expect_harbor_types(const json& report) {
    BOOST_TEST(report["generated_at"].is_string());
    BOOST_TEST(report["scanner"]["name"].is_string());
    BOOST_TEST(report["severity"].is_string());
    for (const auto& item : report["vulnerabilities"]) {
        for (const char* field :
             {"id", "package", "version", "fix_version", "severity", "description"}) {
            BOOST_TEST(item[field].is_string(), field);
        }
        BOOST_TEST(item["links"].is_array());
        for (const auto& link : item["links"]) {
            BOOST_TEST(
                (link.is_string() && link.get<std::string>().find('|') == std::string::npos));
        }
    }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(harbor_contract)

BOOST_AUTO_TEST_CASE(requests_without_auth_or_with_bad_bodies_are_refused) {
    ScannerFixture f;

    const auto anonymous = f.call("GET", "/api/v1/metadata", kMetadataMime, "", nullptr);
    const auto not_json = f.call("POST", "/api/v1/scan", kResponseMime, "{");
    const auto missing = f.call("POST", "/api/v1/scan", kResponseMime, R"({"registry":{}})");
    const auto unknown = f.call("GET", "/api/v1/scan/nope/report", kGenericReport);

    BOOST_TEST(anonymous.status == 401);
    BOOST_TEST(not_json.status == 400);
    BOOST_TEST(missing.status == 422);
    BOOST_TEST(unknown.status == 404);
}

BOOST_AUTO_TEST_CASE(metadata_passes_harbors_validation) {
    ScannerFixture f;

    const auto reply = f.call("GET", "/api/v1/metadata", kMetadataMime);
    const auto metadata = json::parse(reply.body);

    BOOST_REQUIRE(reply.status == 200);
    BOOST_TEST(reply.header("Content-Type") == kMetadataMime);
    for (const char* field : {"name", "vendor", "version"}) {
        BOOST_TEST(!metadata["scanner"][field].get<std::string>().empty());
    }
    for (const auto& capability : metadata["capabilities"]) {
        const auto consumes = capability["consumes_mime_types"];
        BOOST_TEST(
            (std::find(consumes.begin(), consumes.end(), kDockerManifest) != consumes.end()));
        BOOST_TEST(!capability["produces_mime_types"].empty());
    }
    for (const auto& [key, value] : metadata["properties"].items()) {
        BOOST_TEST(value.is_string(), key);
    }
}

BOOST_AUTO_TEST_CASE(a_modelpack_model_with_a_pickle_payload_is_reported_critical) {
    ScannerFixture f;
    const auto digest = f.push("models/tiny", model_artifact());

    const auto id = f.submit("models/tiny", digest, f.robot_basic);
    const auto reply = f.poll(id, kGenericReport);
    const auto report = json::parse(reply.body);

    BOOST_REQUIRE_MESSAGE(reply.status == 200, reply.body);
    BOOST_TEST(reply.header("Content-Type") == kGenericReport);
    expect_harbor_types(report);
    BOOST_TEST(report["severity"] == "Critical");
    BOOST_TEST(has_rule(report, "pytorch_model.bin", "AIMS-PICKLE-EXEC", "Critical"));
    BOOST_TEST(has_rule(report, "model config", "AIMS-LICENSE-DENIED", "High"));
    BOOST_TEST(has_rule(report, "../../etc/README.md", "AIMS-MODEL-PATH-ESCAPE", "High"));
    for (const auto& item : findings_for(report, "model.safetensors")) {
        BOOST_TEST(item["severity"] != "High");
        BOOST_TEST(item["severity"] != "Critical");
    }
    const auto findings = f.call("GET", "/api/v1/scan/" + id + "/findings", "application/json");
    BOOST_REQUIRE(findings.status == 200);
    const auto rich = json::parse(findings.body);
    BOOST_TEST(rich["licenses"] == json::array({"cc-by-nc-4.0"}));
    BOOST_TEST(rich["files"].size() == 4U);
    // The finished scan is indexed for retention (erased retention.keep_days later); the index
    // entry is written just after the report is stored, so it may trail the report by a commit.
    const auto indexed = [&] {
        const auto markers = f.retention_markers();
        return std::any_of(markers.begin(), markers.end(), [&id](const std::string& marker) {
            return marker.ends_with("|scans|" + id);
        });
    };
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!indexed() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    BOOST_TEST(indexed());
}

BOOST_AUTO_TEST_CASE(an_image_with_baked_in_weights_is_scanned_layer_by_layer) {
    ScannerFixture f;
    const auto digest = f.push("inference/vllm", image_artifact());

    const auto id = f.submit("inference/vllm", digest, f.robot_basic);
    const auto reply = f.poll(id, kGenericReport);
    const auto report = json::parse(reply.body);

    BOOST_REQUIRE_MESSAGE(reply.status == 200, reply.body);
    BOOST_TEST(has_rule(report, "app/models/evil.pkl", "AIMS-PICKLE-EXEC", "Critical"));
    for (const auto& item : findings_for(report, "app/models/weights.safetensors")) {
        BOOST_TEST(item["severity"] != "Critical");
    }
}

BOOST_AUTO_TEST_CASE(sbom_reports_embed_an_spdx_document) {
    ScannerFixture f;
    const auto digest = f.push("models/tiny", model_artifact());
    const auto id = f.submit("models/tiny", digest, f.robot_basic);

    const auto missing_type = f.poll(id, kSbomReport);
    const auto reply = f.poll(id, kSbomReport, "?sbom_media_type=application%2Fspdx%2Bjson");
    const auto sbom = json::parse(reply.body);

    BOOST_TEST(missing_type.status == 400);
    BOOST_REQUIRE(reply.status == 200);
    BOOST_TEST(sbom["media_type"] == "application/spdx+json");
    BOOST_TEST(sbom["sbom"].is_object());
    BOOST_TEST(sbom["sbom"]["spdxVersion"] == "SPDX-2.3");
    BOOST_TEST(sbom["sbom"]["files"].size() == 4U);
}

BOOST_AUTO_TEST_CASE(a_robot_credential_the_registry_refuses_fails_the_scan_with_500) {
    ScannerFixture f;
    const auto digest = f.push("models/tiny", model_artifact());

    const auto id =
        f.submit("models/tiny", digest, "Basic " + common::base64_encode("robot$scanner:wrong"));
    const auto reply = f.poll(id, kGenericReport);

    BOOST_TEST(reply.status == 500);
    BOOST_TEST(reply.body.find("failed") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(twenty_concurrent_scans_all_complete) {
    ScannerFixture f;
    const auto digest = f.push("models/tiny", model_artifact());
    std::vector<std::string> ids;
    for (int i = 0; i < 20; ++i) {
        ids.push_back(f.submit("models/tiny", digest, f.robot_basic));
    }

    std::atomic<int> complete{0};
    std::vector<std::thread> pollers;
    for (const auto& id : ids) {
        pollers.emplace_back([&, id] {
            const auto reply = f.poll(id, kGenericReport);
            if (reply.status == 200 &&
                json::parse(reply.body, nullptr, false).value("severity", "") == "Critical") {
                ++complete;
            }
        });
    }
    for (auto& poller : pollers) {
        poller.join();
    }

    BOOST_TEST(complete.load() == 20);
}

BOOST_AUTO_TEST_CASE(a_registry_that_ignores_range_is_read_once_not_once_per_range) {
    ScannerFixture f;
    const auto artifact = padded_torch_artifact();
    const auto digest = f.push("models/padded", artifact);
    fixtures::RegistryFront proxy_cache(f.registry.port(),
                                        fixtures::RegistryFront::Mode::kIgnoreRange);

    const auto id = f.submit("models/padded", digest, f.robot_basic, proxy_cache.url());
    const auto reply = f.poll(id, kGenericReport);
    const auto findings = f.call("GET", "/api/v1/scan/" + id + "/findings", "application/json");
    const auto rich = json::parse(findings.body);

    BOOST_REQUIRE_MESSAGE(reply.status == 200, reply.body);
    BOOST_TEST(has_rule(json::parse(reply.body), "pytorch_model.bin!archive/data.pkl",
                        "AIMS-PICKLE-EXEC", "Critical"));
    BOOST_TEST(proxy_cache.ranged_requests_answered_whole() >= 1);
    // The first ranged read streams the blob to its end (the EOCD is last), then the blob is
    // spooled once: about two copies, not one per range read.
    const auto layer_bytes = artifact.manifest.layers.at(0).size;
    BOOST_TEST(rich["bytes_read"].get<std::uint64_t>() <= 2 * layer_bytes + (64U << 10));
}

BOOST_AUTO_TEST_CASE(blobs_redirected_to_storage_are_fetched_without_the_registry_credential) {
    ScannerFixture f;
    const auto digest = f.push("models/tiny", model_artifact());
    fixtures::RegistryFront storage_backed(f.registry.port(),
                                           fixtures::RegistryFront::Mode::kRedirectBlobs);

    const auto id = f.submit("models/tiny", digest, f.robot_basic, storage_backed.url());
    const auto reply = f.poll(id, kGenericReport);

    BOOST_REQUIRE_MESSAGE(reply.status == 200, reply.body);
    const auto report = json::parse(reply.body);
    BOOST_TEST(has_rule(report, "pytorch_model.bin", "AIMS-PICKLE-EXEC", "Critical"));
    BOOST_TEST(storage_backed.redirects() >= 3);
    BOOST_TEST(storage_backed.storage_gets() >= 3);
    BOOST_TEST(storage_backed.storage_requests_with_authorization() == 0);
}

BOOST_AUTO_TEST_CASE(an_expired_registry_token_is_replaced_and_the_scan_completes) {
    ScannerFixture f;
    const auto digest = f.push("models/tiny", model_artifact());
    const int granted_before = f.issuer.granted();
    f.issuer.issue_expired(1);

    const auto id = f.submit("models/tiny", digest, f.robot_basic);
    const auto reply = f.poll(id, kGenericReport);

    BOOST_REQUIRE_MESSAGE(reply.status == 200, reply.body);
    BOOST_TEST(json::parse(reply.body)["severity"] == "Critical");
    BOOST_TEST(f.issuer.granted() >= granted_before + 2);  // the expired one, then a fresh one
}

BOOST_AUTO_TEST_CASE(a_token_service_issuing_only_expired_tokens_fails_the_scan_clearly) {
    ScannerFixture f;
    const auto digest = f.push("models/tiny", model_artifact());
    f.issuer.issue_expired(1000);

    const auto id = f.submit("models/tiny", digest, f.robot_basic);
    const auto reply = f.poll(id, kGenericReport);

    BOOST_TEST(reply.status == 500);
    BOOST_TEST(reply.body.find("401") != std::string::npos, reply.body);
}

// Delegation: Harbor allows one scanner per project; images also get a second adapter's CVEs.
const json kTrivyFindings =
    json::array({{{"id", "CVE-2024-6119"},
                  {"package", "openssl"},
                  {"version", "3.0.13-1~deb12u1"},
                  {"fix_version", "3.0.14-1~deb12u2"},
                  {"severity", "High"},
                  {"description", "Possible denial of service in X.509 name checks"},
                  {"links", json::array({"https://avd.aquasec.com/nvd/cve-2024-6119"})}}});

std::string delegate_config(const fixtures::FakeScannerAdapter& trivy, bool required) {
    return "delegate:\n  url: " + trivy.url() + "\n  authorization: Bearer trivy-token\n" +
           "  required: " + (required ? "true" : "false") + "\n";
}

BOOST_AUTO_TEST_CASE(images_get_the_delegate_scanners_cves_merged_and_models_are_not_delegated) {
    fixtures::FakeScannerAdapter trivy("trivy-token", kTrivyFindings);
    ScannerFixture f(delegate_config(trivy, true));
    const auto image = f.push("inference/vllm", image_artifact());
    const auto model = f.push("models/tiny", model_artifact());

    const auto image_reply =
        f.poll(f.submit("inference/vllm", image, f.robot_basic), kGenericReport);
    const auto model_reply = f.poll(f.submit("models/tiny", model, f.robot_basic), kGenericReport);

    BOOST_REQUIRE_MESSAGE(image_reply.status == 200, image_reply.body);
    const auto report = json::parse(image_reply.body);
    expect_harbor_types(report);
    BOOST_TEST(report["severity"] == "Critical");  // ours outranks the delegate's High
    BOOST_TEST(has_rule(report, "app/models/evil.pkl", "AIMS-PICKLE-EXEC", "Critical"));
    BOOST_TEST(has_rule(report, "openssl", "CVE-2024-6119", "High"));
    const auto requests = trivy.scan_requests();
    BOOST_REQUIRE(requests.size() == 1U);  // the model was not sent to the delegate
    BOOST_TEST(requests[0]["registry"]["authorization"] == f.robot_basic);
    BOOST_TEST(requests[0]["artifact"]["digest"] == image.str());
    BOOST_REQUIRE(model_reply.status == 200);
    BOOST_TEST(findings_for(json::parse(model_reply.body), "openssl").empty());
}

BOOST_AUTO_TEST_CASE(a_required_delegate_that_fails_fails_the_scan_an_optional_one_is_reported) {
    fixtures::FakeScannerAdapter trivy("trivy-token", kTrivyFindings);
    trivy.fail_scans(true);
    ScannerFixture required(delegate_config(trivy, true));
    ScannerFixture optional(delegate_config(trivy, false));
    const auto image = required.push("inference/vllm", image_artifact());
    const auto image_too = optional.push("inference/vllm", image_artifact());

    const auto failed = required.poll(
        required.submit("inference/vllm", image, required.robot_basic), kGenericReport);
    const auto partial = optional.poll(
        optional.submit("inference/vllm", image_too, optional.robot_basic), kGenericReport);

    BOOST_TEST(failed.status == 500);
    BOOST_TEST(failed.body.find("vulnerability DB") != std::string::npos, failed.body);
    BOOST_REQUIRE_MESSAGE(partial.status == 200, partial.body);
    const auto report = json::parse(partial.body);
    BOOST_TEST(has_rule(report, "app/models/evil.pkl", "AIMS-PICKLE-EXEC", "Critical"));
    BOOST_TEST(has_rule(report, "delegate scanner", "AIMS-DELEGATE-FAILED", "Unknown"));
}

BOOST_AUTO_TEST_SUITE_END()
