#define BOOST_TEST_MODULE proxy_units
#include <boost/test/unit_test.hpp>

// The proxy-adapter's pure pieces: OCI client authentication, the repository policy, HF URL
// quoting and error mapping, the bandwidth limiter.
#include "aiops/common/encoding.h"
#include "fixtures/fake_clock.h"
#include "fixtures/temp_dir.h"
#include "hf_client.h"
#include "model_resolver.h"
#include "oci_auth.h"

namespace common = aiops::common;
namespace proxy = aiops::proxy;
using common::ErrorCode;

namespace {

constexpr const char* kSecret = "0123456789abcdef0123456789abcdef";

proxy::OciAuthSettings bearer_settings() {
    proxy::OciAuthSettings settings;
    settings.mode = proxy::OciAuthMode::kBearer;
    settings.users = {{"harbor", "replication-pass"}};
    settings.token_secret = kSecret;
    settings.token_ttl = std::chrono::seconds(300);
    return settings;
}

std::string basic(const std::string& user, const std::string& password) {
    return "Basic " + common::base64_encode(user + ":" + password);
}

bool code_is(const common::Error& error, ErrorCode code) { return error.code == code; }

common::HttpResponse hf_answer(int status,
                               std::vector<std::pair<std::string, std::string>> headers) {
    common::HttpResponse response;
    response.status = status;
    for (auto& [name, value] : headers) {
        response.headers.emplace(name, value);
    }
    return response;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(oci_auth)

BOOST_AUTO_TEST_CASE(config_without_users_or_secret_is_refused) {
    auto config =
        common::Config::from_yaml("registry_auth:\n  mode: bearer\n  token_secret: short\n", {});
    BOOST_REQUIRE(config.has_value());

    (void)proxy::oci_auth_settings_from_config(*config);
    const auto finished = config->finish();

    BOOST_REQUIRE(!finished.has_value());
    BOOST_TEST(finished.error().message.find("registry_auth.users") != std::string::npos);
    BOOST_TEST(finished.error().message.find("registry_auth.token_secret") != std::string::npos);
    BOOST_TEST(finished.error().message.find("short") == std::string::npos);  // never echoed
}

// A user whose password comes from a file (no `password` key): read, not a yaml-cpp exception.
BOOST_AUTO_TEST_CASE(user_passwords_can_come_from_files) {
    aiops::testing::TempDir dir;
    aiops::testing::write_file(dir / "harbor.pw", "harbor-secret-password\n");
    auto config = common::Config::from_yaml(
        "registry_auth:\n  mode: basic\n  users:\n    - {name: harbor, password_file: " +
            (dir / "harbor.pw").string() + "}\n",
        {});
    BOOST_REQUIRE(config.has_value());

    const auto settings = proxy::oci_auth_settings_from_config(*config);

    const auto finished = config->finish();
    BOOST_TEST(finished.has_value(), (finished ? "" : finished.error().message));
    BOOST_REQUIRE(settings.users.size() == 1U);
    BOOST_TEST(settings.users[0].name == "harbor");
    BOOST_TEST(settings.users[0].password == "harbor-secret-password");
}

BOOST_AUTO_TEST_CASE(unknown_mode_is_refused) {
    auto config = common::Config::from_yaml("registry_auth:\n  mode: magic\n", {});
    BOOST_REQUIRE(config.has_value());

    (void)proxy::oci_auth_settings_from_config(*config);

    BOOST_TEST(!config->finish().has_value());
}

BOOST_AUTO_TEST_CASE(bearer_tokens_expire_and_cannot_be_forged) {
    aiops::testing::FakeClock clock;
    proxy::OciAuth auth(bearer_settings(), "", clock);

    const auto refused = auth.issue_token(basic("harbor", "wrong-password"));
    const auto issued = auth.issue_token(basic("harbor", "replication-pass"));
    BOOST_REQUIRE(issued.has_value());
    const auto token = (*issued)["token"].get<std::string>();
    const auto valid = auth.authenticate("Bearer " + token);
    const auto tampered = auth.authenticate("Bearer x" + token);
    const auto other_key = proxy::OciAuth(
                               [] {
                                   auto s = bearer_settings();
                                   s.token_secret = std::string(32, 'z');
                                   return s;
                               }(),
                               "", clock)
                               .authenticate("Bearer " + token);
    clock.advance(std::chrono::seconds(301));
    const auto expired = auth.authenticate("Bearer " + token);

    BOOST_REQUIRE(!refused.has_value());
    BOOST_TEST(code_is(refused.error(), ErrorCode::kUnauthorized));
    BOOST_TEST((*issued)["expires_in"] == 300);
    BOOST_TEST((*issued)["issued_at"] == "2027-01-15T08:00:00Z");
    BOOST_TEST(valid.has_value());
    BOOST_TEST(!tampered.has_value());
    BOOST_TEST(!other_key.has_value());
    BOOST_REQUIRE(!expired.has_value());
    BOOST_TEST(expired.error().message.find("expired") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_challenge_names_the_realm_and_service) {
    aiops::testing::FakeClock clock;
    proxy::OciAuth bearer(bearer_settings(), "", clock);
    auto basic_settings = bearer_settings();
    basic_settings.mode = proxy::OciAuthMode::kBasic;
    proxy::OciAuth basic_auth(basic_settings, "", clock);

    BOOST_TEST(bearer.challenge("http://proxy:8082") ==
               "Bearer realm=\"http://proxy:8082/token\",service=\"aiops-proxy-adapter\"");
    BOOST_TEST(basic_auth.challenge("http://proxy:8082") == "Basic realm=\"aiops-proxy-adapter\"");
}

BOOST_AUTO_TEST_CASE(hf_token_mode_keeps_client_tokens_apart_from_the_configured_one) {
    aiops::testing::FakeClock clock;
    proxy::OciAuthSettings settings;
    settings.mode = proxy::OciAuthMode::kHfToken;
    proxy::OciAuth auth(settings, "hf_configured", clock);

    const auto anonymous = auth.authenticate("");
    const auto alice = auth.authenticate(basic("alice", "hf_alice_token"));
    const auto bob = auth.authenticate(basic("bob", "hf_bob_token"));
    const auto malformed = auth.authenticate("Basic !!!");

    BOOST_REQUIRE(anonymous.has_value());
    BOOST_TEST(anonymous->token == "hf_configured");
    BOOST_TEST(anonymous->fingerprint == "service");
    BOOST_REQUIRE(alice.has_value());
    BOOST_TEST(alice->token == "hf_alice_token");
    BOOST_TEST(alice->fingerprint != "service");
    BOOST_TEST(alice->fingerprint.find("hf_alice_token") == std::string::npos);
    BOOST_TEST(alice->fingerprint != bob->fingerprint);
    BOOST_TEST(!malformed.has_value());
}

BOOST_AUTO_TEST_CASE(basic_mode_accepts_only_configured_users) {
    aiops::testing::FakeClock clock;
    auto settings = bearer_settings();
    settings.mode = proxy::OciAuthMode::kBasic;
    proxy::OciAuth auth(settings, "hf_configured", clock);

    BOOST_TEST(!auth.authenticate("").has_value());
    BOOST_TEST(!auth.authenticate(basic("harbor", "nope")).has_value());
    BOOST_TEST(!auth.authenticate(basic("mallory", "replication-pass")).has_value());
    const auto ok = auth.authenticate(basic("harbor", "replication-pass"));
    BOOST_REQUIRE(ok.has_value());
    BOOST_TEST(ok->token == "hf_configured");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(repository_policy)

BOOST_AUTO_TEST_CASE(deny_wins_and_globs_stay_within_a_segment) {
    proxy::RepositoryPolicy policy{{"meta-llama/*", "acme/tiny-llm"}, {"meta-llama/private-*"}};

    BOOST_TEST(policy.permits("meta-llama/Llama-3-8B"));
    BOOST_TEST(policy.permits("acme/tiny-llm"));
    BOOST_TEST(!policy.permits("meta-llama/private-x"));
    BOOST_TEST(!policy.permits("acme/other"));
    BOOST_TEST(!policy.permits("meta-llama/a/b"));
    BOOST_TEST(proxy::RepositoryPolicy{}.permits("anyone/anything"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(hf_client)

BOOST_AUTO_TEST_CASE(revisions_are_one_segment_and_paths_keep_slashes) {
    BOOST_TEST(proxy::quote_segment("refs/pr/1") == "refs%2Fpr%2F1");
    BOOST_TEST(proxy::quote_segment("v1.0 beta") == "v1.0%20beta");
    BOOST_TEST(proxy::quote_path("onnx/model file.onnx") == "onnx/model%20file.onnx");
}

BOOST_AUTO_TEST_CASE(hub_errors_map_to_oci_meaningful_codes) {
    const auto missing_repo =
        proxy::hf_error(hf_answer(401, {{"X-Error-Code", "RepoNotFound"}}), "x");
    const auto gated = proxy::hf_error(hf_answer(401, {{"X-Error-Code", "GatedRepo"}}), "x");
    const auto denied = proxy::hf_error(
        hf_answer(403, {{"X-Error-Code", "GatedRepo"},
                        {"X-Error-Message", "Access to model acme/x is restricted"}}),
        "x");
    const auto missing_revision =
        proxy::hf_error(hf_answer(404, {{"X-Error-Code", "RevisionNotFound"}}), "x");
    const auto limited = proxy::hf_error(hf_answer(429, {{"Retry-After", "7"}}), "x");
    const auto broken = proxy::hf_error(hf_answer(502, {}), "x");

    BOOST_TEST(code_is(missing_repo, ErrorCode::kUnauthorized));
    BOOST_TEST(code_is(gated, ErrorCode::kUnauthorized));
    BOOST_TEST(code_is(denied, ErrorCode::kForbidden));
    BOOST_TEST(denied.message.find("restricted") != std::string::npos);
    BOOST_TEST(code_is(missing_revision, ErrorCode::kNotFound));
    BOOST_TEST(code_is(limited, ErrorCode::kRateLimited));
    BOOST_TEST(limited.retry_after.count() == 7);
    BOOST_TEST(code_is(broken, ErrorCode::kUpstream));
}

BOOST_AUTO_TEST_CASE(the_bandwidth_limiter_paces_bytes_to_the_cap) {
    auto now = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
    std::chrono::nanoseconds slept{0};
    proxy::BandwidthLimiter limiter(
        1000, [&] { return now; },
        [&](std::chrono::nanoseconds wait) {
            slept += wait;
            now += wait;
        });

    for (int i = 0; i < 10; ++i) {
        limiter.consume(500);  // 5000 bytes at 1000 B/s: 5 s, one second of burst allowed
    }

    BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(slept).count() == 4000);
    proxy::BandwidthLimiter unlimited(
        0, [&] { return now; }, [&](std::chrono::nanoseconds) { BOOST_FAIL("slept"); });
    unlimited.consume(1U << 30);
}

BOOST_AUTO_TEST_SUITE_END()
