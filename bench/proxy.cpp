// Benchmark (proxy-adapter issue): one large weights file (default 2 GiB) behind the Hugging Face
// Hub test server, pulled with the curl CLI (bytes to /dev/null), every side timed the same way.
//   cold:  proxy-adapter GET /v2/<repo>/blobs/<digest>, cache empty (HF download, sha256, cache
//          write, served while downloading)   ÷ curl straight from the test server's resolve URL
//   warm:  the same GET again (from the cache) ÷ a real docker-registry serving the same blob
//   peak RSS of the proxy-adapter process (VmHWM) after both pulls
// Targets: cold ≥ 0.85, warm ≥ 1.0, peak RSS < 64 MiB. Prints PASS/MISS; exits 0 when everything
// was measured, 1 when a step failed, 2 when the machine cannot run it (curl, disk space).
//
// The cold pull is measured at each --link-rates value: the test server paces its bodies to that
// rate (0 = unpaced loopback, where the 2-core VM's CPU — not any link — is the limit and the
// proxy's sha256 alone runs slower than the direct copy; 512M = a fast WAN link to the Hub).
//
//   bench_proxy [--bytes N[K|M|G]] [--rounds N] [--link-rates 0,512M]
#include <sys/statvfs.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "aiops/common/http_client.h"
#include "aiops/common/registry_client.h"
#include "fixtures/hf_hub_server.h"
#include "fixtures/process.h"
#include "fixtures/registry_server.h"
#include "fixtures/temp_dir.h"
#include "timed_process.h"

namespace aiops::bench {
namespace {

namespace fixtures = aiops::testing;
using nlohmann::json;

constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kTargetCold = 0.85;
constexpr double kTargetWarm = 1.0;
constexpr double kTargetRssMiB = 64.0;
constexpr const char* kRepo = "bench/big-model";

struct Options {
    std::uint64_t bytes = 2ULL << 30;
    int rounds = 1;
    // The test server's link rates (bytes/s, 0 = unpaced loopback) the cold pull is measured at.
    std::vector<std::uint64_t> link_rates{0, 512ULL << 20};
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
        } else if (name == "--link-rates") {
            auto rates = parse_rates(value);
            if (!rates) {
                return std::nullopt;
            }
            options.link_rates = std::move(*rates);
        } else if (name == "--rounds") {
            options.rounds = std::max(1, std::atoi(value.c_str()));
        } else {
            return std::nullopt;
        }
    }
    return argc % 2 == 1 ? std::optional<Options>(options) : std::nullopt;
}

// curl GET url → /dev/null; the wall time, or nullopt (with the reason printed) on failure.
std::optional<double> curl_seconds(const std::string& curl, const std::string& url,
                                   std::uint64_t expected_bytes) {
    const auto run = run_timed({curl, "-sS", "-L", "-o", "/dev/null", "-w",
                                "%{size_download} %{time_starttransfer}", "--fail", url});
    if (run.exit_status != 0 || std::strtoull(run.output.c_str(), nullptr, 10) != expected_bytes) {
        std::fprintf(stderr, "curl %s failed (exit %d, %s bytes)\n", url.c_str(), run.exit_status,
                     run.output.c_str());
        return std::nullopt;
    }
    const auto space = run.output.find(' ');
    if (space != std::string::npos && std::getenv("BENCH_PROXY_VERBOSE") != nullptr) {
        std::printf("    %s: first byte after %s s, %.3f s total\n", url.c_str(),
                    run.output.substr(space + 1).c_str(), run.seconds);
    }
    return run.seconds;
}

double mib_per_s(std::uint64_t bytes, double seconds) {
    return static_cast<double>(bytes) / kMiB / seconds;
}

// The proxy-adapter binary with its data dir in `dir`, in front of `upstream`.
std::unique_ptr<fixtures::Process> start_proxy(const std::filesystem::path& dir,
                                               const std::string& upstream, int port) {
    std::filesystem::create_directories(dir / "data");
    fixtures::write_file(dir / "proxy.yaml",
                         "server:\n  listen: 127.0.0.1:" + std::to_string(port) +
                             "\n  data_dir: " + (dir / "data").string() +
                             "\nlog:\n  level: warn\nupstream:\n  endpoint: " + upstream +
                             "\n  url_policy:\n    allow_loopback: true\n"
                             "cache:\n  max_bytes: 1099511627776\n");
    return fixtures::start_service(AIOPS_PROXY_BINARY, dir / "proxy.yaml", port, dir / "proxy.log");
}

// Pushes `path` into the registry as one blob; its digest.
std::string push_file(const fixtures::RegistryServer& registry, const std::filesystem::path& path) {
    common::HttpClientSettings settings;
    settings.total_timeout = std::chrono::hours(1);
    auto http = common::HttpClient::create(settings).value();
    auto client = common::RegistryClient::create(*http, {.base_url = registry.url()}).value();
    std::ifstream in(path, std::ios::binary);
    auto pushed = client->push_blob_chunked(
        kRepo,
        [&in](char* buffer, std::size_t capacity) -> common::Result<std::size_t> {
            in.read(buffer, static_cast<std::streamsize>(capacity));
            return static_cast<std::size_t>(in.gcount());
        },
        64U << 20);
    if (!pushed) {
        throw std::runtime_error("push to docker-registry failed: " + pushed.error().message);
    }
    return pushed->digest.str();
}

std::string rate_name(std::uint64_t rate) {
    if (rate == 0) {
        return "unpaced";
    }
    char text[32];
    std::snprintf(text, sizeof text, "%.0f MiB/s", static_cast<double>(rate) / kMiB);
    return text;
}

