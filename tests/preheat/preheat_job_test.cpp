#define BOOST_TEST_MODULE preheat_job
#include "preheat_job.h"

#include <boost/test/unit_test.hpp>

// What Harbor's Dragonfly driver parses from GET /oapi/v1/jobs/{id} (numeric id, state only
// PENDING/SUCCESS/FAILURE, result.job_states[].results[] per pool) and the legacy
// GET /preheats/{id} (shared/reference/harbor-preheat-webhook-replication.md §1.3).
namespace {

using aiops::preheat::BlobJob;
using aiops::preheat::dragonfly_view;
using aiops::preheat::from_stored;
using aiops::preheat::legacy_view;
using aiops::preheat::NodeTask;
using aiops::preheat::PreheatJob;
using aiops::preheat::Scope;
using aiops::preheat::TaskState;
using aiops::preheat::to_stored;
using nlohmann::json;

const std::string kRegistry = "https://harbor.example.com";

PreheatJob job_with(const std::vector<TaskState>& states) {
    PreheatJob job;
    job.id = 42;
    job.created_at = "2026-12-05T10:00:00Z";
    job.updated_at = "2026-12-05T10:00:05Z";
    job.request.url = kRegistry + "/v2/ai/llama/manifests/v1";
    job.request.manifest = aiops::preheat::parse_manifest_url(job.request.url).value();
    job.request.authorization = "Bearer jwt";
    job.request.scope = Scope::kAllPeers;
    job.request.pools = std::vector<std::int64_t>{1, 2};
    BlobJob blob{"sha256:" + std::string(64, 'a'),
                 1024,
                 kRegistry + "/v2/ai/llama/blobs/sha256:" + std::string(64, 'a'),
                 {}};
    for (std::size_t index = 0; index < states.size(); ++index) {
        const auto name = "gpu-" + std::to_string(index);
        blob.tasks.push_back(
            {name, name + ".lan", "10.0.3." + std::to_string(index),
             static_cast<std::int64_t>(1 + index % 2), states[index],
             states[index] == TaskState::kFailed ? "digest mismatch from peer" : ""});
    }
    job.blobs.push_back(blob);
    return job;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_planned_job_is_pending_with_a_null_result_and_a_numeric_id) {
    const auto job = job_with({TaskState::kPending, TaskState::kPending});

    const auto view = dragonfly_view(job);

    BOOST_TEST(view["id"].is_number_integer());
    BOOST_TEST(view["id"] == 42);
    BOOST_TEST(view["state"] == "PENDING");
    BOOST_TEST(view["result"].is_null());
    BOOST_TEST(view["created_at"] == "2026-12-05T10:00:00Z");
    BOOST_TEST(legacy_view(job)["Status"] == "WAITING");
    BOOST_TEST(legacy_view(job)["ID"] == "42");
}

BOOST_AUTO_TEST_CASE(a_job_with_nothing_to_do_is_a_failure_not_pending_forever) {
    PreheatJob job;
    job.id = 7;

    BOOST_TEST(dragonfly_view(job)["state"] == "FAILURE");
    BOOST_TEST(legacy_view(job)["errorMsg"] == "nothing to preheat");
}

BOOST_AUTO_TEST_CASE(tasks_decide_the_state_and_failed_nodes_are_listed_per_pool) {
    using enum TaskState;
    const auto running = dragonfly_view(job_with({kSucceeded, kRunning, kPending}));
    const auto partial = dragonfly_view(job_with({kSucceeded, kFailed, kSucceeded}));
    const auto all_failed = dragonfly_view(job_with({kFailed, kFailed}));

    BOOST_TEST(running["state"] == "PENDING");
    BOOST_TEST(partial["state"] == "SUCCESS");
    BOOST_TEST(all_failed["state"] == "FAILURE");
    const auto& results = partial["result"]["job_states"][0]["results"];
    BOOST_TEST_REQUIRE(results.size() == 2U);  // pools 1 and 2
    BOOST_TEST(results[0]["scheduler_cluster_id"] == 1);
    BOOST_TEST(results[0]["success_tasks"].size() == 2U);  // gpu-0 and gpu-2
    BOOST_TEST(results[0]["failure_tasks"].empty());
    BOOST_TEST(results[1]["scheduler_cluster_id"] == 2);
    const auto& failure = results[1]["failure_tasks"][0];
    BOOST_TEST(failure["hostname"] == "gpu-1.lan");
    BOOST_TEST(failure["ip"] == "10.0.3.1");
    BOOST_TEST(failure["description"] == "digest mismatch from peer");
    BOOST_TEST(failure["url"].get<std::string>().find("/blobs/sha256:") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_job_level_error_is_a_failure_with_the_error_text) {
    auto job = job_with({TaskState::kPending});
    job.error = "manifest GET: 401 (token expired)";

    const auto view = dragonfly_view(job);

    BOOST_TEST(view["state"] == "FAILURE");
    BOOST_TEST(view["result"]["job_states"][0]["error"] == job.error);
    BOOST_TEST(legacy_view(job)["Status"] == "FAILED");
    BOOST_TEST(legacy_view(job)["errorMsg"] == job.error);
}

BOOST_AUTO_TEST_CASE(legacy_status_follows_the_tasks) {
    using enum TaskState;
    BOOST_TEST(legacy_view(job_with({kRunning}))["Status"] == "RUNNING");
    BOOST_TEST(legacy_view(job_with({kSucceeded}))["Status"] == "SUCCESS");
    BOOST_TEST(legacy_view(job_with({kFailed}))["errorMsg"] == "every node failed");
}

BOOST_AUTO_TEST_CASE(stored_jobs_round_trip_and_malformed_ones_are_errors) {
    const auto job = job_with({TaskState::kSucceeded, TaskState::kFailed});

    auto back = from_stored(to_stored(job));

    BOOST_TEST_REQUIRE(back.has_value());
    BOOST_TEST(to_stored(*back) == to_stored(job));
    BOOST_TEST(back->request.authorization == "Bearer jwt");
    BOOST_TEST(!from_stored(json::object()).has_value());
    auto bad_state = to_stored(job);
    bad_state["blobs"][0]["tasks"][0]["state"] = "exploded";
    BOOST_TEST(!from_stored(bad_state).has_value());
    BOOST_TEST(!from_stored(json::array()).has_value());
}
