#define BOOST_TEST_MODULE common_http_server_tls
#include <boost/test/unit_test.hpp>
#include <filesystem>

#include "aiops/common/http_server.h"
#include "fixtures/temp_dir.h"
#include "fixtures/tls_certs.h"

namespace common = aiops::common;
namespace fs = std::filesystem;
using aiops::testing::CertFiles;

namespace {

// Server CA + server cert (CN=server-one), and a separate client CA with one client cert.
struct Pki {
    Pki()
        : server_ca(aiops::testing::make_ca(dir.path(), "server-ca", "Server CA")),
          server(
              aiops::testing::make_signed_cert(dir.path(), "server", server_ca, "server-one", 1)),
          client_ca(aiops::testing::make_ca(dir.path(), "client-ca", "Client CA")),
          client(
              aiops::testing::make_signed_cert(dir.path(), "client", client_ca, "client-one", 2)),
          stranger(aiops::testing::make_signed_cert(dir.path(), "stranger", server_ca, "x", 3)) {}

    aiops::testing::TempDir dir;
    CertFiles server_ca;
    CertFiles server;
    CertFiles client_ca;
    CertFiles client;
    CertFiles stranger;  // signed by the server CA, not the client CA
};

common::ServerSettings tls_settings(const Pki& pki, bool mutual) {
    common::ServerSettings settings;
    settings.port = 0;
    settings.workers = 2;
    settings.tls = {pki.server.cert.string(), pki.server.key.string(),
                    mutual ? pki.client_ca.cert.string() : std::string()};
    return settings;
}

std::unique_ptr<common::Server> start(common::Metrics& metrics, common::ServerSettings settings) {
    auto server = common::Server::create(std::move(settings), {}, metrics);
    BOOST_REQUIRE(server);
    BOOST_REQUIRE((*server)->start());
    return std::move(server).value();
}

std::unique_ptr<httplib::SSLClient> verifying_client(const Pki& pki, int port,
                                                     const CertFiles* client_cert) {
    auto client = client_cert == nullptr ? std::make_unique<httplib::SSLClient>("127.0.0.1", port)
                                         : std::make_unique<httplib::SSLClient>(
                                               "127.0.0.1", port, client_cert->cert.string(),
                                               client_cert->key.string());
    client->set_ca_cert_path(pki.server_ca.cert.string());
    client->enable_server_certificate_verification(true);
    return client;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(http_server_tls)

BOOST_AUTO_TEST_CASE(create_fails_when_the_key_does_not_match_the_certificate) {
    Pki pki;
    common::Metrics metrics;
    auto settings = tls_settings(pki, false);
    settings.tls.key_file = pki.client.key.string();

    auto server = common::Server::create(settings, {}, metrics);

    BOOST_REQUIRE(!server);
    BOOST_TEST(server.error().message.find("does not match") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(create_fails_when_a_tls_file_is_missing) {
    Pki pki;
    common::Metrics metrics;
    auto settings = tls_settings(pki, false);
    settings.tls.cert_file = (pki.dir / "absent.crt").string();

    auto server = common::Server::create(settings, {}, metrics);

    BOOST_REQUIRE(!server);
    BOOST_TEST(server.error().code == common::ErrorCode::kInvalidInput);
}

BOOST_AUTO_TEST_CASE(mutual_tls_rejects_a_client_without_a_certificate) {
    Pki pki;
    common::Metrics metrics;
    auto server = start(metrics, tls_settings(pki, true));

    auto res = verifying_client(pki, server->port(), nullptr)->Get("/healthz");

    BOOST_TEST(!res);
}

BOOST_AUTO_TEST_CASE(mutual_tls_rejects_a_certificate_from_another_ca) {
    Pki pki;
    common::Metrics metrics;
    auto server = start(metrics, tls_settings(pki, true));

    auto res = verifying_client(pki, server->port(), &pki.stranger)->Get("/healthz");

    BOOST_TEST(!res);
}

BOOST_AUTO_TEST_CASE(mutual_tls_accepts_a_client_signed_by_the_client_ca) {
    Pki pki;
    common::Metrics metrics;
    auto server = start(metrics, tls_settings(pki, true));

    auto res = verifying_client(pki, server->port(), &pki.client)->Get("/healthz");

    BOOST_REQUIRE(res);
    BOOST_TEST(res->status == 200);
}

BOOST_AUTO_TEST_CASE(https_serves_with_a_certificate_made_at_test_start) {
    Pki pki;
    common::Metrics metrics;
    auto server = start(metrics, tls_settings(pki, false));

    auto res = verifying_client(pki, server->port(), nullptr)->Get("/healthz");

    BOOST_TEST(server->is_tls());
    BOOST_REQUIRE(res);
    BOOST_TEST(res->status == 200);
    BOOST_TEST(res->body == R"({"status":"ok"})");
}

BOOST_AUTO_TEST_CASE(failed_reload_keeps_the_current_certificate) {
    Pki pki;
    common::Metrics metrics;
    auto server = start(metrics, tls_settings(pki, false));
    aiops::testing::write_file(pki.server.cert, "not a certificate");

    const auto reloaded = server->reload_tls();

    BOOST_TEST(!reloaded);
    const auto served = aiops::testing::server_certificate(server->port());
    BOOST_REQUIRE(served.has_value());
    BOOST_TEST(served->common_name == "server-one");
}

BOOST_AUTO_TEST_CASE(reload_serves_the_new_certificate_to_new_connections) {
    Pki pki;
    common::Metrics metrics;
    auto server = start(metrics, tls_settings(pki, false));
    const auto next =
        aiops::testing::make_signed_cert(pki.dir.path(), "next", pki.server_ca, "server-two", 9);
    fs::copy_file(next.cert, pki.server.cert, fs::copy_options::overwrite_existing);
    fs::copy_file(next.key, pki.server.key, fs::copy_options::overwrite_existing);

    BOOST_REQUIRE(server->reload_tls());

    const auto served = aiops::testing::server_certificate(server->port());
    BOOST_REQUIRE(served.has_value());
    BOOST_TEST(served->common_name == "server-two");
    BOOST_TEST(served->serial == 9);
}

BOOST_AUTO_TEST_SUITE_END()