void report(const char* what, double ours, double baseline, double target) {
    const double ratio = ours / baseline;
    std::printf(
        "  %-24s ours %8.1f MiB/s   baseline %8.1f MiB/s   ratio %.2f (target >= %.2f): %s\n", what,
        ours, baseline, ratio, target, ratio >= target ? "PASS" : "MISS");
}

int run(const Options& options, const std::string& curl) {
    fixtures::TempDir dir;
    const auto weights = dir / "model.safetensors";
    std::printf("writing a %.0f MiB weights file\n", static_cast<double>(options.bytes) / kMiB);
    fixtures::write_pseudo_random_file(weights, options.bytes, 42);
    fixtures::HfHubServer hub;
    fixtures::HfRepo repo;
    repo.id = kRepo;
    repo.files.push_back({"config.json", R"({"model_type":"llama"})", {}, false});
    repo.files.push_back({"model.safetensors", "", weights, true});
    hub.add_repo(repo);
    fixtures::RegistryServer registry;
    const auto registry_digest = push_file(registry, weights);

    const int port = fixtures::free_port();
    auto proxy = start_proxy(dir / "proxy", hub.endpoint(), port);
    const std::string proxy_url = "http://127.0.0.1:" + std::to_string(port);
    httplib::Client client("127.0.0.1", port);
    auto manifest = client.Get(("/v2/" + std::string(kRepo) + "/manifests/main").c_str());
    if (!manifest || manifest->status != 200) {
        std::fprintf(stderr, "manifest GET failed\n");
        return 1;
    }
    std::string digest;
    const auto parsed = json::parse(manifest->body);
    for (const auto& layer : parsed["layers"]) {
        if (layer["size"].get<std::uint64_t>() == options.bytes) {
            digest = layer["digest"].get<std::string>();
        }
    }
    if (digest != registry_digest) {
        std::fprintf(stderr, "digest mismatch: proxy %s, registry %s\nmanifest: %s\n",
                     digest.c_str(), registry_digest.c_str(), manifest->body.c_str());
        return 1;
    }
    const auto blob_path = "/v2/" + std::string(kRepo) + "/blobs/" + digest;
    const auto direct_url = hub.endpoint() + "/" + kRepo + "/resolve/main/model.safetensors";
    std::vector<double> warm, reg;
    std::vector<std::pair<std::vector<double>, std::vector<double>>> per_rate;  // direct, cold
    for (const auto rate : options.link_rates) {
        hub.set_link_rate(rate);
        auto& [direct, cold] = per_rate.emplace_back();
        for (int round = 0; round < options.rounds; ++round) {
            std::filesystem::remove_all(dir / "proxy" / "data" / "blobs" / "blobs");
            proxy->terminate();
            proxy = start_proxy(dir / "proxy", hub.endpoint(), port);  // empty cache, fresh RSS
            const auto d = curl_seconds(curl, direct_url, options.bytes);
            const auto c = curl_seconds(curl, proxy_url + blob_path, options.bytes);
            const auto w = curl_seconds(curl, proxy_url + blob_path, options.bytes);
            const auto r = curl_seconds(curl, registry.url() + blob_path, options.bytes);
            if (!d || !c || !w || !r) {
                return 1;
            }
            direct.push_back(mib_per_s(options.bytes, *d));
            cold.push_back(mib_per_s(options.bytes, *c));
            warm.push_back(mib_per_s(options.bytes, *w));
            reg.push_back(mib_per_s(options.bytes, *r));
            std::printf(
                "link %s, round %d: direct %.1f, cold %.1f, warm %.1f, docker-registry %.1f "
                "MiB/s\n",
                rate_name(rate).c_str(), round + 1, direct.back(), cold.back(), warm.back(),
                reg.back());
        }
    }
    const double rss_mib = static_cast<double>(peak_rss_kib(proxy->pid())) / 1024.0;
    std::printf("== %d core(s); medians over %d round(s) per link rate\n",
                static_cast<int>(std::thread::hardware_concurrency()), options.rounds);
    for (std::size_t index = 0; index < per_rate.size(); ++index) {
        const auto label = "cold, link " + rate_name(options.link_rates[index]);
        report(label.c_str(), median(per_rate[index].second), median(per_rate[index].first),
               kTargetCold);
    }
    report("warm", median(warm), median(reg), kTargetWarm);
    std::printf("  peak RSS of proxy-adapter %.1f MiB (target < %.0f MiB): %s\n", rss_mib,
                kTargetRssMiB, rss_mib < kTargetRssMiB ? "PASS" : "MISS");
    return 0;
}

}  // namespace
}  // namespace aiops::bench

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    const auto options = aiops::bench::parse_options(argc, argv);
    if (!options) {
        std::fprintf(stderr,
                     "usage: %s [--bytes N[K|M|G]] [--rounds N] [--link-rates 0,512M,...]\n",
                     argv[0]);
        return 2;
    }
    const auto curl = aiops::testing::find_program("curl");
    struct statvfs disk {};
    const auto temp = std::filesystem::temp_directory_path();
    if (curl.empty() || statvfs(temp.c_str(), &disk) != 0 ||
        static_cast<std::uint64_t>(disk.f_bavail) * disk.f_frsize < 4 * options->bytes) {
        std::fprintf(stderr, "needs curl and 4x --bytes of free space in %s\n", temp.c_str());
        return 2;
    }
    try {
        return aiops::bench::run(*options, curl);
    } catch (const std::exception& failure) {
        std::fprintf(stderr, "benchmark failed: %s\n", failure.what());
        return 1;
    }
}
