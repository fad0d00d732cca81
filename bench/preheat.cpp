// Benchmark (preheat issue): a ModelPack model (default 1 GiB in 4 raw weight layers) in a real
// docker-registry with token auth, preheated with scope all_peers through the provider exactly as
// Harbor drives it (POST /oapi/v1/jobs, then poll GET /oapi/v1/jobs/{id} every 50 ms).
//   egress ratio: blob bytes the registry served (its access log) ÷ the artifact's blob bytes,
//                 for --agents nodes (default 8). Target ≤ 1.2; per-node pulls would be 8.0.
//   wall ratio:   time until SUCCESS with --agents nodes ÷ time for one node alone (a 1-agent
//                 cluster, same artifact, cold cache). Target ≤ 2.0.
// Both clusters run on this machine: every agent's sha256, disk writes and peer serving share its
// cores. Unpaced (node rate 0), 8 agents do 8× the single node's hashing and writing on the same
// cores, so that wall ratio measures the machine, not the protocol. With --node-rates each
// agent's ingress is capped (transfer.max_bytes_per_s) like a node NIC, which is what separate
// GPU nodes look like: each node's own link, not a shared CPU, bounds its pull.
// Exits 0 when measured, 1 when a step failed, 2 when the machine cannot run it (disk space).
//
//   bench_preheat [--bytes N[K|M|G]] [--agents N] [--layers N] [--node-rates 0,64M]
#include <sys/statvfs.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "aiops/common/digest.h"
#include "aiops/common/http_client.h"
#include "aiops/common/media_types.h"
#include "aiops/common/registry_client.h"
#include "fixtures/oci_artifact.h"
#include "fixtures/preheat_cluster.h"
#include "fixtures/registry_server.h"
#include "fixtures/token_issuer.h"
#include "timed_process.h"

