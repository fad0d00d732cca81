#define BOOST_TEST_MODULE storage_durability
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <set>
#include <sstream>
#include <thread>

#include "aiops/common/storage.h"
#include "fixtures/fake_clock.h"
#include "fixtures/process.h"
#include "fixtures/redis_server.h"
#include "fixtures/temp_dir.h"

// kill -9 durability: tests/fixtures/storage_writer puts a document and enqueues a job per step
// and prints "acked <n>" once both calls returned success. We SIGKILL it (and, for Redis, the
// server) mid-stream, reopen, and require every acknowledged write and job to be there.
namespace {

using namespace std::chrono_literals;
using aiops::common::StorageSettings;
using aiops::testing::Process;

constexpr int kAcksBeforeKill = 150;

// Highest n of a complete "acked <n>" line in the writer's log, or -1.
int last_acked(const std::string& log) {
    int last = -1;
    std::istringstream lines(log.substr(0, log.rfind('\n') + 1));
    std::string word;
    int number = 0;
    while (lines >> word >> number) {
        if (word == "acked") {
            last = number;
        }
    }
    return last;
}

// Polls the writer's log until it acknowledged `count` steps (or 60 s pass).
int wait_for_acks(const Process& writer, int count) {
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    int acked = last_acked(writer.log());
    while (acked + 1 < count && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(10ms);
        acked = last_acked(writer.log());
    }
    return acked;
}

// Every document 0..last and every job 0..last must be in the store.
void require_acked_writes(const StorageSettings& settings, int last) {
    const aiops::common::SystemClock clock;  // the writer stamped jobs with real time
    auto store = aiops::common::open_store(settings, clock);
    BOOST_REQUIRE(store.has_value());
    int missing_documents = 0;
    for (int n = 0; n <= last; ++n) {
        auto document = (*store)->get("kill9", "doc-" + std::to_string(n));
        if (!document || document->body != nlohmann::json({{"n", n}})) {
            ++missing_documents;
        }
    }
    std::set<int> jobs;
    for (;;) {
        auto job = (*store)->lease("kill9", 1h);
        BOOST_REQUIRE(job.has_value());
        if (!job->has_value()) {
            break;
        }
        jobs.insert((*job)->payload["n"].get<int>());
    }
    int missing_jobs = 0;
    for (int n = 0; n <= last; ++n) {
        missing_jobs += jobs.count(n) == 0 ? 1 : 0;
    }
    BOOST_TEST(missing_documents == 0);
    BOOST_TEST(missing_jobs == 0);
}

BOOST_AUTO_TEST_SUITE(storage_durability)

BOOST_AUTO_TEST_CASE(sqlite_keeps_every_acked_write_after_kill9_of_the_writer) {
    aiops::testing::TempDir dir;
    const StorageSettings settings{.url = "sqlite://" + (dir / "store.db").string()};
    Process writer({AIOPS_STORAGE_WRITER, settings.url}, dir / "writer.log");
    const int acked = wait_for_acks(writer, kAcksBeforeKill);
    BOOST_REQUIRE_MESSAGE(acked + 1 >= kAcksBeforeKill, writer.log());

    writer.kill9();

    const int last = last_acked(writer.log());
    BOOST_TEST(last >= acked);
    require_acked_writes(settings, last);
}

BOOST_AUTO_TEST_CASE(redis_keeps_every_acked_write_after_kill9_of_writer_and_server) {
    aiops::testing::TempDir dir;
    aiops::testing::RedisServer server(dir / "redis", "durability-pw");
    const StorageSettings settings{.url = server.url(), .password = server.password()};
    aiops::testing::FakeClock clock;
    auto survivor = aiops::common::open_store(settings, clock);  // open across the crash
    BOOST_REQUIRE(survivor.has_value());
    Process writer({AIOPS_STORAGE_WRITER, settings.url, settings.password}, dir / "writer.log");
    const int acked = wait_for_acks(writer, kAcksBeforeKill);
    BOOST_REQUIRE_MESSAGE(acked + 1 >= kAcksBeforeKill, writer.log());

    server.kill9();  // mid-stream: the writer fails on its next call
    writer.kill9();
    server.restart();

    const int last = last_acked(writer.log());
    BOOST_TEST(last >= acked);
    require_acked_writes(settings, last);
    BOOST_TEST((*survivor)->get("kill9", "doc-0").has_value());  // reconnects after the restart
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
