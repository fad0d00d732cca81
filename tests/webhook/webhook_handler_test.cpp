#define BOOST_TEST_MODULE webhook_handler
#include <httplib.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "aiops/common/clock.h"
#include "aiops/common/metrics.h"
#include "aiops/common/retention.h"
#include "aiops/common/storage.h"
#include "fixtures/fake_clock.h"
#include "fixtures/loopback_http_server.h"
#include "fixtures/process.h"
#include "fixtures/redis_server.h"
#include "fixtures/temp_dir.h"
#include "fixtures/webhook_process.h"
#include "handler.h"

// The webhook-handler binary end to end: deliveries as Harbor's jobservice makes them
// (shared/reference/harbor-preheat-webhook-replication.md §3.4: POST with the configured
// Authorization verbatim, up to 3 deliveries, no order) and as devpi-jenkins' upload trigger
// makes them (devpi-api.md §8a: multipart Submit/name/json/file0 to /…/{pkgname}/{pkgversion});
// rules' notify actions land on a loopback receiver that can be made to fail.
namespace {

namespace common = aiops::common;
namespace fixtures = aiops::testing;
using json = nlohmann::json;

constexpr const char* kHarborAuth = fixtures::WebhookProcess::kHarborAuth;
constexpr const char* kHarborAuthNext = fixtures::WebhookProcess::kHarborAuthNext;
constexpr const char* kHookToken = fixtures::WebhookProcess::kHookToken;
constexpr const char* kReaderToken = fixtures::WebhookProcess::kReaderToken;
constexpr const char* kWriterToken = fixtures::WebhookProcess::kWriterToken;
// Kill -9 tests: events the killed handler had leased come back after 5 s, not the fixture's 15.
const std::string kKillLease = "queue:\n  visibility_ms: 5000\n";

// Records notify deliveries; answers 503 while failing.
class Receiver {
public:
    Receiver() {
        server_.server().Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
            if (fail_left_.load() != 0) {
                if (fail_left_ > 0) {
                    --fail_left_;
                }
                ++refused_;
                res.status = 503;
                return;
            }
            const auto body = json::parse(req.body);
            std::scoped_lock lock(mutex_);
            deliveries_.push_back(body.at("event"));
            res.status = 204;
        });
        server_.start();
    }
    std::string url() const { return server_.url("/hook"); }
    void fail(int times) { fail_left_ = times; }  // -1 = until told otherwise
    int refused() const { return refused_.load(); }
    std::vector<json> deliveries() {
        std::scoped_lock lock(mutex_);
        return deliveries_;
    }
    bool wait_for(std::size_t count, std::chrono::seconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            if (deliveries().size() >= count) {
                return true;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return false;
    }

private:
    fixtures::LoopbackHttpServer server_;
    std::atomic<int> fail_left_{0};
    std::atomic<int> refused_{0};
    std::mutex mutex_;
    std::vector<json> deliveries_;
};

std::string notify_rules(const std::string& hook_url) {
    return "rules:\n"
           "  - name: tell-chat\n"
           "    when: {source: harbor, events: [PUSH_ARTIFACT], project: \"ai\"}\n"
           "    do: [{action: notify, url: \"" +
           hook_url +
           "\"}]\n"
           "  - name: wheels\n"
           "    when: {source: devpi, index: \"ci/staging\"}\n"
           "    do: [{action: notify, url: \"" +
           hook_url + "\"}]\n";
}

class Handler : public fixtures::WebhookProcess {
public:
    explicit Handler(const std::string& hook_url, const std::string& extra = "")
        : WebhookProcess(AIOPS_WEBHOOK_BINARY, notify_rules(hook_url), extra) {
        start();
    }
};

