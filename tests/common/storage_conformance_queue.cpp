// Queue conformance cases every storage backend must pass; see storage_conformance.h.
#include <boost/test/unit_test.hpp>

#include "storage_conformance.h"

namespace aiops::testing {

using common::ErrorCode;
using common::Job;
using namespace std::chrono_literals;

namespace {

Job lease_one(common::Store& store, std::string_view queue = "q") {
    auto job = store.lease(queue, 30s);
    BOOST_REQUIRE(job.has_value());
    BOOST_REQUIRE(job->has_value());
    return **job;
}

bool nothing_to_lease(common::Store& store, std::string_view queue = "q") {
    auto job = store.lease(queue, 30s);
    return job.has_value() && !job->has_value();
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(storage_queue, StoreFixture)

BOOST_AUTO_TEST_CASE(rejects_invalid_queue_inputs) {
    const nlohmann::json big{{"blob", std::string(64 * 1024, 'x')}};
    Job unleased{.id = "1", .queue = "q", .attempt = 0};

    BOOST_TEST(store->enqueue("", "k", {}).error().code == ErrorCode::kInvalidInput);
    BOOST_TEST(store->enqueue("q", "", {}).error().code == ErrorCode::kInvalidInput);
    BOOST_TEST(store->enqueue("q", std::string(513, 'k'), {}).error().code ==
               ErrorCode::kInvalidInput);
    BOOST_TEST(store->enqueue("q", "k", big).error().code == ErrorCode::kTooLarge);
    BOOST_TEST(store->lease("q", 0ms).error().code == ErrorCode::kInvalidInput);
    BOOST_TEST(store->ack(unleased).error().code == ErrorCode::kInvalidInput);
    unleased.attempt = 1;
    BOOST_TEST(store->retry(unleased, "e", -1ms).error().code == ErrorCode::kInvalidInput);
    BOOST_TEST(store->dead_letters("q", 0).error().code == ErrorCode::kInvalidInput);
    BOOST_TEST(store->requeue_dead("q", "").error().code == ErrorCode::kInvalidInput);
    BOOST_TEST(store->discard_dead("q", "").error().code == ErrorCode::kInvalidInput);
    BOOST_TEST(store->queue_stats("").error().code == ErrorCode::kInvalidInput);
}

BOOST_AUTO_TEST_CASE(ack_of_unknown_job_is_a_conflict) {
    const Job ghost{.id = "424242", .queue = "q", .attempt = 1};

    BOOST_TEST(store->ack(ghost).error().code == ErrorCode::kConflict);
    BOOST_TEST(store->retry(ghost, "e", 1s).error().code == ErrorCode::kConflict);
}

BOOST_AUTO_TEST_CASE(lease_of_an_empty_queue_returns_nothing) {
    BOOST_TEST(nothing_to_lease(*store));
}

BOOST_AUTO_TEST_CASE(lease_returns_the_job_with_its_payload_and_first_attempt) {
    auto queued = store->enqueue("q", "key-1", {{"artifact", "library/nginx"}});
    BOOST_REQUIRE(queued.has_value());
    BOOST_TEST(queued->created);

    const Job job = lease_one(*store);

    BOOST_TEST(job.id == queued->job_id);
    BOOST_TEST(job.queue == "q");
    BOOST_TEST(job.idempotency_key == "key-1");
    BOOST_TEST(job.payload == nlohmann::json({{"artifact", "library/nginx"}}));
    BOOST_TEST(job.attempt == 1);
    BOOST_TEST(job.last_error.empty());
    BOOST_TEST((job.enqueued_at == clock.now()));
}

BOOST_AUTO_TEST_CASE(same_idempotency_key_returns_the_original_job) {
    auto first = store->enqueue("q", "delivery-7", {{"n", 1}});
    BOOST_REQUIRE(first.has_value());

    auto second = store->enqueue("q", "delivery-7", {{"n", 2}});

    BOOST_REQUIRE(second.has_value());
    BOOST_TEST(!second->created);
    BOOST_TEST(second->job_id == first->job_id);
    BOOST_TEST(store->queue_stats("q")->ready == 1);
    BOOST_TEST(lease_one(*store).payload == nlohmann::json({{"n", 1}}));
}

BOOST_AUTO_TEST_CASE(dedup_holds_while_the_job_lives_beyond_the_window) {
    auto first = store->enqueue("q", "k", {});
    BOOST_REQUIRE(first.has_value());
    BOOST_TEST(store->retry(lease_one(*store), "busy", 2h).has_value());
    clock.advance(90min);  // past the 1 h window, but the job still waits for its retry
    BOOST_TEST(store->enqueue("q", "k", {})->job_id == first->job_id);
    clock.advance(30min);
    BOOST_TEST(store->ack(lease_one(*store)).has_value());
    auto after = store->enqueue("q", "k", {});  // job gone and window over: a new job

    BOOST_REQUIRE(after.has_value());
    BOOST_TEST(after->created);
    BOOST_TEST(after->job_id != first->job_id);
}

BOOST_AUTO_TEST_CASE(key_is_accepted_again_after_the_window_once_the_job_is_gone) {
    auto first = store->enqueue("q", "k", {});
    BOOST_REQUIRE(first.has_value());
    BOOST_TEST(store->ack(lease_one(*store)).has_value());
    clock.advance(30min);
    BOOST_TEST(store->enqueue("q", "k", {})->job_id == first->job_id);  // within the window

    clock.advance(31min);
    auto again = store->enqueue("q", "k", {});

    BOOST_REQUIRE(again.has_value());
    BOOST_TEST(again->created);
    BOOST_TEST(again->job_id != first->job_id);
}

BOOST_AUTO_TEST_CASE(leased_job_is_hidden_from_other_consumers) {
    BOOST_REQUIRE(store->enqueue("q", "k", {}).has_value());
    auto other_replica = open_again();

    const Job job = lease_one(*store);

    BOOST_TEST(nothing_to_lease(*other_replica));
    auto stats = store->queue_stats("q");
    BOOST_TEST(stats->leased == 1);
    BOOST_TEST(stats->ready == 0);
    BOOST_TEST(job.attempt == 1);
}

BOOST_AUTO_TEST_CASE(expired_lease_is_leased_again_and_the_old_lease_cannot_ack) {
    BOOST_REQUIRE(store->enqueue("q", "k", {}).has_value());
    const Job crashed = lease_one(*store);
    clock.advance(29s);
    BOOST_TEST(nothing_to_lease(*store));

    clock.advance(1s);
    const Job again = lease_one(*store);

    BOOST_TEST(again.id == crashed.id);
    BOOST_TEST(again.attempt == 2);
    BOOST_TEST(store->ack(crashed).error().code == ErrorCode::kConflict);
    BOOST_TEST(store->ack(again).has_value());
}

BOOST_AUTO_TEST_CASE(ack_removes_the_job) {
    BOOST_REQUIRE(store->enqueue("q", "k", {}).has_value());
    const Job job = lease_one(*store);

    BOOST_TEST(store->ack(job).has_value());

    clock.advance(1h);
    BOOST_TEST(nothing_to_lease(*store));
    auto stats = store->queue_stats("q");
    BOOST_TEST(stats->ready + stats->delayed + stats->leased + stats->dead == 0);
    BOOST_TEST(store->ack(job).error().code == ErrorCode::kConflict);
}

BOOST_AUTO_TEST_CASE(retry_makes_the_job_available_only_after_the_backoff) {
    BOOST_REQUIRE(store->enqueue("q", "k", {}).has_value());

    BOOST_TEST(store->retry(lease_one(*store), "upstream 503", 30s).has_value());

    BOOST_TEST(nothing_to_lease(*store));
    BOOST_TEST(store->queue_stats("q")->delayed == 1);
    clock.advance(29s);
    BOOST_TEST(nothing_to_lease(*store));
    clock.advance(1s);
    const Job job = lease_one(*store);
    BOOST_TEST(job.attempt == 2);
    BOOST_TEST(job.last_error == "upstream 503");
}

BOOST_AUTO_TEST_CASE(job_is_dead_lettered_after_max_attempts) {
    auto queued = store->enqueue("q", "k", {{"n", 1}});
    BOOST_REQUIRE(queued.has_value());

    for (int attempt = 1; attempt <= 3; ++attempt) {
        const Job job = lease_one(*store);
        BOOST_TEST(job.attempt == attempt);
        BOOST_TEST(store->retry(job, "boom " + std::to_string(attempt), 1s).has_value());
        clock.advance(1s);
    }

    BOOST_TEST(nothing_to_lease(*store));
    auto dead = store->dead_letters("q", 10);
    BOOST_REQUIRE(dead.has_value());
    BOOST_REQUIRE(dead->size() == 1u);
    BOOST_TEST(dead->front().id == queued->job_id);
    BOOST_TEST(dead->front().last_error == "boom 3");
    BOOST_TEST(dead->front().payload == nlohmann::json({{"n", 1}}));
    BOOST_TEST(store->queue_stats("q")->dead == 1);
}

BOOST_AUTO_TEST_CASE(job_whose_consumer_keeps_crashing_is_dead_lettered) {
    BOOST_REQUIRE(store->enqueue("q", "poison", {}).has_value());

    for (int attempt = 1; attempt <= 3; ++attempt) {
        BOOST_TEST(lease_one(*store).attempt == attempt);
        clock.advance(31s);  // the consumer died: no ack, no retry
    }

    BOOST_TEST(nothing_to_lease(*store));
    auto dead = store->dead_letters("q", 10);
    BOOST_REQUIRE(dead.has_value());
    BOOST_REQUIRE(dead->size() == 1u);
    BOOST_TEST(dead->front().last_error == "lease expired");
}

BOOST_AUTO_TEST_CASE(requeue_makes_a_dead_letter_available_with_attempts_reset) {
    auto queued = store->enqueue("q", "k", {});
    BOOST_REQUIRE(queued.has_value());
    BOOST_TEST(store->requeue_dead("q", queued->job_id).error().code == ErrorCode::kNotFound);
    for (int attempt = 1; attempt <= 3; ++attempt) {
        BOOST_TEST(store->retry(lease_one(*store), "boom", 0ms).has_value());
    }

    BOOST_TEST(store->requeue_dead("q", queued->job_id).has_value());

    BOOST_TEST(store->dead_letters("q", 10)->empty());
    const Job job = lease_one(*store);
    BOOST_TEST(job.id == queued->job_id);
    BOOST_TEST(job.attempt == 1);
    BOOST_TEST(store->requeue_dead("q", "999999").error().code == ErrorCode::kNotFound);
}

BOOST_AUTO_TEST_CASE(discard_deletes_only_a_dead_letter_and_its_key_still_deduplicates) {
    auto queued = store->enqueue("q", "k", {{"n", 1}});
    BOOST_REQUIRE(queued.has_value());
    BOOST_TEST(store->discard_dead("q", queued->job_id).error().code == ErrorCode::kNotFound);
    for (int attempt = 1; attempt <= 3; ++attempt) {
        BOOST_TEST(store->retry(lease_one(*store), "boom", 0ms).has_value());
    }
    BOOST_TEST(store->queue_stats("q")->dead == 1);
    auto other = store->enqueue("q", "other", {{"n", 2}});
    BOOST_REQUIRE(other.has_value());
    BOOST_TEST(store->discard_dead("other-queue", queued->job_id).error().code ==
               ErrorCode::kNotFound);

    BOOST_TEST(store->discard_dead("q", queued->job_id).has_value());
    BOOST_TEST(store->dead_letters("q", 10)->empty());
    BOOST_TEST(store->queue_stats("q")->dead == 0);
    BOOST_TEST(store->discard_dead("q", queued->job_id).error().code == ErrorCode::kNotFound);
    BOOST_TEST(store->requeue_dead("q", queued->job_id).error().code == ErrorCode::kNotFound);
    BOOST_TEST(store->discard_dead("q", "999999").error().code == ErrorCode::kNotFound);
    // Within the dedup window the same key is still a duplicate, as after an ack.
    const auto again = store->enqueue("q", "k", {{"n", 1}});
    BOOST_REQUIRE(again.has_value());
    BOOST_TEST(!again->created);
    // The other job is untouched.
    const Job left = lease_one(*store);
    BOOST_TEST(left.id == other->job_id);
    BOOST_TEST(nothing_to_lease(*store));
}

BOOST_AUTO_TEST_CASE(queues_are_independent) {
    BOOST_REQUIRE(store->enqueue("webhooks", "k", {{"q", "webhooks"}}).has_value());
    BOOST_REQUIRE(store->enqueue("preheat", "k", {{"q", "preheat"}}).has_value());

    const Job job = lease_one(*store, "preheat");

    BOOST_TEST(job.payload == nlohmann::json({{"q", "preheat"}}));
    BOOST_TEST(nothing_to_lease(*store, "preheat"));
    BOOST_TEST(store->queue_stats("webhooks")->ready == 1);
    Job wrong_queue = job;
    wrong_queue.queue = "webhooks";
    BOOST_TEST(store->ack(wrong_queue).error().code == ErrorCode::kConflict);
}

BOOST_AUTO_TEST_CASE(ping_answers) { BOOST_TEST(store->ping().has_value()); }

BOOST_AUTO_TEST_SUITE_END()

}  // namespace aiops::testing