namespace aiops::bench {
namespace {

namespace common = aiops::common;
namespace fixtures = aiops::testing;
namespace mp = common::modelpack;
using nlohmann::json;

constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kTargetEgress = 1.2;
constexpr double kTargetWall = 2.0;
constexpr const char* kRepo = "bench/llm";
constexpr const char* kTag = "v1";

struct Options {
    std::uint64_t bytes = 1ULL << 30;
    int agents = 8;
    int layers = 4;
    std::vector<std::uint64_t> node_rates{0, 64ULL << 20};  // bytes/s per agent, 0 = unpaced
};

std::optional<Options> parse_options(int argc, char** argv) {
    Options options;
    for (int index = 1; index + 1 < argc; index += 2) {
        const std::string name = argv[index];
        const std::string value = argv[index + 1];
        if (name == "--bytes") {
            auto bytes = parse_size(value);
            if (!bytes) {
                return std::nullopt;
            }
            options.bytes = *bytes;
        } else if (name == "--node-rates") {
            auto rates = parse_rates(value);
            if (!rates) {
                return std::nullopt;
            }
            options.node_rates = std::move(*rates);
        } else if (name == "--agents" || name == "--layers") {
            const int count = std::atoi(value.c_str());
            if (count < 1 || count > 64) {
                return std::nullopt;
            }
            (name == "--agents" ? options.agents : options.layers) = count;
        }
        // other flags belong to other benchmarks (bench/run.sh passes the same arguments to all)
    }
    return options;
}

// Pushes the model one layer at a time (never the whole artifact in memory); the blob bytes.
std::uint64_t push_model(common::RegistryClient& client, const Options& options) {
    json layers = json::array();
    std::uint64_t total = 0;
    const auto layer_size = options.bytes / static_cast<std::uint64_t>(options.layers);
    for (int index = 0; index < options.layers; ++index) {
        auto bytes = fixtures::pseudo_random_bytes(layer_size, static_cast<unsigned>(index) + 1);
        auto pushed = client.push_blob(kRepo, bytes);
        if (!pushed) {
            throw std::runtime_error("pushing a layer: " + pushed.error().message);
        }
        layers.push_back(
            {{"mediaType", mp::layer_media_type(mp::Naming::kCncf, mp::LayerKind::kWeight,
                                                mp::LayerEncoding::kRaw)},
             {"digest", pushed->digest.str()},
             {"size", pushed->size},
             {"annotations",
              {{"org.cncf.model.filepath",
                "model-" + std::to_string(index + 1) + ".safetensors"}}}});
        total += pushed->size;
    }
    const std::string config =
        R"({"descriptor":{"name":"bench"},"modelfs":{"type":"layers","diffIds":[]},"config":{}})";
    auto pushed_config = client.push_blob(kRepo, config);
    if (!pushed_config) {
        throw std::runtime_error("pushing the config: " + pushed_config.error().message);
    }
    total += pushed_config->size;
    const json manifest{{"schemaVersion", 2},
                        {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                        {"artifactType", "application/vnd.cncf.model.manifest.v1+json"},
                        {"config",
                         {{"mediaType", "application/vnd.cncf.model.config.v1+json"},
                          {"digest", pushed_config->digest.str()},
                          {"size", pushed_config->size}}},
                        {"layers", layers}};
    auto put = client.put_manifest(kRepo, kTag, manifest.dump(),
                                   "application/vnd.oci.image.manifest.v1+json");
    if (!put) {
        throw std::runtime_error("pushing the manifest: " + put.error().message);
    }
    return total;
}

struct Run {
    double seconds = 0;
    std::uint64_t egress = 0;
    std::string state;
};

Run preheat(fixtures::RegistryServer& registry, const std::string& bearer, int agents,
            std::uint64_t node_rate) {
    fixtures::PreheatClusterOptions options;
    options.provider_binary = AIOPS_PREHEAT_PROVIDER_BINARY;
    options.agent_binary = AIOPS_PREHEAT_AGENT_BINARY;
    options.agents = agents;
    options.agent_ttl_ms = 30000;  // a loaded 2-core machine must not look like lost agents
    options.agent_max_bytes_per_s = node_rate;
    fixtures::PreheatCluster cluster(options);
    cluster.wait_for_agents(agents);
    const auto before = registry.blob_bytes_served();
    const auto started = std::chrono::steady_clock::now();
    const auto answer = cluster.post_harbor_job(
        registry.url() + "/v2/" + kRepo + "/manifests/" + kTag, bearer, "all_peers");
    if (answer.status != 200) {
        throw std::runtime_error("POST /oapi/v1/jobs answered " + std::to_string(answer.status) +
                                 ": " + answer.body.dump());
    }
    const auto job =
        cluster.wait_for_job(answer.body.at("id").get<std::int64_t>(), std::chrono::seconds(1800),
                             std::chrono::milliseconds(50));
    Run run;
    run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    run.egress = registry.blob_bytes_served() - before;
    run.state = job.at("state").get<std::string>();
    return run;
}

int run(const Options& options) {
    struct statvfs disk {};
    const auto needed = options.bytes * static_cast<std::uint64_t>(options.agents + 3);
    if (::statvfs("/tmp", &disk) == 0 &&
        static_cast<std::uint64_t>(disk.f_bavail) * disk.f_frsize < needed) {
        std::printf("bench_preheat: needs %.0f MiB free in /tmp\n",
                    static_cast<double>(needed) / kMiB);
        return 2;
    }
    fixtures::TokenIssuer issuer;
    fixtures::RegistryServer registry({.token_issuer = &issuer, .access_log = true});
    auto http = common::HttpClient::create({}).value();
    auto pusher = common::RegistryClient::create(*http, {.base_url = registry.url(),
                                                         .username = issuer.settings().username,
                                                         .password = issuer.settings().password})
                      .value();
    const auto size = push_model(*pusher, options);
    // Harbor's pull token for the repository (what it puts in args.headers.Authorization).
    const auto bearer = issuer.pull_bearer(kRepo);

    std::printf("artifact: %.0f MiB in %d layers; clusters of 1 and %d agents on this machine\n",
                static_cast<double>(size) / kMiB, options.layers, options.agents);
    bool measured = true;
    for (const auto rate : options.node_rates) {
        const auto label = rate == 0 ? std::string("unpaced (shared CPU)")
                                     : std::to_string(rate >> 20) + " MiB/s per node";
        const auto single = preheat(registry, bearer, 1, rate);
        const auto many = preheat(registry, bearer, options.agents, rate);
        std::printf("-- node ingress %s\n", label.c_str());
        std::printf("1 agent:   %s in %.2f s, registry served %.0f MiB\n", single.state.c_str(),
                    single.seconds, static_cast<double>(single.egress) / kMiB);
        std::printf("%d agents:  %s in %.2f s, registry served %.0f MiB\n", options.agents,
                    many.state.c_str(), many.seconds, static_cast<double>(many.egress) / kMiB);
        if (single.state != "SUCCESS" || many.state != "SUCCESS") {
            std::printf("bench_preheat: a preheat did not succeed\n");
            measured = false;
            continue;
        }
        const double egress_ratio = static_cast<double>(many.egress) / static_cast<double>(size);
        const double wall_ratio = many.seconds / single.seconds;
        std::printf(
            "registry egress / artifact size: %.2f (target <= %.1f, per-node pulls %.1f) %s\n",
            egress_ratio, kTargetEgress, static_cast<double>(options.agents),
            egress_ratio <= kTargetEgress ? "PASS" : "MISS");
        std::printf("wall time %d agents / 1 agent:   %.2f (target <= %.1f) %s\n", options.agents,
                    wall_ratio, kTargetWall, wall_ratio <= kTargetWall ? "PASS" : "MISS");
        std::printf("aggregate bytes/s %d agents / 1 agent: %.2f\n", options.agents,
                    static_cast<double>(options.agents) / wall_ratio);
    }
    return measured ? 0 : 1;
}

}  // namespace
}  // namespace aiops::bench

int main(int argc, char** argv) {
    const auto options = aiops::bench::parse_options(argc, argv);
    if (!options) {
        std::fprintf(stderr, "usage: bench_preheat [--bytes N[K|M|G]] [--agents N] [--layers N]\n");
        return 2;
    }
    try {
        return aiops::bench::run(*options);
    } catch (const std::exception& error) {
        std::printf("bench_preheat: %s\n", error.what());
        return 1;
    }
}
