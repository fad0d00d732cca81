#define BOOST_TEST_MODULE preheat_e2e
#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "aiops/common/digest.h"
#include "aiops/common/http_client.h"
#include "aiops/common/media_types.h"
#include "fixtures/oci_artifact.h"
#include "fixtures/preheat_cluster.h"
#include "fixtures/registry_front.h"
#include "fixtures/registry_server.h"
#include "fixtures/tar_archive.h"
#include "fixtures/token_issuer.h"
#include "plan.h"

// The provider and ≥ 4 agents end to end, driven exactly as Harbor drives a "Dragonfly" instance
// (shared/reference/harbor-preheat-webhook-replication.md §1.3–§1.4): GET /healthy, POST
// /oapi/v1/jobs with the OAUTH bearer and Harbor's pull token for the repository in
// args.headers, GET /oapi/v1/jobs/{id} until the state is not PENDING (polled faster than
// Harbor's 10 s). The registry is a real docker-registry with token auth; its access log counts
// the blob bytes it served (registry egress).
namespace {

namespace common = aiops::common;
namespace fixtures = aiops::testing;
namespace mp = common::modelpack;
using json = nlohmann::json;

constexpr std::size_t kMiB = 1U << 20;
constexpr auto kJobTimeout = std::chrono::seconds(90);

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool holds_blob(const fixtures::PreheatCluster& cluster, int agent, const std::string& digest) {
    const auto path = cluster.agent_blob_path(agent, digest);
    if (!std::filesystem::exists(path)) {
        return false;
    }
    const auto bytes = read_file(path);
    const auto actual = common::compute_digest(bytes, common::DigestAlgorithm::kSha256);
    return actual && actual->str() == digest;
}

fixtures::ArtifactLayer model_layer(mp::LayerKind kind, mp::LayerEncoding encoding,
                                    std::string bytes, const std::string& filepath) {
    common::Annotations annotations;
    if (!filepath.empty()) {
        annotations["org.cncf.model.filepath"] = filepath;
    }
    return {mp::layer_media_type(mp::Naming::kCncf, kind, encoding), std::move(bytes),
            std::move(annotations)};
}

// A ModelPack model: two multi-MB raw weights, a weight config, a tokenizer in a subdirectory and
// a tar layer of docs.
fixtures::BuiltArtifact model(unsigned seed, std::vector<fixtures::ArtifactLayer> extra = {}) {
    std::vector<fixtures::ArtifactLayer> layers{
        model_layer(mp::LayerKind::kWeight, mp::LayerEncoding::kRaw,
                    fixtures::pseudo_random_bytes(6 * kMiB, seed),
                    "model-00001-of-00002.safetensors"),
        model_layer(mp::LayerKind::kWeight, mp::LayerEncoding::kRaw,
                    fixtures::pseudo_random_bytes(5 * kMiB + 123, seed + 1),
                    "model-00002-of-00002.safetensors"),
        model_layer(mp::LayerKind::kWeightConfig, mp::LayerEncoding::kRaw,
                    R"({"architectures":["LlamaForCausalLM"],"seed":)" + std::to_string(seed) + "}",
                    "config.json"),
        model_layer(mp::LayerKind::kWeightConfig, mp::LayerEncoding::kRaw,
                    fixtures::pseudo_random_bytes(300 * 1024, seed + 2),
                    "tokenizer/tokenizer.json"),
        model_layer(mp::LayerKind::kDoc, mp::LayerEncoding::kTar,
                    fixtures::make_tar({{"README.md", "# model " + std::to_string(seed) + "\n"},
                                        {"docs/LICENSE", "Apache-2.0\n"}}),
                    "README.md"),
    };
    for (auto& layer : extra) {
        layers.push_back(std::move(layer));
    }
    return fixtures::build_artifact(std::move(layers),
                                    "application/vnd.cncf.model.manifest.v1+json",
                                    "application/vnd.cncf.model.config.v1+json",
                                    R"({"descriptor":{"name":"m)" + std::to_string(seed) +
                                        R"("},"modelfs":{"type":"layers","diffIds":[]},)"
                                        R"("config":{}})");
}

