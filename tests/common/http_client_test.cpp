#define BOOST_TEST_MODULE common_http_client
#include "aiops/common/http_client.h"

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "fixtures/loopback_http_server.h"
#include "fixtures/process.h"

using namespace std::chrono_literals;
using aiops::common::ErrorCode;
using aiops::common::HttpClient;
using aiops::common::HttpClientSettings;
using aiops::common::HttpRequest;
using aiops::common::HttpResponse;
using aiops::testing::LoopbackHttpServer;

namespace {

// Records the retry waits instead of sleeping (C3).
struct SleepRecorder {
    std::vector<std::chrono::milliseconds> delays;
    std::function<void(std::chrono::milliseconds)> sleeper() {
        return [this](std::chrono::milliseconds delay) { delays.push_back(delay); };
    }
};

std::unique_ptr<HttpClient> make_client(HttpClientSettings settings = {}) {
    auto client = HttpClient::create(std::move(settings));
    BOOST_REQUIRE(client);
    return std::move(client).value();
}

HttpRequest get(const std::string& url) {
    HttpRequest request;
    request.url = url;
    return request;
}

// Deterministic body byte at `offset` of the generated stream.
char pattern_byte(std::uint64_t offset) { return static_cast<char>((offset * 131 + 7) % 251); }

std::uint64_t fnv1a(std::uint64_t hash, std::string_view bytes) {
    for (const char byte : bytes) {
        hash = (hash ^ static_cast<unsigned char>(byte)) * 1099511628211ULL;
    }
    return hash;
}

constexpr std::uint64_t kFnvBasis = 14695981039346656037ULL;

}  // namespace

BOOST_AUTO_TEST_SUITE(http_client_errors)

BOOST_AUTO_TEST_CASE(invalid_settings_are_rejected) {
    HttpClientSettings no_attempts;
    no_attempts.retry.max_attempts = 0;
    HttpClientSettings missing_ca;
    missing_ca.ca_file = "/nonexistent/ca.pem";

    auto first = HttpClient::create(no_attempts);
    auto second = HttpClient::create(missing_ca);

    BOOST_REQUIRE(!first);
    BOOST_TEST(first.error().code == ErrorCode::kInvalidInput);
    BOOST_REQUIRE(!second);
    BOOST_TEST(second.error().code == ErrorCode::kInvalidInput);
}

