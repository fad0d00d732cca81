// Benchmark: download one large blob from a real docker-registry on loopback with
// RegistryClient::get_blob (streamed, sha256-verified, bytes discarded) against the curl CLI doing
// the same GET, alternating rounds in one run. Targets (foundation issue): ours/curl throughput
// ratio >= 0.9 and peak RSS of our process < 64 MiB. Prints PASS/MISS; exits 0 whenever the
// measurement itself worked, 2 when the machine cannot run it (disk space, missing programs).
//
//   bench_registry_blob_download [--bytes N[K|M|G]] [--rounds N] [--chunk-bytes N[K|M|G]]
//
// Our side runs as a child process (`--mode=client`) so that its peak RSS (VmHWM of a fresh
// address space) covers the download only, and so that both sides are timed the same way: wall
// time of a process from spawn to exit, plus its CPU time. Two openssl references (informational)
// show where the difference goes: the sha256 verification curl does not do.
#include <sys/statvfs.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aiops/common/http_client.h"
#include "aiops/common/registry_client.h"
#include "fixtures/process.h"
#include "fixtures/registry_server.h"
#include "timed_process.h"

namespace aiops::bench {
namespace {

using common::Digest;
using common::Error;
using common::ErrorCode;
using common::Result;
using common::Status;

constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kTargetRatio = 0.9;
constexpr double kTargetPeakRssMiB = 64.0;
constexpr std::uint64_t kDiskHeadroomBytes = 512ULL << 20;
constexpr std::uint64_t kMaxBlobBytes = 1ULL << 40;
constexpr std::uint64_t kMaxChunkBytes = 256ULL << 20;  // push_blob_chunked buffers one chunk
constexpr std::string_view kRepository = "bench/blob-download";

struct Options {
    std::uint64_t bytes = 1ULL << 30;
    int rounds = 3;
    std::size_t chunk_bytes = 16U << 20;  // upload PATCH size
    bool client_mode = false;             // --mode=client: one get_blob, print bytes + VmHWM
    std::string url;                      // client mode: registry root
    std::string digest;                   // client mode: blob digest
};

// Applies one `--name=value` (or `--name value`, already joined) option.
bool apply_option(Options& options, const std::string& name, const std::string& value) {
    if (name == "--bytes" || name == "--chunk-bytes") {
        const auto size = parse_size(value);
        if (!size || *size > (name == "--bytes" ? kMaxBlobBytes : kMaxChunkBytes)) {
            return false;
        }
        (name == "--bytes" ? options.bytes : options.chunk_bytes) = *size;
        return true;
    }
    if (name == "--rounds") {
        const auto rounds = parse_size(value);
        options.rounds = rounds && *rounds <= 100 ? static_cast<int>(*rounds) : 0;
        return options.rounds > 0;
    }
    if (name == "--mode") {
        options.client_mode = value == "client";
        return value == "client" || value == "compare";
    }
    if (name == "--url" || name == "--digest") {
        (name == "--url" ? options.url : options.digest) = value;
        return true;
    }
    return false;
}

Result<Options> parse_options(int argc, char** argv) {
    Options options;
    for (int index = 1; index < argc; ++index) {
        std::string name = argv[index];
        std::string value;
        if (const auto equals = name.find('='); equals != std::string::npos) {
            value = name.substr(equals + 1);
            name.resize(equals);
        } else if (index + 1 < argc) {
            value = argv[++index];
        }
        if (!apply_option(options, name, value)) {
            return Error{ErrorCode::kInvalidInput, "bad option " + name + " '" + value + "'"};
        }
    }
    return options;
}

// Deterministic pseudo-random bytes (splitmix64), generated on demand: the blob never sits in
// memory, and its bytes do not compress.
class PseudoRandomSource {
public:
    explicit PseudoRandomSource(std::uint64_t total_bytes) : remaining_(total_bytes) {}

    Result<std::size_t> operator()(char* buffer, std::size_t capacity) {
        const std::size_t length =
            static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, capacity));
        for (std::size_t offset = 0; offset < length; offset += sizeof(std::uint64_t)) {
            const std::uint64_t word = next();
            std::memcpy(buffer + offset, &word, std::min(sizeof word, length - offset));
        }
        remaining_ -= length;
        return length;
    }

private:
    std::uint64_t next() {
        state_ += 0x9E3779B97F4A7C15ULL;
        std::uint64_t mixed = state_;
        mixed = (mixed ^ (mixed >> 30U)) * 0xBF58476D1CE4E5B9ULL;
        mixed = (mixed ^ (mixed >> 27U)) * 0x94D049BB133111EBULL;
        return mixed ^ (mixed >> 31U);
    }

