#define BOOST_TEST_MODULE common_registry_token
#include <httplib.h>
#include <openssl/evp.h>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "aiops/common/registry_client.h"
#include "fixtures/oci_artifact.h"
#include "fixtures/registry_server.h"
#include "fixtures/token_issuer.h"

namespace common = aiops::common;
namespace testing = aiops::testing;
using common::ErrorCode;
using namespace std::chrono_literals;

namespace {

struct FakeClock {
    std::chrono::steady_clock::time_point now = std::chrono::steady_clock::time_point(1000h);
};

std::string basic(const std::string& user, const std::string& password) {
    const std::string plain = user + ":" + password;
    std::string out(4 * ((plain.size() + 2) / 3) + 1, '\0');
    const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                        reinterpret_cast<const unsigned char*>(plain.data()),
                                        static_cast<int>(plain.size()));
    out.resize(static_cast<std::size_t>(written));
    return "Basic " + out;
}

testing::BuiltArtifact small_artifact() {
    return testing::build_artifact(
        {{"application/vnd.cncf.model.weight.v1.raw", "weights-0123", {}},
         {"application/vnd.cncf.model.doc.v1.raw", "# doc", {}}},
        "application/vnd.cncf.model.manifest.v1+json");
}

struct TokenRegistry {
    testing::TokenIssuer issuer;
    testing::RegistryServer registry{{.token_issuer = &issuer}};
    std::unique_ptr<common::HttpClient> http = common::HttpClient::create({}).value();
    FakeClock clock;

