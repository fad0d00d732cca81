// Benchmark (catalog issue): the catalog-service binary over loopback HTTP, driven by `wrk`, with
// N registry records (default 100,000) on SQLite and on Redis.
//   GET /container_registry/<random id>           throughput and p99
//   POST /container_registries {"container_registry_tags": "team-<random k>"}  (100 matches of N)
// Baseline measured in the same run: the scaffold test service (same HTTP server, auth and
// workers) answering GET /constant?bytes=<size of one record> with a cached body — the HTTP
// layer's ceiling. Targets: GET-by-id rps ÷ baseline rps ≥ 0.5; tag-query p99 < 20 ms.
//
//   bench_catalog [--records N] [--duration S] [--connections N] [--wrk-threads N]
//                 [--loaders N] [--backends sqlite,redis]
//
// Records are loaded in-process through the catalog's own domain layer (Catalog::create_registry,
// the same code the POST handler runs, index sets included) by several threads, before the service
// starts. Prints PASS/MISS per target; exits 0 when everything could be measured, 1 when a run
// failed, 2 when the machine cannot run it (wrk, redis-server missing).
#include "catalog.h"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "aiops/common/clock.h"
#include "aiops/common/storage.h"
#include "fixtures/process.h"
#include "fixtures/redis_server.h"
#include "fixtures/temp_dir.h"
#include "timed_process.h"

