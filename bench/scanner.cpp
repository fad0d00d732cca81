// Benchmark (scanner-adapter, issue 5):
//  (a) a ≥ 4 GiB safetensors model and a ≥ 2 GiB torch zip checkpoint, generated on disk and
//      pushed to a real docker-registry as ModelPack artifacts, each scanned by the real
//      scanner-adapter exactly as Harbor drives it (POST /api/v1/scan, poll the report until 200,
//      then GET /findings):
//        bytes read ÷ artifact size          target < 1 %
//        scan time (POST → 200 report)       ÷ curl downloading the artifact's blobs (baseline)
//        findings by severity                benign files: no High/Critical
//  (b) analyse_pickle, in process, over a large benign state-dict pickle (~140 MB by default):
//      MB/s with the default PickleLimits and with limits sized to the stream, ÷ sha256 of the
//      same bytes (common digest) measured in the same run; limits tripped and findings.
// Exits 0 when everything was measured, 1 when a step failed, 2 when the machine cannot run it
// (curl, disk space).
//
//   bench_scanner [--safetensors-bytes N[K|M|G]] [--torch-bytes N[K|M|G]] [--pickle-entries N]
//                 [--rounds N]
#include <httplib.h>
#include <sys/statvfs.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "aiops/common/digest.h"
#include "aiops/common/http_client.h"
#include "aiops/common/media_types.h"
#include "aiops/common/oci.h"
#include "aiops/common/registry_client.h"
#include "byte_source.h"
#include "fixtures/process.h"
#include "fixtures/registry_server.h"
#include "fixtures/temp_dir.h"
#include "model_files.h"
#include "pickle_scan.h"
#include "timed_process.h"