std::uint64_t blob_bytes(const fixtures::BuiltArtifact& artifact) {
    std::uint64_t total = artifact.manifest.config.size;
    for (const auto& layer : artifact.manifest.layers) {
        total += layer.size;
    }
    return total;
}

std::vector<std::string> blob_digests(const fixtures::BuiltArtifact& artifact) {
    std::vector<std::string> digests{artifact.manifest.config.digest.str()};
    for (const auto& layer : artifact.manifest.layers) {
        digests.push_back(layer.digest.str());
    }
    return digests;
}

struct Tasks {
    std::size_t success = 0;
    std::size_t failure = 0;
    std::vector<json> failures;
};
Tasks count_tasks(const json& job) {
    Tasks tasks;
    for (const auto& state : job.at("result").at("job_states")) {
        for (const auto& result : state.at("results")) {
            tasks.success += result.at("success_tasks").size();
            tasks.failure += result.at("failure_tasks").size();
            for (const auto& failure : result.at("failure_tasks")) {
                tasks.failures.push_back(failure);
            }
        }
    }
    return tasks;
}

fixtures::PreheatClusterOptions cluster_options(int agents = 4) {
    fixtures::PreheatClusterOptions options;
    options.provider_binary = AIOPS_PREHEAT_PROVIDER_BINARY;
    options.agent_binary = AIOPS_PREHEAT_AGENT_BINARY;
    options.agents = agents;
    return options;
}

struct Setup {
    fixtures::TokenIssuer issuer;
    fixtures::RegistryServer registry{{.token_issuer = &issuer, .access_log = true}};
    std::unique_ptr<common::HttpClient> http = common::HttpClient::create({}).value();

    void push(const std::string& repository, const std::string& tag,
              const fixtures::BuiltArtifact& artifact) {
        auto client =
            common::RegistryClient::create(*http, {.base_url = registry.url(),
                                                   .username = issuer.settings().username,
                                                   .password = issuer.settings().password})
                .value();
        BOOST_TEST_REQUIRE(fixtures::push_artifact(*client, repository, tag, artifact).has_value());
    }
    // What Harbor puts in args.headers.Authorization: its pull token for the repository.
    std::string harbor_bearer(const std::string& repository) const {
        return issuer.pull_bearer(repository);
    }
    std::string manifest_url(const std::string& repository, const std::string& reference) const {
        return registry.url() + "/v2/" + repository + "/manifests/" + reference;
    }
};

std::int64_t job_id(const fixtures::PreheatCluster::Answer& answer) {
    BOOST_TEST_REQUIRE(answer.status == 200, answer.body.dump());
    BOOST_TEST_REQUIRE(answer.body.at("id").is_number_integer());  // Harbor needs a JSON number
    BOOST_TEST(answer.body.at("state") == "PENDING");
    return answer.body.at("id").get<std::int64_t>();
}