json push(const std::string& tag, std::int64_t occur_at, const std::string& project = "ai") {
    return {
        {"type", "PUSH_ARTIFACT"},
        {"occur_at", occur_at},
        {"operator", "robot$ai+ci"},
        {"event_data",
         {{"resources",
           {{{"digest", "sha256:" + std::string(64, 'b')},
             {"tag", tag},
             {"resource_url", "harbor.example.com/" + project + "/llama:" + tag}}}},
          {"repository",
           {{"name", "llama"}, {"namespace", project}, {"repo_full_name", project + "/llama"}}}}}};
}

std::multiset<std::string> tags_of(const std::vector<json>& deliveries) {
    std::multiset<std::string> tags;
    for (const auto& event : deliveries) {
        tags.insert(event.at("resources")[0].at("tag").get<std::string>());
    }
    return tags;
}

}  // namespace

BOOST_AUTO_TEST_CASE(duplicate_and_out_of_order_deliveries_run_each_rule_once) {
    Receiver receiver;
    Handler handler(receiver.url());
    // Harbor delivers v2 before v1 and each up to 3 times; a push to another project matches no
    // rule.
    for (int round = 0; round < 3; ++round) {
        for (const auto& body : {push("v2", 200), push("v1", 100), push("x", 300, "other")}) {
            const auto response = handler.harbor(body);
            BOOST_TEST_REQUIRE(response);
            BOOST_TEST(response->status == 200);
            BOOST_TEST(json::parse(response->body).at("duplicate") == (round > 0));
        }
    }
    BOOST_TEST(receiver.wait_for(2, std::chrono::seconds(30)));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    BOOST_TEST((tags_of(receiver.deliveries()) == std::multiset<std::string>{"v1", "v2"}));
    // The ack comes after the result and its retention marker: an empty queue means both exist.
    const auto done = handler.get_until("/events?status=done", [](const json& page) {
        return page.at("events").size() >= 3U && page.at("ready") == 0 && page.at("leased") == 0 &&
               page.at("delayed") == 0;
    });
    BOOST_TEST(done.at("events").size() == 3U);  // processed, one without a matching rule

    // Every finished event is indexed for retention (retention.keep_days); its action steps are
    // not: they go with it. A sweep 40 days on with the handler's own rules erases all of it.
    fixtures::FakeClock clock;  // 2027-01-15, after anything this run wrote
    auto store =
        common::open_store({.url = "sqlite://" + (handler.dir() / "aiops.db").string()}, clock);
    BOOST_TEST_REQUIRE(store.has_value());
    const auto markers = (*store)->scan(common::kRetentionIndex, "", 1000);
    BOOST_TEST_REQUIRE(markers.has_value());
    std::multiset<std::string> tracked;  // of "<time>|<collection>|<id, may hold |>"
    for (const auto& marker : markers->documents) {
        const auto first = marker.id.find('|');
        tracked.insert(marker.id.substr(first + 1, marker.id.find('|', first + 1) - first - 1));
    }
    BOOST_TEST(tracked.count("webhook_results") == 3U);
    BOOST_TEST(tracked.count("webhook_actions") == 0U);
    const auto count = [&](std::string_view collection) {
        const auto page = (*store)->scan(collection, "", 1000);
        return page ? page->documents.size() : std::size_t{999};
    };
    BOOST_TEST(count("webhook_actions") == 2U);  // one notify step each for v1 and v2

    common::Metrics metrics;
    clock.advance(std::chrono::hours(24 * 40));
    common::Retention retention(**store, clock, metrics, common::RetentionSettings{},
                                aiops::webhook::Handler::retention_rules());
    const auto swept = retention.sweep_once();
    BOOST_TEST_REQUIRE(swept.has_value());
    BOOST_TEST(swept->erased == 3U);
    BOOST_TEST(count("webhook_results") == 0U);
    BOOST_TEST(count("webhook_actions") == 0U);
    BOOST_TEST(count(common::kRetentionIndex) == 0U);
}