namespace aiops::bench {
namespace {

namespace fixtures = aiops::testing;
namespace modelpack = common::modelpack;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
constexpr double kMB = 1e6;
constexpr double kTargetReadRatio = 0.01;
constexpr std::uint64_t kMaxTorchBytes = 7ULL << 29;  // the zip stays below 4 GiB (no zip64)
constexpr auto kPollInterval = std::chrono::milliseconds(10);
constexpr auto kScanDeadline = std::chrono::minutes(10);
constexpr const char* kToken = "bench-scanner-token-0123456789";
constexpr const char* kRequestMime =
    "application/vnd.scanner.adapter.scan.request+json; version=1.0";
constexpr const char* kResponseMime =
    "application/vnd.scanner.adapter.scan.response+json; version=1.0";
constexpr const char* kGenericReport = "application/vnd.security.vulnerability.report; version=1.1";
constexpr std::array<const char*, 5> kSeverities{"Critical", "High", "Medium", "Low", "Unknown"};

struct Options {
    std::uint64_t safetensors_bytes = 4ULL << 30;  // tensor data: the file is a little larger
    std::uint64_t torch_bytes = 2ULL << 30;        // storages: the zip is a little larger
    std::uint64_t pickle_entries = 1'000'000;      // ≈ 140 bytes each
    int rounds = 1;
};

std::optional<Options> parse_options(int argc, char** argv) {
    Options options;
    for (int index = 1; index + 1 < argc; index += 2) {
        const std::string name = argv[index];
        const std::string value = argv[index + 1];
        if (name == "--rounds") {
            options.rounds = std::max(1, std::atoi(value.c_str()));
            continue;
        }
        const auto number = parse_size(value);
        if (!number) {
            return std::nullopt;
        }
        if (name == "--safetensors-bytes") {
            options.safetensors_bytes = *number;
        } else if (name == "--torch-bytes" && *number <= kMaxTorchBytes) {
            options.torch_bytes = *number;
        } else if (name == "--pickle-entries") {
            options.pickle_entries = *number;
        } else {
            return std::nullopt;
        }
    }
    return argc % 2 == 1 ? std::optional<Options>(options) : std::nullopt;
}

template <typename T>
T or_throw(common::Result<T> result, const std::string& what) {
    if (!result) {
        throw std::runtime_error(what + ": " + result.error().message);
    }
    return std::move(result).value();
}

// ---------------------------------------------------------------------------------------------
// (a) registry, scanner-adapter, Harbor's calls

struct Artifact {
    std::string label;
    std::string repository;
    std::string manifest_digest;
    std::vector<std::pair<std::string, std::uint64_t>> blobs;  // config and layers: digest, size
    std::uint64_t bytes = 0;                                   // config + layers
};

common::Descriptor layer(const std::string& digest, std::uint64_t size, const std::string& path,
                         modelpack::LayerKind kind) {
    return {.media_type = modelpack::layer_media_type(modelpack::Naming::kCncf, kind,
                                                      modelpack::LayerEncoding::kRaw),
            .digest = or_throw(common::Digest::parse(digest), "digest"),
            .size = size,
            .urls = {},
            .annotations = {{"org.cncf.model.filepath", path}},
            .artifact_type = {},
            .platform = std::nullopt};
}

// Pushes `weights` (streamed, chunked upload) with a config.json layer and a ModelPack config.
Artifact push_model(const fixtures::RegistryServer& registry, const std::string& label,
                    const std::string& repository, const WrittenFile& weights,
                    const std::string& filepath, const std::string& format) {
    common::HttpClientSettings settings;
    settings.total_timeout = std::chrono::hours(1);
    auto http = or_throw(common::HttpClient::create(settings), "http client");
    auto client =
        or_throw(common::RegistryClient::create(*http, {.base_url = registry.url()}), "client");
    std::ifstream in(weights.path, std::ios::binary);
    const auto pushed =
        or_throw(client->push_blob_chunked(
                     repository,
                     [&in](char* buffer, std::size_t capacity) -> common::Result<std::size_t> {
                         in.read(buffer, static_cast<std::streamsize>(capacity));
                         return static_cast<std::size_t>(in.gcount());
                     },
                     64U << 20),
                 "push " + weights.path.string());
    if (pushed.digest.str() != weights.digest || pushed.size != weights.bytes) {
        throw std::runtime_error("the registry stored " + pushed.digest.str() + ", written " +
                                 weights.digest);
    }
    const std::string hf_config =
        R"({"architectures":["LlamaForCausalLM"],"model_type":"llama","hidden_size":4096,)"
        R"("intermediate_size":11008,"torch_dtype":"float16"})";
    const auto hf_pushed = or_throw(client->push_blob(repository, hf_config), "push config.json");
    const auto& names = modelpack::names(modelpack::Naming::kCncf);
    const json config{
        {"descriptor", {{"name", repository}, {"licenses", {"apache-2.0"}}}},
        {"config", {{"format", format}, {"precision", "float16"}}},
        {"modelfs", {{"type", "layers"}, {"diffIds", {hf_pushed.digest.str(), weights.digest}}}}};
    const auto config_bytes = config.dump();
    (void)or_throw(client->push_blob(repository, config_bytes), "push model config");
    const common::ImageManifest manifest{
        .media_type = std::string(common::media_type::kOciManifest),
        .artifact_type = std::string(names.manifest_artifact_type),
        .config = or_throw(common::describe(names.config, config_bytes), "config"),
        .layers = {layer(hf_pushed.digest.str(), hf_config.size(), "config.json",
                         modelpack::LayerKind::kWeightConfig),
                   layer(weights.digest, weights.bytes, filepath, modelpack::LayerKind::kWeight)},
        .subject = std::nullopt,
        .annotations = {}};
    const auto digest = or_throw(client->put_manifest(repository, "v1", common::serialize(manifest),
                                                      common::media_type::kOciManifest),
                                 "put manifest");
    Artifact artifact{label, repository, digest.str(), {}, 0};
    artifact.blobs.emplace_back(manifest.config.digest.str(), manifest.config.size);
    for (const auto& descriptor : manifest.layers) {
        artifact.blobs.emplace_back(descriptor.digest.str(), descriptor.size);
    }
    for (const auto& blob : artifact.blobs) {
        artifact.bytes += blob.second;
    }
    return artifact;
}

std::unique_ptr<fixtures::Process> start_scanner(const std::filesystem::path& dir, int port) {
    std::filesystem::create_directories(dir);
    fixtures::write_file(dir / "scanner.yaml",
                         "server:\n  listen: 127.0.0.1:" + std::to_string(port) +
                             "\n  data_dir: " + dir.string() +
                             "\nlog:\n  level: warn\nauth:\n  tokens:\n"
                             "    - {name: harbor, role: writer, token: " +
                             kToken +
                             "}\nregistry:\n  url_policy:\n    allow_loopback: true\n"
                             "scan:\n  workers: 2\n  refresh_after_s: 1\n");
    return fixtures::start_service(AIOPS_SCANNER_BINARY, dir / "scanner.yaml", port,
                                   dir / "scanner.log");
}

struct Reply {
    int status = 0;
    std::string body;
};

// One call as Harbor's scanner client makes it: Bearer token, 5 s timeouts, no redirects.
Reply call(int port, const std::string& path, const std::string& accept,
           const std::string* body = nullptr) {
    httplib::Client client("127.0.0.1", port);
    client.set_connection_timeout(5, 0);
    client.set_read_timeout(5, 0);
    client.set_follow_location(false);
    const httplib::Headers headers{{"Accept", accept},
                                   {"Authorization", std::string("Bearer ") + kToken}};
    auto result = body != nullptr ? client.Post(path.c_str(), headers, *body, kRequestMime)
                                  : client.Get(path.c_str(), headers);
    return result ? Reply{result->status, result->body} : Reply{};
}

struct ScanFigures {
    double seconds = 0;
    std::uint64_t bytes_read = 0;
    std::uint64_t artifact_bytes = 0;
    std::map<std::string, int> by_severity;
};

// POST /api/v1/scan, GET …/report every 10 ms while it answers 302 (Harbor waits Refresh-After),
// then GET …/findings for bytes_read, artifact_bytes and the findings.
std::optional<ScanFigures> scan_like_harbor(int port, const std::string& registry_url,
                                            const Artifact& artifact) {
    const auto request = json{{"registry", {{"url", registry_url}, {"authorization", ""}}},
                              {"artifact",
                               {{"repository", artifact.repository},
                                {"tag", "v1"},
                                {"digest", artifact.manifest_digest},
                                {"mime_type", common::media_type::kOciManifest}}},
                              {"enabled_capabilities",
                               json::array({{{"type", "vulnerability"},
                                             {"produces_mime_types", json::array({kGenericReport})},
                                             {"parameters", nullptr}}})}}
                             .dump();
    const auto start = Clock::now();
    const auto submitted = call(port, "/api/v1/scan", kResponseMime, &request);
    const auto id = json::parse(submitted.body, nullptr, false);
    if (submitted.status != 202 || !id.is_object() || !id.contains("id")) {
        std::fprintf(stderr, "POST /api/v1/scan: %d %s\n", submitted.status,
                     submitted.body.c_str());
        return std::nullopt;
    }
    const std::string scan_path = "/api/v1/scan/" + id["id"].get<std::string>();
    Reply report;
    for (;;) {
        report = call(port, scan_path + "/report", kGenericReport);
        if (report.status != 302 || Clock::now() - start > kScanDeadline) {
            break;
        }
        std::this_thread::sleep_for(kPollInterval);
    }
    ScanFigures figures;
    figures.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    const auto findings = call(port, scan_path + "/findings", "application/json");
    const auto parsed = json::parse(findings.body, nullptr, false);
    if (report.status != 200 || findings.status != 200 || !parsed.is_object()) {
        std::fprintf(stderr, "scan of %s: report %d %s\n", artifact.label.c_str(), report.status,
                     report.body.c_str());
        return std::nullopt;
    }
    figures.bytes_read = parsed.value("bytes_read", std::uint64_t{0});
    figures.artifact_bytes = parsed.value("artifact_bytes", std::uint64_t{0});
    for (const auto& finding : parsed.value("findings", json::array())) {
        ++figures.by_severity[finding.value("severity", "Unknown")];
    }
    return figures;
}

// curl GET of every blob of `artifact` from the registry → /dev/null: the summed wall time.
std::optional<double> curl_download_seconds(const std::string& curl, const std::string& base_url,
                                            const Artifact& artifact) {
    double seconds = 0;
    for (const auto& [digest, size] : artifact.blobs) {
        std::string url = base_url;
        url += "/v2/" + artifact.repository + "/blobs/" + digest;
        const auto run = run_timed(
            {curl, "-sS", "-L", "-o", "/dev/null", "-w", "%{size_download}", "--fail", url});
        if (run.exit_status != 0 || std::strtoull(run.output.c_str(), nullptr, 10) != size) {
            std::fprintf(stderr, "curl %s failed (exit %d, %s bytes)\n", url.c_str(),
                         run.exit_status, run.output.c_str());
            return std::nullopt;
        }
        seconds += run.seconds;
    }
    return seconds;
}

std::string severity_counts(const std::map<std::string, int>& counts) {
    std::string text;
    for (const char* severity : kSeverities) {
        const auto found = counts.find(severity);
        text += (text.empty() ? "" : ", ") +
                std::to_string(found == counts.end() ? 0 : found->second) + " " + severity;
    }
    return text;
}

// Scans `artifact` `rounds` times (curl baseline each round) and prints medians and verdicts.
bool measure_artifact(int port, const fixtures::RegistryServer& registry, const std::string& curl,
                      const Artifact& artifact, int rounds) {
    std::vector<double> scan_seconds;
    std::vector<double> curl_seconds;
    std::optional<ScanFigures> last;
    for (int round = 0; round < rounds; ++round) {
        last = scan_like_harbor(port, registry.url(), artifact);
        const auto download = curl_download_seconds(curl, registry.url(), artifact);
        if (!last || !download) {
            return false;
        }
        scan_seconds.push_back(last->seconds);
        curl_seconds.push_back(*download);
    }
    const double read_ratio =
        static_cast<double>(last->bytes_read) / static_cast<double>(last->artifact_bytes);
    const int severe = last->by_severity["Critical"] + last->by_severity["High"];
    std::printf("  %s: %s\n", artifact.label.c_str(), artifact.repository.c_str());
    std::printf("    bytes read %llu of %llu (%.2f GiB) = %.4f %% (target < %.0f %%): %s\n",
                static_cast<unsigned long long>(last->bytes_read),
                static_cast<unsigned long long>(last->artifact_bytes),
                static_cast<double>(last->artifact_bytes) / kGiB, read_ratio * 100,
                kTargetReadRatio * 100, read_ratio < kTargetReadRatio ? "PASS" : "MISS");
    std::printf("    scan %.3f s (POST -> 200 report)   curl download %.3f s   ratio %.4f\n",
                median(scan_seconds), median(curl_seconds),
                median(scan_seconds) / median(curl_seconds));
    std::printf("    findings: %s (benign: no High/Critical): %s\n",
                severity_counts(last->by_severity).c_str(), severe == 0 ? "PASS" : "MISS");
    if (last->artifact_bytes != artifact.bytes) {
        std::fprintf(stderr, "the scanner counted %llu artifact bytes, %llu were pushed\n",
                     static_cast<unsigned long long>(last->artifact_bytes),
                     static_cast<unsigned long long>(artifact.bytes));
        return false;
    }
    return true;
}

bool run_scans(const Options& options, const std::string& curl, const fixtures::TempDir& dir) {
    fixtures::RegistryServer registry;
    std::vector<Artifact> artifacts;
    {
        const auto tensors = llama_tensors(options.safetensors_bytes);
        std::printf("writing model.safetensors (%zu tensors)\n", tensors.size());
        const auto file = write_safetensors(dir / "model.safetensors", tensors, 1);
        std::printf("pushing %.2f GiB\n", static_cast<double>(file.bytes) / kGiB);
        artifacts.push_back(push_model(registry, "safetensors", "bench/llama-safetensors", file,
                                       "model.safetensors", "safetensors"));
        std::filesystem::remove(file.path);  // the registry holds its own copy
    }
    {
        const auto tensors = llama_tensors(options.torch_bytes);
        std::printf("writing pytorch_model.pt (torch zip, %zu storages)\n", tensors.size());
        const auto file = write_torch_zip(dir / "pytorch_model.pt", tensors, 2);
        std::printf("pushing %.2f GiB\n", static_cast<double>(file.bytes) / kGiB);
        artifacts.push_back(push_model(registry, "torch zip", "bench/llama-torch", file,
                                       "pytorch_model.pt", "pytorch"));
        std::filesystem::remove(file.path);
    }
    const int port = fixtures::free_port();
    auto scanner = start_scanner(dir / "scanner", port);
    std::printf("(a) scans through the Harbor scanner API, medians over %d round(s)\n",
                options.rounds);
    bool measured = true;
    for (const auto& artifact : artifacts) {
        measured = measure_artifact(port, registry, curl, artifact, options.rounds) && measured;
    }
    return measured;
}

// ---------------------------------------------------------------------------------------------
// (b) pickle analysis throughput

std::string state_dict_pickle(std::uint64_t entries) {
    StateDictPickle pickle;
    for (std::uint64_t index = 0; index < entries; ++index) {
        const auto tensor = llama_tensor(index);
        pickle.add(tensor.name, tensor, std::to_string(index));
    }
    return pickle.finish();
}

struct PickleRun {
    double seconds = 0;
    scanner::PickleReport report;
};

PickleRun analyse(const std::string& bytes, const scanner::PickleLimits& limits) {
    scanner::MemorySource source(bytes);
    const auto start = Clock::now();
    auto report = scanner::analyse_pickle(source, limits);
    return {std::chrono::duration<double>(Clock::now() - start).count(), std::move(report)};
}

// Where the analysis stopped: a limit's offset, else the whole stream.
std::uint64_t analysed_bytes(const scanner::PickleReport& report, std::uint64_t size) {
    for (const auto& anomaly : report.anomalies) {
        if (anomaly.kind == scanner::PickleAnomalyKind::kLimit) {
            return anomaly.offset;
        }
    }
    return size;
}

void print_analysis(const char* what, const std::vector<double>& seconds, const PickleRun& run,
                    std::uint64_t size, double sha256_mb_s) {
    const auto bytes = analysed_bytes(run.report, size);
    const double mb_s = static_cast<double>(bytes) / kMB / median(seconds);
    std::printf(
        "  analyse_pickle, %-28s %8.1f MB/s   ratio %.3f   %llu of %llu bytes, %llu opcodes\n",
        what, mb_s, mb_s / sha256_mb_s, static_cast<unsigned long long>(bytes),
        static_cast<unsigned long long>(size), static_cast<unsigned long long>(run.report.opcodes));
    std::printf("    %d pickle(s), %zu imports, error \"%s\"\n", run.report.pickles,
                run.report.imports.size(), run.report.error.c_str());
    for (const auto& anomaly : run.report.anomalies) {
        std::printf("    anomaly at byte %llu: %s\n",
                    static_cast<unsigned long long>(anomaly.offset), anomaly.message.c_str());
    }
    const auto findings = scanner::pickle_findings(run.report, "data.pkl");
    std::printf("    findings: %zu%s\n", findings.size(), findings.empty() ? "" : ":");
    for (const auto& finding : findings) {
        std::printf("      %s %s: %s\n",
                    std::string(scanner::severity_name(finding.severity)).c_str(),
                    finding.rule_id.c_str(), finding.title.c_str());
    }
}

void run_pickle(const Options& options) {
    const auto bytes = state_dict_pickle(options.pickle_entries);
    const auto size = static_cast<std::uint64_t>(bytes.size());
    std::printf(
        "(b) pickle analysis in process: state dict of %llu tensors, %.1f MB, medians over "
        "%d round(s)\n",
        static_cast<unsigned long long>(options.pickle_entries), static_cast<double>(size) / kMB,
        options.rounds);
    scanner::PickleLimits sized;
    sized.max_opcodes = size;  // every opcode is at least a byte
    sized.max_memo_entries = size;
    std::vector<double> sha256_seconds;
    std::vector<double> default_seconds;
    std::vector<double> sized_seconds;
    PickleRun default_run;
    PickleRun sized_run;
    for (int round = 0; round < options.rounds; ++round) {
        const auto start = Clock::now();
        const auto digest = common::compute_digest(bytes);
        sha256_seconds.push_back(std::chrono::duration<double>(Clock::now() - start).count());
        if (!digest) {
            throw std::runtime_error("sha256: " + digest.error().message);
        }
        default_run = analyse(bytes, {});
        default_seconds.push_back(default_run.seconds);
        sized_run = analyse(bytes, sized);
        sized_seconds.push_back(sized_run.seconds);
    }
    const double sha256_mb_s = static_cast<double>(size) / kMB / median(sha256_seconds);
    std::printf("  sha256 (baseline)                            %8.1f MB/s\n", sha256_mb_s);
    print_analysis("limits sized to the stream", sized_seconds, sized_run, size, sha256_mb_s);
    print_analysis("default PickleLimits", default_seconds, default_run, size, sha256_mb_s);
    std::printf("  peak RSS of this process (the pickle bytes and the analyser's memo) %.1f MiB\n",
                static_cast<double>(peak_rss_kib()) / 1024.0);
}

int run(const Options& options, const std::string& curl) {
    std::printf("== bench_scanner: %u core(s), load average %s\n",
                std::thread::hardware_concurrency(),
                fixtures::read_file("/proc/loadavg").substr(0, 14).c_str());
    fixtures::TempDir dir;
    const bool scanned = run_scans(options, curl, dir);
    run_pickle(options);
    return scanned ? 0 : 1;
}

}  // namespace
}  // namespace aiops::bench

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    const auto options = aiops::bench::parse_options(argc, argv);
    if (!options) {
        std::fprintf(stderr,
                     "usage: %s [--safetensors-bytes N[K|M|G]] [--torch-bytes N[K|M|G] (< 3.5G)] "
                     "[--pickle-entries N] [--rounds N]\n",
                     argv[0]);
        return 2;
    }
    const auto curl = aiops::testing::find_program("curl");
    struct statvfs disk {};
    const auto temp = std::filesystem::temp_directory_path();
    const auto needed = 3 * (options->safetensors_bytes + options->torch_bytes);
    if (curl.empty() || statvfs(temp.c_str(), &disk) != 0 ||
        static_cast<std::uint64_t>(disk.f_bavail) * disk.f_frsize < needed) {
        std::fprintf(stderr, "needs curl and %.1f GiB free in %s (3x the model sizes)\n",
                     static_cast<double>(needed) / (1U << 30), temp.c_str());
        return 2;
    }
    try {
        return aiops::bench::run(*options, curl);
    } catch (const std::exception& failure) {
        std::fprintf(stderr, "benchmark failed: %s\n", failure.what());
        return 1;
    }
}
