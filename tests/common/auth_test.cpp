#define BOOST_TEST_MODULE common_auth
#include "aiops/common/auth.h"

#include <boost/test/unit_test.hpp>
#include <vector>

#include "aiops/common/config.h"
#include "fixtures/temp_dir.h"

using aiops::common::Access;
using aiops::common::Authenticator;
using aiops::common::AuthSettings;
using aiops::common::Config;
using aiops::common::ErrorCode;

namespace {

const std::string kReaderToken = "reader-token-0123456789";
const std::string kWriterToken = "writer-token-0123456789";
const std::string kHarborToken = "harbor-token-0123456789";

AuthSettings settings(bool anonymous_read = false) {
    return AuthSettings{{{"dashboard", "reader", kReaderToken},
                         {"ci", "writer", kWriterToken},
                         {"harbor-core", "harbor", kHarborToken}},
                        anonymous_read,
                        {"harbor"}};
}

Authenticator authenticator(bool anonymous_read = false) {
    auto auth = Authenticator::create(settings(anonymous_read));
    BOOST_REQUIRE(auth);
    return std::move(auth).value();
}

std::string bearer(const std::string& token) { return "Bearer " + token; }

}  // namespace

BOOST_AUTO_TEST_SUITE(auth)

BOOST_AUTO_TEST_CASE(missing_token_is_unauthorized) {
    const auto auth = authenticator();

    const auto result = auth.authorize("", Access::reader());

    BOOST_REQUIRE(!result);
    BOOST_TEST(result.error().code == ErrorCode::kUnauthorized);
}

BOOST_AUTO_TEST_CASE(wrong_token_of_any_length_is_unauthorized) {
    const auto auth = authenticator();

    for (const std::string& token :
         std::vector<std::string>{"x", "reader-token-0123456788", kReaderToken + "0", ""}) {
        const auto result = auth.authorize(bearer(token), Access::reader());
        BOOST_REQUIRE(!result);
        BOOST_TEST(result.error().code == ErrorCode::kUnauthorized);
    }
}

BOOST_AUTO_TEST_CASE(non_bearer_scheme_is_unauthorized) {
    const auto auth = authenticator();

    const auto result = auth.authorize("Basic " + kWriterToken, Access::reader());

    BOOST_REQUIRE(!result);
    BOOST_TEST(result.error().code == ErrorCode::kUnauthorized);
}

BOOST_AUTO_TEST_CASE(valid_token_with_too_low_a_role_is_forbidden) {
    const auto auth = authenticator();

    const auto result = auth.authorize(bearer(kReaderToken), Access::writer());

    BOOST_REQUIRE(!result);
    BOOST_TEST(result.error().code == ErrorCode::kForbidden);
}

BOOST_AUTO_TEST_CASE(service_role_only_passes_routes_that_name_it) {
    const auto auth = authenticator();

    const auto on_reader_route = auth.authorize(bearer(kHarborToken), Access::reader());
    const auto writer_on_harbor_route =
        auth.authorize(bearer(kWriterToken), Access::roles({"harbor"}));
    const auto on_harbor_route = auth.authorize(bearer(kHarborToken), Access::roles({"harbor"}));

    BOOST_REQUIRE(!on_reader_route);
    BOOST_TEST(on_reader_route.error().code == ErrorCode::kForbidden);
    BOOST_REQUIRE(!writer_on_harbor_route);
    BOOST_TEST(writer_on_harbor_route.error().code == ErrorCode::kForbidden);
    BOOST_REQUIRE(on_harbor_route);
    BOOST_TEST(on_harbor_route->name == "harbor-core");
}

BOOST_AUTO_TEST_CASE(writer_passes_reader_and_writer_routes) {
    const auto auth = authenticator();

    const auto as_reader = auth.authorize("bearer " + kWriterToken, Access::reader());
    const auto as_writer = auth.authorize(bearer(kWriterToken), Access::writer());

    BOOST_REQUIRE(as_reader);
    BOOST_REQUIRE(as_writer);
    BOOST_TEST(as_writer->name == "ci");
    BOOST_TEST(as_writer->role == "writer");
    BOOST_TEST(!as_writer->anonymous);
}

