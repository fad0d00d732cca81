#define BOOST_TEST_MODULE common_http_server
#include "aiops/common/http_server.h"

#include <boost/test/unit_test.hpp>
#include <future>
#include <stdexcept>

namespace common = aiops::common;
using common::Access;
using common::ErrorCode;
using common::Method;
using common::RequestContext;

namespace {

const std::string kReaderToken = "reader-token-0123456789";
const std::string kWriterToken = "writer-token-0123456789";
const std::string kItemReport = "/api/v1/items/([a-z0-9]+)/report";

httplib::Headers bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

nlohmann::json json_of(const httplib::Result& res) { return nlohmann::json::parse(res->body); }

// A real server on 127.0.0.1:<ephemeral> with a writer route, a reader route with a capture and a
// public route that throws.
struct TestServer {
    TestServer() {
        common::ServerSettings settings;
        settings.port = 0;
        settings.workers = 4;
        settings.max_body_bytes = 1024;
        settings.shutdown_grace = std::chrono::seconds(10);
        auto created = common::Server::create(
            settings,
            {{{"dash", "reader", kReaderToken}, {"ci", "writer", kWriterToken}}, false, {}},
            metrics);
        BOOST_REQUIRE(created);
        server = std::move(created).value();
        server->route(Method::kPost, "/api/v1/items", Access::writer(),
                      [](const httplib::Request& req, httplib::Response& res,
                         const RequestContext&) { res.set_content(req.body, "text/plain"); });
        server->route(
            Method::kGet, kItemReport, Access::reader(),
            [](const httplib::Request&, httplib::Response& res, const RequestContext& ctx) {
                common::write_json(res, 200,
                                   {{"item", ctx.captures.at(0)},
                                    {"principal", ctx.principal.name},
                                    {"route", ctx.route}});
            });
        server->route(Method::kGet, "/boom", Access::anyone(),
                      [](const httplib::Request&, httplib::Response& res, const RequestContext&) {
                          res.set_content("partial", "text/plain");
                          throw std::runtime_error("db password=hunter2");
                      });
    }

    void start() { BOOST_REQUIRE(server->start()); }
    httplib::Client client() const { return httplib::Client("127.0.0.1", server->port()); }

