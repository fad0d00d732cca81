#define BOOST_TEST_MODULE common_scaffold_service
#include <httplib.h>
#include <signal.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <filesystem>
#include <future>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "fixtures/process.h"
#include "fixtures/temp_dir.h"
#include "fixtures/tls_certs.h"

namespace fs = std::filesystem;
using aiops::testing::Process;
using aiops::testing::TempDir;

namespace {

const std::string kWriterToken = "writer-token-0123456789";
const std::string kReaderToken = "reader-token-0123456789";
constexpr auto kDeadline = std::chrono::seconds(20);

std::string auth_yaml(const TempDir& dir) {
    aiops::testing::write_file(dir / "ci.token", kWriterToken + "\n");
    return "auth:\n  tokens:\n    - {name: ci, role: writer, token_file: " +
           (dir / "ci.token").string() +
           "}\n    - {name: dash, role: reader, token: " + kReaderToken + "}\n";
}

// The scaffold service running on a free port with `extra_yaml` appended to its config.
struct Scaffold {
    explicit Scaffold(const std::string& server_yaml = "") : port(aiops::testing::free_port()) {
        aiops::testing::write_file(dir / "config.yaml",
                                   "server:\n  listen: 127.0.0.1:" + std::to_string(port) +
                                       "\n  shutdown_grace_ms: 20000\n" + server_yaml +
                                       auth_yaml(dir));
        process =
            std::make_unique<Process>(std::vector<std::string>{AIOPS_SCAFFOLD_SERVICE, "--config",
                                                               (dir / "config.yaml").string()},
                                      dir / "service.log");
        BOOST_REQUIRE_MESSAGE(aiops::testing::wait_for_port(port, kDeadline), process->log());
    }

    httplib::Client client() const { return httplib::Client("127.0.0.1", port); }

    TempDir dir;
    int port;
    std::unique_ptr<Process> process;
};

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream stream(text);
    for (std::string line; std::getline(stream, line);) {
        if (!line.empty()) {
            lines.push_back(line);
        }
    }
    return lines;
}

double gauge_value(const std::string& metrics_text, const std::string& name) {
    for (const auto& line : lines_of(metrics_text)) {
        if (line.rfind(name + " ", 0) == 0) {
            return std::stod(line.substr(name.size() + 1));
        }
    }
    return 0.0;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(scaffold_service)

BOOST_AUTO_TEST_CASE(unknown_config_key_exits_non_zero_with_one_line_naming_it) {
    TempDir dir;
    aiops::testing::write_file(dir / "config.yaml", "server:\n  listne: 127.0.0.1:1\n");

    const int status = aiops::testing::run_command(
        {AIOPS_SCAFFOLD_SERVICE, "--config", (dir / "config.yaml").string()}, dir / "out.log");

    const auto lines = lines_of(aiops::testing::read_file(dir / "out.log"));
    BOOST_TEST(status == 2);
    BOOST_REQUIRE(lines.size() == 1U);
    BOOST_TEST(lines[0].find("server.listne") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(unreadable_certificate_exits_non_zero_with_one_line) {
    TempDir dir;
    aiops::testing::write_file(dir / "config.yaml",
                               "server:\n  listen: 127.0.0.1:0\n  tls:\n    cert_file: /nope.crt\n"
                               "    key_file: /nope.key\n");

    const int status = aiops::testing::run_command(
        {AIOPS_SCAFFOLD_SERVICE, "--config", (dir / "config.yaml").string()}, dir / "out.log");

    const auto lines = lines_of(aiops::testing::read_file(dir / "out.log"));
    BOOST_TEST(status == 2);
    BOOST_REQUIRE(lines.size() == 1U);
    BOOST_TEST(lines[0].find("/nope.crt") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(help_exits_zero) {
    TempDir dir;

    const int status = aiops::testing::run_command({AIOPS_SCAFFOLD_SERVICE, "--help"}, dir / "out");

    BOOST_TEST(status == 0);
    BOOST_TEST(aiops::testing::read_file(dir / "out").find("--config") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(writer_token_from_file_posts_and_reader_token_is_forbidden) {
    Scaffold service;
    auto client = service.client();

    auto as_reader = client.Post("/echo", {{"Authorization", "Bearer " + kReaderToken}},
                                 R"({"a":1})", "application/json");
    auto as_writer = client.Post("/echo", {{"Authorization", "Bearer " + kWriterToken}},
                                 R"({"a":1})", "application/json");

    BOOST_REQUIRE(as_reader);
    BOOST_TEST(as_reader->status == 403);
    BOOST_REQUIRE(as_writer);
    BOOST_TEST(as_writer->status == 200);
    BOOST_TEST(nlohmann::json::parse(as_writer->body) == nlohmann::json::parse(R"({"a":1})"));
    BOOST_TEST(service.process->log().find(kWriterToken) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(sighup_makes_new_connections_see_the_new_certificate) {
    TempDir pki;
    const auto ca = aiops::testing::make_ca(pki.path(), "ca", "Test CA");
    const auto first = aiops::testing::make_signed_cert(pki.path(), "first", ca, "server-one", 1);
    const auto second = aiops::testing::make_signed_cert(pki.path(), "second", ca, "server-two", 2);
    const auto cert = pki / "server.crt";
    const auto key = pki / "server.key";
    fs::copy_file(first.cert, cert);
    fs::copy_file(first.key, key);
    Scaffold service("  tls:\n    cert_file: " + cert.string() + "\n    key_file: " + key.string() +
                     "\n");
    BOOST_REQUIRE(aiops::testing::server_certificate(service.port)->common_name == "server-one");

    fs::copy_file(second.cert, cert, fs::copy_options::overwrite_existing);
    fs::copy_file(second.key, key, fs::copy_options::overwrite_existing);
    BOOST_REQUIRE(::kill(service.process->pid(), SIGHUP) == 0);

    std::optional<aiops::testing::PeerCertificate> served;
    const auto deadline = std::chrono::steady_clock::now() + kDeadline;
    do {
        served = aiops::testing::server_certificate(service.port);
    } while ((!served || served->serial != 2) && std::chrono::steady_clock::now() < deadline);
    BOOST_REQUIRE(served.has_value());
    BOOST_TEST(served->common_name == "server-two");
    BOOST_TEST(served->serial == 2);
    BOOST_TEST(service.process->running());
}

BOOST_AUTO_TEST_CASE(sigterm_lets_an_in_flight_request_finish_then_exits_zero) {
    Scaffold service;
    auto slow = std::async(std::launch::async, [&] {
        auto client = service.client();
        client.set_read_timeout(std::chrono::seconds(30));
        return client.Get("/slow?ms=1500", {{"Authorization", "Bearer " + kReaderToken}});
    });
    const auto deadline = std::chrono::steady_clock::now() + kDeadline;
    double in_flight = 0;
    while (in_flight < 2 && std::chrono::steady_clock::now() < deadline) {
        auto metrics = service.client().Get("/metrics");  // counts itself as in flight
        in_flight = metrics ? gauge_value(metrics->body, "http_requests_in_flight") : 0;
    }
    BOOST_REQUIRE(in_flight >= 2);

    const int status = service.process->terminate();

    const auto res = slow.get();
    BOOST_TEST(status == 0);
    BOOST_REQUIRE(res);
    BOOST_TEST(res->status == 200);
    BOOST_TEST(nlohmann::json::parse(res->body)["slept_ms"] == 1500);
}

BOOST_AUTO_TEST_SUITE_END()
