// Conformance cases every storage backend must pass; see storage_conformance.h.
#include "storage_conformance.h"

#include <boost/test/unit_test.hpp>
#include <set>
#include <stdexcept>
#include <thread>

namespace aiops::testing {

using common::ErrorCode;
using namespace std::chrono_literals;

namespace {

common::StorageSettings conformance_settings() {
    auto settings = fresh_storage_settings();
    settings.max_document_bytes = 64 * 1024;
    settings.queue.max_attempts = 3;
    settings.queue.dedup_window = 1h;
    return settings;
}

// prefix + n, built without operator+ (g++ 12 -Wrestrict false positive, GCC bug 105329).
std::string numbered(std::string_view prefix, int number) {
    std::string id(prefix);
    id += std::to_string(number);
    return id;
}

}  // namespace

StoreFixture::StoreFixture() : settings(conformance_settings()), store(open_again()) {}

std::unique_ptr<common::Store> StoreFixture::open_again() const {
    auto opened = common::open_store(settings, clock);
    if (!opened) {
        throw std::runtime_error("cannot open store: " + opened.error().message);
    }
    return std::move(opened).value();
}

BOOST_FIXTURE_TEST_SUITE(storage_documents, StoreFixture)

BOOST_AUTO_TEST_CASE(rejects_empty_oversized_and_control_character_names) {
    const std::string huge_id(513, 'a');

    BOOST_TEST(store->put("", "id", {}).error().code == ErrorCode::kInvalidInput);
    BOOST_TEST(store->put("c", "", {}).error().code == ErrorCode::kInvalidInput);
    BOOST_TEST(store->put("c", huge_id, {}).error().code == ErrorCode::kInvalidInput);
    BOOST_TEST(store->put(std::string(201, 'c'), "id", {}).error().code ==
               ErrorCode::kInvalidInput);
    BOOST_TEST(store->create("c", "a\nb", {}).error().code == ErrorCode::kInvalidInput);
    BOOST_TEST(store->get("c", "").error().code == ErrorCode::kInvalidInput);
    BOOST_TEST(store->erase("", "id").error().code == ErrorCode::kInvalidInput);
    BOOST_TEST(store->compare_and_set("c", "id", -1, {}).error().code == ErrorCode::kInvalidInput);
    BOOST_TEST(store->scan("", "", 10).error().code == ErrorCode::kInvalidInput);
    BOOST_TEST(store->scan("c", "", 0).error().code == ErrorCode::kInvalidInput);
    BOOST_TEST(store->scan("c", "", 1001).error().code == ErrorCode::kInvalidInput);
    BOOST_TEST(store->scan("c", "not-hex", 10).error().code == ErrorCode::kInvalidInput);
}

BOOST_AUTO_TEST_CASE(rejects_document_larger_than_the_limit) {
    const nlohmann::json body{{"blob", std::string(64 * 1024, 'x')}};

    auto written = store->put("c", "big", body);

    BOOST_TEST(written.error().code == ErrorCode::kTooLarge);
    BOOST_TEST(store->get("c", "big").error().code == ErrorCode::kNotFound);
}

BOOST_AUTO_TEST_CASE(get_and_erase_of_missing_document_are_not_found) {
    BOOST_TEST(store->get("c", "missing").error().code == ErrorCode::kNotFound);
    BOOST_TEST(store->erase("c", "missing").error().code == ErrorCode::kNotFound);
}

BOOST_AUTO_TEST_CASE(get_many_returns_present_documents_in_the_order_asked) {
    BOOST_TEST(store->put("c", "b", {{"v", "b"}}).has_value());
    BOOST_TEST(store->put("c", "a", {{"v", "a"}}).has_value());
    BOOST_TEST(store->put("c", "a", {{"v", "a2"}}).has_value());
    BOOST_TEST(store->put("other", "z", {{"v", "z"}}).has_value());

    auto documents = store->get_many("c", {"b", "missing", "a", "z"});

    BOOST_TEST_REQUIRE(documents.has_value());
    BOOST_TEST_REQUIRE(documents->size() == 2U);
    BOOST_TEST((*documents)[0].id == "b");
    BOOST_TEST((*documents)[0].version == 1);
    BOOST_TEST((*documents)[0].body["v"] == "b");
    BOOST_TEST((*documents)[1].id == "a");
    BOOST_TEST((*documents)[1].version == 2);
    BOOST_TEST((*documents)[1].body["v"] == "a2");
    BOOST_TEST(store->get_many("c", {}).value().empty());
}

BOOST_AUTO_TEST_CASE(get_many_rejects_invalid_ids_and_oversized_batches) {
    BOOST_TEST(store->get_many("c", {"ok", ""}).error().code == ErrorCode::kInvalidInput);
    BOOST_TEST(store->get_many("", {"ok"}).error().code == ErrorCode::kInvalidInput);
    const std::vector<std::string> too_many(1001, "id");
    BOOST_TEST(store->get_many("c", too_many).error().code == ErrorCode::kInvalidInput);
}

BOOST_AUTO_TEST_CASE(create_fails_with_conflict_when_document_exists) {
    BOOST_TEST(store->create("c", "a", {{"v", 1}}).value() == 1);

    auto again = store->create("c", "a", {{"v", 2}});

    BOOST_TEST(again.error().code == ErrorCode::kConflict);
    BOOST_TEST(store->get("c", "a")->body == nlohmann::json({{"v", 1}}));
}

BOOST_AUTO_TEST_CASE(put_creates_then_replaces_and_bumps_the_version) {
    BOOST_TEST(store->put("c", "a", {{"v", 1}}).value() == 1);

    BOOST_TEST(store->put("c", "a", {{"v", 2}, {"text", "h\u00e9 \"q\" \n"}}).value() == 2);

    auto document = store->get("c", "a");
    BOOST_REQUIRE(document.has_value());
    BOOST_TEST(document->id == "a");
    BOOST_TEST(document->version == 2);
    BOOST_TEST(document->body == nlohmann::json({{"v", 2}, {"text", "h\u00e9 \"q\" \n"}}));
}

BOOST_AUTO_TEST_CASE(compare_and_set_fails_when_the_version_moved) {
    BOOST_TEST(store->put("c", "a", {{"v", 1}}).value() == 1);
    BOOST_TEST(store->put("c", "a", {{"v", 2}}).value() == 2);

    auto stale = store->compare_and_set("c", "a", 1, {{"v", "stale"}});

    BOOST_TEST(stale.error().code == ErrorCode::kConflict);
    BOOST_TEST(store->get("c", "a")->body == nlohmann::json({{"v", 2}}));
}

BOOST_AUTO_TEST_CASE(compare_and_set_on_missing_document_is_not_found_unless_expecting_zero) {
    BOOST_TEST(store->compare_and_set("c", "a", 3, {}).error().code == ErrorCode::kNotFound);

    BOOST_TEST(store->compare_and_set("c", "a", 0, {{"v", 1}}).value() == 1);
    BOOST_TEST(store->compare_and_set("c", "a", 0, {}).error().code == ErrorCode::kConflict);
}

BOOST_AUTO_TEST_CASE(compare_and_set_writes_when_the_version_matches) {
    BOOST_TEST(store->put("c", "a", {{"v", 1}}).value() == 1);

    BOOST_TEST(store->compare_and_set("c", "a", 1, {{"v", 2}}).value() == 2);

    BOOST_TEST(store->get("c", "a")->body == nlohmann::json({{"v", 2}}));
}

BOOST_AUTO_TEST_CASE(concurrent_compare_and_set_loses_no_update) {
    constexpr int kThreads = 4;
    constexpr int kIncrements = 25;
    BOOST_TEST(store->put("c", "counter", {{"n", 0}}).value() == 1);
    std::vector<std::unique_ptr<common::Store>> handles;
    for (int thread = 0; thread < kThreads; ++thread) {
        handles.push_back(open_again());
    }
    std::vector<int> failures(kThreads, 0);

    std::vector<std::thread> workers;
    for (int thread = 0; thread < kThreads; ++thread) {
        workers.emplace_back([&, thread] {
            auto& handle = *handles[static_cast<std::size_t>(thread)];
            for (int done = 0; done < kIncrements;) {
                auto current = handle.get("c", "counter");
                if (!current) {
                    ++failures[static_cast<std::size_t>(thread)];
                    return;
                }
                const int next = current->body["n"].get<int>() + 1;
                auto written =
                    handle.compare_and_set("c", "counter", current->version, {{"n", next}});
                if (written) {
                    ++done;
                } else if (written.error().code != ErrorCode::kConflict) {
                    ++failures[static_cast<std::size_t>(thread)];
                    return;
                }
            }
        });
    }
    for (auto& worker : workers) {
        worker.join();
    }

    BOOST_TEST(failures == std::vector<int>(kThreads, 0), boost::test_tools::per_element());
    auto counter = store->get("c", "counter");
    BOOST_REQUIRE(counter.has_value());
    BOOST_TEST(counter->body["n"].get<int>() == kThreads * kIncrements);
    BOOST_TEST(counter->version == 1 + kThreads * kIncrements);
}

BOOST_AUTO_TEST_CASE(erase_removes_the_document_and_a_new_one_starts_at_version_one) {
    BOOST_TEST(store->put("c", "a", {{"v", 1}}).value() == 1);
    BOOST_TEST(store->put("c", "a", {{"v", 2}}).value() == 2);

    BOOST_TEST(store->erase("c", "a").has_value());

    BOOST_TEST(store->get("c", "a").error().code == ErrorCode::kNotFound);
    BOOST_TEST(store->create("c", "a", {}).value() == 1);
}

BOOST_AUTO_TEST_CASE(scan_pages_cover_every_document_exactly_once_in_id_order) {
    std::vector<std::string> expected;
    for (int index = 0; index < 25; ++index) {
        const std::string id = numbered("doc-", 100 + index);
        expected.push_back(id);
        BOOST_TEST(store->put("c", id, {{"i", index}}).value() == 1);
    }
    BOOST_TEST(store->put("other", "doc-999", {}).value() == 1);

    std::vector<std::string> seen;
    std::string cursor;
    int pages = 0;
    do {
        auto page = store->scan("c", cursor, 7);
        BOOST_REQUIRE(page.has_value());
        for (const auto& document : page->documents) {
            seen.push_back(document.id);
        }
        cursor = page->next_cursor;
        ++pages;
    } while (!cursor.empty() && pages < 100);

    BOOST_TEST(seen == expected, boost::test_tools::per_element());
    BOOST_TEST(pages == 4);
}

BOOST_AUTO_TEST_CASE(scan_while_others_write_never_skips_or_repeats_unchanged_documents) {
    std::set<std::string> stable;
    for (int index = 10; index < 40; ++index) {
        const std::string id = numbered("d", index);
        BOOST_TEST(store->put("c", id, {}).value() == 1);
        if (index % 2 == 0) {
            stable.insert(id);
        }
    }

    std::multiset<std::string> seen;
    std::string cursor;
    int round = 0;
    do {
        auto page = store->scan("c", cursor, 4);
        BOOST_REQUIRE(page.has_value());
        for (const auto& document : page->documents) {
            seen.insert(document.id);
        }
        cursor = page->next_cursor;
        // Meanwhile another writer erases odd ids and inserts before and after the cursor.
        if (round < 15) {
            BOOST_TEST(store->erase("c", numbered("d", 11 + 2 * round)).has_value());
        }
        BOOST_TEST(store->put("c", numbered("a-new-", round), {}).has_value());
        BOOST_TEST(store->put("c", numbered("z-new-", round), {}).has_value());
        ++round;
    } while (!cursor.empty() && round < 100);

    for (const auto& id : stable) {
        BOOST_TEST(seen.count(id) == 1u, id);
    }
    BOOST_TEST(std::set<std::string>(seen.begin(), seen.end()).size() == seen.size());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(storage_sets, StoreFixture)

BOOST_AUTO_TEST_CASE(rejects_invalid_set_names_members_and_set_counts) {
    BOOST_TEST(store->add_to_set("", "m").error().code == ErrorCode::kInvalidInput);
    BOOST_TEST(store->add_to_set("s", "").error().code == ErrorCode::kInvalidInput);
    BOOST_TEST(store->remove_from_set("s", std::string(513, 'm')).error().code ==
               ErrorCode::kInvalidInput);
    BOOST_TEST(store->set_members("").error().code == ErrorCode::kInvalidInput);
    BOOST_TEST(store->intersect_sets({}).error().code == ErrorCode::kInvalidInput);
    BOOST_TEST(store->intersect_sets(std::vector<std::string>(17, "s")).error().code ==
               ErrorCode::kInvalidInput);
}

BOOST_AUTO_TEST_CASE(members_are_sorted_unique_and_removable) {
    BOOST_TEST(store->add_to_set("tag:gpu", "m2").has_value());
    BOOST_TEST(store->add_to_set("tag:gpu", "m1").has_value());
    BOOST_TEST(store->add_to_set("tag:gpu", "m2").has_value());
    BOOST_TEST(store->add_to_set("tag:gpu", "m3").has_value());

    BOOST_TEST(store->remove_from_set("tag:gpu", "m3").has_value());
    BOOST_TEST(store->remove_from_set("tag:gpu", "absent").has_value());

    BOOST_TEST(store->set_members("tag:gpu").value() == std::vector<std::string>({"m1", "m2"}),
               boost::test_tools::per_element());
    BOOST_TEST(store->set_members("tag:none").value().empty());
}

BOOST_AUTO_TEST_CASE(intersection_returns_members_in_every_set) {
    for (const auto* member : {"a", "b", "c"}) {
        BOOST_TEST(store->add_to_set("tag:gpu", member).has_value());
    }
    for (const auto* member : {"b", "c", "d"}) {
        BOOST_TEST(store->add_to_set("tag:llm", member).has_value());
    }
    BOOST_TEST(store->add_to_set("tag:big", "c").has_value());

    BOOST_TEST(store->intersect_sets({"tag:gpu", "tag:llm"}).value() ==
                   std::vector<std::string>({"b", "c"}),
               boost::test_tools::per_element());
    BOOST_TEST(store->intersect_sets({"tag:gpu", "tag:llm", "tag:big"}).value() ==
                   std::vector<std::string>({"c"}),
               boost::test_tools::per_element());
    BOOST_TEST(store->intersect_sets({"tag:gpu", "tag:none"}).value().empty());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace aiops::testing
