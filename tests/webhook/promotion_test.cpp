#define BOOST_TEST_MODULE webhook_promotion
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "fixtures/devpi_server.h"
#include "fixtures/loopback_http_server.h"
#include "fixtures/webhook_process.h"
#include "fixtures/wheel_builder.h"

// Wheel promotion staging → release end to end: the webhook-handler binary against the DevPI
// test server (tests/fixtures/devpi_server.h, shared/reference/devpi-api.md: the jenkins
// trigger fired inside the upload before the commit, push with 409 on a non-volatile target,
// 401 outside acl_upload), wheels zipped by hand (tests/fixtures/wheel_builder.h).
namespace {

namespace fixtures = aiops::testing;
using json = nlohmann::json;
using namespace std::chrono_literals;

// `slow_url`: a notify receiver that answers only when the test releases it, run before the
// promotion of ci/slow (the test stops DevPI while it waits).
std::string rules(const std::string& slow_url) {
    return "rules:\n"
           "  - name: promote-wheels\n"
           "    when: {source: devpi, index: \"ci/staging\"}\n"
           "    do:\n"
           "      - action: promote\n"
           "        target: ci/release\n"
           "        pth_allow: [\"distutils-precedence.pth\"]\n"
           "        version_policy: {allow_dev: false, allow_local: false}\n"
           "  - name: promote-platform-set\n"
           "    when: {source: devpi, index: \"ci/multi\"}\n"
           "    do:\n"
           "      - action: promote\n"
           "        target: ci/release\n"
           "        require_files: [\"*-cp311-*.whl\", \"*.tar.gz\"]\n"
           "  - name: promote-to-locked\n"
           "    when: {source: devpi, index: \"ci/other\"}\n"
           "    do: [{action: promote, target: ci/locked}]\n"
           "  - name: slow-then-promote\n"
           "    when: {source: devpi, index: \"ci/slow\"}\n"
           "    do: [{action: notify, url: \"" +
           slow_url + "\"}, {action: promote, target: ci/release}]\n";
}

std::string wheel(const std::string& name, const std::string& version,
                  fixtures::WheelSpec spec = {}) {
    spec.name = name;
    spec.version = version;
    if (spec.files.empty()) {
        spec.files = {{name + "/__init__.py", "VALUE = 1\n"}};
    }
    return fixtures::make_wheel(spec);
}

std::string wheel_name(const std::string& name, const std::string& version,
                       const std::string& tags = "py3-none-any") {
    return name + "-" + version + "-" + tags + ".whl";
}

// A DevPI with users ci (uploads) and bot (promotes), indexes ci/staging, ci/multi, ci/other
// (volatile, trigger → the handler) and ci/release (non-volatile, bot may push), ci/locked (bot
// may not).
struct Stack {
    explicit Stack(const std::string& extra = "") {
        slow.server().Post("/slow", [this](const httplib::Request&, httplib::Response& res) {
            ++slow_calls;
            // Held until the test says (at most 30 s): it stops DevPI meanwhile.
            const auto deadline = std::chrono::steady_clock::now() + 30s;
            while (!release_slow.load() && std::chrono::steady_clock::now() < deadline) {
                std::this_thread::sleep_for(10ms);
            }
            res.status = 204;
        });
        slow.start();
        devpi.add_user("ci", "ci-password");
        devpi.add_user("bot", "bot-password");
        handler = std::make_unique<fixtures::WebhookProcess>(
            AIOPS_WEBHOOK_BINARY, rules(slow.url("/slow")),
            "devpi:\n  url: " + devpi.url() +
                "\n  username: bot\n  password: bot-password\n  hook_token: " +
                fixtures::WebhookProcess::kHookToken + "\n" + extra);
        for (const char* index : {"ci/staging", "ci/multi", "ci/other", "ci/slow"}) {
            devpi.create_index(index, true, {"ci"}, handler->devpi_trigger_url());
        }
        devpi.create_index("ci/release", false, {"ci", "bot"});
        devpi.create_index("ci/locked", false, {"ci"});
        handler->start();
    }
    // The DevPI poller's first pass only records what the index holds (a baseline, no events):
    // an upload before it finished would never be seen by the poller.
    void wait_for_poller_baseline() {
        const auto deadline = std::chrono::steady_clock::now() + 30s;
        while (std::chrono::steady_clock::now() < deadline) {
            const auto metrics = handler->client().Get("/metrics");
            if (metrics && metrics->status == 200 &&
                metrics->body.find("webhook_devpi_polls_total{outcome=\"ok\"}") !=
                    std::string::npos) {
                return;
            }
            std::this_thread::sleep_for(50ms);
        }
        BOOST_FAIL("the DevPI poller did not finish a pass in 30 s");
    }
    int upload(const std::string& index, const std::string& filename, const std::string& bytes,
               const std::string& name, const std::string& version) {
        return devpi.upload(index, "ci", "ci-password", filename, bytes, name, version);
    }
    // Waits until `count` decisions are settled (not waiting), returns them by project.
    std::map<std::string, json> decisions(std::size_t count, const std::string& query = "") {
        std::map<std::string, json> by_project;
        for (int poll = 0; poll < 1200; ++poll) {
            by_project.clear();
            const auto page = handler->get("/promotions?limit=1000" + query);
            for (const auto& decision : page.at("promotions")) {
                by_project[decision.at("project").get<std::string>() + " " +
                           decision.at("version").get<std::string>()] = decision;
            }
            if (by_project.size() >= count) {
                return by_project;
            }
            std::this_thread::sleep_for(50ms);
        }
        return by_project;
    }

