#define BOOST_TEST_MODULE preheat_job_store
#include "job_store.h"

#include <boost/test/unit_test.hpp>
#include <set>
#include <thread>

#include "aiops/common/metrics.h"
#include "aiops/common/retention.h"
#include "fixtures/fake_clock.h"
#include "fixtures/temp_dir.h"

// Jobs on a real SQLite store: numeric ids unique under concurrent creates (two handles on one
// database, like two provider replicas), no lost progress update, restart keeps everything.
namespace {

namespace common = aiops::common;
using aiops::preheat::JobStore;
using aiops::preheat::NodeTask;
using aiops::preheat::PreheatJob;
using aiops::preheat::TaskState;

struct Stores {
    aiops::testing::TempDir dir;
    aiops::testing::FakeClock clock;
    common::StorageSettings settings{.url = "sqlite://" + (dir.path() / "preheat.db").string()};

    std::unique_ptr<common::Store> open() {
        auto opened = common::open_store(settings, clock);
        BOOST_REQUIRE_MESSAGE(opened.has_value(), (opened ? "" : opened.error().message));
        return std::move(opened).value();
    }
};

PreheatJob sample_job(int nodes) {
    PreheatJob job;
    job.request.url = "https://harbor.example.com/v2/ai/llama/manifests/v1";
    job.request.manifest = aiops::preheat::parse_manifest_url(job.request.url).value();
    job.blobs.push_back({"sha256:" + std::string(64, 'b'), 10, job.request.url, {}});
    for (int index = 0; index < nodes; ++index) {
        job.blobs[0].tasks.push_back(NodeTask{.node = "gpu-" + std::to_string(index)});
    }
    return job;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(job_store, Stores)

BOOST_AUTO_TEST_CASE(ids_are_unique_across_concurrent_creators_and_replicas) {
    auto first = open();
    auto second = open();
    JobStore replica_a(*first, clock);
    JobStore replica_b(*second, clock);
    std::mutex mutex;
    std::set<std::int64_t> ids;
    std::vector<std::thread> threads;
    for (int thread = 0; thread < 6; ++thread) {
        threads.emplace_back([&, thread] {
            auto& jobs = thread % 2 == 0 ? replica_a : replica_b;
            for (int count = 0; count < 20; ++count) {
                auto created = jobs.create(sample_job(1));
                std::scoped_lock lock(mutex);
                BOOST_TEST(created.has_value());
                if (created) {
                    ids.insert(created->id);
                }
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }

    BOOST_TEST(ids.size() == 120U);
    BOOST_TEST(*ids.begin() >= 1);
}

BOOST_AUTO_TEST_CASE(concurrent_progress_updates_are_all_kept_and_the_finish_time_is_set) {
    auto store = open();
    JobStore jobs(*store, clock);
    const auto job = jobs.create(sample_job(8)).value();
    BOOST_TEST(job.finished_at.empty());

    std::vector<std::thread> agents;
    for (int node = 0; node < 8; ++node) {
        agents.emplace_back([&, node] {
            auto updated = jobs.update(job.id, [node](PreheatJob& current) -> common::Status {
                current.blobs[0].tasks[static_cast<std::size_t>(node)].state =
                    TaskState::kSucceeded;
                return {};
            });
            BOOST_TEST(updated.has_value());
        });
    }
    for (auto& agent : agents) {
        agent.join();
    }

    const auto done = jobs.get(job.id).value();
    for (const auto& task : done.blobs[0].tasks) {
        BOOST_TEST((task.state == TaskState::kSucceeded), task.node);
    }
    BOOST_TEST(!done.finished_at.empty());
}

BOOST_AUTO_TEST_CASE(jobs_survive_a_reopen_and_unknown_ids_are_not_found) {
    std::int64_t id = 0;
    {
        auto store = open();
        JobStore jobs(*store, clock);
        auto job = sample_job(2);
        job.request.authorization = "Bearer harbor-jwt";
        id = jobs.create(job).value().id;
    }
    auto store = open();
    JobStore jobs(*store, clock);

    auto again = jobs.get(id);
    auto missing = jobs.get(id + 100);
    auto refused = jobs.update(id, [](PreheatJob&) -> common::Status {
        return common::Error{common::ErrorCode::kConflict, "already final"};
    });

    BOOST_TEST_REQUIRE(again.has_value());
    BOOST_TEST(again->request.authorization == "Bearer harbor-jwt");
    BOOST_TEST(again->blobs[0].tasks.size() == 2U);
    BOOST_TEST((missing.error().code == common::ErrorCode::kNotFound));
    BOOST_TEST((refused.error().code == common::ErrorCode::kConflict));
}

BOOST_AUTO_TEST_CASE(finished_jobs_expire_after_retention_keep_and_pending_ones_stay) {
    using namespace std::chrono_literals;
    auto store = open();
    common::Metrics metrics;
    common::Retention retention(*store, clock, metrics, {.keep = 24h}, JobStore::retention_rules());
    JobStore jobs(*store, clock, &retention);
    const auto pending = jobs.create(sample_job(1)).value();
    const auto finished = jobs.create(sample_job(1)).value();
    BOOST_TEST_REQUIRE(jobs.update(finished.id,
                                   [](PreheatJob& current) -> common::Status {
                                       current.blobs[0].tasks[0].state = TaskState::kSucceeded;
                                       return {};
                                   })
                           .has_value());

    clock.advance(23h);
    BOOST_TEST(retention.sweep_once().value().erased == 0U);
    clock.advance(1h);
    BOOST_TEST(retention.sweep_once().value().erased == 1U);

    BOOST_TEST((jobs.get(finished.id).error().code == common::ErrorCode::kNotFound));
    BOOST_TEST(jobs.get(pending.id).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
