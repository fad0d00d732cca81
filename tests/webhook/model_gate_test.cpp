#define BOOST_TEST_MODULE webhook_model_gate
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "aiops/common/http_client.h"
#include "aiops/common/media_types.h"
#include "aiops/common/registry_client.h"
#include "fixtures/harbor_api_server.h"
#include "fixtures/oci_artifact.h"
#include "fixtures/process.h"
#include "fixtures/registry_server.h"
#include "fixtures/temp_dir.h"
#include "fixtures/webhook_process.h"

// The model scan gate and the catalog action end to end, against the real scanner-adapter and
// catalog-service binaries, a real docker-registry (distribution 2.x: no referrers API, so the
// OCI 1.1 fallback tag is used) and the Harbor REST test server
// (tests/fixtures/harbor_api_server.h: labels, copy ?from=, CSRF on replayed session cookies).
// Harbor's PUSH_ARTIFACT webhooks are built as Harbor sends them
// (shared/reference/harbor-preheat-webhook-replication.md §3.2).
namespace {

namespace common = aiops::common;
namespace fixtures = aiops::testing;
using json = nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kServiceToken = "service-token-0123456789abcdef";
constexpr const char* kRobotSecret = "robot-secret-0123456789";

std::unique_ptr<fixtures::Process> start_binary(const char* binary, const fixtures::TempDir& dir,
                                                const std::string& name, int port,
                                                const std::string& extra) {
    fixtures::write_file(dir / (name + ".yaml"),
                         "server:\n  listen: 127.0.0.1:" + std::to_string(port) +
                             "\n  data_dir: " + (dir / name).string() +
                             "\nauth:\n  tokens:\n    - {name: svc, role: writer, token: " +
                             kServiceToken + "}\n" + extra);
    std::filesystem::create_directories(dir / name);
    auto process = std::make_unique<fixtures::Process>(
        std::vector<std::string>{binary, "--config", (dir / (name + ".yaml")).string()},
        dir / (name + ".log"));
    BOOST_REQUIRE_MESSAGE(fixtures::wait_for_port(port, 20s), process->log());
    return process;
}

std::string safetensors() {
    const std::string header = R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}})";
    std::string bytes(8, '\0');
    for (int i = 0; i < 8; ++i) {
        bytes[static_cast<std::size_t>(i)] = static_cast<char>((header.size() >> (8 * i)) & 0xFF);
    }
    return bytes + header + std::string(16, '\x01');
}

// Protocol 2: posix.system("id") via REDUCE.
std::string malicious_pickle() {
    using namespace std::string_literals;
    return "\x80\x02"s + "cposix\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03."s;
}

fixtures::BuiltArtifact model(const std::string& name, bool evil) {
    using common::modelpack::LayerKind;
    const auto& names = common::modelpack::names(common::modelpack::Naming::kCncf);
    const auto layer = [](LayerKind kind) {
        return common::modelpack::layer_media_type(common::modelpack::Naming::kCncf, kind,
                                                   common::modelpack::LayerEncoding::kRaw);
    };
    const json config{
        {"descriptor",
         {{"name", name}, {"family", "llama"}, {"version", "1"}, {"licenses", {"apache-2.0"}}}},
        {"config",
         {{"format", "safetensors"},
          {"paramSize", "8b"},
          {"precision", "fp16"},
          {"architecture", "transformer"}}},
        {"modelfs", {{"type", "layers"}, {"diffIds", {"sha256:00"}}}}};
    std::vector<fixtures::ArtifactLayer> layers{
        {layer(LayerKind::kWeight),
         safetensors(),
         {{"org.cncf.model.filepath", "model.safetensors"}}}};
    if (evil) {
        layers.push_back({layer(LayerKind::kWeight),
                          malicious_pickle(),
                          {{"org.cncf.model.filepath", "pytorch_model.bin"}}});
    }
    return fixtures::build_artifact(std::move(layers), std::string(names.manifest_artifact_type),
                                    std::string(names.config), config.dump());
}