    fixtures::LoopbackHttpServer slow;
    std::atomic<int> slow_calls{0};
    std::atomic<bool> release_slow{false};
    fixtures::DevpiServer devpi;
    std::unique_ptr<fixtures::WebhookProcess> handler;
};

bool mentions(const json& decision, const std::string& text) {
    return decision.at("reasons").dump().find(text) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_CASE(good_wheels_are_promoted_and_bad_ones_are_rejected_with_reasons) {
    Stack stack;
    BOOST_TEST(stack.upload("ci/staging", wheel_name("good", "1.0.0"), wheel("good", "1.0.0"),
                            "good", "1.0.0") == 200);
    fixtures::WheelSpec bad_record;
    bad_record.wrong_record_hash_for = "badrecord/__init__.py";
    BOOST_TEST(stack.upload("ci/staging", wheel_name("badrecord", "1.0.0"),
                            wheel("badrecord", "1.0.0", bad_record), "badrecord", "1.0.0") == 200);
    fixtures::WheelSpec escape;
    escape.files = {{"escape/__init__.py", ""}, {"../../etc/cron.d/evil", "* * * * * root sh\n"}};
    BOOST_TEST(stack.upload("ci/staging", wheel_name("escape", "1.0.0"),
                            wheel("escape", "1.0.0", escape), "escape", "1.0.0") == 200);
    fixtures::WheelSpec pth;
    pth.files = {{"pthpkg/__init__.py", ""}, {"zzz_hook.pth", "import os; os.system('id')\n"}};
    BOOST_TEST(stack.upload("ci/staging", wheel_name("pthpkg", "1.0.0"),
                            wheel("pthpkg", "1.0.0", pth), "pthpkg", "1.0.0") == 200);
    fixtures::WheelSpec allowed_pth;
    allowed_pth.files = {{"okpth/__init__.py", ""}, {"distutils-precedence.pth", "import os\n"}};
    BOOST_TEST(stack.upload("ci/staging", wheel_name("okpth", "2.0"),
                            wheel("okpth", "2.0", allowed_pth), "okpth", "2.0") == 200);
    BOOST_TEST(stack.upload("ci/staging", wheel_name("nightly", "1.1.0.dev3"),
                            wheel("nightly", "1.1.0.dev3"), "nightly", "1.1.0.dev3") == 200);
    fixtures::WheelSpec liar;
    liar.metadata_version = "9.9.9";
    BOOST_TEST(stack.upload("ci/staging", wheel_name("liar", "1.0.0"), wheel("liar", "1.0.0", liar),
                            "liar", "1.0.0") == 200);

    auto decisions = stack.decisions(7);
    BOOST_TEST_REQUIRE(decisions.size() == 7U);
    BOOST_TEST(decisions["good 1.0.0"].at("status") == "promoted");
    BOOST_TEST(decisions["okpth 2.0"].at("status") == "promoted");
    for (const char* rejected :
         {"badrecord 1.0.0", "escape 1.0.0", "pthpkg 1.0.0", "nightly 1.1.0.dev3", "liar 1.0.0"}) {
        BOOST_TEST(decisions[rejected].at("status") == "rejected", rejected);
    }
    BOOST_TEST(mentions(decisions["badrecord 1.0.0"], "record"));
    BOOST_TEST(mentions(decisions["escape 1.0.0"], "paths"));
    BOOST_TEST(mentions(decisions["pthpkg 1.0.0"], "zzz_hook.pth"));
    BOOST_TEST(mentions(decisions["nightly 1.1.0.dev3"], "version_policy"));
    BOOST_TEST(mentions(decisions["liar 1.0.0"], "metadata"));

    // What reached the release index: exactly the two that passed.
    BOOST_TEST(stack.devpi.files("ci/release", "good", "1.0.0") ==
               std::vector<std::string>{wheel_name("good", "1.0.0")});
    BOOST_TEST(stack.devpi.files("ci/release", "okpth", "2.0").size() == 1U);
    for (const char* project : {"badrecord", "escape", "pthpkg", "liar"}) {
        BOOST_TEST(stack.devpi.files("ci/release", project, "1.0.0").empty(), project);
    }
    BOOST_TEST(stack.devpi.files("ci/release", "nightly", "1.1.0.dev3").empty());
    // Filtered listing.
    const auto only = stack.handler->get("/promotions?project=escape");
    BOOST_TEST(only.at("promotions").size() == 1U);
    BOOST_TEST(stack.handler->get("/promotions?status=promoted").at("promotions").size() == 2U);
}

BOOST_AUTO_TEST_CASE(hook_poller_and_redeliveries_decide_an_upload_once) {
    Stack stack(
        "  poll:\n    indexes: [ci/staging]\n    interval_ms: 200\n"
        "storage:\n  queue:\n    max_attempts: 20\n");
    stack.wait_for_poller_baseline();
    BOOST_TEST(stack.upload("ci/staging", wheel_name("once", "1.0.0"), wheel("once", "1.0.0"),
                            "once", "1.0.0") == 200);
    auto decisions = stack.decisions(1);
    BOOST_TEST_REQUIRE(decisions.size() == 1U);
    BOOST_TEST(decisions["once 1.0.0"].at("status") == "promoted");
    // The trigger again (devpi never retries, but an operator might replay it) and more polls.
    const httplib::MultipartFormDataItems form{
        {"Submit", "Build", "", ""},
        {"file0", "main(indexurl = \"" + stack.devpi.url() + "/ci/staging\")", "file0", ""}};
    BOOST_TEST(
        stack.handler->client()
            .Post((std::string("/devpi/once/1.0.0?token=") + fixtures::WebhookProcess::kHookToken)
                      .c_str(),
                  form)
            ->status == 200);
    std::this_thread::sleep_for(1500ms);
    BOOST_TEST(stack.devpi.push_requests() == 1);
    const auto decision = stack.decisions(1).at("once 1.0.0");
    BOOST_TEST(decision.at("history").size() == 1U);  // decided once
    // Every event for it finished: the hook's, the poller's, the replayed trigger's.
    const auto finished_for_once = [](const json& page) {
        std::size_t count = 0;
        for (const auto& event : page.at("events")) {
            count += event.at("repository") == "once" ? 1U : 0U;
        }
        return count;
    };
    const auto done = stack.handler->get_until(
        "/events?status=done", [&](const json& page) { return finished_for_once(page) >= 3U; });
    BOOST_TEST(finished_for_once(done) >= 3U, done.dump());
    // A second file of the version uploaded later is a new file set: decided again, and the
    // non-volatile release refuses to change a promoted version.
    BOOST_TEST(stack.upload("ci/staging", "once-1.0.0.tar.gz", "sdist bytes", "once", "1.0.0") ==
               200);
    for (int poll = 0; poll < 600; ++poll) {
        if (stack.decisions(1).at("once 1.0.0").at("history").size() == 2U) {
            break;
        }
        std::this_thread::sleep_for(50ms);
    }
    const auto later = stack.decisions(1).at("once 1.0.0");
    BOOST_TEST(later.at("history").size() == 2U);
    BOOST_TEST(later.at("status") != "promoted");
}

BOOST_AUTO_TEST_CASE(devpi_down_during_promotion_is_retried_until_it_returns) {
    Stack stack("storage:\n  queue:\n    max_attempts: 50\n");
    BOOST_TEST(stack.upload("ci/slow", wheel_name("flaky", "3.0"), wheel("flaky", "3.0"), "flaky",
                            "3.0") == 200);
    for (int poll = 0; poll < 1500 && stack.slow_calls.load() == 0; ++poll) {
        std::this_thread::sleep_for(20ms);
    }
    BOOST_TEST_REQUIRE(stack.slow_calls.load() == 1);
    stack.devpi.stop();  // while the rule's first step runs: the promotion finds DevPI down
    stack.release_slow = true;
    std::this_thread::sleep_for(2500ms);
    stack.devpi.fail_next(3, 502);  // then a proxy in front answers 502 a few times
    stack.devpi.restart();
    auto decisions = stack.decisions(1);
    BOOST_TEST_REQUIRE(decisions.size() == 1U);
    BOOST_TEST(decisions["flaky 3.0"].at("status") == "promoted");
    BOOST_TEST(stack.devpi.files("ci/release", "flaky", "3.0").size() == 1U);
    BOOST_TEST(stack.slow_calls.load() == 1);  // the finished notify step was not repeated
    // The decision is stored by the promote step; the event is marked done right after it.
    const auto done = stack.handler->get_until(
        "/events?status=done", [](const json& page) { return !page.at("events").empty(); });
    BOOST_TEST_REQUIRE(done.at("events").size() == 1U, done.dump());
    BOOST_TEST(done.at("events")[0].at("attempts").get<int>() > 1);
}

BOOST_AUTO_TEST_CASE(push_refusals_are_rule_failures_and_wait_for_all_files) {
    Stack stack;
    BOOST_TEST(stack.upload("ci/other", wheel_name("locked", "1.0"), wheel("locked", "1.0"),
                            "locked", "1.0") == 200);
    // ci/multi needs a cp311 wheel and the sdist.
    BOOST_TEST(stack.upload("ci/multi",
                            wheel_name("multi", "1.0", "cp311-cp311-manylinux_2_17_x86_64"),
                            wheel("multi", "1.0"), "multi", "1.0") == 200);
    auto decisions = stack.decisions(2);
    BOOST_TEST_REQUIRE(decisions.size() == 2U);
    BOOST_TEST(decisions["locked 1.0"].at("status") == "failed");
    BOOST_TEST(mentions(decisions["locked 1.0"], "acl_upload"));
    BOOST_TEST(decisions["multi 1.0"].at("status") == "waiting");
    // The owner adds the bot to acl_upload, an operator asks for the version again.
    httplib::Client devpi_client("127.0.0.1", stack.devpi.port());
    devpi_client.set_basic_auth("ci", "ci-password");
    const auto patched =
        devpi_client.Patch("/ci/locked", R"(["acl_upload+=bot"])", "application/json");
    BOOST_TEST_REQUIRE(patched);
    BOOST_TEST(patched->status == 200, patched->body);
    const auto retried = stack.handler->client().Post(
        "/promotions/retry",
        {{"Authorization", std::string("Bearer ") + fixtures::WebhookProcess::kWriterToken}},
        R"({"index":"ci/other","project":"locked","version":"1.0"})", "application/json");
    BOOST_TEST_REQUIRE(retried);
    BOOST_TEST(retried->status == 202, retried->body);
    for (int poll = 0; poll < 600; ++poll) {
        if (stack.decisions(2).at("locked 1.0").at("status") == "promoted") {
            break;
        }
        std::this_thread::sleep_for(50ms);
    }
    BOOST_TEST(stack.decisions(2).at("locked 1.0").at("status") == "promoted");
    BOOST_TEST(stack.devpi.files("ci/locked", "locked", "1.0").size() == 1U);
    BOOST_TEST(stack.devpi.files("ci/release", "multi", "1.0").empty());
    fixtures::SdistSpec sdist;
    sdist.name = "multi";
    sdist.version = "1.0";
    BOOST_TEST(stack.upload("ci/multi", "multi-1.0.tar.gz", fixtures::make_sdist(sdist), "multi",
                            "1.0") == 200);
    for (int poll = 0; poll < 600; ++poll) {
        if (stack.decisions(2).at("multi 1.0").at("status") == "promoted") {
            break;
        }
        std::this_thread::sleep_for(50ms);
    }
    BOOST_TEST(stack.decisions(2).at("multi 1.0").at("status") == "promoted");
    BOOST_TEST(stack.devpi.files("ci/release", "multi", "1.0").size() == 2U);
}

// The handler is killed while versions are queued and being promoted; uploads made while it is
// down lose their trigger (devpi still answers 200) and come back through the serial poller.
BOOST_AUTO_TEST_CASE(kill_9_mid_promotion_promotes_every_version_exactly_once) {
    Stack stack(
        "  poll:\n    indexes: [ci/staging]\n    interval_ms: 300\n"
        "storage:\n  queue:\n    max_attempts: 50\n"
        "queue:\n  visibility_ms: 5000\n");  // what the killed handler leased returns in 5 s
    stack.wait_for_poller_baseline();
    constexpr int kVersions = 20;
    for (int index = 0; index < kVersions; ++index) {
        const auto version = "1.0." + std::to_string(index);
        BOOST_TEST(stack.upload("ci/staging", wheel_name("crashy", version),
                                wheel("crashy", version), "crashy", version) == 200);
        if (index == kVersions / 2) {
            stack.handler->kill9();  // events queued, some mid-action
        }
    }
    stack.handler->start();
    auto decisions = stack.decisions(kVersions);
    BOOST_TEST_REQUIRE(decisions.size() == static_cast<std::size_t>(kVersions));
    for (const auto& [key, decision] : decisions) {
        const auto status = decision.at("status").get<std::string>();
        BOOST_TEST((status == "promoted" || status == "already_promoted"), key << ": " << status);
        const auto version = decision.at("version").get<std::string>();
        BOOST_TEST(stack.devpi.files("ci/release", "crashy", version).size() == 1U, key);
    }
}