BOOST_AUTO_TEST_CASE(malformed_and_credentialed_urls_are_invalid_input) {
    auto client = make_client();

    for (const char* url : {"not a url", "http://exa mple.com/", "ftp://127.0.0.1/x",
                            "http://user:pw@127.0.0.1:1/"}) {
        auto response = client->fetch(get(url));
        BOOST_REQUIRE_MESSAGE(!response, url);
        BOOST_TEST(response.error().code == ErrorCode::kInvalidInput, url);
        BOOST_TEST(response.error().message.find("pw@") == std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(header_injection_is_invalid_input) {
    LoopbackHttpServer server;
    server.start();
    auto client = make_client();
    auto request = get(server.url("/"));
    request.headers.emplace("X-Evil", "a\r\nHost: other");

    auto response = client->fetch(request);

    BOOST_REQUIRE(!response);
    BOOST_TEST(response.error().code == ErrorCode::kInvalidInput);
}

BOOST_AUTO_TEST_CASE(connection_refused_is_upstream_after_retries) {
    const int port = aiops::testing::free_port();
    SleepRecorder sleeps;
    HttpClientSettings settings;
    settings.retry.max_attempts = 3;
    settings.sleep = sleeps.sleeper();
    auto client = make_client(settings);

    auto response = client->fetch(get("http://127.0.0.1:" + std::to_string(port) + "/"));

    BOOST_REQUIRE(!response);
    BOOST_TEST(response.error().code == ErrorCode::kUpstream);
    BOOST_TEST(sleeps.delays.size() == 2U);
}

BOOST_AUTO_TEST_CASE(slow_server_times_out) {
    std::mutex mutex;
    std::condition_variable released_cv;
    bool released = false;
    LoopbackHttpServer server;
    server.server().Get("/slow", [&](const httplib::Request&, httplib::Response& res) {
        std::unique_lock lock(mutex);
        released_cv.wait_for(lock, 30s, [&] { return released; });
        res.set_content("late", "text/plain");
    });
    server.start();
    auto client = make_client();
    auto request = get(server.url("/slow"));
    request.total_timeout = 300ms;

    auto response = client->fetch(request);
    {
        std::scoped_lock lock(mutex);
        released = true;
    }
    released_cv.notify_all();

    BOOST_REQUIRE(!response);
    BOOST_TEST(response.error().code == ErrorCode::kTimeout);
}

BOOST_AUTO_TEST_CASE(body_over_the_cap_is_too_large) {
    LoopbackHttpServer server;
    server.server().Get("/sized", [](const httplib::Request&, httplib::Response& res) {
        res.set_content(std::string(5000, 'x'), "application/octet-stream");
    });
    server.server().Get("/chunked", [](const httplib::Request&, httplib::Response& res) {
        res.set_chunked_content_provider("text/plain", [](size_t offset, httplib::DataSink& sink) {
            if (offset >= 5000) {
                sink.done();
                return true;
            }
            const std::string block(500, 'y');
            return sink.write(block.data(), block.size());
        });
    });
    server.start();
    HttpClientSettings settings;
    settings.max_buffered_body_bytes = 1000;
    auto client = make_client(settings);

    auto sized = client->fetch(get(server.url("/sized")));
    auto chunked = client->fetch(get(server.url("/chunked")));

    BOOST_REQUIRE(!sized);
    BOOST_TEST(sized.error().code == ErrorCode::kTooLarge);
    BOOST_REQUIRE(!chunked);
    BOOST_TEST(chunked.error().code == ErrorCode::kTooLarge);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(http_client_retries)

BOOST_AUTO_TEST_CASE(gives_up_after_max_attempts_and_returns_last_5xx) {
    std::atomic<int> hits{0};
    LoopbackHttpServer server;
    server.server().Get("/down", [&](const httplib::Request&, httplib::Response& res) {
        ++hits;
        res.status = 502;
        res.set_content("bad gateway " + std::to_string(hits.load()), "text/plain");
    });
    server.start();
    SleepRecorder sleeps;
    HttpClientSettings settings;
    settings.retry.max_attempts = 3;
    settings.retry.base_delay = 100ms;
    settings.sleep = sleeps.sleeper();
    auto client = make_client(settings);

    auto response = client->fetch(get(server.url("/down")));

    BOOST_REQUIRE(response);
    BOOST_TEST(response->status == 502);
    BOOST_TEST(response->body == "bad gateway 3");
    BOOST_TEST(hits.load() == 3);
    BOOST_REQUIRE(sleeps.delays.size() == 2U);
    BOOST_TEST(sleeps.delays[0] >= 50ms);
    BOOST_TEST(sleeps.delays[0] <= 100ms);
    BOOST_TEST(sleeps.delays[1] >= 100ms);
    BOOST_TEST(sleeps.delays[1] <= 200ms);
}

BOOST_AUTO_TEST_CASE(retries_503_honouring_retry_after_zero) {
    std::atomic<int> hits{0};
    LoopbackHttpServer server;
    server.server().Get("/flaky", [&](const httplib::Request&, httplib::Response& res) {
        if (++hits == 1) {
            res.status = 503;
            res.set_header("Retry-After", "0");
            return;
        }
        res.set_content("{\"ok\":true}", "application/json");
    });
    server.start();
    SleepRecorder sleeps;
    HttpClientSettings settings;
    settings.sleep = sleeps.sleeper();
    auto client = make_client(settings);

    auto response = client->fetch(get(server.url("/flaky")));

    BOOST_REQUIRE(response);
    BOOST_TEST(response->status == 200);
    BOOST_TEST(response->body == "{\"ok\":true}");
    BOOST_TEST(hits.load() == 2);
    BOOST_TEST(sleeps.delays == std::vector<std::chrono::milliseconds>{0ms});
}

BOOST_AUTO_TEST_CASE(retries_429_waiting_retry_after_seconds) {
    std::atomic<int> hits{0};
    LoopbackHttpServer server;
    server.server().Get("/limited", [&](const httplib::Request&, httplib::Response& res) {
        if (++hits == 1) {
            res.status = 429;
            res.set_header("Retry-After", "7");
            return;
        }
        res.set_content("done", "text/plain");
    });
    server.start();
    SleepRecorder sleeps;
    HttpClientSettings settings;
    settings.sleep = sleeps.sleeper();
    auto client = make_client(settings);

    auto response = client->fetch(get(server.url("/limited")));

    BOOST_REQUIRE(response);
    BOOST_TEST(response->status == 200);
    BOOST_TEST(hits.load() == 2);
    BOOST_TEST(sleeps.delays == std::vector<std::chrono::milliseconds>{7000ms});
}

BOOST_AUTO_TEST_CASE(no_retry_when_request_says_so_or_on_4xx) {
    std::atomic<int> hits{0};
    LoopbackHttpServer server;
    server.server().Post("/once", [&](const httplib::Request&, httplib::Response& res) {
        ++hits;
        res.status = 503;
    });
    server.server().Get("/missing", [&](const httplib::Request&, httplib::Response& res) {
        ++hits;
        res.status = 404;
    });
    server.start();
    SleepRecorder sleeps;
    HttpClientSettings settings;
    settings.sleep = sleeps.sleeper();
    auto client = make_client(settings);
    auto post = get(server.url("/once"));
    post.method = "POST";
    post.body = "{}";
    post.retry = false;

    auto posted = client->fetch(post);
    auto missing = client->fetch(get(server.url("/missing")));

    BOOST_REQUIRE(posted);
    BOOST_TEST(posted->status == 503);
    BOOST_REQUIRE(missing);
    BOOST_TEST(missing->status == 404);
    BOOST_TEST(hits.load() == 2);
    BOOST_TEST(sleeps.delays.empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(http_client_fetch)

BOOST_AUTO_TEST_CASE(fetches_json_with_headers) {
    std::string seen_agent;
    std::string seen_accept;
    LoopbackHttpServer server;
    server.server().Get("/v2/", [&](const httplib::Request& req, httplib::Response& res) {
        seen_agent = req.get_header_value("User-Agent");
        seen_accept = req.get_header_value("Accept");
        res.set_header("Docker-Distribution-API-Version", "registry/2.0");
        res.set_content("{\"repositories\":[\"a/b\"]}", "application/json");
    });
    server.start();
    auto client = make_client();
    auto request = get(server.url("/v2/"));
    request.headers.emplace("Accept", "application/json");

    auto response = client->fetch(request);

    BOOST_REQUIRE(response);
    BOOST_TEST(response->status == 200);
    BOOST_TEST(response->body == "{\"repositories\":[\"a/b\"]}");
    BOOST_TEST(response->header("content-type").value() == "application/json");
    BOOST_TEST(response->header("docker-distribution-api-version").value() == "registry/2.0");
    BOOST_TEST(response->effective_url == server.url("/v2/"));
    BOOST_TEST(seen_agent == "aiops-cache/0.1");
    BOOST_TEST(seen_accept == "application/json");
}

BOOST_AUTO_TEST_CASE(zero_total_timeout_means_no_total_limit) {
    LoopbackHttpServer server;
    server.server().Get("/", [](const httplib::Request&, httplib::Response& res) {
        res.set_content("fine", "text/plain");
    });
    server.start();
    auto client = make_client();
    auto request = get(server.url("/"));
    request.total_timeout = 0ms;

    auto response = client->fetch(request);

    BOOST_REQUIRE(response);
    BOOST_TEST(response->body == "fine");
}

BOOST_AUTO_TEST_CASE(range_request_returns_206_and_the_bytes) {
    std::string content(1000, '\0');
    for (std::size_t index = 0; index < content.size(); ++index) {
        content[index] = pattern_byte(index);
    }
    LoopbackHttpServer server;
    server.server().Get("/blob", [&](const httplib::Request&, httplib::Response& res) {
        res.set_content(content, "application/octet-stream");
    });
    server.start();
    auto client = make_client();
    auto middle = get(server.url("/blob"));
    middle.range = std::make_pair(std::uint64_t{100}, std::optional<std::uint64_t>{199});
    auto tail = get(server.url("/blob"));
    tail.range = std::make_pair(std::uint64_t{900}, std::optional<std::uint64_t>{});

    auto middle_response = client->fetch(middle);
    auto tail_response = client->fetch(tail);

    BOOST_REQUIRE(middle_response);
    BOOST_TEST(middle_response->status == 206);
    BOOST_TEST(middle_response->body == content.substr(100, 100));
    BOOST_TEST(middle_response->header("content-range").value() == "bytes 100-199/1000");
    BOOST_REQUIRE(tail_response);
    BOOST_TEST(tail_response->status == 206);
    BOOST_TEST(tail_response->body == content.substr(900));
}

BOOST_AUTO_TEST_CASE(head_request_returns_headers_only) {
    LoopbackHttpServer server;
    server.server().Get("/blob", [](const httplib::Request&, httplib::Response& res) {
        res.set_content(std::string(4096, 'z'), "application/octet-stream");
    });
    server.start();
    auto client = make_client();
    auto request = get(server.url("/blob"));
    request.method = "HEAD";

    auto response = client->fetch(request);

    BOOST_REQUIRE(response);
    BOOST_TEST(response->status == 200);
    BOOST_TEST(response->body.empty());
    BOOST_TEST(response->header("content-length").value() == "4096");
}

// Server side of the upload tests: records what arrived.
struct UploadSink {
    std::mutex mutex;
    std::string method;      // guarded by mutex
    std::size_t bytes = 0;   // guarded by mutex
    std::uint64_t hash = 0;  // guarded by mutex
    bool chunked = false;    // guarded by mutex

    void serve(LoopbackHttpServer& server) {
        const auto record = [this](const httplib::Request& req, httplib::Response& res) {
            std::scoped_lock lock(mutex);
            method = req.method;
            bytes = req.body.size();
            hash = fnv1a(kFnvBasis, req.body);
            chunked = req.get_header_value("Transfer-Encoding") == "chunked";
            res.status = 201;
        };
        server.server().Put("/upload", record);
        server.server().Patch("/upload", record);
        server.server().Post("/upload", record);
        server.start();
    }
};

// Client side: produces `total` pattern bytes in whatever pieces libcurl asks for.
struct PatternSource {
    std::uint64_t total = 0;
    std::uint64_t produced = 0;
    std::uint64_t hash = kFnvBasis;

    std::size_t read(char* buffer, std::size_t capacity) {
        const auto count =
            static_cast<std::size_t>(std::min<std::uint64_t>(capacity, total - produced));
        for (std::size_t index = 0; index < count; ++index) {
            buffer[index] = pattern_byte(produced + index);
        }
        hash = fnv1a(hash, std::string_view(buffer, count));
        produced += count;
        return count;
    }
};

BOOST_AUTO_TEST_CASE(uploads_streamed_body_of_known_size) {
    UploadSink sink;
    LoopbackHttpServer server;
    sink.serve(server);
    auto client = make_client();
    PatternSource source{.total = 3U << 20};
    auto request = get(server.url("/upload"));
    request.method = "PUT";
    request.body_source = [&source](char* buffer, std::size_t capacity) {
        return source.read(buffer, capacity);
    };
    request.body_size = source.total;

    auto response = client->fetch(request);

    BOOST_REQUIRE(response);
    BOOST_TEST(response->status == 201);
    std::scoped_lock lock(sink.mutex);
    BOOST_TEST(sink.method == "PUT");
    BOOST_TEST(sink.bytes == source.total);
    BOOST_TEST(sink.hash == source.hash);
    BOOST_TEST(!sink.chunked);
}

BOOST_AUTO_TEST_CASE(uploads_streamed_body_chunked_when_size_unknown) {
    UploadSink sink;
    LoopbackHttpServer server;
    sink.serve(server);
    auto client = make_client();
    PatternSource source{.total = 1U << 20};
    auto request = get(server.url("/upload"));
    request.method = "PATCH";
    request.body_source = [&source](char* buffer, std::size_t capacity) {
        return source.read(buffer, capacity);
    };

    auto response = client->fetch(request);

    BOOST_REQUIRE(response);
    BOOST_TEST(response->status == 201);
    std::scoped_lock lock(sink.mutex);
    BOOST_TEST(sink.method == "PATCH");
    BOOST_TEST(sink.bytes == source.total);
    BOOST_TEST(sink.hash == source.hash);
    BOOST_TEST(sink.chunked);
}

BOOST_AUTO_TEST_CASE(posts_a_small_body) {
    UploadSink sink;
    LoopbackHttpServer server;
    sink.serve(server);
    auto client = make_client();
    auto request = get(server.url("/upload"));
    request.method = "POST";
    request.body = "{\"a\":1}";
    request.headers.emplace("Content-Type", "application/json");

    auto response = client->fetch(request);

    BOOST_REQUIRE(response);
    BOOST_TEST(response->status == 201);
    std::scoped_lock lock(sink.mutex);
    BOOST_TEST(sink.method == "POST");
    BOOST_TEST(sink.hash == fnv1a(kFnvBasis, "{\"a\":1}"));
}

BOOST_AUTO_TEST_CASE(sequential_requests_reuse_one_connection) {
    std::vector<int> remote_ports;
    std::mutex mutex;
    LoopbackHttpServer server;
    server.server().Get("/ping", [&](const httplib::Request& req, httplib::Response& res) {
        std::scoped_lock lock(mutex);
        remote_ports.push_back(req.remote_port);
        res.set_content("pong", "text/plain");
    });
    server.start();
    auto client = make_client();

    for (int request = 0; request < 4; ++request) {
        auto response = client->fetch(get(server.url("/ping")));
        BOOST_REQUIRE(response);
        BOOST_TEST(response->body == "pong");
    }

    BOOST_REQUIRE(remote_ports.size() == 4U);
    BOOST_TEST(std::set<int>(remote_ports.begin(), remote_ports.end()).size() == 1U);
}

BOOST_AUTO_TEST_CASE(concurrent_fetches_from_many_threads) {
    std::atomic<int> hits{0};
    LoopbackHttpServer server;
    server.server().Get("/n", [&](const httplib::Request& req, httplib::Response& res) {
        ++hits;
        res.set_content(req.get_param_value("i"), "text/plain");
    });
    server.start();
    auto client = make_client();
    std::atomic<int> correct{0};

    std::vector<std::thread> threads;
    for (int thread_index = 0; thread_index < 4; ++thread_index) {
        threads.emplace_back([&, thread_index] {
            for (int request = 0; request < 10; ++request) {
                const auto id = std::to_string(thread_index * 100 + request);
                auto response = client->fetch(get(server.url("/n?i=" + id)));
                if (response && response->body == id) {
                    ++correct;
                }
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }

    BOOST_TEST(correct.load() == 40);
    BOOST_TEST(hits.load() == 40);
}

BOOST_AUTO_TEST_SUITE_END()
