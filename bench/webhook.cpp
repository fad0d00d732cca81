// Benchmark (webhook-handler issue): sustained intake of Harbor webhooks with durable persistence,
// on SQLite and on Redis. Senders POST distinct PUSH_ARTIFACT events to /harbor over keep-alive
// connections for --duration seconds; every request's latency is recorded. A rule sends each
// event to a loopback receiver, which checks that every accepted event was processed (zero loss).
// Baseline measured in the same run with the same senders and payloads: the scaffold test service
// (same HTTP server, auth and workers) answering POST /echo (parse the JSON, answer it) — the
// HTTP layer's ceiling without persistence. Targets: ≥ 2,000 events/s and p99 < 50 ms.
//
//   bench_webhook [--duration S] [--senders N] [--backends sqlite,redis]
//
// Prints PASS/MISS per target; exits 0 when everything could be measured, 1 when a run failed,
// 2 when the machine cannot run it (redis-server missing).
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "fixtures/loopback_http_server.h"
#include "fixtures/process.h"
#include "fixtures/redis_server.h"
#include "fixtures/temp_dir.h"
#include "fixtures/webhook_process.h"

namespace {

using json = nlohmann::json;
namespace fixtures = aiops::testing;
using Clock = std::chrono::steady_clock;

constexpr double kTargetRate = 2000.0;
constexpr double kTargetP99Ms = 50.0;
constexpr const char* kToken = "bench-writer-token-0123456789";

struct Options {
    int duration_s = 10;
    int senders = 8;
    std::vector<std::string> backends{"sqlite", "redis"};
};

std::optional<Options> parse_options(int argc, char** argv) {
    Options options;
    for (int index = 1; index + 1 < argc; index += 2) {
        const std::string name = argv[index];
        const std::string value = argv[index + 1];
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
        int number = -1;
        try {
            number = std::stoi(value);
        } catch (const std::exception&) {
        }
        if (number <= 0) {
            return std::nullopt;
        }
        if (name == "--duration") {
            options.duration_s = number;
        } else if (name == "--senders") {
            options.senders = number;
        } else {
            return std::nullopt;
        }
    }
    return options;
}

json push_event(std::int64_t sequence) {
    const auto tag = "b" + std::to_string(sequence);
    return {{"type", "PUSH_ARTIFACT"},
            {"occur_at", 1'700'000'000 + sequence},
            {"operator", "robot$ci"},
            {"event_data",
             {{"resources",
               {{{"digest", "sha256:" + std::string(64, 'c')},
                 {"tag", tag},
                 {"resource_url", "harbor.local/ai/llama:" + tag}}}},
              {"repository",
               {{"name", "llama"}, {"namespace", "ai"}, {"repo_full_name", "ai/llama"}}}}}};
}

struct LoadResult {
    std::int64_t accepted = 0;
    std::int64_t failed = 0;
    double seconds = 0;
    double p50_ms = 0;
    double p99_ms = 0;
    double rate() const { return seconds > 0 ? static_cast<double>(accepted) / seconds : 0; }
};

// `senders` threads, each with one keep-alive connection, POST distinct events for `duration`.
LoadResult drive(int port, const std::string& path, const std::string& authorization,
                 const Options& options) {
    std::atomic<std::int64_t> sequence{0};
    std::atomic<std::int64_t> accepted{0};
    std::atomic<std::int64_t> failed{0};
    std::mutex mutex;
    std::vector<double> latencies;
    const auto start = Clock::now();
    const auto stop = start + std::chrono::seconds(options.duration_s);
    std::vector<std::thread> threads;
    for (int sender = 0; sender < options.senders; ++sender) {
        threads.emplace_back([&] {
            httplib::Client client("127.0.0.1", port);
            client.set_keep_alive(true);
            client.set_tcp_nodelay(true);  // header and body are two writes: no Nagle wait
            client.set_read_timeout(10, 0);
            std::vector<double> mine;
            const httplib::Headers headers{{"Authorization", authorization}};
            while (Clock::now() < stop) {
                const auto body = push_event(sequence.fetch_add(1)).dump();
                const auto sent = Clock::now();
                auto response = client.Post(path.c_str(), headers, body, "application/json");
                const auto took = std::chrono::duration<double, std::milli>(Clock::now() - sent);
                if (response && response->status == 200) {
                    ++accepted;
                    mine.push_back(took.count());
                } else {
                    ++failed;
                }
            }
            std::scoped_lock lock(mutex);
            latencies.insert(latencies.end(), mine.begin(), mine.end());
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    LoadResult result;
    result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    result.accepted = accepted.load();
    result.failed = failed.load();
    std::sort(latencies.begin(), latencies.end());
    if (!latencies.empty()) {
        result.p50_ms = latencies[latencies.size() / 2];
        result.p99_ms = latencies[std::min(latencies.size() - 1, latencies.size() * 99 / 100)];
    }
    return result;
}

// Counts the distinct events the handler's notify rule delivered.
class Receiver {
public:
    Receiver() {
        server_.server().Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
            const auto body = json::parse(req.body, nullptr, false);
            if (!body.is_discarded() && body.contains("event")) {
                std::scoped_lock lock(mutex_);
                seen_.insert(body["event"]["resources"][0]["tag"].get<std::string>());
            }
            res.status = 204;
        });
        server_.start();
    }
    std::string url() const { return server_.url("/hook"); }
    std::size_t distinct() {
        std::scoped_lock lock(mutex_);
        return seen_.size();
    }

private:
    fixtures::LoopbackHttpServer server_;
    std::mutex mutex_;
    std::set<std::string> seen_;
};

struct Programs {
    std::string handler;
    std::string scaffold;
};

void print(const char* what, const LoadResult& result) {
    std::printf(
        "   %-26s %8.0f events/s  p50 %6.2f ms  p99 %6.2f ms  (%lld accepted, %lld failed)\n", what,
        result.rate(), result.p50_ms, result.p99_ms, static_cast<long long>(result.accepted),
        static_cast<long long>(result.failed));
}

int run(const Options& options, const Programs& programs) {
    fixtures::TempDir dir;
    // Baseline: the scaffold's POST /echo, same senders, same payloads.
    const int scaffold_port = fixtures::free_port();
    fixtures::write_file(dir / "scaffold.yaml",
                         "server:\n  listen: 127.0.0.1:" + std::to_string(scaffold_port) +
                             "\nlog:\n  level: warn\nauth:\n  tokens:\n"
                             "    - {name: bench, role: writer, token: " +
                             kToken + "}\n");
    LoadResult baseline;
    {
        fixtures::Process scaffold(
            {programs.scaffold, "--config", (dir / "scaffold.yaml").string()},
            dir / "scaffold.log");
        if (!fixtures::wait_for_port(scaffold_port, std::chrono::seconds(30))) {
            std::fprintf(stderr, "scaffold did not start: %s\n", scaffold.log().c_str());
            return 1;
        }
        baseline = drive(scaffold_port, "/echo", std::string("Bearer ") + kToken, options);
    }
    std::printf("== baseline: scaffold POST /echo (no persistence), %d senders, %d s\n",
                options.senders, options.duration_s);
    print("scaffold /echo", baseline);

    int status = 0;
    for (const auto& backend : options.backends) {
        std::unique_ptr<fixtures::RedisServer> redis;
        std::string storage;
        if (backend == "redis") {
            if (std::system("command -v redis-server >/dev/null 2>&1") != 0) {
                std::printf("   redis: redis-server missing, skipped\n");
                status = status == 0 ? 2 : status;
                continue;
            }
            redis = std::make_unique<fixtures::RedisServer>(dir / "redis");
            storage = "storage:\n  url: " + redis->url() + "\n";
        }
        Receiver receiver;
        fixtures::WebhookProcess handler(
            programs.handler,
            "rules:\n  - name: all\n    when: {source: harbor}\n    do: [{action: notify, url: \"" +
                receiver.url() + "\"}]\n",
            storage + "log:\n  level: warn\n");  // default workers (4)
        handler.start();
        const auto started = Clock::now();
        const auto result =
            drive(handler.port(), "/harbor", fixtures::WebhookProcess::kHarborAuth, options);
        // Zero loss: every accepted event reaches the receiver.
        const auto deadline = Clock::now() + std::chrono::seconds(300);
        while (receiver.distinct() < static_cast<std::size_t>(result.accepted) &&
               Clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        const double drained = std::chrono::duration<double>(Clock::now() - started).count();
        std::printf("== webhook-handler POST /harbor, durable queue on %s\n", backend.c_str());
        print(backend.c_str(), result);
        std::printf(
            "   all processed %.1f s after the first event (%.0f events/s end to end, "
            "rule: notify a loopback receiver)\n",
            drained, static_cast<double>(receiver.distinct()) / drained);
        std::printf("   processed %zu of %lld accepted events: %s\n", receiver.distinct(),
                    static_cast<long long>(result.accepted),
                    receiver.distinct() == static_cast<std::size_t>(result.accepted) ? "zero loss"
                                                                                     : "LOSS");
        std::printf("   intake ÷ baseline: %.2f\n",
                    baseline.rate() > 0 ? result.rate() / baseline.rate() : 0.0);
        std::printf("   target ≥ %.0f events/s: %s; p99 < %.0f ms: %s\n", kTargetRate,
                    result.rate() >= kTargetRate ? "PASS" : "MISS", kTargetP99Ms,
                    result.p99_ms < kTargetP99Ms ? "PASS" : "MISS");
        if (receiver.distinct() != static_cast<std::size_t>(result.accepted) ||
            result.accepted == 0) {
            status = 1;
        }
    }
    return status;
}

}  // namespace

int main(int argc, char** argv) {
    const auto options = parse_options(argc, argv);
    if (!options) {
        std::fprintf(
            stderr,
            "usage: bench_webhook [--duration S] [--senders N] [--backends sqlite,redis]\n");
        return 2;
    }
    try {
        return run(*options, {AIOPS_WEBHOOK_BINARY, AIOPS_SCAFFOLD_BINARY});
    } catch (const std::exception& error) {
        std::fprintf(stderr, "bench_webhook: %s\n", error.what());
        return 1;
    }
}