namespace aiops::bench {
namespace {

using nlohmann::json;
namespace fixtures = aiops::testing;

constexpr double kTargetRatio = 0.5;
constexpr double kTargetTagP99Ms = 20.0;
constexpr int kTags = 1000;  // record i carries tag "team-<i % kTags>": N/1000 matches per tag
constexpr const char* kToken = "bench-reader-token-0123456789";

struct Options {
    int records = 100000;
    int duration_s = 10;
    int connections = 8;  // = server.workers: a keep-alive connection holds a worker
    int wrk_threads = 2;
    int loaders = 8;
    std::vector<std::string> backends{"sqlite", "redis"};
};

std::optional<Options> parse_options(int argc, char** argv) {
    Options options;
    for (int index = 1; index + 1 < argc; index += 2) {
        const std::string name = argv[index];
        const std::string value = argv[index + 1];
        int number = 0;
        try {
            number = std::stoi(value);
        } catch (const std::exception&) {
            number = -1;
        }
        if (name == "--backends") {
            options.backends.clear();
            std::stringstream list(value);
            for (std::string backend; std::getline(list, backend, ',');) {
                if (backend != "sqlite" && backend != "redis") {
                    return std::nullopt;
                }
                options.backends.push_back(backend);
            }
            continue;
        }
        if (number <= 0) {
            return std::nullopt;
        }
        if (name == "--records") {
            options.records = number;
        } else if (name == "--duration") {
            options.duration_s = number;
        } else if (name == "--connections") {
            options.connections = number;
        } else if (name == "--wrk-threads") {
            options.wrk_threads = number;
        } else if (name == "--loaders") {
            options.loaders = number;
        } else {
            return std::nullopt;
        }
    }
    if (argc % 2 == 0) {
        return std::nullopt;  // a flag without its value
    }
    return options;
}

json registry_body(int index) {
    static const char* const kEnvironments[] = {"prod", "staging", "dev"};
    static const char* const kRegions[] = {"eu-west", "us-east", "ap-south", "eu-north"};
    return {{"container_registry_name", "registry-" + std::to_string(index)},
            {"container_registry_metadata",
             {{"environment", kEnvironments[index % 3]},
              {"owner", "team-" + std::to_string(index % kTags)},
              {"region", kRegions[index % 4]},
              {"gpu_nodes", index % 64}}},
            {"container_registry_tags",
             {"team-" + std::to_string(index % kTags), kEnvironments[index % 3], "bench"}},
            {"container_registry_public_url", "http://10." + std::to_string(index / 65536 % 256) +
                                                  "." + std::to_string(index / 256 % 256) + "." +
                                                  std::to_string(index % 256) + ":5000"},
            {"container_registry_image_prefix", "ml/team-" + std::to_string(index % kTags)},
            {"container_registry_config", {{"auth_required", index % 2 == 0}}},
            {"container_registry_storage_info",
             {{"storage_type", "fs"}, {"registry_type", "aios"}, {"storage_size", 1 << 30}}}};
}

struct Loaded {
    std::vector<std::string> ids;
    double seconds = 0;
    std::string error;
};

// Creates `records` registries through Catalog::create_registry from `loaders` threads.
Loaded load_records(const std::string& storage_url, const Options& options) {
    Loaded loaded;
    common::SystemClock clock;
    common::StorageSettings settings;
    settings.url = storage_url;
    settings.pool_size = static_cast<std::size_t>(options.loaders);
    auto store = common::open_store(settings, clock);
    if (!store) {
        loaded.error = store.error().message;
        return loaded;
    }
    catalog::Catalog catalog(**store, clock, {});
    std::mutex mutex;
    std::atomic<int> next{0};
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (int t = 0; t < options.loaders; ++t) {
        threads.emplace_back([&] {
            std::vector<std::string> mine;
            std::string failure;
            for (int index = next++; index < options.records; index = next++) {
                auto created = catalog.create_registry(registry_body(index));
                if (!created) {
                    failure = created.error().message;
                    break;
                }
                mine.push_back(created.value()["container_registry_id"].get<std::string>());
            }
            const std::lock_guard lock(mutex);
            loaded.ids.insert(loaded.ids.end(), mine.begin(), mine.end());
            if (!failure.empty()) {
                loaded.error = failure;
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    loaded.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return loaded;
}

// A service binary (catalog-service or the scaffold) on a free port with a reader token.
class Service {
public:
    Service(const std::string& binary, const std::filesystem::path& dir,
            const std::string& extra_config)
        : port_(fixtures::free_port()) {
        std::filesystem::create_directories(dir);
        const auto config = dir / "service.yaml";
        fixtures::write_file(config, "server:\n  listen: 127.0.0.1:" + std::to_string(port_) +
                                         "\nlog:\n  level: warn\nauth:\n  tokens:\n"
                                         "    - {name: bench, role: reader, token: " +
                                         kToken + "}\n" + extra_config);
        process_ = std::make_unique<fixtures::Process>(
            std::vector<std::string>{binary, "--config", config.string()}, dir / "service.log");
        if (!fixtures::wait_for_port(port_, std::chrono::seconds(30))) {
            throw std::runtime_error(binary + " did not start: " + process_->log());
        }
    }

    int port() const { return port_; }

    // Size of the body GET `path` returns (to size the constant baseline like a record).
    std::size_t body_size(const std::string& path) const {
        httplib::Client client("127.0.0.1", port_);
        auto result =
            client.Get(path.c_str(), {{"Authorization", std::string("Bearer ") + kToken}});
        if (!result || result->status != 200) {
            throw std::runtime_error("GET " + path + " failed");
        }
        return result->body.size();
    }

private:
    int port_;
    std::unique_ptr<fixtures::Process> process_;
};

struct WrkResult {
    double requests_per_second = 0;
    double p50_ms = 0;
    double p99_ms = 0;
    long long errors = 0;  // non-2xx responses + socket errors
    std::string error;     // the run itself failed
};

double to_ms(double value, const std::string& unit) {
    if (unit == "us") {
        return value / 1000.0;
    }
    if (unit == "s") {
        return value * 1000.0;
    }
    return value;  // ms
}

WrkResult run_wrk(const std::string& wrk, const Options& options, int port,
                  const std::filesystem::path& script) {
    WrkResult result;
    const auto run = run_timed({wrk, "-t", std::to_string(options.wrk_threads), "-c",
                                std::to_string(options.connections), "-d",
                                std::to_string(options.duration_s) + "s", "--latency", "-s",
                                script.string(), "http://127.0.0.1:" + std::to_string(port)});
    if (run.exit_status != 0) {
        result.error = "wrk exited with " + std::to_string(run.exit_status) + ": " + run.output;
        return result;
    }
    std::smatch match;
    if (std::regex_search(run.output, match, std::regex(R"(Requests/sec:\s+([0-9.]+))"))) {
        result.requests_per_second = std::stod(match[1]);
    }
    if (std::regex_search(run.output, match, std::regex(R"(\n\s+50%\s+([0-9.]+)(us|ms|s)\b)"))) {
        result.p50_ms = to_ms(std::stod(match[1]), match[2]);
    }
    if (std::regex_search(run.output, match, std::regex(R"(\n\s+99%\s+([0-9.]+)(us|ms|s)\b)"))) {
        result.p99_ms = to_ms(std::stod(match[1]), match[2]);
    }
    if (std::regex_search(run.output, match, std::regex(R"(Non-2xx or 3xx responses:\s+(\d+))"))) {
        result.errors += std::stoll(match[1]);
    }
    if (std::regex_search(run.output, match, std::regex(R"(Socket errors:.*?timeout (\d+))"))) {
        result.errors += std::stoll(match[1]);
    }
    if (result.requests_per_second <= 0 || result.p99_ms <= 0) {
        result.error = "could not read wrk's output: " + run.output;
    }
    return result;
}

std::string lua_header() {
    return std::string("wrk.headers[\"Authorization\"] = \"Bearer ") + kToken + "\"\n";
}

void write_get_script(const std::filesystem::path& path, const std::vector<std::string>& ids) {
    std::ofstream out(path);
    out << lua_header() << "local ids = {\n";
    for (const auto& id : ids) {
        out << "\"" << id << "\",\n";
    }
    out << "}\n"
           "request = function()\n"
           "  return wrk.format(\"GET\", \"/container_registry/\" .. ids[math.random(#ids)])\n"
           "end\n";
}

void write_tag_script(const std::filesystem::path& path) {
    std::ofstream out(path);
    out << lua_header() << "wrk.headers[\"Content-Type\"] = \"application/json\"\n"
        << "request = function()\n"
           "  local body = '{\"container_registry_tags\":\"team-' .. math.random(0, "
        << kTags - 1
        << ") .. '\"}'\n"
           "  return wrk.format(\"POST\", \"/container_registries\", nil, body)\n"
           "end\n";
}

void write_constant_script(const std::filesystem::path& path, std::size_t bytes) {
    std::ofstream out(path);
    out << lua_header() << "wrk.path = \"/constant?bytes=" << bytes << "\"\n";
}

void print_row(const char* label, const WrkResult& result) {
    std::printf("  %-28s %10.0f req/s   p50 %7.2f ms   p99 %7.2f ms   errors %lld\n", label,
                result.requests_per_second, result.p50_ms, result.p99_ms, result.errors);
}

struct Programs {
    std::string wrk;
    std::string catalog;
    std::string scaffold;
};

int run_backend(const Programs& programs, const Options& options, const std::string& backend,
                const WrkResult& baseline, std::size_t baseline_bytes) {
    fixtures::TempDir dir;
    std::unique_ptr<fixtures::RedisServer> redis;
    std::string storage_url = "sqlite://" + (dir / "catalog.db").string();
    if (backend == "redis") {
        redis = std::make_unique<fixtures::RedisServer>(dir / "redis");
        storage_url = redis->url();
    }
    const auto loaded = load_records(storage_url, options);
    if (!loaded.error.empty()) {
        std::fprintf(stderr, "loading records failed: %s\n", loaded.error.c_str());
        return 1;
    }
    std::printf("== %s: %zu records loaded in %.1f s (%.0f creates/s, %d threads)\n",
                backend.c_str(), loaded.ids.size(), loaded.seconds,
                static_cast<double>(loaded.ids.size()) / loaded.seconds, options.loaders);
    Service service(programs.catalog, dir.path() / "service",
                    "storage:\n  url: " + storage_url + "\nhealth:\n  interval_s: 0\n");
    const auto record_bytes = service.body_size("/container_registry/" + loaded.ids.front());
    write_get_script(dir / "get.lua", loaded.ids);
    write_tag_script(dir / "tags.lua");
    const auto get = run_wrk(programs.wrk, options, service.port(), dir / "get.lua");
    const auto tags = run_wrk(programs.wrk, options, service.port(), dir / "tags.lua");
    for (const auto* result : {&get, &tags}) {
        if (!result->error.empty()) {
            std::fprintf(stderr, "%s\n", result->error.c_str());
            return 1;
        }
    }
    print_row("GET /container_registry/id", get);
    print_row("tag query (N/1000 matches)", tags);
    const double ratio = get.requests_per_second / baseline.requests_per_second;
    std::printf("  record body %zu bytes (baseline body %zu bytes)\n", record_bytes,
                baseline_bytes);
    std::printf("  GET-by-id / constant-body ratio %.2f (target >= %.1f): %s\n", ratio,
                kTargetRatio, ratio >= kTargetRatio ? "PASS" : "MISS");
    std::printf("  tag query p99 %.2f ms (target < %.0f ms): %s\n", tags.p99_ms, kTargetTagP99Ms,
                tags.p99_ms < kTargetTagP99Ms ? "PASS" : "MISS");
    return (get.errors == 0 && tags.errors == 0) ? 0 : 1;
}

int run(const Programs& programs, const Options& options) {
    std::printf("records %d, wrk: %d threads, %d connections, %d s per run\n", options.records,
                options.wrk_threads, options.connections, options.duration_s);
    // The baseline body has the size of one record as the catalog serves it (same generator).
    fixtures::TempDir dir;
    std::size_t record_bytes = 0;
    {
        fixtures::TempDir probe_dir;
        Options one = options;
        one.records = 1;
        one.loaders = 1;
        const auto url = "sqlite://" + (probe_dir / "probe.db").string();
        const auto probe = load_records(url, one);
        if (!probe.error.empty()) {
            std::fprintf(stderr, "probe record failed: %s\n", probe.error.c_str());
            return 1;
        }
        Service service(programs.catalog, probe_dir.path() / "service",
                        "storage:\n  url: " + url + "\nhealth:\n  interval_s: 0\n");
        record_bytes = service.body_size("/container_registry/" + probe.ids.front());
    }
    Service scaffold(programs.scaffold, dir.path() / "scaffold", "");
    write_constant_script(dir / "constant.lua", record_bytes);
    const auto baseline = run_wrk(programs.wrk, options, scaffold.port(), dir / "constant.lua");
    if (!baseline.error.empty()) {
        std::fprintf(stderr, "%s\n", baseline.error.c_str());
        return 1;
    }
    std::printf("== baseline: scaffold GET /constant (%zu-byte JSON)\n", record_bytes);
    print_row("GET /constant", baseline);
    int status = 0;
    for (const auto& backend : options.backends) {
        status = std::max(status, run_backend(programs, options, backend, baseline, record_bytes));
    }
    return status;
}

}  // namespace
}  // namespace aiops::bench

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress shows up when piped to a file
    const auto options = aiops::bench::parse_options(argc, argv);
    if (!options) {
        std::fprintf(stderr,
                     "usage: %s [--records N] [--duration S] [--connections N] [--wrk-threads N] "
                     "[--loaders N] [--backends sqlite,redis]\n",
                     argv[0]);
        return 2;
    }
    const aiops::bench::Programs programs{aiops::testing::find_program("wrk"), AIOPS_CATALOG_BINARY,
                                          AIOPS_SCAFFOLD_BINARY};
    if (programs.wrk.empty()) {
        std::fprintf(stderr, "wrk is not installed (apt-get install wrk)\n");
        return 2;
    }
    try {
        return aiops::bench::run(programs, *options);
    } catch (const std::exception& failure) {
        std::fprintf(stderr, "benchmark failed: %s\n", failure.what());
        return 1;
    }
}