BOOST_AUTO_TEST_CASE(
    only_the_configured_authorization_values_are_accepted_and_bad_payloads_get_400) {
    Receiver receiver;
    Handler handler(receiver.url());
    BOOST_TEST(handler.harbor(push("v1", 1), "Bearer wrong")->status == 401);
    BOOST_TEST(handler.harbor(push("v1", 1), "")->status == 401);
    BOOST_TEST(handler.harbor(push("v1", 1), kHarborAuthNext)->status == 200);  // rotation
    auto bad = push("v1", 2);
    bad["type"] = "LAUNCH_MISSILES";
    const auto refused = handler.harbor(bad);
    BOOST_TEST(refused->status == 400);
    BOOST_TEST(json::parse(refused->body).at("error").at("code") == "invalid_input");
    BOOST_TEST(
        handler.client()
            .Post("/harbor", {{"Authorization", kHarborAuth}}, "{\"type\":", "application/json")
            ->status == 400);
    BOOST_TEST(receiver.wait_for(1, std::chrono::seconds(30)));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    BOOST_TEST(receiver.deliveries().size() == 1U);
}

BOOST_AUTO_TEST_CASE(cloudevents_are_deduplicated_by_their_id) {
    Receiver receiver;
    Handler handler(receiver.url());
    const json event{{"specversion", "1.0"},
                     {"id", "6f1c-uuid"},
                     {"source", "/projects/3/webhook/policies/7"},
                     {"type", "harbor.artifact.pushed"},
                     {"datacontenttype", "application/json"},
                     {"time", "2026-01-01T00:00:00Z"},
                     {"operator", "admin"},
                     {"data", push("ce", 0).at("event_data")}};
    for (int delivery = 0; delivery < 3; ++delivery) {
        BOOST_TEST(handler.harbor(event, kHarborAuth, "application/cloudevents+json")->status ==
                   200);
    }
    BOOST_TEST(receiver.wait_for(1, std::chrono::seconds(30)));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    BOOST_TEST(receiver.deliveries().size() == 1U);
    BOOST_TEST(receiver.deliveries()[0].at("occur_at") == 1767225600);
}

