#define BOOST_TEST_MODULE preheat_scheduler
#include "scheduler.h"

#include <boost/test/unit_test.hpp>

// The agent protocol's decisions over a stored job (pure): who gets which blob from where, what a
// failure report changes, and what the sweeper does with lost or restarted agents and deadlines.
namespace {

using aiops::preheat::AgentRecord;
using aiops::preheat::Agents;
using aiops::preheat::apply_progress;
using aiops::preheat::BlobJob;
using aiops::preheat::NodeTask;
using aiops::preheat::parse_heartbeat;
using aiops::preheat::parse_progress;
using aiops::preheat::PreheatJob;
using aiops::preheat::Progress;
using aiops::preheat::SchedulerSettings;
using aiops::preheat::sweep;
using aiops::preheat::take_assignments;
using aiops::preheat::TaskState;
using json = nlohmann::json;

constexpr std::int64_t kNow = 1'000'000;
const std::string kDigest = "sha256:" + std::string(64, 'a');

Agents agents(std::initializer_list<const char*> names) {
    Agents out;
    for (const char* name : names) {
        AgentRecord agent;
        agent.name = name;
        agent.hostname = std::string(name) + ".example";
        agent.ip = "10.0.0.1";
        agent.peer_url = std::string("http://") + name + ":8090";
        agent.boot_id = std::string("boot-") + name;
        agent.last_seen_ms = kNow;
        out.emplace(name, agent);
    }
    return out;
}

// One blob, tree a ← b ← c (a is the root, b's parent a, c's parent b).
PreheatJob chain_job() {
    PreheatJob job;
    job.id = 7;
    job.request.authorization = "Bearer harbor-jwt";
    BlobJob blob{kDigest, 100, "https://harbor/v2/ai/m/blobs/" + kDigest, {}};
    for (const auto& [node, parent] : {std::pair{"a", -1}, {"b", 0}, {"c", 1}}) {
        NodeTask task;
        task.node = node;
        task.parent = parent;
        blob.tasks.push_back(task);
    }
    job.blobs.push_back(blob);
    return job;
}

Progress report(const std::string& node, TaskState state) {
    Progress progress;
    progress.node = node;
    progress.boot_id = "boot-" + node;
    progress.job = 7;
    progress.digest = kDigest;
    progress.state = state;
    return progress;
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_root_gets_the_registry_and_children_wait_for_their_parent_to_start) {
    auto job = chain_job();
    const auto all = agents({"a", "b", "c"});
    const SchedulerSettings settings;

    BOOST_TEST(take_assignments(job, "b", all, kNow, settings).empty());  // a has not started
    const auto root = take_assignments(job, "a", all, kNow, settings);
    BOOST_TEST_REQUIRE(root.size() == 1U);
    BOOST_TEST(root[0].source == "registry");
    BOOST_TEST(root[0].authorization == "Bearer harbor-jwt");
    BOOST_TEST(root[0].url == job.blobs[0].url);
    BOOST_TEST(take_assignments(job, "a", all, kNow, settings).empty());  // handed out once

    const auto child = take_assignments(job, "b", all, kNow, settings);  // a is receiving
    BOOST_TEST_REQUIRE(child.size() == 1U);
    BOOST_TEST(child[0].source == "a");
    BOOST_TEST(child[0].url == "http://a:8090/blobs/" + kDigest);
    BOOST_TEST(child[0].authorization.empty());  // Harbor's token never goes to a peer
    BOOST_TEST(job.blobs[0].tasks[1].hostname == "b.example");
    BOOST_TEST(job.blobs[0].tasks[1].boot_id == "boot-b");
}

BOOST_AUTO_TEST_CASE(a_peer_that_failed_a_node_is_not_used_again_for_it) {
    auto job = chain_job();
    const auto all = agents({"a", "b", "c"});
    const SchedulerSettings settings;
    take_assignments(job, "a", all, kNow, settings);
    take_assignments(job, "b", all, kNow, settings);
    BOOST_TEST(apply_progress(job, report("a", TaskState::kSucceeded), kNow, settings));

    auto bad = report("b", TaskState::kFailed);
    bad.error = "digest mismatch";
    bad.source_failed = true;
    BOOST_TEST(apply_progress(job, bad, kNow, settings));
    const auto& task = job.blobs[0].tasks[1];
    BOOST_TEST((task.state == TaskState::kPending));
    BOOST_TEST(task.bad_sources == std::vector<std::string>{"a"});
    // a was b's only ancestor and nobody else holds it: the registry, as a last resort.
    const auto again = take_assignments(job, "b", all, kNow, settings);
    BOOST_TEST_REQUIRE(again.size() == 1U);
    BOOST_TEST(again[0].source == "registry");
    BOOST_TEST(job.blobs[0].tasks[1].attempts == 2);
}

BOOST_AUTO_TEST_CASE(attempts_are_bounded_and_the_last_error_is_what_harbor_sees) {
    auto job = chain_job();
    const auto all = agents({"a", "b", "c"});
    SchedulerSettings settings;
    settings.max_attempts = 2;
    for (int attempt = 0; attempt < 2; ++attempt) {
        BOOST_TEST(take_assignments(job, "a", all, kNow, settings).size() == 1U);
        auto failed = report("a", TaskState::kFailed);
        failed.error = "registry answered 503";
        failed.retryable = true;
        BOOST_TEST(apply_progress(job, failed, kNow, settings));
    }
    const auto& task = job.blobs[0].tasks[0];
    BOOST_TEST((task.state == TaskState::kFailed));
    BOOST_TEST(task.error == "registry answered 503 (after 2 attempts)");
    BOOST_TEST(!apply_progress(job, report("a", TaskState::kSucceeded), kNow, settings));  // stale
}

BOOST_AUTO_TEST_CASE(a_rejected_credential_fails_the_whole_job_at_once) {
    auto job = chain_job();
    const auto all = agents({"a", "b", "c"});
    const SchedulerSettings settings;
    take_assignments(job, "a", all, kNow, settings);
    auto refused = report("a", TaskState::kFailed);
    refused.error = "the registry refused the job's pull credential (401)";
    refused.credential_rejected = true;
    BOOST_TEST(apply_progress(job, refused, kNow, settings));
    for (const auto& task : job.blobs[0].tasks) {
        BOOST_TEST((task.state == TaskState::kFailed));
        BOOST_TEST(task.error.find("401") != std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(reports_from_another_agent_process_are_ignored) {
    auto job = chain_job();
    const auto all = agents({"a", "b", "c"});
    const SchedulerSettings settings;
    take_assignments(job, "a", all, kNow, settings);
    auto old_process = report("a", TaskState::kSucceeded);
    old_process.boot_id = "boot-before-restart";
    BOOST_TEST(!apply_progress(job, old_process, kNow, settings));
    BOOST_TEST((job.blobs[0].tasks[0].state == TaskState::kRunning));
}

BOOST_AUTO_TEST_CASE(the_sweeper_fails_lost_agents_requeues_restarted_ones_and_keeps_deadlines) {
    auto job = chain_job();
    auto all = agents({"a", "b", "c"});
    SchedulerSettings settings;
    settings.agent_ttl = std::chrono::milliseconds(1000);
    take_assignments(job, "a", all, kNow, settings);
    take_assignments(job, "b", all, kNow, settings);
    BOOST_TEST(!sweep(job, all, kNow, settings));

    all.at("a").boot_id = "boot-a-2";  // a restarted: its attempt is lost, not the task
    all.at("c").last_seen_ms = kNow - 5000;
    BOOST_TEST(sweep(job, all, kNow, settings));
    BOOST_TEST((job.blobs[0].tasks[0].state == TaskState::kPending));
    BOOST_TEST(job.blobs[0].tasks[0].error.find("restarted") != std::string::npos);
    BOOST_TEST((job.blobs[0].tasks[2].state == TaskState::kFailed));
    BOOST_TEST(job.blobs[0].tasks[2].error == "agent c lost: no heartbeat for 5 s");
    // A lost agent gets nothing; a live one whose parent restarted waits for it again.
    BOOST_TEST(take_assignments(job, "c", all, kNow, settings).empty());

    // An attempt nobody renews (its assignment was lost with a provider crash) is handed out again.
    auto leased = chain_job();
    auto patient = settings;
    patient.agent_ttl = std::chrono::hours(1);
    take_assignments(leased, "a", all, kNow, patient);
    BOOST_TEST(!sweep(leased, all, kNow + 59'000, patient));
    auto renewed = report("a", TaskState::kRunning);
    renewed.boot_id = "boot-a-2";
    BOOST_TEST(apply_progress(leased, renewed, kNow + 59'000, patient));
    BOOST_TEST(!sweep(leased, all, kNow + 61'000, patient));  // renewed
    BOOST_TEST(sweep(leased, all, kNow + 120'000, patient));
    BOOST_TEST((leased.blobs[0].tasks[0].state == TaskState::kPending));
    BOOST_TEST(leased.blobs[0].tasks[0].error == "no progress from agent a for 60 s");

    job.deadline_ms = kNow - 1;
    BOOST_TEST(sweep(job, all, kNow, settings));
    for (const auto& task : job.blobs[0].tasks) {
        BOOST_TEST((task.state == TaskState::kFailed));
    }
    BOOST_TEST(!sweep(job, all, kNow, settings));
}

BOOST_AUTO_TEST_CASE(heartbeats_and_progress_reports_are_validated) {
    const json good{{"name", "gpu-07"},      {"hostname", "gpu-07.dc1"},
                    {"ip", "10.0.3.7"},      {"peer_url", "http://10.0.3.7:8090/"},
                    {"boot_id", "0123abcd"}, {"labels", {{"pool", "h100"}}},
                    {"free_bytes", 1000}};
    auto agent = parse_heartbeat(good);
    BOOST_TEST_REQUIRE(agent.has_value());
    BOOST_TEST(agent->peer_url == "http://10.0.3.7:8090");
    BOOST_TEST(agent->labels.at("pool") == "h100");
    for (const auto& [field, value] :
         std::vector<std::pair<std::string, json>>{{"name", "../x"},
                                                   {"name", ""},
                                                   {"peer_url", "file:///etc/passwd"},
                                                   {"boot_id", json::array()},
                                                   {"labels", {{"pool", 3}}},
                                                   {"free_bytes", -1},
                                                   {"hostname", std::string("a\nb")}}) {
        auto bad = good;
        bad[field] = value;
        BOOST_TEST(!parse_heartbeat(bad).has_value(), field << "=" << value.dump());
    }
    BOOST_TEST(!parse_heartbeat(json::array()).has_value());

    const json progress{{"node", "gpu-07"},     {"boot_id", "0123abcd"}, {"job", 3},
                        {"digest", kDigest},    {"state", "failed"},     {"error", "boom"},
                        {"source_failed", true}};
    auto parsed = parse_progress(progress);
    BOOST_TEST_REQUIRE(parsed.has_value());
    BOOST_TEST(parsed->source_failed);
    BOOST_TEST(!parsed->retryable);
    for (const auto& [field, value] : std::vector<std::pair<std::string, json>>{
             {"state", "done"}, {"job", 0}, {"job", "3"}, {"digest", ""}, {"node", nullptr}}) {
        auto bad = progress;
        bad[field] = value;
        BOOST_TEST(!parse_progress(bad).has_value(), field << "=" << value.dump());
    }
}
