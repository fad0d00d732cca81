#define BOOST_TEST_MODULE common_http_client_stream
#include <atomic>
#include <boost/test/unit_test.hpp>

#include "aiops/common/http_client.h"
#include "fixtures/loopback_http_server.h"

using namespace std::chrono_literals;
using aiops::common::ErrorCode;
using aiops::common::HttpClient;
using aiops::common::HttpClientSettings;
using aiops::common::HttpRequest;
using aiops::common::HttpResponse;
using aiops::testing::LoopbackHttpServer;

namespace {

constexpr std::uint64_t kFnvBasis = 14695981039346656037ULL;
constexpr std::uint64_t kBlockBytes = 64U << 10;

std::uint64_t fnv1a(std::uint64_t hash, std::string_view bytes) {
    for (const char byte : bytes) {
        hash = (hash ^ static_cast<unsigned char>(byte)) * 1099511628211ULL;
    }
    return hash;
}

// Block `index` of the generated stream: every block differs, so order and completeness count.
std::string pattern_block(std::uint64_t index) {
    std::string block(kBlockBytes, '\0');
    for (std::size_t offset = 0; offset < block.size(); ++offset) {
        block[offset] = static_cast<char>((offset * 131 + index * 7 + 3) % 251);
    }
    return block;
}

// Serves `total_bytes` of pattern blocks on /big with a chunked content provider (generated on
// the fly, never held whole). Stops after `fail_after` bytes by dropping the connection.
void serve_big(LoopbackHttpServer& server, std::uint64_t total_bytes,
               std::uint64_t fail_after = UINT64_MAX, std::atomic<int>* hits = nullptr) {
    server.server().Get("/big", [=](const httplib::Request&, httplib::Response& res) {
        if (hits != nullptr) {
            ++*hits;
        }
        res.set_chunked_content_provider("application/octet-stream",
                                         [=](size_t offset, httplib::DataSink& sink) {
                                             if (offset >= fail_after) {
                                                 return false;
                                             }
                                             if (offset >= total_bytes) {
                                                 sink.done();
                                                 return true;
                                             }
                                             const auto block = pattern_block(offset / kBlockBytes);
                                             return sink.write(block.data(), block.size());
                                         });
    });
    server.start();
}

std::unique_ptr<HttpClient> make_client(HttpClientSettings settings = {}) {
    settings.sleep = [](std::chrono::milliseconds) {};
    auto client = HttpClient::create(std::move(settings));
    BOOST_REQUIRE(client);
    return std::move(client).value();
}

HttpRequest get(const std::string& url) {
    HttpRequest request;
    request.url = url;
    return request;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(http_client_stream)

BOOST_AUTO_TEST_CASE(non_2xx_body_is_buffered_and_not_streamed) {
    LoopbackHttpServer server;
    server.server().Get("/missing", [](const httplib::Request&, httplib::Response& res) {
        res.status = 404;
        res.set_content("{\"errors\":[{\"code\":\"BLOB_UNKNOWN\"}]}", "application/json");
    });
    server.start();
    auto client = make_client();
    int heads = 0;
    std::size_t streamed = 0;

    auto response = client->stream(
        get(server.url("/missing")),
        [&](const HttpResponse& head) {
            heads += head.status == 404 ? 1 : 100;
            return true;
        },
        [&](std::string_view chunk) {
            streamed += chunk.size();
            return true;
        });

    BOOST_REQUIRE(response);
    BOOST_TEST(response->status == 404);
    BOOST_TEST(response->body == "{\"errors\":[{\"code\":\"BLOB_UNKNOWN\"}]}");
    BOOST_TEST(heads == 1);
    BOOST_TEST(streamed == 0U);
}

BOOST_AUTO_TEST_CASE(huge_error_body_is_truncated_to_64_kib) {
    LoopbackHttpServer server;
    server.server().Get("/error", [](const httplib::Request&, httplib::Response& res) {
        res.status = 400;
        res.set_content(std::string(1U << 20, 'e'), "text/plain");
    });
    server.start();
    auto client = make_client();

    auto response =
        client->stream(get(server.url("/error")), nullptr, [](std::string_view) { return true; });

    BOOST_REQUIRE(response);
    BOOST_TEST(response->status == 400);
    BOOST_TEST(response->body.size() == 64U << 10);
}

BOOST_AUTO_TEST_CASE(does_not_retry_after_body_bytes_were_delivered) {
    std::atomic<int> hits{0};
    LoopbackHttpServer server;
    serve_big(server, 8U << 20, 1U << 20, &hits);
    auto client = make_client();
    std::uint64_t streamed = 0;

    auto response = client->stream(get(server.url("/big")), nullptr, [&](std::string_view chunk) {
        streamed += chunk.size();
        return true;
    });

    BOOST_REQUIRE(!response);
    BOOST_TEST(response.error().code == ErrorCode::kUpstream);
    BOOST_TEST(hits.load() == 1);
    BOOST_TEST(streamed > 0U);
}

BOOST_AUTO_TEST_CASE(retries_5xx_before_the_first_body_byte) {
    std::atomic<int> hits{0};
    LoopbackHttpServer server;
    server.server().Get("/flaky", [&](const httplib::Request&, httplib::Response& res) {
        if (++hits < 3) {
            res.status = 500;
            res.set_content("oops", "text/plain");
            return;
        }
        res.set_content("payload", "application/octet-stream");
    });
    server.start();
    auto client = make_client();
    std::vector<int> head_statuses;
    std::string streamed;

    auto response = client->stream(
        get(server.url("/flaky")),
        [&](const HttpResponse& head) {
            head_statuses.push_back(head.status);
            return true;
        },
        [&](std::string_view chunk) {
            streamed.append(chunk);
            return true;
        });

    BOOST_REQUIRE(response);
    BOOST_TEST(response->status == 200);
    BOOST_TEST(response->body.empty());
    BOOST_TEST(streamed == "payload");
    BOOST_TEST(hits.load() == 3);
    BOOST_TEST(head_statuses == std::vector<int>{200});
}

BOOST_AUTO_TEST_CASE(on_head_false_stops_before_the_body) {
    LoopbackHttpServer server;
    serve_big(server, 4U << 20);
    auto client = make_client();
    std::uint64_t streamed = 0;
    std::optional<std::string> length;

    auto response = client->stream(
        get(server.url("/big")),
        [&](const HttpResponse& head) {
            length = head.header("transfer-encoding");
            return false;
        },
        [&](std::string_view chunk) {
            streamed += chunk.size();
            return true;
        });

    BOOST_REQUIRE(response);
    BOOST_TEST(response->status == 200);
    BOOST_TEST(length.value_or("") == "chunked");
    BOOST_TEST(streamed == 0U);
}

BOOST_AUTO_TEST_CASE(on_chunk_false_stops_the_transfer_without_error) {
    LoopbackHttpServer server;
    serve_big(server, 16U << 20);
    auto client = make_client();
    std::uint64_t streamed = 0;

    auto response = client->stream(get(server.url("/big")), nullptr, [&](std::string_view chunk) {
        streamed += chunk.size();
        return streamed < (1U << 20);
    });

    BOOST_REQUIRE(response);
    BOOST_TEST(response->status == 200);
    BOOST_TEST(streamed >= 1U << 20);
    BOOST_TEST(streamed < 16U << 20);
}

BOOST_AUTO_TEST_CASE(streams_64_mib_in_order_without_buffering) {
    constexpr std::uint64_t kTotal = 64ULL << 20;
    LoopbackHttpServer server;
    serve_big(server, kTotal);
    HttpClientSettings settings;
    settings.max_buffered_body_bytes = 1U << 20;  // far below the body: stream() must not care
    auto client = make_client(settings);
    std::uint64_t expected_hash = kFnvBasis;
    for (std::uint64_t block = 0; block < kTotal / kBlockBytes; ++block) {
        expected_hash = fnv1a(expected_hash, pattern_block(block));
    }
    std::uint64_t streamed = 0;
    std::uint64_t hash = kFnvBasis;
    std::size_t largest_chunk = 0;

    auto response = client->stream(get(server.url("/big")), nullptr, [&](std::string_view chunk) {
        streamed += chunk.size();
        hash = fnv1a(hash, chunk);
        largest_chunk = std::max(largest_chunk, chunk.size());
        return true;
    });

    BOOST_REQUIRE(response);
    BOOST_TEST(response->status == 200);
    BOOST_TEST(response->body.empty());
    BOOST_TEST(streamed == kTotal);
    BOOST_TEST(hash == expected_hash);
    BOOST_TEST(largest_chunk <= std::size_t{1} << 20);
}

BOOST_AUTO_TEST_SUITE_END()
