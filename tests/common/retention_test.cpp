#define BOOST_TEST_MODULE common_retention
#include "aiops/common/retention.h"

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "aiops/common/clock.h"
#include "aiops/common/metrics.h"
#include "aiops/common/storage.h"
#include "fixtures/fake_clock.h"
#include "fixtures/temp_dir.h"

// Retention on a real SQLite store: what expires, what is kept, and that a sweep reads markers
// only up to the first one that has not expired.
namespace {

namespace common = aiops::common;
using aiops::testing::FakeClock;
using aiops::testing::TempDir;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr auto kDay = std::chrono::hours(24);

// "jobs" documents finish when "state" is "done"; their "finished_at" holds format_utc text.
struct Fixture {
    TempDir dir;
    FakeClock clock;
    common::Metrics metrics;
    std::unique_ptr<common::Store> store =
        common::open_store({.url = "sqlite://" + (dir / "store.db").string()}, clock).value();

    std::unique_ptr<common::Retention> retention(std::size_t max_erase = 10'000,
                                                 std::chrono::seconds keep = 7 * kDay) {
        return std::make_unique<common::Retention>(
            *store, clock, metrics,
            common::RetentionSettings{
                .keep = keep, .interval = 3600s, .max_erase_per_sweep = max_erase},
            std::vector<common::RetentionRule>{
                common::rule_by_field(
                    "jobs", "finished_at",
                    [](const json& body) { return body.value("state", "") == "done"; }),
                common::rule_by_field("scans", "created_at"), events_rule()});
    }

    // "events" finish at "finished_at" and name their records in "steps" (ids of "steps").
    static common::RetentionRule events_rule() {
        auto rule = common::rule_by_field("events", "finished_at");
        rule.dependents = [](const std::string& id, const json& body) {
            std::vector<common::DocumentRef> steps;
            for (const auto& step : body.at("steps")) {
                steps.push_back({"steps", id + "|" + step.get<std::string>()});
            }
            return steps;
        };
        return rule;
    }

    // Writes a finished job and tracks it, as a service does.
    void finish(common::Retention& retention, const std::string& id) {
        const auto now = clock.now();
        BOOST_TEST_REQUIRE(
            store->put("jobs", id, {{"state", "done"}, {"finished_at", common::format_utc(now)}})
                .has_value());
        BOOST_TEST_REQUIRE(retention.track("jobs", id, now).has_value());
    }

    bool exists(const std::string& collection, const std::string& id) {
        return store->get(collection, id).has_value();
    }

