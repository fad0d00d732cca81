#define BOOST_TEST_MODULE common_blob_cache
#include "aiops/common/blob_cache.h"

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <latch>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "fixtures/temp_dir.h"

using aiops::common::BlobCache;
using aiops::common::BlobCacheSettings;
using aiops::common::BlobFetcher;
using aiops::common::BlobReader;
using aiops::common::BlobSink;
using aiops::common::compute_digest;
using aiops::common::Digest;
using aiops::common::DigestAlgorithm;
using aiops::common::Error;
using aiops::common::ErrorCode;
using aiops::common::Result;
using aiops::common::Status;
using aiops::testing::TempDir;

namespace {

constexpr std::size_t kMiB = std::size_t{1} << 20;
constexpr std::size_t kSinkChunk = std::size_t{64} * 1024;

// A one-shot signal between the test and a fetcher thread. wait() gives up after 30 s so a bug
// fails the test instead of hanging it.
class Gate {
public:
    void open() {
        {
            std::scoped_lock lock(mutex_);
            open_ = true;
        }
        opened_.notify_all();
    }
    bool wait() {
        std::unique_lock lock(mutex_);
        return opened_.wait_for(lock, std::chrono::seconds(30), [this] { return open_; });
    }

private:
    std::mutex mutex_;
    std::condition_variable opened_;
    bool open_ = false;
};

std::string random_bytes(std::size_t size, std::uint64_t seed) {
    std::mt19937_64 generator(seed);
    std::string bytes(size, '\0');
    for (char& byte : bytes) {
        byte = static_cast<char>(generator());
    }
    return bytes;
}

Digest digest_of(std::string_view bytes, DigestAlgorithm algorithm = DigestAlgorithm::kSha256) {
    return compute_digest(bytes, algorithm).value();
}

// Feeds `bytes` to the sink in chunks; stops (kUpstream) when the sink says so.
Status feed(const BlobSink& sink, std::string_view bytes) {
    for (std::size_t offset = 0; offset < bytes.size(); offset += kSinkChunk) {
        if (!sink(bytes.substr(offset, kSinkChunk))) {
            return Error{ErrorCode::kUpstream, "stopped by the sink"};
        }
    }
    return {};
}

// A fetcher serving `bytes`, counting its calls.
BlobFetcher serve(std::string bytes, std::atomic<int>& calls) {
    return [bytes = std::move(bytes), &calls](const BlobSink& sink) {
        ++calls;
        return feed(sink, bytes);
    };
}

// A fetcher serving `bytes` once `gate` opens.
BlobFetcher serve_after(std::string bytes, Gate& gate, std::atomic<int>& calls) {
    return [bytes = std::move(bytes), &gate, &calls](const BlobSink& sink) -> Status {
        ++calls;
        if (!gate.wait()) {
            return Error{ErrorCode::kTimeout, "test gate never opened"};
        }
        return feed(sink, bytes);
    };
}

Result<std::string> read_all(BlobReader& reader) {
    std::string content;
    std::string buffer(std::size_t{256} * 1024, '\0');
    while (true) {
        auto got = reader.read(content.size(), buffer.data(), buffer.size());
        if (!got) {
            return got.error();
        }
        if (*got == 0) {
            return content;
        }
        content.append(buffer.data(), *got);
    }
}

Result<std::string> read_range(BlobReader& reader, std::uint64_t offset, std::size_t length) {
    std::string content;
    std::string buffer(length, '\0');
    while (content.size() < length) {
        auto got = reader.read(offset + content.size(), buffer.data(), length - content.size());
        if (!got) {
            return got.error();
        }
        if (*got == 0) {
            break;
        }
        content.append(buffer.data(), *got);
    }
    return content;
}

std::unique_ptr<BlobCache> open_cache(const std::filesystem::path& dir,
                                      std::uint64_t max_bytes = std::uint64_t{1} << 30,
                                      std::chrono::milliseconds stall = std::chrono::seconds(30)) {
    auto cache = BlobCache::open({.dir = dir, .max_bytes = max_bytes, .stall_timeout = stall});
    BOOST_TEST_REQUIRE(cache.has_value());
    return std::move(cache).value();
}

std::size_t files_in(const std::filesystem::path& dir) {
    std::size_t count = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) {
        ++count;
    }
    return count;
}