BOOST_AUTO_TEST_CASE(a_failing_action_is_retried_then_dead_lettered_then_replayed_or_discarded) {
    Receiver receiver;
    Handler handler(receiver.url(), "storage:\n  queue:\n    max_attempts: 3\n");
    receiver.fail(2);  // down for two attempts, then back
    BOOST_TEST(handler.harbor(push("retry", 1))->status == 200);
    BOOST_TEST(receiver.wait_for(1, std::chrono::seconds(30)));
    BOOST_TEST(receiver.refused() == 2);

    receiver.fail(-1);
    BOOST_TEST(handler.harbor(push("dead", 2))->status == 200);
    const auto dead = handler.get_until(
        "/events?status=dead", [](const json& page) { return !page.at("events").empty(); });
    BOOST_TEST_REQUIRE(dead.at("events").size() == 1U);
    BOOST_TEST(dead.at("events")[0].at("attempts") == 3);
    BOOST_TEST(dead.at("events")[0].at("last_error").get<std::string>().find("503") !=
               std::string::npos);

    receiver.fail(0);
    const auto id = dead.at("events")[0].at("id").get<std::string>();
    BOOST_TEST(handler.client()
                   .Post(("/deadletters/" + id + "/replay").c_str(),
                         {{"Authorization", std::string("Bearer ") + kReaderToken}}, "",
                         "text/plain")
                   ->status == 403);
    BOOST_TEST(handler.client()
                   .Post(("/deadletters/" + id + "/replay").c_str(),
                         {{"Authorization", std::string("Bearer ") + kWriterToken}}, "",
                         "text/plain")
                   ->status == 200);
    BOOST_TEST(receiver.wait_for(2, std::chrono::seconds(30)));
    BOOST_TEST((tags_of(receiver.deliveries()) == std::multiset<std::string>{"retry", "dead"}));

    // A dead letter the operator gives up on is discarded: gone from the list and the count,
    // never delivered, and Harbor's redelivery of it is still a duplicate.
    receiver.fail(-1);
    BOOST_TEST(handler.harbor(push("gone", 3))->status == 200);
    const auto gone = handler.get_until(
        "/events?status=dead", [](const json& page) { return !page.at("events").empty(); });
    BOOST_TEST_REQUIRE(gone.at("events").size() == 1U);
    const auto gone_id = gone.at("events")[0].at("id").get<std::string>();
    const auto discard = [&](const char* token) {
        return handler.client().Delete(("/deadletters/" + gone_id).c_str(),
                                       {{"Authorization", std::string("Bearer ") + token}});
    };
    BOOST_TEST(discard(kReaderToken)->status == 403);
    // Step records a rule finished before a later step failed for good (written here directly:
    // this rule has one step), and another job's whose id merely starts with the same digits.
    fixtures::FakeClock clock;
    auto store =
        common::open_store({.url = "sqlite://" + (handler.dir() / "aiops.db").string()}, clock);
    BOOST_TEST_REQUIRE(store.has_value());
    for (const auto& step :
         {gone_id + "|notify-all|0", gone_id + "|notify-all|1", gone_id + "0|notify-all|0"}) {
        BOOST_TEST_REQUIRE((*store)->put("webhook_actions", step, {{"status", "ok"}}).has_value());
    }
    const auto discarded = discard(kWriterToken);
    BOOST_TEST_REQUIRE(discarded);
    BOOST_TEST(discarded->status == 200, discarded->body);
    BOOST_TEST(!(*store)->get("webhook_actions", gone_id + "|notify-all|0").has_value());
    BOOST_TEST(!(*store)->get("webhook_actions", gone_id + "|notify-all|1").has_value());
    BOOST_TEST((*store)->get("webhook_actions", gone_id + "0|notify-all|0").has_value());
    const auto after = handler.get("/events?status=dead");
    BOOST_TEST(after.at("events").empty());
    BOOST_TEST(after.at("dead") == 0);
    const auto again = discard(kWriterToken);
    BOOST_TEST(again->status == 404);
    BOOST_TEST(json::parse(again->body).at("error").at("code") == "not_found");
    BOOST_TEST(json::parse(handler.harbor(push("gone", 3))->body).at("duplicate") == true);
    receiver.fail(0);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    BOOST_TEST(receiver.deliveries().size() == 2U);  // "gone" never delivered
}

// devpi never redelivers a trigger and fires one per uploaded file: each is an event (a
// promotion decides a version's file set once, see promotion_test.cpp).
BOOST_AUTO_TEST_CASE(devpi_jenkins_triggers_each_become_an_event) {
    Receiver receiver;
    Handler handler(receiver.url());
    const std::string script =
        "#!/usr/bin/env python\nmain(indexurl = \"http://127.0.0.1:3141/ci/staging\", "
        "devpi_install_index = \"http://127.0.0.1:3141/ci/staging/+simple/\", "
        "testspec = \"devpi-demo==1.0.0\")\n";
    const httplib::MultipartFormDataItems form{
        {"Submit", "Build", "", ""},
        {"name", "jobscript.py", "", ""},
        {"json", R"({"parameter": {"name": "jobscript.py", "file": "file0"}})", "", ""},
        {"file0", script, "file0", "application/octet-stream"}};
    const auto path = std::string("/devpi/devpi-demo/1.0.0?token=") + kHookToken;
    for (int file = 0; file < 2; ++file) {  // one trigger per uploaded file of the version
        const auto response = handler.client().Post(path.c_str(), form);
        BOOST_TEST_REQUIRE(response);
        BOOST_TEST(response->status == 200, response->body);
    }
    BOOST_TEST(handler.client().Post("/devpi/devpi-demo/1.0.0?token=wrong", form)->status == 401);
    BOOST_TEST(handler.client()
                   .Post((std::string("/devpi/devpi-demo/1.0.0?token=") + kHookToken).c_str(),
                         httplib::MultipartFormDataItems{{"Submit", "Build", "", ""}})
                   ->status == 400);  // no index anywhere
    BOOST_TEST(receiver.wait_for(2, std::chrono::seconds(30)));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const auto deliveries = receiver.deliveries();
    BOOST_TEST_REQUIRE(deliveries.size() == 2U);
    BOOST_TEST(deliveries[0].at("project") == "ci/staging");
    BOOST_TEST(deliveries[0].at("repository") == "devpi-demo");
    BOOST_TEST(deliveries[0].at("version") == "1.0.0");
}