json push_event(const std::string& project, const std::string& repository,
                const common::Digest& digest, std::int64_t occur_at) {
    return {{"type", "PUSH_ARTIFACT"},
            {"occur_at", occur_at},
            {"operator", "robot$ci"},
            {"event_data",
             {{"resources",
               {{{"digest", digest.str()},
                 {"tag", "v1"},
                 {"resource_url", "harbor.local/" + project + "/" + repository + ":v1"}}}},
              {"repository",
               {{"name", repository},
                {"namespace", project},
                {"repo_full_name", project + "/" + repository},
                {"repo_type", "private"}}}}}};
}

}  // namespace

BOOST_AUTO_TEST_CASE(models_are_scanned_labelled_attached_and_copied_only_when_clean) {
    fixtures::TempDir dir;
    fixtures::RegistryServer registry;
    fixtures::HarborApiServer harbor(registry.url());
    harbor.add_robot("ci", kRobotSecret);
    harbor.add_label("aiops-scan:clean");
    harbor.add_label("aiops-scan:blocked");
    harbor.set_session_cookies(true);  // a client that kept cookies would hit Harbor's CSRF 403
    const int scanner_port = fixtures::free_port();
    auto scanner = start_binary(AIOPS_SCANNER_BINARY, dir, "scanner", scanner_port,
                                "registry:\n  url_policy:\n    allow_loopback: true\n"
                                "scan:\n  workers: 2\n  refresh_after_s: 1\n");
    const int catalog_port = fixtures::free_port();
    auto catalog = start_binary(AIOPS_CATALOG_BINARY, dir, "catalog", catalog_port,
                                "health:\n  interval_s: 0\n");

    auto http = common::HttpClient::create({}).value();
    auto client = common::RegistryClient::create(*http, {.base_url = registry.url()}).value();
    const auto clean = model("tiny", false);
    const auto evil = model("evil", true);
    BOOST_TEST_REQUIRE(
        fixtures::push_artifact(*client, "models-staging/tiny", "v1", clean).has_value());
    BOOST_TEST_REQUIRE(
        fixtures::push_artifact(*client, "models-staging/evil", "v1", evil).has_value());

    const std::string rules =
        "rules:\n"
        "  - name: scan-models\n"
        "    when: {source: harbor, events: [PUSH_ARTIFACT], project: models-staging, "
        "artifact: model}\n"
        "    do:\n"
        "      - {action: scan_gate, severity: High, release_project: models}\n"
        "      - {action: catalog, registry_id: harbor-local}\n";
    fixtures::WebhookProcess handler(
        AIOPS_WEBHOOK_BINARY, rules,
        "harbor:\n  auth_header: \"" + std::string(fixtures::WebhookProcess::kHarborAuth) +
            "\"\n  url: " + harbor.url() + "\n  registry_url: " + registry.url() +
            "\n  username: \"robot$ci\"\n  password: " + kRobotSecret +
            "\nscanner:\n  url: http://127.0.0.1:" + std::to_string(scanner_port) +
            "\n  token: " + kServiceToken +
            "\n  timeout_s: 60\ncatalog:\n  url: http://127.0.0.1:" + std::to_string(catalog_port) +
            "\n  token: " + kServiceToken + "\nqueue:\n  visibility_ms: 120000\n");
    handler.start();
    BOOST_TEST(
        handler.harbor(push_event("models-staging", "tiny", clean.manifest_digest, 100))->status ==
        200);
    BOOST_TEST(
        handler.harbor(push_event("models-staging", "evil", evil.manifest_digest, 101))->status ==
        200);

    const auto done = handler.get_until(
        "/events?status=done", [](const json& page) { return page.at("events").size() >= 2U; },
        60s);
    BOOST_TEST_REQUIRE(done.at("events").size() == 2U, done.dump());
    std::map<std::string, json> by_repository;
    for (const auto& event : done.at("events")) {
        by_repository[event.at("repository").get<std::string>()] = event;
    }
    BOOST_TEST(by_repository["tiny"].at("status") == "done", by_repository["tiny"].dump());
    BOOST_TEST(by_repository["evil"].at("status") == "rule_failed");
    BOOST_TEST(by_repository["evil"].dump().find("blocked") != std::string::npos);

    // Labels through Harbor's API.
    BOOST_TEST(harbor.labels_of("models-staging/tiny", clean.manifest_digest.str()) ==
               std::vector<std::string>{"aiops-scan:clean"});
    BOOST_TEST(harbor.labels_of("models-staging/evil", evil.manifest_digest.str()) ==
               std::vector<std::string>{"aiops-scan:blocked"});
    for (const auto& call : harbor.calls()) {
        BOOST_TEST(!call.had_cookie, call.method << " " << call.path);
    }
    // Copied to the release project only when clean.
    BOOST_TEST(client->get_manifest("models/tiny", clean.manifest_digest.str()).has_value());
    BOOST_TEST(!client->get_manifest("models/evil", evil.manifest_digest.str()).has_value());

    // The report and the ML-BOM are referrers of the model: the fallback tag lists both, each
    // manifest's subject is the model.
    for (const auto* artifact : {&clean, &evil}) {
        const auto repository =
            std::string("models-staging/") + (artifact == &clean ? "tiny" : "evil");
        auto index = client->get_manifest(repository,
                                          "sha256-" + std::string(artifact->manifest_digest.hex()));
        BOOST_TEST_REQUIRE(index.has_value(), repository);
        const auto listed = json::parse(index->bytes).at("manifests");
        BOOST_TEST(listed.size() == 2U);
        std::set<std::string> types;
        for (const auto& entry : listed) {
            types.insert(entry.at("artifactType").get<std::string>());
            auto referrer = client->get_manifest(repository, entry.at("digest").get<std::string>());
            BOOST_TEST_REQUIRE(referrer.has_value());
            const auto body = json::parse(referrer->bytes);
            BOOST_TEST(body.at("subject").at("digest") == artifact->manifest_digest.str());
            const auto layer =
                common::Digest::parse(body.at("layers")[0].at("digest").get<std::string>());
            auto content = client->fetch_blob(repository, *layer, 16U << 20);
            BOOST_TEST_REQUIRE(content.has_value());
            BOOST_TEST(json::accept(*content));
        }
        BOOST_TEST((types == std::set<std::string>{"application/vnd.aiops.scan.report.v1+json",
                                                   "application/vnd.cyclonedx+json"}));
    }

    // The catalog has the clean model with its ModelPack fields, under the release copy the
    // gate made (where consumers pull), not staging; the blocked one's rule stopped.
    httplib::Client catalog_client("127.0.0.1", catalog_port);
    const httplib::Headers auth{{"Authorization", std::string("Bearer ") + kServiceToken}};
    const auto catalogued = [&](const std::string& repository) {
        auto query = catalog_client.Post(
            "/models/query", auth, json{{"repository", repository}}.dump(), "application/json");
        BOOST_TEST_REQUIRE(query);
        BOOST_TEST_REQUIRE(query->status == 200, query->body);
        return json::parse(query->body);
    };
    const auto found = catalogued("models/tiny");
    BOOST_TEST_REQUIRE(found.size() == 1U, found.dump());
    BOOST_TEST(found[0].at("digest") == clean.manifest_digest.str());
    BOOST_TEST(found[0].at("param_size") == "8b", found.dump());
    BOOST_TEST(found[0].at("scan_status") == "clean");
    BOOST_TEST(catalogued("models-staging/tiny").empty());
    BOOST_TEST(catalogued("models/evil").empty());
    BOOST_TEST(catalogued("models-staging/evil").empty());
}