std::filesystem::path blob_file(const TempDir& dir, const Digest& digest) {
    return dir.path() / "blobs" / std::string(digest.algorithm_name()) / std::string(digest.hex());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(blob_cache_bad_input)

BOOST_AUTO_TEST_CASE(rejects_empty_dir_zero_max_bytes_and_zero_stall_timeout) {
    TempDir dir;

    const auto no_dir = BlobCache::open({.dir = {}});
    const auto no_bytes = BlobCache::open({.dir = dir.path(), .max_bytes = 0});
    const auto no_stall =
        BlobCache::open({.dir = dir.path(), .stall_timeout = std::chrono::milliseconds(0)});

    BOOST_TEST_REQUIRE(!no_dir.has_value());
    BOOST_TEST(no_dir.error().code == ErrorCode::kInvalidInput);
    BOOST_TEST_REQUIRE(!no_bytes.has_value());
    BOOST_TEST(no_bytes.error().code == ErrorCode::kInvalidInput);
    BOOST_TEST_REQUIRE(!no_stall.has_value());
    BOOST_TEST(no_stall.error().code == ErrorCode::kInvalidInput);
}

BOOST_AUTO_TEST_CASE(open_without_a_fetcher_is_invalid_input) {
    TempDir dir;
    auto cache = open_cache(dir.path());

    const auto reader = cache->open(digest_of("x"), 1, nullptr);

    BOOST_TEST_REQUIRE(!reader.has_value());
    BOOST_TEST(reader.error().code == ErrorCode::kInvalidInput);
    BOOST_TEST(cache->stats().misses == 0U);
}

BOOST_AUTO_TEST_CASE(put_rejects_bytes_that_do_not_match_the_digest) {
    TempDir dir;
    auto cache = open_cache(dir.path());

    const auto stored = cache->put(digest_of("expected"), "actual");

    BOOST_TEST_REQUIRE(!stored.has_value());
    BOOST_TEST(stored.error().code == ErrorCode::kDigestMismatch);
    BOOST_TEST(cache->stats().entries == 0U);
    BOOST_TEST(!cache->lookup(digest_of("expected")).has_value());
    BOOST_TEST(files_in(dir.path() / "tmp") == 0U);
}

BOOST_AUTO_TEST_CASE(erase_of_an_absent_blob_is_not_found) {
    TempDir dir;
    auto cache = open_cache(dir.path());

    const auto erased = cache->erase(digest_of("never stored"));

    BOOST_TEST_REQUIRE(!erased.has_value());
    BOOST_TEST(erased.error().code == ErrorCode::kNotFound);
}

BOOST_AUTO_TEST_CASE(empty_blob_with_expected_size_zero_is_fetched_and_cached) {
    TempDir dir;
    std::atomic<int> calls = 0;
    auto cache = open_cache(dir.path());
    const Digest empty = digest_of("");
    BOOST_TEST(empty.str() ==
               "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

    auto reader = cache->open(empty, 0, serve("", calls));

    BOOST_TEST_REQUIRE(reader.has_value());
    const auto content = read_all(**reader);
    BOOST_TEST_REQUIRE(content.has_value());
    BOOST_TEST(content->empty());
    BOOST_TEST((*reader)->wait().has_value());
    const auto cached = cache->lookup(empty);
    BOOST_TEST_REQUIRE(cached.has_value());
    BOOST_TEST((*cached)->size() == 0U);
    BOOST_TEST((*cached)->complete());
    BOOST_TEST(std::filesystem::exists(blob_file(dir, empty)));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(blob_cache_failed_downloads)

BOOST_AUTO_TEST_CASE(digest_mismatch_fails_every_reader_caches_nothing_and_refetches) {
    TempDir dir;
    Gate gate;
    std::atomic<int> calls = 0;
    auto cache = open_cache(dir.path());
    const std::string good = random_bytes(3 * kMiB, 1);
    std::string bad = good;
    bad[2 * kMiB + 5] ^= 1;
    const Digest digest = digest_of(good);

    auto first = cache->open(digest, good.size(), serve_after(bad, gate, calls));
    auto second = cache->open(digest, good.size(), serve_after(bad, gate, calls));
    gate.open();

    BOOST_TEST_REQUIRE(first.has_value());
    BOOST_TEST_REQUIRE(second.has_value());
    for (auto* reader : {&*first, &*second}) {
        const auto content = read_all(**reader);
        BOOST_TEST_REQUIRE(!content.has_value());
        BOOST_TEST(content.error().code == ErrorCode::kDigestMismatch);
        BOOST_TEST((*reader)->wait().error().code == ErrorCode::kDigestMismatch);
    }
    BOOST_TEST(calls == 1);
    BOOST_TEST(cache->stats().failed_fetches == 1U);
    BOOST_TEST(cache->stats().entries == 0U);
    BOOST_TEST(!cache->lookup(digest).has_value());
    BOOST_TEST(!std::filesystem::exists(blob_file(dir, digest)));
    BOOST_TEST(files_in(dir.path() / "tmp") == 0U);

    auto retry = cache->open(digest, good.size(), serve(good, calls));

    BOOST_TEST_REQUIRE(retry.has_value());
    BOOST_TEST(read_all(**retry).value() == good);
    BOOST_TEST(calls == 2);
    BOOST_TEST(cache->stats().misses == 2U);
}

BOOST_AUTO_TEST_CASE(fetcher_error_midway_fails_readers_and_caches_nothing) {
    TempDir dir;
    auto cache = open_cache(dir.path());
    const std::string bytes = random_bytes(4 * kMiB, 2);
    const Digest digest = digest_of(bytes);
    const BlobFetcher half_then_fail = [&bytes](const BlobSink& sink) -> Status {
        auto fed = feed(sink, std::string_view(bytes).substr(0, bytes.size() / 2));
        if (!fed) {
            return fed;
        }
        return Error{ErrorCode::kUpstream, "connection reset"};
    };

    auto reader = cache->open(digest, bytes.size(), half_then_fail);

    BOOST_TEST_REQUIRE(reader.has_value());
    const auto content = read_all(**reader);
    BOOST_TEST_REQUIRE(!content.has_value());
    BOOST_TEST(content.error().code == ErrorCode::kUpstream);
    BOOST_TEST(content.error().message == "connection reset");
    BOOST_TEST((*reader)->wait().error().code == ErrorCode::kUpstream);
    BOOST_TEST(cache->stats().failed_fetches == 1U);
    BOOST_TEST(!cache->lookup(digest).has_value());
    BOOST_TEST(files_in(dir.path() / "tmp") == 0U);
}

BOOST_AUTO_TEST_CASE(more_bytes_than_expected_stop_the_fetch) {
    TempDir dir;
    std::atomic<bool> sink_refused = false;
    auto cache = open_cache(dir.path());
    const std::string bytes = random_bytes(kMiB, 3);
    const Digest digest = digest_of(bytes);
    const BlobFetcher endless = [&sink_refused](const BlobSink& sink) -> Status {
        const std::string chunk(kSinkChunk, 'x');
        for (int chunk_index = 0; chunk_index < 1000; ++chunk_index) {
            if (!sink(chunk)) {
                sink_refused = true;
                return Error{ErrorCode::kUpstream, "stopped by the sink"};
            }
        }
        return {};
    };

    auto reader = cache->open(digest, bytes.size(), endless);

    BOOST_TEST_REQUIRE(reader.has_value());
    const Status outcome = (*reader)->wait();
    BOOST_TEST_REQUIRE(!outcome.has_value());
    BOOST_TEST(outcome.error().code == ErrorCode::kDigestMismatch);
    BOOST_TEST(outcome.error().message.find("more bytes than expected") != std::string::npos);
    BOOST_TEST(sink_refused.load());
    BOOST_TEST(read_all(**reader).error().code == ErrorCode::kDigestMismatch);
    BOOST_TEST(cache->stats().failed_fetches == 1U);
    BOOST_TEST(files_in(dir.path() / "tmp") == 0U);
}

BOOST_AUTO_TEST_CASE(fewer_bytes_than_expected_are_a_mismatch) {
    TempDir dir;
    std::atomic<int> calls = 0;
    auto cache = open_cache(dir.path());
    const std::string bytes = random_bytes(1000, 4);

    auto reader = cache->open(digest_of(bytes), bytes.size() + 1, serve(bytes, calls));

    BOOST_TEST_REQUIRE(reader.has_value());
    BOOST_TEST(read_all(**reader).error().code == ErrorCode::kDigestMismatch);
    BOOST_TEST(cache->stats().entries == 0U);
}

BOOST_AUTO_TEST_CASE(a_throwing_fetcher_is_an_internal_error) {
    TempDir dir;
    auto cache = open_cache(dir.path());
    const BlobFetcher throwing = [](const BlobSink&) -> Status {
        throw std::runtime_error("bug in fetcher");
    };

    auto reader = cache->open(digest_of("x"), 1, throwing);

    BOOST_TEST_REQUIRE(reader.has_value());
    BOOST_TEST((*reader)->wait().error().code == ErrorCode::kInternal);
    BOOST_TEST(cache->stats().failed_fetches == 1U);
}

BOOST_AUTO_TEST_CASE(a_reader_waiting_on_a_stalled_download_times_out) {
    TempDir dir;
    Gate gate;
    std::atomic<int> calls = 0;
    auto cache = open_cache(dir.path(), std::uint64_t{1} << 30, std::chrono::milliseconds(20));
    const std::string bytes = random_bytes(1000, 5);

    auto reader = cache->open(digest_of(bytes), bytes.size(), serve_after(bytes, gate, calls));
    BOOST_TEST_REQUIRE(reader.has_value());
    char byte = 0;
    const auto got = (*reader)->read(0, &byte, 1);
    gate.open();

    BOOST_TEST_REQUIRE(!got.has_value());
    BOOST_TEST(got.error().code == ErrorCode::kTimeout);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(blob_cache_single_flight)

BOOST_AUTO_TEST_CASE(counts_misses_joins_and_hits) {
    TempDir dir;
    Gate gate;
    std::atomic<int> calls = 0;
    auto cache = open_cache(dir.path());
    const std::string bytes = random_bytes(100000, 6);
    const Digest digest = digest_of(bytes);

    auto cold = cache->open(digest, bytes.size(), serve_after(bytes, gate, calls));
    auto joined = cache->open(digest, bytes.size(), serve_after(bytes, gate, calls));
    BOOST_TEST(!cache->lookup(digest).has_value());
    gate.open();
    BOOST_TEST_REQUIRE(cold.has_value());
    BOOST_TEST((*cold)->wait().has_value());
    auto warm = cache->open(digest, bytes.size(), serve(bytes, calls));
    auto looked_up = cache->lookup(digest);

    BOOST_TEST_REQUIRE(joined.has_value());
    BOOST_TEST(!(*cold)->complete());
    BOOST_TEST(!(*joined)->complete());
    BOOST_TEST(read_all(**joined).value() == bytes);
    BOOST_TEST_REQUIRE(warm.has_value());
    BOOST_TEST((*warm)->complete());
    BOOST_TEST(read_all(**warm).value() == bytes);
    BOOST_TEST_REQUIRE(looked_up.has_value());
    BOOST_TEST((*looked_up)->size() == bytes.size());
    BOOST_TEST(calls == 1);
    const auto stats = cache->stats();
    BOOST_TEST(stats.misses == 1U);
    BOOST_TEST(stats.joined == 1U);
    BOOST_TEST(stats.hits == 2U);
    BOOST_TEST(stats.entries == 1U);
    BOOST_TEST(stats.bytes == bytes.size());
    BOOST_TEST(stats.failed_fetches == 0U);
    BOOST_TEST(aiops::testing::read_file(blob_file(dir, digest)) == bytes);
}

BOOST_AUTO_TEST_CASE(fifty_concurrent_opens_fetch_once_and_read_identical_bytes) {
    TempDir dir;
    Gate gate;
    std::atomic<int> calls = 0;
    auto cache = open_cache(dir.path());
    const std::string bytes = random_bytes(2 * kMiB + 123, 7);
    const Digest digest = digest_of(bytes);
    constexpr int kReaders = 50;
    std::latch all_opened(kReaders);
    std::vector<int> correct(kReaders, 0);
    std::vector<std::thread> readers;
    readers.reserve(kReaders);

    for (int reader_index = 0; reader_index < kReaders; ++reader_index) {
        readers.emplace_back([&, reader_index] {
            auto reader = cache->open(digest, bytes.size(), serve_after(bytes, gate, calls));
            all_opened.count_down();
            const auto content = reader ? read_all(**reader) : reader.error();
            correct[reader_index] = content && *content == bytes ? 1 : 0;
        });
    }
    all_opened.wait();
    gate.open();
    for (auto& reader : readers) {
        reader.join();
    }

    BOOST_TEST(calls == 1);
    BOOST_TEST(std::count(correct.begin(), correct.end(), 1) == kReaders);
    BOOST_TEST(cache->stats().misses == 1U);
    BOOST_TEST(cache->stats().joined == kReaders - 1U);
}

BOOST_AUTO_TEST_CASE(range_reads_during_the_download_return_the_right_bytes) {
    TempDir dir;
    Gate first_part_sent;
    Gate send_rest;
    auto cache = open_cache(dir.path());
    const std::string bytes = random_bytes(3 * kMiB, 8);
    const Digest digest = digest_of(bytes);
    const std::string_view view(bytes);
    const BlobFetcher in_two_parts = [&](const BlobSink& sink) -> Status {
        auto fed = feed(sink, view.substr(0, 2 * kMiB));
        first_part_sent.open();
        if (!fed || !send_rest.wait()) {
            return Error{ErrorCode::kUpstream, "test fetcher stopped"};
        }
        return feed(sink, view.substr(2 * kMiB));
    };

    auto reader = cache->open(digest, bytes.size(), in_two_parts);
    BOOST_TEST_REQUIRE(reader.has_value());
    BOOST_TEST_REQUIRE(first_part_sent.wait());
    const auto head = read_range(**reader, 0, 100);
    const auto middle = read_range(**reader, kMiB + kMiB / 2 - 7, 10000);
    const auto edge = read_range(**reader, 2 * kMiB - 100, 100);
    const bool still_in_flight = cache->stats().entries == 0U;
    Result<std::string> tail = std::string();
    std::thread tail_reader([&] { tail = read_range(**reader, 2 * kMiB - 50, kMiB + 50); });
    send_rest.open();
    tail_reader.join();

    BOOST_TEST(head.value() == view.substr(0, 100));
    BOOST_TEST(middle.value() == view.substr(kMiB + kMiB / 2 - 7, 10000));
    BOOST_TEST(edge.value() == view.substr(2 * kMiB - 100, 100));
    BOOST_TEST(still_in_flight);
    BOOST_TEST(tail.value() == view.substr(2 * kMiB - 50));
    BOOST_TEST((*reader)->wait().has_value());
    BOOST_TEST(cache->stats().entries == 1U);
}

BOOST_AUTO_TEST_CASE(a_sha512_digest_is_verified_with_sha512) {
    TempDir dir;
    std::atomic<int> calls = 0;
    auto cache = open_cache(dir.path());
    const std::string bytes = random_bytes(5000, 9);
    const Digest digest = digest_of(bytes, DigestAlgorithm::kSha512);

    auto reader = cache->open(digest, bytes.size(), serve(bytes, calls));

    BOOST_TEST_REQUIRE(reader.has_value());
    BOOST_TEST(read_all(**reader).value() == bytes);
    BOOST_TEST((*reader)->wait().has_value());
    BOOST_TEST(aiops::testing::read_file(blob_file(dir, digest)) == bytes);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(blob_cache_eviction)

BOOST_AUTO_TEST_CASE(evicts_the_least_recently_used_blob_first) {
    TempDir dir;
    auto cache = open_cache(dir.path(), 3000);
    const std::string a = random_bytes(1000, 10);
    const std::string b = random_bytes(1000, 11);
    const std::string c = random_bytes(1000, 12);
    const std::string d = random_bytes(1000, 13);
    BOOST_TEST_REQUIRE(cache->put(digest_of(a), a).has_value());
    BOOST_TEST_REQUIRE(cache->put(digest_of(b), b).has_value());
    BOOST_TEST_REQUIRE(cache->put(digest_of(c), c).has_value());
    BOOST_TEST_REQUIRE(cache->lookup(digest_of(a)).has_value());

    BOOST_TEST_REQUIRE(cache->put(digest_of(d), d).has_value());

    BOOST_TEST(!cache->lookup(digest_of(b)).has_value());
    BOOST_TEST(!std::filesystem::exists(blob_file(dir, digest_of(b))));
    BOOST_TEST(cache->lookup(digest_of(a)).has_value());
    BOOST_TEST(cache->lookup(digest_of(c)).has_value());
    BOOST_TEST(cache->lookup(digest_of(d)).has_value());
    BOOST_TEST(cache->stats().evictions == 1U);
    BOOST_TEST(cache->stats().bytes == 3000U);
    BOOST_TEST(files_in(dir.path() / "tmp") == 0U);
}

BOOST_AUTO_TEST_CASE(an_evicted_blob_stays_readable_by_an_open_reader) {
    TempDir dir;
    auto cache = open_cache(dir.path(), 1000);
    const std::string old_blob = random_bytes(600, 14);
    const std::string new_blob = random_bytes(600, 15);
    BOOST_TEST_REQUIRE(cache->put(digest_of(old_blob), old_blob).has_value());
    auto reader = cache->lookup(digest_of(old_blob));
    BOOST_TEST_REQUIRE(reader.has_value());

    BOOST_TEST_REQUIRE(cache->put(digest_of(new_blob), new_blob).has_value());

    BOOST_TEST(!cache->lookup(digest_of(old_blob)).has_value());
    BOOST_TEST(read_all(**reader).value() == old_blob);
}

BOOST_AUTO_TEST_CASE(a_blob_larger_than_max_bytes_is_served_but_not_kept) {
    TempDir dir;
    std::atomic<int> calls = 0;
    auto cache = open_cache(dir.path(), 1000);
    const std::string bytes = random_bytes(5000, 16);
    const Digest digest = digest_of(bytes);

    auto first = cache->open(digest, bytes.size(), serve(bytes, calls));
    BOOST_TEST_REQUIRE(first.has_value());
    const auto content = read_all(**first);
    const Status outcome = (*first)->wait();
    auto second = cache->open(digest, bytes.size(), serve(bytes, calls));

    BOOST_TEST(content.value() == bytes);
    BOOST_TEST(outcome.has_value());
    BOOST_TEST_REQUIRE(second.has_value());
    BOOST_TEST(read_all(**second).value() == bytes);
    BOOST_TEST(calls == 2);
    BOOST_TEST(cache->stats().entries == 0U);
    BOOST_TEST(cache->stats().failed_fetches == 0U);
    BOOST_TEST(!std::filesystem::exists(blob_file(dir, digest)));
}

BOOST_AUTO_TEST_CASE(erase_removes_the_blob_but_not_from_an_open_reader) {
    TempDir dir;
    auto cache = open_cache(dir.path());
    const std::string bytes = random_bytes(3000, 17);
    const Digest digest = digest_of(bytes);
    BOOST_TEST_REQUIRE(cache->put(digest, bytes).has_value());
    auto reader = cache->lookup(digest);
    BOOST_TEST_REQUIRE(reader.has_value());

    const Status erased = cache->erase(digest);

    BOOST_TEST(erased.has_value());
    BOOST_TEST(!cache->lookup(digest).has_value());
    BOOST_TEST(!std::filesystem::exists(blob_file(dir, digest)));
    BOOST_TEST(cache->stats().entries == 0U);
    BOOST_TEST(read_all(**reader).value() == bytes);
}

BOOST_AUTO_TEST_CASE(a_blob_file_deleted_behind_the_caches_back_is_fetched_again) {
    TempDir dir;
    std::atomic<int> calls = 0;
    auto cache = open_cache(dir.path());
    const std::string bytes = random_bytes(3000, 26);
    const Digest digest = digest_of(bytes);
    BOOST_TEST_REQUIRE(cache->put(digest, bytes).has_value());
    std::filesystem::remove(blob_file(dir, digest));

    auto reader = cache->open(digest, bytes.size(), serve(bytes, calls));

    BOOST_TEST_REQUIRE(reader.has_value());
    BOOST_TEST(!(*reader)->complete());
    BOOST_TEST(read_all(**reader).value() == bytes);
    BOOST_TEST(calls == 1);
    BOOST_TEST((*reader)->wait().has_value());
    BOOST_TEST(cache->stats().entries == 1U);
}

BOOST_AUTO_TEST_CASE(put_stores_once_and_a_second_put_is_a_no_op) {
    TempDir dir;
    auto cache = open_cache(dir.path());
    const std::string bytes = random_bytes(3000, 18);
    const Digest digest = digest_of(bytes);

    const Status first = cache->put(digest, bytes);
    const Status second = cache->put(digest, bytes);

    BOOST_TEST(first.has_value());
    BOOST_TEST(second.has_value());
    BOOST_TEST(cache->stats().entries == 1U);
    BOOST_TEST(cache->stats().bytes == bytes.size());
    BOOST_TEST(aiops::testing::read_file(blob_file(dir, digest)) == bytes);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(blob_cache_restart)

BOOST_AUTO_TEST_CASE(a_reopened_cache_finds_its_blobs_drops_temp_files_and_ignores_others) {
    TempDir dir;
    std::atomic<int> calls = 0;
    const std::string put_bytes = random_bytes(2000, 19);
    const std::string fetched_bytes = random_bytes(3000, 20);
    {
        auto cache = open_cache(dir.path());
        BOOST_TEST_REQUIRE(cache->put(digest_of(put_bytes), put_bytes).has_value());
        auto reader = cache->open(digest_of(fetched_bytes), 3000, serve(fetched_bytes, calls));
        BOOST_TEST_REQUIRE((*reader)->wait().has_value());
    }
    aiops::testing::write_file(dir.path() / "tmp" / "fetch-7", "half a download");
    aiops::testing::write_file(dir.path() / "blobs" / "sha256" / "not-a-digest", "junk");
    aiops::testing::write_file(dir.path() / "blobs" / "sha256" / "ABCDEF", "junk");
    aiops::testing::write_file(dir.path() / "blobs" / "README", "junk");

    auto reopened = open_cache(dir.path());

    const auto stats = reopened->stats();
    BOOST_TEST(stats.entries == 2U);
    BOOST_TEST(stats.bytes == 5000U);
    BOOST_TEST(files_in(dir.path() / "tmp") == 0U);
    BOOST_TEST(std::filesystem::exists(dir.path() / "blobs" / "sha256" / "not-a-digest"));
    auto cached = reopened->open(digest_of(fetched_bytes), 3000, serve(fetched_bytes, calls));
    BOOST_TEST_REQUIRE(cached.has_value());
    BOOST_TEST((*cached)->complete());
    BOOST_TEST(read_all(**cached).value() == fetched_bytes);
    BOOST_TEST(read_all(**reopened->lookup(digest_of(put_bytes))).value() == put_bytes);
    BOOST_TEST(calls == 1);
}

BOOST_AUTO_TEST_CASE(the_access_order_survives_a_restart) {
    TempDir dir;
    const std::string a = random_bytes(1000, 21);
    const std::string b = random_bytes(1000, 22);
    const std::string c = random_bytes(1000, 23);
    {
        auto cache = open_cache(dir.path());
        BOOST_TEST_REQUIRE(cache->put(digest_of(a), a).has_value());
        BOOST_TEST_REQUIRE(cache->put(digest_of(b), b).has_value());
    }
    // a is older than b on disk ...
    const auto long_ago = std::filesystem::file_time_type::clock::now() - std::chrono::hours(48);
    std::filesystem::last_write_time(blob_file(dir, digest_of(a)), long_ago);
    std::filesystem::last_write_time(blob_file(dir, digest_of(b)),
                                     long_ago + std::chrono::hours(1));
    {
        // ... until a is read.
        auto cache = open_cache(dir.path());
        BOOST_TEST_REQUIRE(cache->lookup(digest_of(a)).has_value());
    }

    auto cache = open_cache(dir.path(), 2000);
    BOOST_TEST_REQUIRE(cache->put(digest_of(c), c).has_value());

    BOOST_TEST(!cache->lookup(digest_of(b)).has_value());
    BOOST_TEST(cache->lookup(digest_of(a)).has_value());
    BOOST_TEST(cache->lookup(digest_of(c)).has_value());
}

BOOST_AUTO_TEST_CASE(reopening_with_a_smaller_max_bytes_evicts_the_oldest) {
    TempDir dir;
    const std::string a = random_bytes(1000, 24);
    const std::string b = random_bytes(1000, 25);
    {
        auto cache = open_cache(dir.path());
        BOOST_TEST_REQUIRE(cache->put(digest_of(a), a).has_value());
        BOOST_TEST_REQUIRE(cache->put(digest_of(b), b).has_value());
    }
    const auto long_ago = std::filesystem::file_time_type::clock::now() - std::chrono::hours(48);
    std::filesystem::last_write_time(blob_file(dir, digest_of(b)), long_ago);

    auto cache = open_cache(dir.path(), 1500);

    BOOST_TEST(cache->stats().evictions == 1U);
    BOOST_TEST(cache->lookup(digest_of(a)).has_value());
    BOOST_TEST(!std::filesystem::exists(blob_file(dir, digest_of(b))));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(blob_cache_shutdown)

BOOST_AUTO_TEST_CASE(destroying_the_cache_stops_a_download_in_flight) {
    TempDir dir;
    Gate started;
    Gate resume;
    std::atomic<bool> sink_refused = false;
    const BlobFetcher endless = [&](const BlobSink& sink) -> Status {
        const std::string chunk(4096, 'x');
        const bool first = sink(chunk);
        started.open();
        if (!first || !resume.wait()) {
            return Error{ErrorCode::kUpstream, "test fetcher stopped"};
        }
        for (int chunk_index = 0; chunk_index < 1'000'000; ++chunk_index) {
            if (!sink(chunk)) {
                sink_refused = true;
                return Error{ErrorCode::kUpstream, "stopped by the sink"};
            }
        }
        return {};
    };
    auto cache = open_cache(dir.path());
    auto reader = cache->open(digest_of("never"), std::uint64_t{1} << 40, endless);
    BOOST_TEST_REQUIRE(reader.has_value());
    BOOST_TEST_REQUIRE(started.wait());

    resume.open();
    cache.reset();

    BOOST_TEST(sink_refused.load());
    BOOST_TEST((*reader)->wait().error().code == ErrorCode::kUnavailable);
    char byte = 0;
    BOOST_TEST((*reader)->read(std::uint64_t{1} << 39, &byte, 1).error().code ==
               ErrorCode::kUnavailable);
    BOOST_TEST(files_in(dir.path() / "tmp") == 0U);
}

BOOST_AUTO_TEST_SUITE_END()