BOOST_AUTO_TEST_CASE(kill_9_loses_no_accepted_event_and_a_burst_loses_none) {
    Receiver receiver;
    receiver.fail(-1);  // nothing can finish: everything accepted stays queued (retrying)
    auto handler = std::make_unique<Handler>(
        receiver.url(), "storage:\n  queue:\n    max_attempts: 1000\n" + kKillLease);
    constexpr int kEvents = 300;
    for (int index = 0; index < kEvents; ++index) {
        BOOST_TEST_REQUIRE(handler->harbor(push("k" + std::to_string(index), index))->status ==
                           200);
    }
    handler->kill9();
    receiver.fail(0);
    handler->start();
    BOOST_TEST(receiver.wait_for(kEvents, std::chrono::seconds(60)));
    const auto tags = tags_of(receiver.deliveries());
    std::set<std::string> unique(tags.begin(), tags.end());
    BOOST_TEST(unique.size() == static_cast<std::size_t>(kEvents));  // none lost

    // A 10,000-event burst from 8 senders: every one accepted is delivered.
    constexpr int kBurst = 10'000;
    std::vector<std::thread> senders;
    std::atomic<int> accepted{0};
    for (int sender = 0; sender < 8; ++sender) {
        senders.emplace_back([&, sender] {
            auto client = handler->client();
            for (int index = sender; index < kBurst; index += 8) {
                const auto body = push("b" + std::to_string(index), 100000 + index);
                const auto response = client.Post("/harbor", {{"Authorization", kHarborAuth}},
                                                  body.dump(), "application/json");
                if (response && response->status == 200) {
                    ++accepted;
                }
            }
        });
    }
    for (auto& sender : senders) {
        sender.join();
    }
    BOOST_TEST(accepted.load() == kBurst);
    BOOST_TEST(receiver.wait_for(kEvents + kBurst, std::chrono::seconds(240)));
    const auto all = tags_of(receiver.deliveries());
    BOOST_TEST_MESSAGE(all.size() << " deliveries for " << kEvents + kBurst << " events");
    BOOST_TEST(std::set<std::string>(all.begin(), all.end()).size() ==
               static_cast<std::size_t>(kEvents + kBurst));
}

// The same promises on the Redis backend (a real redis-server, AOF appendfsync always): 3×
// duplicates run once, and a kill -9 with events queued loses none.
BOOST_AUTO_TEST_CASE(on_redis_duplicates_run_once_and_kill_9_loses_nothing) {
    fixtures::TempDir dir;
    fixtures::RedisServer redis(dir / "redis");
    Receiver receiver;
    receiver.fail(-1);
    Handler handler(receiver.url(), "storage:\n  url: " + redis.url() +
                                        "\n  queue:\n    max_attempts: 1000\n" + kKillLease);
    constexpr int kEvents = 200;
    for (int round = 0; round < 3; ++round) {
        for (int index = 0; index < kEvents; ++index) {
            const auto response = handler.harbor(push("r" + std::to_string(index), index));
            BOOST_TEST_REQUIRE(response);
            BOOST_TEST(json::parse(response->body).at("duplicate") == (round > 0));
        }
    }
    handler.kill9();
    receiver.fail(0);
    handler.start();
    BOOST_TEST(receiver.wait_for(kEvents, std::chrono::seconds(60)));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const auto tags = tags_of(receiver.deliveries());
    BOOST_TEST(std::set<std::string>(tags.begin(), tags.end()).size() ==
               static_cast<std::size_t>(kEvents));
    BOOST_TEST(tags.size() == static_cast<std::size_t>(kEvents));  // each rule ran once
}