void check_model_dir(const fixtures::PreheatCluster& cluster, int agent,
                     const std::string& repository, const std::string& tag,
                     const fixtures::BuiltArtifact& artifact) {
    const auto dir = cluster.agent_models_dir(agent) / repository / tag;
    BOOST_TEST(read_file(dir / ".ready") == artifact.manifest_digest.str() + "\n");
    BOOST_TEST(read_file(dir / "model-00001-of-00002.safetensors") == artifact.layer_bytes[0]);
    BOOST_TEST(read_file(dir / "model-00002-of-00002.safetensors") == artifact.layer_bytes[1]);
    BOOST_TEST(read_file(dir / "config.json") == artifact.layer_bytes[2]);
    BOOST_TEST(read_file(dir / "tokenizer" / "tokenizer.json") == artifact.layer_bytes[3]);
    BOOST_TEST(read_file(dir / "docs" / "LICENSE") == "Apache-2.0\n");
    struct stat info {};
    BOOST_TEST_REQUIRE(::stat((dir / "model-00001-of-00002.safetensors").c_str(), &info) == 0);
    BOOST_TEST(info.st_nlink >= 2U);  // a hard link into the cache, not a copy
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(preheat, Setup)

BOOST_AUTO_TEST_CASE(all_peers_warms_every_node_and_the_registry_serves_about_one_copy) {
    const auto artifact = model(1);
    push("ai/llama", "v1", artifact);
    fixtures::PreheatCluster cluster(cluster_options(5));
    cluster.wait_for_agents(5);
    const auto before = registry.blob_bytes_served();

    const auto id = job_id(cluster.post_harbor_job(
        manifest_url("ai/llama", "v1"), harbor_bearer("ai/llama"), "all_peers", json::array({1})));
    const auto job = cluster.wait_for_job(id, kJobTimeout);

    BOOST_TEST(job.at("state") == "SUCCESS");
    const auto tasks = count_tasks(job);
    BOOST_TEST(tasks.success == blob_digests(artifact).size() * 5);
    BOOST_TEST(tasks.failure == 0U, json(tasks.failures).dump());
    BOOST_TEST(job.at("result").at("job_states")[0].at("results")[0].at("scheduler_cluster_id") ==
               1);
    for (int agent = 0; agent < 5; ++agent) {
        for (const auto& digest : blob_digests(artifact)) {
            BOOST_TEST(holds_blob(cluster, agent, digest), cluster.agent_name(agent)
                                                               << " " << digest);
        }
        check_model_dir(cluster, agent, "ai/llama", "v1", artifact);
    }
    const auto egress = registry.blob_bytes_served() - before;
    const auto size = blob_bytes(artifact);
    BOOST_TEST_MESSAGE("registry egress " << egress << " bytes for a " << size
                                          << "-byte artifact on 5 nodes");
    BOOST_TEST(egress >= size);
    BOOST_TEST(static_cast<double>(egress) <= 1.2 * static_cast<double>(size));

    // Our own view names every node's source; Harbor's legacy view agrees.
    const auto detail = cluster.call("GET", "/api/v1/preheat/" + std::to_string(id),
                                     fixtures::PreheatCluster::kReaderToken);
    BOOST_TEST_REQUIRE(detail.status == 200);
    int from_registry = 0;
    for (const auto& blob : detail.body.at("blobs")) {
        for (const auto& task : blob.at("tasks")) {
            from_registry += task.at("source") == "registry" ? 1 : 0;
        }
    }
    // Every blob's tree is rooted at one node that fetches it from the registry. Under load a
    // few more tasks of small blobs were seen sourced from the registry (CI, 2 loaded cores: 2 of
    // 30, attempts 1); the product bound is the egress check above, so this stays a loose check.
    BOOST_TEST(from_registry >= static_cast<int>(blob_digests(artifact).size()),
               detail.body.dump());
    BOOST_TEST(from_registry <= 2 * static_cast<int>(blob_digests(artifact).size()),
               detail.body.dump());
    BOOST_TEST(
        cluster
            .call("GET", "/preheats/" + std::to_string(id), fixtures::PreheatCluster::kHarborToken)
            .body.at("Status") == "SUCCESS");

    // The agent's mirror (containerd hosts.toml) and peer endpoints serve the cache.
    httplib::Client agent("127.0.0.1", std::stoi(cluster.agent_url(2).substr(17)));
    const httplib::Headers reader{
        {"Authorization", std::string("Bearer ") + fixtures::PreheatCluster::kReaderToken}};
    const auto manifest =
        agent.Get(("/v2/ai/llama/manifests/" + artifact.manifest_digest.str()).c_str(), reader);
    BOOST_TEST_REQUIRE(manifest);
    BOOST_TEST(manifest->status == 200);
    BOOST_TEST(manifest->body == artifact.manifest_bytes);
    BOOST_TEST(agent.Get("/v2/ai/llama/manifests/v1", reader)->status == 404);  // tags: Harbor
    const auto layer = artifact.manifest.layers[0].digest.str();
    BOOST_TEST(agent.Get(("/v2/ai/llama/blobs/" + layer).c_str(), reader)->body ==
               artifact.layer_bytes[0]);
    auto ranged = reader;
    ranged.emplace("Range", "bytes=10-19");
    BOOST_TEST(agent.Get(("/blobs/" + layer).c_str(), ranged)->status == 403);  // peers only
    const httplib::Headers peer{
        {"Authorization", std::string("Bearer ") + fixtures::PreheatCluster::kPeerToken},
        {"Range", "bytes=10-19"}};
    const auto part = agent.Get(("/blobs/" + layer).c_str(), peer);
    BOOST_TEST(part->status == 206);
    BOOST_TEST(part->body == artifact.layer_bytes[0].substr(10, 10));
    BOOST_TEST(agent.Get(("/blobs/" + layer).c_str())->status == 401);
}

BOOST_AUTO_TEST_CASE(seed_scopes_warm_only_the_seed_pool) {
    const auto artifact = model(2);
    push("ai/mistral", "v2", artifact);
    fixtures::PreheatCluster cluster(cluster_options(4));  // gpu-0, gpu-1 are seeds
    cluster.wait_for_agents(4);

    const auto seeds = cluster.wait_for_job(
        job_id(cluster.post_harbor_job(manifest_url("ai/mistral", "v2"),
                                       harbor_bearer("ai/mistral"), "all_seed_peers")),
        kJobTimeout);
    BOOST_TEST(seeds.at("state") == "SUCCESS");
    BOOST_TEST(count_tasks(seeds).success == blob_digests(artifact).size() * 2);
    for (const auto& digest : blob_digests(artifact)) {
        BOOST_TEST(holds_blob(cluster, 0, digest));
        BOOST_TEST(holds_blob(cluster, 1, digest));
        BOOST_TEST(!holds_blob(cluster, 2, digest));
        BOOST_TEST(!holds_blob(cluster, 3, digest));
    }

    const auto other = model(3);
    push("ai/mistral", "v3", other);
    const auto single = cluster.wait_for_job(
        job_id(cluster.post_harbor_job(manifest_url("ai/mistral", "v3"),
                                       harbor_bearer("ai/mistral"), "single_seed_peer")),
        kJobTimeout);
    BOOST_TEST(single.at("state") == "SUCCESS");
    BOOST_TEST(count_tasks(single).success == blob_digests(other).size());
    for (const auto& digest : blob_digests(other)) {
        const int holders =
            (holds_blob(cluster, 0, digest) ? 1 : 0) + (holds_blob(cluster, 1, digest) ? 1 : 0) +
            (holds_blob(cluster, 2, digest) ? 1 : 0) + (holds_blob(cluster, 3, digest) ? 1 : 0);
        BOOST_TEST(holders == 1, digest);
        BOOST_TEST(!holds_blob(cluster, 2, digest));
    }
}

BOOST_AUTO_TEST_CASE(legacy_harbor_api_and_our_own_api_with_a_label_selector) {
    const auto artifact = model(4);
    push("ai/qwen", "v1", artifact);
    auto options = cluster_options(4);
    options.labels = {{{"pool", "h100"}, {"zone", "a"}},
                      {{"pool", "h100"}, {"zone", "b"}},
                      {{"pool", "a100"}, {"zone", "a"}},
                      {{"pool", "a100"}, {"zone", "b"}}};
    fixtures::PreheatCluster cluster(options);
    cluster.wait_for_agents(4);

    // Harbor ≤ 2.11: GET /_ping, POST /preheats (raw PreheatImage), GET /preheats/{id}.
    BOOST_TEST(cluster.call("GET", "/_ping", "").status == 200);
    const auto created = cluster.call("POST", "/preheats", fixtures::PreheatCluster::kHarborToken,
                                      {{"type", "image"},
                                       {"url", manifest_url("ai/qwen", "v1")},
                                       {"headers", {{"Authorization", harbor_bearer("ai/qwen")}}},
                                       {"image", "ai/qwen"},
                                       {"tag", "v1"},
                                       {"digest", artifact.manifest_digest.str()}});
    BOOST_TEST_REQUIRE(created.status == 200, created.body.dump());
    const auto legacy_id = created.body.at("ID").get<std::string>();
    std::string status;
    for (int poll = 0; poll < 600 && status != "SUCCESS" && status != "FAILED"; ++poll) {
        status =
            cluster.call("GET", "/preheats/" + legacy_id, fixtures::PreheatCluster::kHarborToken)
                .body.at("Status")
                .get<std::string>();
        BOOST_TEST((status == "WAITING" || status == "RUNNING" || status == "SUCCESS"), status);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    BOOST_TEST(status == "SUCCESS");

    // Our API (the webhook-handler): pool a100 in zone b only.
    const auto other = model(5);
    push("ai/qwen", "v2", other);
    const auto ours =
        cluster.call("POST", "/api/v1/preheat", fixtures::PreheatCluster::kWriterToken,
                     {{"type", "preheat"},
                      {"args",
                       {{"type", "image"},
                        {"url", manifest_url("ai/qwen", "v2")},
                        {"headers", {{"Authorization", harbor_bearer("ai/qwen")}}},
                        {"scope", "all_peers"}}},
                      {"scheduler_cluster_ids", json::array({2})},
                      {"selector", {{"zone", "b"}}}});
    const auto job = cluster.wait_for_job(job_id(ours), kJobTimeout);
    BOOST_TEST(job.at("state") == "SUCCESS");
    BOOST_TEST(count_tasks(job).success == blob_digests(other).size());
    for (const auto& digest : blob_digests(other)) {
        BOOST_TEST(holds_blob(cluster, 3, digest));
        BOOST_TEST(!holds_blob(cluster, 2, digest));
    }
}

BOOST_AUTO_TEST_CASE(bad_requests_get_clear_errors) {
    const auto artifact = model(6);
    push("ai/phi", "v1", artifact);
    fixtures::PreheatCluster cluster(cluster_options(4));
    cluster.wait_for_agents(4);
    const json body{{"type", "preheat"},
                    {"args",
                     {{"type", "image"},
                      {"url", manifest_url("ai/phi", "v1")},
                      {"headers", {{"Authorization", harbor_bearer("ai/phi")}}},
                      {"scope", "all_peers"}}},
                    {"scheduler_cluster_ids", nullptr}};

    BOOST_TEST(cluster.call("POST", "/oapi/v1/jobs", "", body).status == 401);
    BOOST_TEST(
        cluster.call("POST", "/oapi/v1/jobs", fixtures::PreheatCluster::kAgentToken, body).status ==
        403);
    auto bad_scope = body;
    bad_scope["args"]["scope"] = "everyone";
    const auto refused =
        cluster.call("POST", "/oapi/v1/jobs", fixtures::PreheatCluster::kHarborToken, bad_scope);
    BOOST_TEST(refused.status == 400);
    BOOST_TEST(refused.body.at("error").at("code") == "invalid_input");
    BOOST_TEST(
        cluster.call("GET", "/oapi/v1/jobs/999", fixtures::PreheatCluster::kHarborToken).status ==
        404);
    BOOST_TEST(
        cluster.call("GET", "/oapi/v1/jobs/x", fixtures::PreheatCluster::kHarborToken).status ==
        404);

    // An expired Harbor token: the manifest cannot be fetched, said plainly, nothing recorded.
    issuer.issue_expired(1);
    auto expired = body;
    expired["args"]["headers"]["Authorization"] = harbor_bearer("ai/phi");
    const auto answer =
        cluster.call("POST", "/oapi/v1/jobs", fixtures::PreheatCluster::kHarborToken, expired);
    BOOST_TEST(answer.status == 502);
    BOOST_TEST(answer.body.at("error").at("message").get<std::string>().find("expired") !=
               std::string::npos);

    // Malicious filepath annotations are refused before any node is touched.
    for (const std::string path : {"../../etc/passwd", "/etc/passwd", "a/../../b", "./x"}) {
        const auto evil =
            model(7, {model_layer(mp::LayerKind::kDoc, mp::LayerEncoding::kRaw, "owned\n", path)});
        push("ai/evil", "v1", evil);
        auto request = body;
        request["args"]["url"] = manifest_url("ai/evil", "v1");
        request["args"]["headers"]["Authorization"] = harbor_bearer("ai/evil");
        const auto rejected =
            cluster.call("POST", "/oapi/v1/jobs", fixtures::PreheatCluster::kHarborToken, request);
        BOOST_TEST(rejected.status == 400, path);
        BOOST_TEST(rejected.body.at("error").at("message").get<std::string>().find("unsafe") !=
                   std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(a_symlink_in_a_tar_layer_fails_the_layout_on_every_node) {
    const auto evil = model(8, {model_layer(mp::LayerKind::kCode, mp::LayerEncoding::kTar,
                                            fixtures::make_tar({{"escape", "->/etc"}}), "code")});
    push("ai/sly", "v1", evil);
    fixtures::PreheatCluster cluster(cluster_options(4));
    cluster.wait_for_agents(4);
    const auto job =
        cluster.wait_for_job(job_id(cluster.post_harbor_job(manifest_url("ai/sly", "v1"),
                                                            harbor_bearer("ai/sly"), "all_peers")),
                             kJobTimeout);
    const auto tasks = count_tasks(job);
    std::set<std::string> failed_nodes;
    for (const auto& failure : tasks.failures) {  // the blob that completed each node's copy
        BOOST_TEST(failure.at("description").get<std::string>().find("model layout failed") !=
                   std::string::npos);
        failed_nodes.insert(failure.at("hostname").get<std::string>());
    }
    BOOST_TEST(failed_nodes.size() == 4U);
    for (int agent = 0; agent < 4; ++agent) {
        BOOST_TEST(!std::filesystem::exists(cluster.agent_models_dir(agent) / "ai/sly/v1"));
    }
}

BOOST_AUTO_TEST_CASE(a_lost_agent_fails_only_its_node_and_peers_reroute) {
    const auto artifact = model(9);
    push("ai/gemma", "v1", artifact);
    fixtures::PreheatCluster cluster(cluster_options(5));
    cluster.wait_for_agents(5);
    // Killed while the provider still counts it alive: it is planned into every blob's tree
    // (as a parent of others in some), never fetches, and must not stall anyone.
    cluster.kill_agent(1);

    const auto started = std::chrono::steady_clock::now();
    const auto job = cluster.wait_for_job(
        job_id(cluster.post_harbor_job(manifest_url("ai/gemma", "v1"), harbor_bearer("ai/gemma"),
                                       "all_peers")),
        kJobTimeout);
    const auto took = std::chrono::steady_clock::now() - started;
    BOOST_TEST((took < std::chrono::seconds(60)));  // bounded by the agent TTL, not a hang

    BOOST_TEST(job.at("state") == "SUCCESS");
    const auto tasks = count_tasks(job);
    BOOST_TEST(tasks.success == blob_digests(artifact).size() * 4);
    BOOST_TEST(tasks.failure == blob_digests(artifact).size());
    for (const auto& failure : tasks.failures) {
        BOOST_TEST(failure.at("hostname") == "gpu-1");
        BOOST_TEST(failure.at("description").get<std::string>().find("lost") != std::string::npos);
    }
    for (const int agent : {0, 2, 3, 4}) {
        check_model_dir(cluster, agent, "ai/gemma", "v1", artifact);
    }
}

BOOST_AUTO_TEST_CASE(a_peer_serving_corrupt_bytes_is_detected_and_the_blob_fetched_elsewhere) {
    const auto artifact = model(10);
    push("ai/corrupt", "v1", artifact);
    auto options = cluster_options(4);
    options.max_attempts = 5;
    fixtures::PreheatCluster cluster(options);
    cluster.wait_for_agents(4);
    // Warm the seeds gpu-0 and gpu-1, then corrupt their cached copies of one layer.
    const auto warm =
        cluster.call("POST", "/api/v1/preheat", fixtures::PreheatCluster::kWriterToken,
                     {{"type", "preheat"},
                      {"args",
                       {{"type", "image"},
                        {"url", manifest_url("ai/corrupt", "v1")},
                        {"headers", {{"Authorization", harbor_bearer("ai/corrupt")}}},
                        {"scope", "all_peers"}}},
                      {"selector", {{"role", "seed"}}}});
    BOOST_TEST(cluster.wait_for_job(job_id(warm), kJobTimeout).at("state") == "SUCCESS");
    // A layer whose tree a corrupted seed roots (the plan is deterministic): gpu-2 and gpu-3 are
    // its children and fetch from it; every seed's copy is corrupt.
    std::string layer;
    for (const auto& candidate : artifact.manifest.layers) {
        const auto tree =
            aiops::preheat::plan_blob(candidate.digest.str(), {"gpu-0", "gpu-1", "gpu-2", "gpu-3"},
                                      aiops::preheat::Scope::kAllPeers, 3);
        if ((tree.order.front() == "gpu-0" || tree.order.front() == "gpu-1") &&
            candidate.size > kMiB) {
            layer = candidate.digest.str();
            break;
        }
    }
    BOOST_TEST_REQUIRE(!layer.empty());
    for (const int agent : {0, 1}) {
        const auto path = cluster.agent_blob_path(agent, layer);
        BOOST_TEST_REQUIRE(std::filesystem::exists(path));
        std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
        file.seekp(4096);
        file.write("CORRUPTED", 9);
    }

    const auto job = cluster.wait_for_job(
        job_id(cluster.post_harbor_job(manifest_url("ai/corrupt", "v1"),
                                       harbor_bearer("ai/corrupt"), "all_peers")),
        kJobTimeout);
    BOOST_TEST(job.at("state") == "SUCCESS");
    BOOST_TEST(holds_blob(cluster, 3, layer));
    check_model_dir(cluster, 3, "ai/corrupt", "v1", artifact);
    const auto detail =
        cluster.call("GET", "/api/v1/preheat/" + std::to_string(job.at("id").get<std::int64_t>()),
                     fixtures::PreheatCluster::kReaderToken);
    int attempts = 0;
    int tasks = 0;
    std::set<std::string> refused_peers;
    for (const auto& blob : detail.body.at("blobs")) {
        for (const auto& task : blob.at("tasks")) {
            if (blob.at("digest") == layer) {
                ++tasks;
                attempts += task.at("attempts").get<int>();
                BOOST_TEST(task.at("state") == "succeeded");
                for (const auto& peer : task.at("bad_sources")) {
                    refused_peers.insert(peer.get<std::string>());
                }
            }
        }
    }
    BOOST_TEST(attempts > tasks);  // a corrupt copy was refused and fetched again elsewhere
    BOOST_TEST(!refused_peers.empty());
    BOOST_TEST(holds_blob(cluster, 2, layer));
}

BOOST_AUTO_TEST_CASE(a_token_that_expires_before_the_transfer_fails_every_node_clearly) {
    const auto artifact = model(11);
    push("ai/late", "v1", artifact);
    fixtures::RegistryFront front(registry.port(), fixtures::RegistryFront::Mode::kPassThrough);
    fixtures::PreheatCluster cluster(cluster_options(4));
    cluster.wait_for_agents(4);
    front.set_tokens_expired(true);  // the manifest was resolved; then the token ran out

    // POST resolves manifests through the front (allowed), blobs are refused from then on.
    const auto answer = cluster.post_harbor_job(front.url() + "/v2/ai/late/manifests/v1",
                                                harbor_bearer("ai/late"), "all_peers");
    const auto job = cluster.wait_for_job(job_id(answer), kJobTimeout);

    BOOST_TEST(job.at("state") == "FAILURE");
    const auto tasks = count_tasks(job);
    BOOST_TEST(tasks.success == 0U);
    BOOST_TEST(tasks.failure == blob_digests(artifact).size() * 4);
    for (const auto& failure : tasks.failures) {
        BOOST_TEST(failure.at("description").get<std::string>().find("expired") !=
                   std::string::npos);
    }
    // The first refusal fails the whole job: the registry is not asked once per node (24 here).
    // Children that saw their root's download fail may race the root's report to the registry.
    BOOST_TEST(front.blob_gets_refused() >= 1);
    BOOST_TEST(front.blob_gets_refused() <= 2 * static_cast<int>(blob_digests(artifact).size()));
}

BOOST_AUTO_TEST_CASE(a_provider_restart_mid_job_resumes_it) {
    const auto artifact = model(12);
    push("ai/resume", "v1", artifact);
    fixtures::PreheatCluster cluster(cluster_options(4));
    cluster.wait_for_agents(4);

    const auto id = job_id(cluster.post_harbor_job(manifest_url("ai/resume", "v1"),
                                                   harbor_bearer("ai/resume"), "all_peers"));
    cluster.kill_provider();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    cluster.start_provider();

    const auto job = cluster.wait_for_job(id, kJobTimeout);
    BOOST_TEST(job.at("state") == "SUCCESS");
    BOOST_TEST(count_tasks(job).success == blob_digests(artifact).size() * 4);
    for (int agent = 0; agent < 4; ++agent) {
        check_model_dir(cluster, agent, "ai/resume", "v1", artifact);
    }
}

BOOST_AUTO_TEST_SUITE_END()