    std::uint64_t remaining_;
    std::uint64_t state_ = 0x5EED;
};

Result<std::unique_ptr<common::HttpClient>> make_http_client() {
    common::HttpClientSettings settings;
    settings.total_timeout = std::chrono::hours(1);  // a slow, loaded machine must not time out
    return common::HttpClient::create(std::move(settings));
}

// --mode=client: one verified get_blob into a sink that drops the bytes; prints
// "bytes=<n> peak_rss_kib=<k>". Exit 0 on success.
int run_client(const Options& options) {
    auto digest = Digest::parse(options.digest);
    auto http = make_http_client();
    if (!digest || !http) {
        std::fprintf(stderr, "client: %s\n",
                     (digest ? http.error() : digest.error()).message.c_str());
        return 1;
    }
    auto client = common::RegistryClient::create(**http, {.base_url = options.url});
    if (!client) {
        std::fprintf(stderr, "client: %s\n", client.error().message.c_str());
        return 1;
    }
    std::uint64_t sunk = 0;
    auto received = (*client)->get_blob(kRepository, *digest, [&sunk](std::string_view chunk) {
        sunk += chunk.size();
        return true;
    });
    if (!received || *received != sunk) {
        std::fprintf(stderr, "client: get_blob failed: %s\n",
                     received ? "byte count mismatch" : received.error().message.c_str());
        return 1;
    }
    std::printf("bytes=%" PRIu64 " peak_rss_kib=%" PRIu64 "\n", *received, peak_rss_kib());
    return 0;
}

// What the rounds need: programs, URLs and the pushed blob.
struct Setup {
    std::string curl;     // absolute path of the curl CLI
    std::string openssl;  // absolute path of the openssl CLI, empty when absent
    std::string self;     // this executable, re-run with --mode=client
    std::string registry_url;
    std::string blob_url;
    std::filesystem::path blob_file;  // where the registry stores the blob
    std::string digest;               // sha256:…
    std::uint64_t bytes = 0;
};

// Wall and CPU (user + system) seconds of one program, one entry per round.
struct Series {
    std::vector<double> wall_seconds;
    std::vector<double> cpu_seconds;
};

// The two openssl references explain the ratio, they are not targets: `curl | openssl dgst` is
// the CLI doing what we do (download + verify, in two processes), and `openssl dgst <stored file>`
// is the cost of the hash alone (the same libcrypto as ours).
struct Samples {
    Series curl;
    Series ours;
    Series curl_verified;
    Series hash_only;
    std::uint64_t peak_rss_kib = 0;  // highest VmHWM of our client over all rounds
};

double mib_per_second(std::uint64_t bytes, double seconds) {
    return seconds > 0 ? static_cast<double>(bytes) / kMiB / seconds : 0;
}

std::string load_average() {
    std::ifstream loadavg("/proc/loadavg");
    std::string one;
    std::string five;
    std::string fifteen;
    loadavg >> one >> five >> fifteen;
    return one + " " + five + " " + fifteen;
}

// Runs `argv` and checks that it exited 0 with stdout starting with `expected_output`.
Result<TimedRun> time_checked(const std::string& what, const std::vector<std::string>& argv,
                              const std::string& expected_output) {
    const auto run = run_timed(argv);
    if (!run.error.empty()) {
        return Error{ErrorCode::kInternal, run.error};
    }
    if (run.exit_status != 0 || !run.output.starts_with(expected_output)) {
        return Error{ErrorCode::kUpstream, what + " exited with " +
                                               std::to_string(run.exit_status) + ", stdout '" +
                                               run.output + "'"};
    }
    return run;
}

// The baseline: `curl -s -o /dev/null <blob URL>`, which must report the blob's size.
Result<TimedRun> time_curl(const Setup& setup) {
    return time_checked(
        "curl",
        {setup.curl, "-s", "-f", "-o", "/dev/null", "-w", "%{size_download}", setup.blob_url},
        std::to_string(setup.bytes));
}

// Ours: this program in --mode=client (get_blob with digest verification, bytes discarded).
Result<TimedRun> time_ours(const Setup& setup, std::uint64_t& peak_rss_kib) {
    const std::string expected = "bytes=" + std::to_string(setup.bytes) + " peak_rss_kib=";
    const auto run = run_timed(
        {setup.self, "--mode=client", "--url=" + setup.registry_url, "--digest=" + setup.digest});
    if (run.exit_status != 0 || !run.output.starts_with(expected)) {
        return Error{ErrorCode::kUpstream, "client exited with " + std::to_string(run.exit_status) +
                                               ", stdout '" + run.output + "' " + run.error};
    }
    peak_rss_kib = std::max<std::uint64_t>(
        peak_rss_kib, std::strtoull(run.output.c_str() + expected.size(), nullptr, 10));
    return run;
}