    std::unique_ptr<common::RegistryClient> client_with(common::RegistryClientSettings settings) {
        settings.base_url = registry.url();
        settings.now = [this] { return clock.now; };
        return common::RegistryClient::create(*http, std::move(settings)).value();
    }
    std::unique_ptr<common::RegistryClient> robot() {
        return client_with(
            {.username = issuer.settings().username, .password = issuer.settings().password});
    }
    // A token fetched straight from the issuer, as Harbor would hand one to a scanner.
    std::string issued_bearer(const std::string& scope) {
        httplib::Client token_client(issuer.realm().substr(0, issuer.realm().rfind('/')));
        const auto response = token_client.Get(
            "/token?service=" + issuer.settings().service + "&scope=" + scope,
            {{"Authorization", basic(issuer.settings().username, issuer.settings().password)}});
        BOOST_TEST_REQUIRE(response->status == 200);
        return "Bearer " + nlohmann::json::parse(response->body).at("token").get<std::string>();
    }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(registry_client_token, TokenRegistry)

BOOST_AUTO_TEST_CASE(no_credentials_or_wrong_password_surface_unauthorized) {
    auto anonymous = client_with({});
    auto wrong = client_with({.username = issuer.settings().username, .password = "wrong"});

    const auto ping = anonymous->ping();
    const auto manifest = anonymous->get_manifest("models/tiny", "v1");
    const auto wrong_manifest = wrong->get_manifest("models/tiny", "v1");
    const auto wrong_push = wrong->push_blob("models/tiny", "bytes");

    BOOST_TEST(ping.error().code == ErrorCode::kUnauthorized);
    BOOST_TEST(manifest.error().code == ErrorCode::kUnauthorized);
    BOOST_TEST(wrong_manifest.error().code == ErrorCode::kUnauthorized);
    BOOST_TEST(wrong_push.error().code == ErrorCode::kUnauthorized);
    BOOST_TEST(issuer.granted() == 0);
}

BOOST_AUTO_TEST_CASE(push_and_pull_through_the_token_flow) {
    auto client = robot();
    const auto artifact = small_artifact();

    const auto pushed = testing::push_artifact(*client, "models/team/tiny", "v1", artifact);
    const auto manifest = client->get_manifest("models/team/tiny", "v1");
    const auto blob =
        client->fetch_blob("models/team/tiny", artifact.manifest.layers[0].digest, 1U << 20);
    const auto range =
        client->read_blob_range("models/team/tiny", artifact.manifest.layers[0].digest, 2, 5);

    BOOST_TEST_REQUIRE(pushed.has_value(), (pushed ? "" : pushed.error().message));
    BOOST_TEST_REQUIRE(manifest.has_value());
    BOOST_TEST(manifest->digest == artifact.manifest_digest);
    BOOST_TEST(*blob == "weights-0123");
    BOOST_TEST(*range == "ights");
    BOOST_TEST(client->ping().has_value());
}

BOOST_AUTO_TEST_CASE(tokens_are_cached_per_scope_until_expiry_minus_margin) {
    auto client = robot();
    const auto artifact = small_artifact();
    BOOST_TEST_REQUIRE(testing::push_artifact(*client, "models/tiny", "v1", artifact).has_value());
    BOOST_TEST(issuer.requests() == 1);  // one pull,push token for every upload step

    BOOST_TEST_REQUIRE(client->get_manifest("models/tiny", "v1").has_value());
    BOOST_TEST_REQUIRE(client->head_manifest("models/tiny", "v1").has_value());
    BOOST_TEST_REQUIRE(client->list_tags("models/tiny").has_value());
    BOOST_TEST(issuer.requests() == 2);  // + one pull token, reused
    BOOST_TEST_REQUIRE(client->catalog().has_value());
    BOOST_TEST(issuer.requests() == 3);  // + registry:catalog:*
    BOOST_TEST(issuer.scopes_requested().back() == "registry:catalog:*");

    clock.now += 269s;  // expires_in 300 - margin 30 not yet reached
    BOOST_TEST_REQUIRE(client->get_manifest("models/tiny", "v1").has_value());
    BOOST_TEST(issuer.requests() == 3);
    clock.now += 2s;
    BOOST_TEST_REQUIRE(client->get_manifest("models/tiny", "v1").has_value());
    BOOST_TEST(issuer.requests() == 4);
}

BOOST_AUTO_TEST_CASE(a_401_on_a_cached_token_refetches_exactly_once) {
    auto client = robot();
    BOOST_TEST_REQUIRE(
        testing::push_artifact(*client, "models/tiny", "v1", small_artifact()).has_value());
    issuer.set_grant_access(false);
    const int before = issuer.requests();

    const auto refused = client->get_manifest("models/tiny", "v1");
    const int after_refused = issuer.requests();
    issuer.set_grant_access(true);
    const auto recovered = client->get_manifest("models/tiny", "v1");

    BOOST_TEST(refused.error().code == ErrorCode::kUnauthorized);
    BOOST_TEST(after_refused - before == 2);  // first token, one refetch, then give up
    BOOST_TEST(recovered.has_value());
    BOOST_TEST(issuer.requests() - after_refused == 1);  // cached token refused, refetched once
}

BOOST_AUTO_TEST_CASE(preissued_basic_is_exchanged_at_the_realm) {
    auto client = client_with(
        {.authorization = basic(issuer.settings().username, issuer.settings().password)});
    const auto artifact = small_artifact();

    const auto pushed = testing::push_artifact(*client, "models/tiny", "v1", artifact);
    const auto head = client->head_manifest("models/tiny", "v1");

    BOOST_TEST_REQUIRE(pushed.has_value());
    BOOST_TEST_REQUIRE(head.has_value());
    BOOST_TEST(head->digest == artifact.manifest_digest);
    BOOST_TEST(issuer.granted() == 2);
}

BOOST_AUTO_TEST_CASE(preissued_bearer_is_sent_as_is_and_never_refreshed) {
    BOOST_TEST_REQUIRE(
        testing::push_artifact(*robot(), "models/tiny", "v1", small_artifact()).has_value());
    auto pull = client_with({.authorization = issued_bearer("repository:models/tiny:pull")});
    auto other = client_with({.authorization = issued_bearer("repository:other/repo:pull")});
    const int before = issuer.requests();

    const auto allowed = pull->get_manifest("models/tiny", "v1");
    const auto denied = other->get_manifest("models/tiny", "v1");

    BOOST_TEST(allowed.has_value());
    BOOST_TEST(denied.error().code == ErrorCode::kUnauthorized);
    BOOST_TEST(issuer.requests() == before);
}

BOOST_AUTO_TEST_CASE(access_token_field_is_accepted) {
    testing::TokenIssuer alt_issuer({.access_token_field = true});
    testing::RegistryServer alt_registry({.token_issuer = &alt_issuer});
    auto client =
        common::RegistryClient::create(*http, {.base_url = alt_registry.url(),
                                               .username = alt_issuer.settings().username,
                                               .password = alt_issuer.settings().password})
            .value();

    const auto tags = client->list_tags("never/pushed");

    BOOST_TEST(tags.error().code == ErrorCode::kNotFound);  // authorised, then NAME_UNKNOWN
    BOOST_TEST(alt_issuer.granted() == 1);
}

BOOST_AUTO_TEST_SUITE_END()