    common::Metrics metrics;
    std::unique_ptr<common::Server> server;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(http_server)

BOOST_AUTO_TEST_CASE(oversize_body_is_413_with_the_json_envelope) {
    TestServer test;
    test.start();

    auto res = test.client().Post("/api/v1/items", bearer(kWriterToken), std::string(4096, 'x'),
                                  "text/plain");

    BOOST_REQUIRE(res);
    BOOST_TEST(res->status == 413);
    BOOST_TEST(res->get_header_value("Content-Type") == "application/json");
    BOOST_TEST(json_of(res)["error"]["code"] == "too_large");
    BOOST_TEST(res->has_header(common::kRequestIdHeader));
}

BOOST_AUTO_TEST_CASE(unknown_path_is_404_json) {
    TestServer test;
    test.start();

    auto res = test.client().Get("/nowhere");

    BOOST_REQUIRE(res);
    BOOST_TEST(res->status == 404);
    BOOST_TEST(json_of(res)["error"]["code"] == "not_found");
}

BOOST_AUTO_TEST_CASE(very_long_unknown_path_is_404_json) {
    TestServer test;
    test.start();

    auto res = test.client().Get("/" + std::string(8000, 'a'));

    BOOST_REQUIRE(res);
    BOOST_TEST(res->status == 404);
    BOOST_TEST(json_of(res)["error"]["code"] == "not_found");
}

BOOST_AUTO_TEST_CASE(over_long_request_line_is_414_json_with_a_request_id) {
    TestServer test;
    test.start();

    auto res = test.client().Get("/" + std::string(9000, 'a'));

    BOOST_REQUIRE(res);
    BOOST_TEST(res->status == 414);
    BOOST_TEST(json_of(res)["error"]["code"] == "too_large");
    BOOST_TEST(common::is_valid_request_id(res->get_header_value(common::kRequestIdHeader)));
}

BOOST_AUTO_TEST_CASE(error_body_is_not_cut_by_a_range_header) {
    TestServer test;
    test.start();

    auto res = test.client().Get("/nowhere", {{"Range", "bytes=0-3"}});

    BOOST_REQUIRE(res);
    BOOST_TEST(res->status == 404);
    BOOST_TEST(json_of(res)["error"]["code"] == "not_found");
}

BOOST_AUTO_TEST_CASE(known_path_with_wrong_method_is_405_json_with_allow) {
    TestServer test;
    test.start();

    auto res = test.client().Delete("/api/v1/items", bearer(kWriterToken));

    BOOST_REQUIRE(res);
    BOOST_TEST(res->status == 405);
    BOOST_TEST(res->get_header_value("Allow") == "POST");
    BOOST_TEST(json_of(res)["error"]["code"] == "method_not_allowed");
}

BOOST_AUTO_TEST_CASE(missing_token_is_401_with_the_bearer_challenge) {
    TestServer test;
    test.start();

    auto res = test.client().Post("/api/v1/items", "{}", "application/json");

    BOOST_REQUIRE(res);
    BOOST_TEST(res->status == 401);
    BOOST_TEST(res->get_header_value("WWW-Authenticate") == "Bearer realm=\"aiops\"");
    BOOST_TEST(json_of(res)["error"]["code"] == "unauthorized");
}

BOOST_AUTO_TEST_CASE(reader_token_on_a_writer_route_is_403) {
    TestServer test;
    test.start();

    auto res = test.client().Post("/api/v1/items", bearer(kReaderToken), "{}", "application/json");

    BOOST_REQUIRE(res);
    BOOST_TEST(res->status == 403);
    BOOST_TEST(json_of(res)["error"]["code"] == "forbidden");
}

BOOST_AUTO_TEST_CASE(handler_exception_is_500_internal_without_its_text) {
    TestServer test;
    test.start();

    auto res = test.client().Get("/boom", {{common::kRequestIdHeader, "boom-1"}});

    BOOST_REQUIRE(res);
    BOOST_TEST(res->status == 500);
    BOOST_TEST(json_of(res)["error"]["code"] == "internal");
    BOOST_TEST(res->body.find("hunter2") == std::string::npos);
    BOOST_TEST(res->body.find("partial") == std::string::npos);
    BOOST_TEST(res->get_header_value(common::kRequestIdHeader) == "boom-1");
}

BOOST_AUTO_TEST_CASE(invalid_request_id_is_replaced_by_a_generated_one) {
    TestServer test;
    test.start();

    auto res = test.client().Get("/healthz", {{common::kRequestIdHeader, "bad id!"}});

    BOOST_REQUIRE(res);
    const auto id = res->get_header_value(common::kRequestIdHeader);
    BOOST_TEST(id != "bad id!");
    BOOST_TEST(common::is_valid_request_id(id));
}

BOOST_AUTO_TEST_CASE(valid_request_id_is_echoed) {
    TestServer test;
    test.start();

    auto res = test.client().Get("/healthz", {{common::kRequestIdHeader, "abc-123.x_y"}});

    BOOST_REQUIRE(res);
    BOOST_TEST(res->status == 200);
    BOOST_TEST(res->get_header_value(common::kRequestIdHeader) == "abc-123.x_y");
    BOOST_TEST(json_of(res) == nlohmann::json::parse(R"({"status":"ok"})"));
}

BOOST_AUTO_TEST_CASE(route_captures_and_principal_reach_the_handler) {
    TestServer test;
    test.start();

    auto res = test.client().Get("/api/v1/items/abc42/report", bearer(kWriterToken));

    BOOST_REQUIRE(res);
    BOOST_TEST(res->status == 200);
    BOOST_TEST(json_of(res)["item"] == "abc42");
    BOOST_TEST(json_of(res)["principal"] == "ci");
    BOOST_TEST(json_of(res)["route"] == kItemReport);
}

BOOST_AUTO_TEST_CASE(metrics_count_a_request_under_its_route_label) {
    TestServer test;
    test.start();
    auto client = test.client();
    BOOST_REQUIRE(client.Get("/api/v1/items/abc/report", bearer(kReaderToken)));

    auto res = client.Get("/metrics");

    BOOST_REQUIRE(res);
    BOOST_TEST(res->status == 200);
    BOOST_TEST(res->get_header_value("Content-Type").find("text/plain; version=0.0.4") == 0U);
    const std::string labels = "{route=\"" + kItemReport + "\",method=\"GET\",status=\"200\"";
    BOOST_TEST(res->body.find("http_requests_total" + labels + "} 1\n") != std::string::npos);
    BOOST_TEST(res->body.find("http_request_duration_seconds_count" + labels + "} 1\n") !=
               std::string::npos);
    BOOST_TEST(res->body.find("http_request_duration_seconds_bucket" + labels +
                              ",le=\"+Inf\"} 1\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(readyz_is_503_naming_the_failing_check) {
    TestServer test;
    test.server->add_readiness_check("db", [] { return common::Status{}; });
    test.server->add_readiness_check("redis", [] {
        return common::Status(common::Error{ErrorCode::kUnavailable, "connection refused"});
    });
    test.start();

    auto res = test.client().Get("/readyz");

    BOOST_REQUIRE(res);
    BOOST_TEST(res->status == 503);
    BOOST_TEST(json_of(res)["error"]["code"] == "unavailable");
    BOOST_TEST(json_of(res)["error"]["message"].get<std::string>().find("redis") !=
               std::string::npos);
    BOOST_TEST(json_of(res)["checks"]["db"] == "ok");
}

BOOST_AUTO_TEST_CASE(readyz_is_200_when_every_check_passes) {
    TestServer test;
    test.server->add_readiness_check("db", [] { return common::Status{}; });
    test.start();

    auto res = test.client().Get("/readyz");

    BOOST_REQUIRE(res);
    BOOST_TEST(res->status == 200);
    BOOST_TEST(json_of(res)["checks"]["db"] == "ok");
}

BOOST_AUTO_TEST_CASE(stop_lets_an_in_flight_request_finish) {
    TestServer test;
    std::promise<void> entered;
    std::promise<void> release;
    auto released = release.get_future().share();
    test.server->route(Method::kGet, "/wait", Access::anyone(),
                       [&](const httplib::Request&, httplib::Response& res, const RequestContext&) {
                           entered.set_value();
                           released.wait();
                           common::write_json(res, 200, {{"done", true}});
                       });
    test.start();
    auto in_flight = std::async(std::launch::async, [&] { return test.client().Get("/wait"); });
    entered.get_future().wait();

    auto stopped = std::async(std::launch::async, [&] { return test.server->stop(); });
    while (test.client().Get("/healthz")) {
        // poll until the listener is closed: stop() has begun
    }
    release.set_value();

    const auto res = in_flight.get();
    BOOST_REQUIRE(res);
    BOOST_TEST(res->status == 200);
    BOOST_TEST(stopped.get().has_value());
}

BOOST_AUTO_TEST_SUITE_END()