    std::size_t markers() {
        return store->scan(common::kRetentionIndex, "", 1000).value().documents.size();
    }
};

BOOST_FIXTURE_TEST_SUITE(retention, Fixture)

BOOST_AUTO_TEST_CASE(parse_utc_inverts_format_utc_and_rejects_other_shapes) {
    const auto at = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'123));
    const auto parsed = common::parse_utc(common::format_utc(at));
    BOOST_TEST_REQUIRE(parsed.has_value());
    BOOST_TEST(parsed->time_since_epoch().count() == at.time_since_epoch().count());
    BOOST_TEST(common::parse_utc("2026-11-25T14:38:04Z").has_value());
    for (const char* bad :
         {"", "2026-11-25T14:38:04", "2026-11-25 14:38:04Z", "2026-13-25T14:38:04Z",
          "2026-11-25T24:00:00Z", "2026-11-2aT14:38:04Z", "2026-11-25T14:38:04+00:00"}) {
        BOOST_TEST(!common::parse_utc(bad).has_value(), bad);
    }
}

BOOST_AUTO_TEST_CASE(a_finished_document_is_erased_once_keep_has_passed_and_not_before) {
    auto sweeper = retention();
    finish(*sweeper, "job-1");
    clock.advance(kDay);
    finish(*sweeper, "job-2");

    clock.advance(6 * kDay);  // job-1 is exactly 7 days old, job-2 six
    auto first = sweeper->sweep_once();
    BOOST_TEST_REQUIRE(first.has_value());
    BOOST_TEST(first->erased == 1U);
    BOOST_TEST(!exists("jobs", "job-1"));
    BOOST_TEST(exists("jobs", "job-2"));
    BOOST_TEST(markers() == 1U);

    auto idle = sweeper->sweep_once();
    BOOST_TEST(idle->erased == 0U);
    BOOST_TEST(exists("jobs", "job-2"));

    clock.advance(kDay);
    BOOST_TEST(sweeper->sweep_once()->erased == 1U);
    BOOST_TEST(!exists("jobs", "job-2"));
    BOOST_TEST(markers() == 0U);
    BOOST_TEST(metrics.render().find("aiops_retention_erased_total{collection=\"jobs\"} 2") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(dependents_are_erased_with_their_document_and_need_no_markers) {
    auto sweeper = retention();
    for (const char* step : {"e1|a", "e1|b", "e2|a"}) {
        BOOST_TEST_REQUIRE(store->put("steps", step, {{"status", "ok"}}).has_value());
    }
    const auto now = common::format_utc(clock.now());
    // e1 names a step that was never written (gone already): not an error.
    BOOST_TEST_REQUIRE(
        store->put("events", "e1", {{"finished_at", now}, {"steps", {"a", "b", "c"}}}).has_value());
    BOOST_TEST_REQUIRE(sweeper->track("events", "e1", clock.now()).has_value());
    clock.advance(kDay);
    BOOST_TEST_REQUIRE(
        store
            ->put("events", "e2",
                  {{"finished_at", common::format_utc(clock.now())}, {"steps", {"a"}}})
            .has_value());
    BOOST_TEST_REQUIRE(sweeper->track("events", "e2", clock.now()).has_value());
    BOOST_TEST(markers() == 2U);

    clock.advance(6 * kDay);  // e1 expired, e2 (finished a day later) not yet
    auto swept = sweeper->sweep_once();
    BOOST_TEST_REQUIRE(swept.has_value());
    BOOST_TEST(swept->erased == 1U);
    BOOST_TEST(!exists("events", "e1"));
    BOOST_TEST(!exists("steps", "e1|a"));
    BOOST_TEST(!exists("steps", "e1|b"));
    BOOST_TEST(exists("events", "e2"));
    BOOST_TEST(exists("steps", "e2|a"));
    BOOST_TEST(metrics.render().find("aiops_retention_erased_total{collection=\"steps\"} 2") !=
               std::string::npos);

    clock.advance(kDay);
    BOOST_TEST(sweeper->sweep_once()->erased == 1U);
    BOOST_TEST(!exists("steps", "e2|a"));
    BOOST_TEST(store->scan("steps", "", 10).value().documents.empty());
    BOOST_TEST(markers() == 0U);
}

BOOST_AUTO_TEST_CASE(a_document_finished_again_or_back_in_progress_is_kept) {
    auto sweeper = retention();
    finish(*sweeper, "again");
    finish(*sweeper, "busy");
    clock.advance(3 * kDay);
    finish(*sweeper, "again");  // re-run: finished three days later, a second marker
    BOOST_TEST_REQUIRE(store->put("jobs", "busy", {{"state", "running"}}).has_value());

    clock.advance(4 * kDay);  // the first markers expired, the re-run's has not
    auto swept = sweeper->sweep_once();
    BOOST_TEST(swept->erased == 0U);
    BOOST_TEST(swept->kept == 2U);
    BOOST_TEST(exists("jobs", "again"));
    BOOST_TEST(exists("jobs", "busy"));

    clock.advance(3 * kDay);
    BOOST_TEST(sweeper->sweep_once()->erased == 1U);
    BOOST_TEST(!exists("jobs", "again"));
    BOOST_TEST(exists("jobs", "busy"));  // in progress and untracked: never erased
    BOOST_TEST(markers() == 0U);
}

BOOST_AUTO_TEST_CASE(epoch_second_fields_missing_documents_and_foreign_markers) {
    auto sweeper = retention();
    const auto now = clock.now();
    const auto seconds =
        std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    BOOST_TEST_REQUIRE(store->put("scans", "s1", {{"created_at", seconds}}).has_value());
    BOOST_TEST_REQUIRE(sweeper->track("scans", "s1", now).has_value());
    BOOST_TEST_REQUIRE(sweeper->track("jobs", "deleted-by-hand", now).has_value());
    BOOST_TEST_REQUIRE(store->put(common::kRetentionIndex, "000000000001|garbage", {}).has_value());
    BOOST_TEST(sweeper->track("unknown", "x", now).error().code ==
               common::ErrorCode::kInvalidInput);

    clock.advance(8 * kDay);
    auto swept = sweeper->sweep_once();
    BOOST_TEST_REQUIRE(swept.has_value());
    BOOST_TEST(swept->erased == 1U);
    BOOST_TEST(!exists("scans", "s1"));
    BOOST_TEST(markers() == 0U);
    BOOST_TEST(
        metrics.render().find("aiops_retention_track_failures_total{collection=\"unknown\"} 1") !=
        std::string::npos);
}

BOOST_AUTO_TEST_CASE(one_sweep_handles_at_most_max_erase_and_the_next_continues) {
    auto sweeper = retention(3);
    for (int index = 0; index < 7; ++index) {
        finish(*sweeper, "job-" + std::to_string(index));
    }
    clock.advance(8 * kDay);
    auto first = sweeper->sweep_once();
    BOOST_TEST(first->erased == 3U);
    BOOST_TEST(first->more);
    BOOST_TEST(sweeper->sweep_once()->erased == 3U);
    auto last = sweeper->sweep_once();
    BOOST_TEST(last->erased == 1U);
    BOOST_TEST(!last->more);
    BOOST_TEST(markers() == 0U);
}

BOOST_AUTO_TEST_CASE(keep_zero_tracks_nothing_and_erases_nothing) {
    auto sweeper = retention(10'000, 0s);
    BOOST_TEST(!sweeper->enabled());
    finish(*sweeper, "job");
    clock.advance(3650 * kDay);
    BOOST_TEST(sweeper->sweep_once()->erased == 0U);
    BOOST_TEST(exists("jobs", "job"));
    BOOST_TEST(markers() == 0U);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
