#define BOOST_TEST_MODULE common_http_client_redirect
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <mutex>

#include "aiops/common/http_client.h"
#include "aiops/common/url_guard.h"
#include "fixtures/loopback_http_server.h"
#include "fixtures/temp_dir.h"

using aiops::common::ErrorCode;
using aiops::common::HttpClient;
using aiops::common::HttpClientSettings;
using aiops::common::HttpRequest;
using aiops::common::UrlGuard;
using aiops::common::UrlPolicy;
using aiops::testing::LoopbackHttpServer;

namespace {

// What an /echo endpoint saw.
struct Seen {
    std::mutex mutex;
    int hits = 0;               // guarded by mutex
    std::string method;         // guarded by mutex
    std::string authorization;  // guarded by mutex
    std::string cookie;         // guarded by mutex
    std::string body;           // guarded by mutex
};

void serve_echo(LoopbackHttpServer& server, Seen& seen) {
    const auto echo = [&seen](const httplib::Request& req, httplib::Response& res) {
        std::scoped_lock lock(seen.mutex);
        ++seen.hits;
        seen.method = req.method;
        seen.authorization = req.get_header_value("Authorization");
        seen.cookie = req.get_header_value("Cookie");
        seen.body = req.body;
        res.set_content("echo", "text/plain");
    };
    server.server().Get("/echo", echo);
    server.server().Post("/echo", echo);
}

void redirect(LoopbackHttpServer& server, const std::string& path, int status,
              std::string location) {
    const auto handler = [status, location](const httplib::Request&, httplib::Response& res) {
        res.status = status;
        res.set_header("Location", location);
    };
    server.server().Get(path, handler);
    server.server().Post(path, handler);
}

std::unique_ptr<HttpClient> make_client(HttpClientSettings settings = {}) {
    settings.sleep = [](std::chrono::milliseconds) {};
    auto client = HttpClient::create(std::move(settings));
    BOOST_REQUIRE(client);
    return std::move(client).value();
}

HttpRequest authorized_get(const std::string& url) {
    HttpRequest request;
    request.url = url;
    request.headers.emplace("Authorization", "Bearer s3cr3t");
    request.headers.emplace("Cookie", "session=abc");
    return request;
}

UrlGuard make_guard(UrlPolicy policy) {
    auto guard = UrlGuard::create(std::move(policy));
    BOOST_REQUIRE(guard);
    return std::move(guard).value();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(http_client_redirects)

BOOST_AUTO_TEST_CASE(redirect_loop_stops_after_max_redirects) {
    std::atomic<int> hits{0};
    LoopbackHttpServer server;
    server.server().Get("/loop", [&](const httplib::Request&, httplib::Response& res) {
        ++hits;
        res.status = 302;
        res.set_header("Location", "/loop");
    });
    server.start();
    HttpClientSettings settings;
    settings.max_redirects = 3;
    auto client = make_client(settings);

    auto response = client->fetch(authorized_get(server.url("/loop")));

    BOOST_REQUIRE(!response);
    BOOST_TEST(response.error().code == ErrorCode::kUpstream);
    BOOST_TEST(response.error().message.find("redirect") != std::string::npos);
    BOOST_TEST(hits.load() == 4);
}

BOOST_AUTO_TEST_CASE(redirect_to_a_blocked_address_is_rejected_by_the_guard) {
    Seen seen;
    LoopbackHttpServer target;
    serve_echo(target, seen);
    target.start();
    LoopbackHttpServer origin;
    redirect(origin, "/blob", 307, target.url("/echo", "localhost"));
    origin.start();
    UrlPolicy policy;
    policy.allow_hosts = {"127.0.0.1"};  // the registry itself; everything else loopback is off
    const auto guard = make_guard(policy);
    HttpClientSettings settings;
    settings.guard = &guard;
    auto client = make_client(settings);

    auto response = client->fetch(authorized_get(origin.url("/blob")));

    BOOST_REQUIRE(!response);
    BOOST_TEST(response.error().code == ErrorCode::kBlockedUrl);
    BOOST_TEST(response.error().message.find("loopback") != std::string::npos);
    std::scoped_lock lock(seen.mutex);
    BOOST_TEST(seen.hits == 0);
}

BOOST_AUTO_TEST_CASE(redirect_to_another_scheme_or_with_credentials_is_blocked) {
    LoopbackHttpServer server;
    redirect(server, "/file", 302, "file:///etc/passwd");
    redirect(server, "/creds", 302, "http://admin:hunter2@127.0.0.1/");
    server.start();
    auto client = make_client();

    auto file = client->fetch(authorized_get(server.url("/file")));
    auto creds = client->fetch(authorized_get(server.url("/creds")));

    BOOST_REQUIRE(!file);
    BOOST_TEST(file.error().code == ErrorCode::kBlockedUrl);
    BOOST_REQUIRE(!creds);
    BOOST_TEST(creds.error().code == ErrorCode::kBlockedUrl);
    BOOST_TEST(creds.error().message.find("hunter2") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(guard_blocks_the_first_url_too) {
    LoopbackHttpServer server;
    server.server().Get("/", [](const httplib::Request&, httplib::Response& res) {
        res.set_content("should not be reached", "text/plain");
    });
    server.start();
    const auto guard = make_guard({});
    HttpClientSettings settings;
    settings.guard = &guard;
    auto client = make_client(settings);

    auto response = client->fetch(authorized_get(server.url("/")));

    BOOST_REQUIRE(!response);
    BOOST_TEST(response.error().code == ErrorCode::kBlockedUrl);
}

BOOST_AUTO_TEST_CASE(cross_host_redirect_drops_authorization_and_cookie) {
    Seen seen;
    LoopbackHttpServer target;
    serve_echo(target, seen);
    target.start();
    LoopbackHttpServer origin;
    redirect(origin, "/blob", 307, target.url("/echo", "localhost"));
    origin.start();
    UrlPolicy policy;
    policy.allow_loopback = true;
    const auto guard = make_guard(policy);
    HttpClientSettings settings;
    settings.guard = &guard;  // also exercises address pinning for "localhost"
    auto client = make_client(settings);

    auto response = client->fetch(authorized_get(origin.url("/blob")));

    BOOST_REQUIRE(response);
    BOOST_TEST(response->status == 200);
    BOOST_TEST(response->effective_url == target.url("/echo", "localhost"));
    std::scoped_lock lock(seen.mutex);
    BOOST_TEST(seen.hits == 1);
    BOOST_TEST(seen.authorization.empty());
    BOOST_TEST(seen.cookie.empty());
}

BOOST_AUTO_TEST_CASE(same_origin_redirect_keeps_authorization) {
    Seen seen;
    LoopbackHttpServer server;
    serve_echo(server, seen);
    redirect(server, "/moved", 301, "/echo");
    server.start();
    auto client = make_client();

    auto response = client->fetch(authorized_get(server.url("/moved")));

    BOOST_REQUIRE(response);
    BOOST_TEST(response->status == 200);
    BOOST_TEST(response->body == "echo");
    BOOST_TEST(response->effective_url == server.url("/echo"));
    std::scoped_lock lock(seen.mutex);
    BOOST_TEST(seen.authorization == "Bearer s3cr3t");
    BOOST_TEST(seen.cookie == "session=abc");
}

BOOST_AUTO_TEST_CASE(same_host_other_port_counts_as_another_origin) {
    Seen seen;
    LoopbackHttpServer target;
    serve_echo(target, seen);
    target.start();
    LoopbackHttpServer origin;
    redirect(origin, "/blob", 302, target.url("/echo"));
    origin.start();
    auto client = make_client();

    auto response = client->fetch(authorized_get(origin.url("/blob")));

    BOOST_REQUIRE(response);
    std::scoped_lock lock(seen.mutex);
    BOOST_TEST(seen.hits == 1);
    BOOST_TEST(seen.authorization.empty());
}

BOOST_AUTO_TEST_CASE(see_other_turns_post_into_get_without_body) {
    Seen seen;
    LoopbackHttpServer server;
    serve_echo(server, seen);
    redirect(server, "/submit", 303, "/echo");
    server.start();
    auto client = make_client();
    auto request = authorized_get(server.url("/submit"));
    request.method = "POST";
    request.body = "payload";

    auto response = client->fetch(request);

    BOOST_REQUIRE(response);
    std::scoped_lock lock(seen.mutex);
    BOOST_TEST(seen.method == "GET");
    BOOST_TEST(seen.body.empty());
}

BOOST_AUTO_TEST_CASE(temporary_redirect_keeps_post_and_body) {
    Seen seen;
    LoopbackHttpServer server;
    serve_echo(server, seen);
    redirect(server, "/submit", 307, "/echo");
    server.start();
    auto client = make_client();
    auto request = authorized_get(server.url("/submit"));
    request.method = "POST";
    request.body = "payload";

    auto response = client->fetch(request);

    BOOST_REQUIRE(response);
    std::scoped_lock lock(seen.mutex);
    BOOST_TEST(seen.method == "POST");
    BOOST_TEST(seen.body == "payload");
}

BOOST_AUTO_TEST_CASE(redirects_are_returned_when_not_followed) {
    LoopbackHttpServer server;
    redirect(server, "/moved", 308, "/elsewhere");
    server.start();
    auto client = make_client();
    auto request = authorized_get(server.url("/moved"));
    request.follow_redirects = false;

    auto response = client->fetch(request);

    BOOST_REQUIRE(response);
    BOOST_TEST(response->status == 308);
    BOOST_TEST(response->header("location").value() == "/elsewhere");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(http_client_tls)

BOOST_AUTO_TEST_CASE(self_signed_certificate_fails_verification_by_default) {
    aiops::testing::TempDir dir;
    const auto certificate = aiops::testing::make_self_signed_certificate(dir.path());
    LoopbackHttpServer server(certificate.cert_file, certificate.key_file);
    server.server().Get("/", [](const httplib::Request&, httplib::Response& res) {
        res.set_content("secure", "text/plain");
    });
    server.start();
    auto client = make_client();
    HttpRequest request;
    request.url = server.url("/", "localhost");

    auto response = client->fetch(request);

    BOOST_REQUIRE(!response);
    BOOST_TEST(response.error().code == ErrorCode::kUpstream);
}

BOOST_AUTO_TEST_CASE(ca_file_makes_the_certificate_trusted) {
    aiops::testing::TempDir dir;
    const auto certificate = aiops::testing::make_self_signed_certificate(dir.path());
    LoopbackHttpServer server(certificate.cert_file, certificate.key_file);
    server.server().Get("/", [](const httplib::Request&, httplib::Response& res) {
        res.set_content("secure", "text/plain");
    });
    server.start();
    HttpClientSettings settings;
    settings.ca_file = certificate.cert_file.string();
    auto client = make_client(settings);
    HttpRequest request;
    request.url = server.url("/", "localhost");

    auto response = client->fetch(request);

    BOOST_REQUIRE(response);
    BOOST_TEST(response->status == 200);
    BOOST_TEST(response->body == "secure");
}

BOOST_AUTO_TEST_CASE(verification_can_be_switched_off_explicitly) {
    aiops::testing::TempDir dir;
    const auto certificate = aiops::testing::make_self_signed_certificate(dir.path());
    LoopbackHttpServer server(certificate.cert_file, certificate.key_file);
    server.server().Get("/", [](const httplib::Request&, httplib::Response& res) {
        res.set_content("secure", "text/plain");
    });
    server.start();
    HttpClientSettings settings;
    settings.verify_tls = false;
    auto client = make_client(settings);
    HttpRequest request;
    request.url = server.url("/");

    auto response = client->fetch(request);

    BOOST_REQUIRE(response);
    BOOST_TEST(response->body == "secure");
}

BOOST_AUTO_TEST_SUITE_END()