std::string digest_hex(const Setup& setup) {
    return setup.digest.substr(setup.digest.find(':') + 1);
}

Result<TimedRun> time_curl_verified(const Setup& setup) {
    return time_checked("curl | openssl dgst",
                        {"/bin/sh", "-c", "\"$1\" -s -f \"$3\" | \"$2\" dgst -sha256 -r", "sh",
                         setup.curl, setup.openssl, setup.blob_url},
                        digest_hex(setup));
}

Result<TimedRun> time_hash_only(const Setup& setup) {
    return time_checked("openssl dgst",
                        {setup.openssl, "dgst", "-sha256", "-r", setup.blob_file.string()},
                        digest_hex(setup));
}

// Records one timed run in `into` and prints "<label> <wall> s (<MiB/s>, cpu <cpu> s)".
Status sample(const Setup& setup, const char* label, const Result<TimedRun>& run, Series& into) {
    if (!run) {
        return run.error();
    }
    into.wall_seconds.push_back(run->seconds);
    into.cpu_seconds.push_back(run->cpu_seconds);
    std::printf("  %s %.3f s (%.1f MiB/s, cpu %.2f s)", label, run->seconds,
                mib_per_second(setup.bytes, run->seconds), run->cpu_seconds);
    return {};
}

// One round: curl, ours, then the openssl references when openssl exists.
Status measure_round(const Setup& setup, Samples& samples) {
    Status status = sample(setup, "curl", time_curl(setup), samples.curl);
    if (status) {
        status = sample(setup, "ours", time_ours(setup, samples.peak_rss_kib), samples.ours);
    }
    if (status && !setup.openssl.empty()) {
        status =
            sample(setup, "curl|openssl-dgst", time_curl_verified(setup), samples.curl_verified);
    }
    if (status && !setup.openssl.empty()) {
        status = sample(setup, "openssl-dgst-file", time_hash_only(setup), samples.hash_only);
    }
    std::printf("\n");
    std::fflush(stdout);
    return status;
}

Result<Samples> measure(const Setup& setup, int rounds) {
    Samples samples;
    for (int round = 1; round <= rounds; ++round) {
        std::printf("round %d:", round);
        if (auto status = measure_round(setup, samples); !status) {
            return status.error();
        }
    }
    return samples;
}

// "<label> (median): <MiB/s> MiB/s, cpu <s> s" for one series.
void print_series(const Setup& setup, const char* label, const Series& series) {
    std::printf("%-30s %8.1f MiB/s  cpu %6.2f s\n", label,
                mib_per_second(setup.bytes, median(series.wall_seconds)),
                median(series.cpu_seconds));
}

void report(const Setup& setup, const Samples& samples) {
    const double curl = mib_per_second(setup.bytes, median(samples.curl.wall_seconds));
    const double ours = mib_per_second(setup.bytes, median(samples.ours.wall_seconds));
    const double ratio = curl > 0 ? ours / curl : 0;
    const double rss_mib = static_cast<double>(samples.peak_rss_kib) / 1024.0;
    std::printf("medians over %zu rounds:\n", samples.curl.wall_seconds.size());
    print_series(setup, "curl -o /dev/null", samples.curl);
    print_series(setup, "ours get_blob (verified)", samples.ours);
    if (!samples.hash_only.wall_seconds.empty()) {
        print_series(setup, "ref: curl | openssl dgst", samples.curl_verified);
        print_series(setup, "ref: openssl dgst <file>", samples.hash_only);
    }
    std::printf("ratio ours/curl:               %8.3f        target >= %.2f    %s\n", ratio,
                kTargetRatio, ratio >= kTargetRatio ? "PASS" : "MISS");
    std::printf("peak RSS ours:                 %8.1f MiB    target < %.0f MiB  %s\n", rss_mib,
                kTargetPeakRssMiB, rss_mib < kTargetPeakRssMiB ? "PASS" : "MISS");
}