BOOST_AUTO_TEST_CASE(anonymous_read_opens_reader_routes_only) {
    const auto auth = authenticator(true);

    const auto read = auth.authorize("", Access::reader());
    const auto write = auth.authorize("", Access::writer());
    const auto bad_token = auth.authorize(bearer("nope"), Access::reader());

    BOOST_REQUIRE(read);
    BOOST_TEST(read->anonymous);
    BOOST_REQUIRE(!write);
    BOOST_TEST(write.error().code == ErrorCode::kUnauthorized);
    BOOST_REQUIRE(!bad_token);
    BOOST_TEST(bad_token.error().code == ErrorCode::kUnauthorized);
}

BOOST_AUTO_TEST_CASE(public_routes_need_no_token) {
    const auto auth = authenticator();

    const auto result = auth.authorize("", Access::anyone());

    BOOST_REQUIRE(result);
    BOOST_TEST(result->anonymous);
}

BOOST_AUTO_TEST_CASE(create_rejects_short_duplicate_and_unknown_role_tokens) {
    const auto short_token = Authenticator::create({{{"a", "reader", "short"}}, false, {}});
    const auto unknown_role = Authenticator::create({{{"a", "admin", kReaderToken}}, false, {}});
    const auto same_name = Authenticator::create(
        {{{"a", "reader", kReaderToken}, {"a", "writer", kWriterToken}}, false, {}});
    const auto same_token = Authenticator::create(
        {{{"a", "reader", kReaderToken}, {"b", "writer", kReaderToken}}, false, {}});

    BOOST_TEST(!short_token);
    BOOST_TEST(!unknown_role);
    BOOST_TEST(!same_name);
    BOOST_TEST(!same_token);
    BOOST_TEST(same_token.error().message.find(kReaderToken) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(config_reports_bad_entries_without_quoting_tokens) {
    auto config = Config::from_yaml(
        "auth:\n  tokens:\n"
        "    - {name: a, role: admin, token: secret-value-0123456789}\n"
        "    - {name: b, role: reader}\n"
        "    - {name: c, role: reader, token: x, colour: red}\n",
        {});
    BOOST_REQUIRE(config);

    const auto auth = aiops::common::auth_settings_from_config(*config);
    const auto status = config->finish();

    BOOST_TEST(auth.tokens.empty());
    BOOST_REQUIRE(!status);
    const auto& message = status.error().message;
    BOOST_TEST(message.find("auth.tokens[0]: role must be one of reader, writer") !=
               std::string::npos);
    BOOST_TEST(message.find("auth.tokens[1]: needs exactly one of token or token_file") !=
               std::string::npos);
    BOOST_TEST(message.find("auth.tokens[2]: unknown config key colour") != std::string::npos);
    BOOST_TEST(message.find("secret-value") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(config_reads_token_file_trimmed_and_anonymous_read) {
    aiops::testing::TempDir dir;
    aiops::testing::write_file(dir / "ci.token", "  " + kWriterToken + "\n");
    auto config = Config::from_yaml(
        "auth:\n  anonymous_read: true\n  tokens:\n"
        "    - {name: ci, role: writer, token_file: " +
            (dir / "ci.token").string() +
            "}\n"
            "    - {name: hb, role: harbor, token: " +
            kHarborToken + "}\n",
        {});
    BOOST_REQUIRE(config);

    const auto auth = aiops::common::auth_settings_from_config(*config, {"harbor"});

    BOOST_TEST(config->finish().has_value());
    BOOST_TEST(auth.anonymous_read);
    BOOST_REQUIRE(auth.tokens.size() == 2U);
    BOOST_TEST(auth.tokens[0].token == kWriterToken);
    BOOST_TEST(auth.tokens[1].role == "harbor");
}

BOOST_AUTO_TEST_SUITE_END()