Result<Digest> push_blob(const std::string& registry_url, const Options& options) {
    auto http = make_http_client();
    if (!http) {
        return http.error();
    }
    auto client = common::RegistryClient::create(**http, {.base_url = registry_url});
    if (!client) {
        return client.error();
    }
    PseudoRandomSource source(options.bytes);
    const auto start = std::chrono::steady_clock::now();
    auto pushed = (*client)->push_blob_chunked(
        kRepository,
        [&source](char* buffer, std::size_t capacity) { return source(buffer, capacity); },
        options.chunk_bytes);
    if (!pushed) {
        return pushed.error();
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("pushed %s: %.3f s (%.1f MiB/s, %zu-byte PATCHes)\n", pushed->digest.str().c_str(),
                seconds, mib_per_second(options.bytes, seconds), options.chunk_bytes);
    return pushed->digest;
}

// Exit 2 with a clear line when the machine cannot hold the blob (registry upload + stored copy).
bool enough_disk(const Options& options, const std::filesystem::path& dir) {
    struct statvfs stats {};
    const std::uint64_t needed = options.bytes * 2 + kDiskHeadroomBytes;
    if (statvfs(dir.c_str(), &stats) != 0) {
        std::fprintf(stderr, "cannot statvfs %s\n", dir.c_str());
        return false;
    }
    const std::uint64_t available = static_cast<std::uint64_t>(stats.f_bavail) * stats.f_frsize;
    if (available < needed) {
        std::fprintf(stderr,
                     "not enough free disk space in %s: %.1f MiB free, %.1f MiB needed "
                     "(set TMPDIR elsewhere or pass a smaller --bytes)\n",
                     dir.c_str(), static_cast<double>(available) / kMiB,
                     static_cast<double>(needed) / kMiB);
        return false;
    }
    return true;
}

// Programs and paths, or nullopt (after one line on stderr) when the machine cannot run this.
std::optional<Setup> find_programs(const Options& options) {
    Setup setup;
    setup.curl = testing::find_program("curl");
    setup.openssl = testing::find_program("openssl");
    std::error_code error;
    setup.self = std::filesystem::read_symlink("/proc/self/exe", error).string();
    if (setup.curl.empty() || testing::find_program("docker-registry").empty() || error) {
        std::fprintf(stderr, "needs curl and docker-registry on PATH and /proc/self/exe\n");
        return std::nullopt;
    }
    setup.bytes = options.bytes;
    return setup;
}

int run_comparison(Setup setup, const Options& options) {
    std::printf("registry_blob_download: %" PRIu64
                " bytes (%.1f MiB), %d rounds, load average %s\n",
                options.bytes, static_cast<double>(options.bytes) / kMiB, options.rounds,
                load_average().c_str());
    testing::RegistryServer registry;  // throws (caught in main) when it does not come up
    setup.registry_url = registry.url();
    auto digest = push_blob(setup.registry_url, options);
    if (!digest) {
        std::fprintf(stderr, "push failed: %s\n", digest.error().message.c_str());
        return 1;
    }
    setup.digest = digest->str();
    setup.blob_url =
        setup.registry_url + "/v2/" + std::string(kRepository) + "/blobs/" + digest->str();
    setup.blob_file = registry.blob_data_path(digest->str());
    if (auto warm_up = time_curl(setup); !warm_up) {  // page cache and registry warm, not counted
        std::fprintf(stderr, "warm-up download failed: %s\n", warm_up.error().message.c_str());
        return 1;
    }
    auto samples = measure(setup, options.rounds);
    if (!samples) {
        std::fprintf(stderr, "measurement failed: %s\n", samples.error().message.c_str());
        return 1;
    }
    report(setup, *samples);
    std::printf("load average after: %s\n", load_average().c_str());
    return 0;
}

}  // namespace
}  // namespace aiops::bench

int main(int argc, char** argv) {
    auto options = aiops::bench::parse_options(argc, argv);
    if (!options) {
        std::fprintf(stderr,
                     "%s\nusage: %s [--bytes N[K|M|G]] [--rounds N] [--chunk-bytes N[K|M|G]]\n",
                     options.error().message.c_str(), argv[0]);
        return 2;
    }
    if (options->client_mode) {
        return aiops::bench::run_client(*options);
    }
    auto setup = aiops::bench::find_programs(*options);
    std::error_code no_temp;
    const auto temp_dir = std::filesystem::temp_directory_path(no_temp);
    if (no_temp) {
        std::fprintf(stderr, "no usable temporary directory: %s\n", no_temp.message().c_str());
    }
    if (!setup || no_temp || !aiops::bench::enough_disk(*options, temp_dir)) {
        return 2;
    }
    try {
        return aiops::bench::run_comparison(std::move(*setup), *options);
    } catch (const std::exception& failure) {  // the registry fixture throws when it cannot start
        std::fprintf(stderr, "benchmark failed: %s\n", failure.what());
        return 1;
    }
}
