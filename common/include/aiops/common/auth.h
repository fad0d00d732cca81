#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "aiops/common/result.h"

// API authentication: static bearer tokens with roles.
//
//   auth:
//     anonymous_read: false
//     tokens:
//       - {name: ci, role: writer, token: "…"}        # or token_file: /run/secrets/ci
//
// Built-in roles are ranked: reader < writer. A service may add its own roles (e.g. "harbor" for
// the calls Harbor makes); those are unranked and satisfy only a route that names them. A route
// states what it needs with an Access: anyone (public), at least reader / writer, or one of a set
// of named roles. Tokens are compared as SHA-256 digests with CRYPTO_memcmp against every
// configured token, so neither the length nor the position of a match leaks through timing.
namespace aiops::common {

class Config;

inline constexpr std::string_view kReaderRole = "reader";
inline constexpr std::string_view kWriterRole = "writer";
// Value of the WWW-Authenticate header on every 401.
inline constexpr std::string_view kBearerChallenge = "Bearer realm=\"aiops\"";

// What a route demands of its caller.
class Access {
public:
    static Access anyone();                                 // public: no credentials at all
    static Access reader();                                 // reader, writer (or anonymous_read)
    static Access writer();                                 // writer
    static Access roles(std::vector<std::string> allowed);  // exactly one of these roles

    bool is_public() const { return kind_ == Kind::kPublic; }
    bool is_reader_level() const { return kind_ == Kind::kMinimumRank && min_rank_ == 1; }
    // True when a principal holding `role` may pass.
    bool allows(std::string_view role) const;

private:
    enum class Kind { kPublic, kMinimumRank, kNamedRoles };
    Access(Kind kind, int min_rank, std::vector<std::string> allowed)
        : kind_(kind), min_rank_(min_rank), allowed_(std::move(allowed)) {}

    Kind kind_;
    int min_rank_;
    std::vector<std::string> allowed_;
};

// 1 for reader, 2 for writer, 0 for any other (service-defined) role.
int role_rank(std::string_view role);

struct ApiToken {
    std::string name;  // who it belongs to (logged); never the secret
    std::string role;
    std::string token;  // secret
};

struct AuthSettings {
    std::vector<ApiToken> tokens;
    bool anonymous_read = false;
    std::vector<std::string> extra_roles;  // roles the service added beyond reader/writer
};

// Reads auth.tokens (a list of {name, role, token | token_file}) and auth.anonymous_read.
// Bad entries are reported through config.add_error (never quoting a token); `extra_roles` are the
// roles this service accepts besides reader and writer.
AuthSettings auth_settings_from_config(Config& config, std::vector<std::string> extra_roles = {});

// The authenticated caller of one request.
struct Principal {
    std::string name;  // token name, or "anonymous"
    std::string role;  // empty for anonymous and for public routes
    bool anonymous = true;
};

// Minimum length of a configured token: shorter secrets are refused at startup.
inline constexpr std::size_t kMinTokenLength = 16;

class Authenticator {
public:
    // Fails (kInvalidInput) on an unknown role, a duplicate name or token, or a short token.
    static Result<Authenticator> create(const AuthSettings& settings);

    // `authorization` is the raw Authorization header ("" when absent). kUnauthorized when a
    // credential is needed and missing or wrong; kForbidden when it is valid but its role is not
    // enough. A present-but-wrong token is rejected even on routes open to anonymous readers.
    Result<Principal> authorize(std::string_view authorization, const Access& access) const;

private:
    struct Entry {
        std::string name;
        std::string role;
        std::array<unsigned char, 32> digest;  // SHA-256 of the token
    };
    Authenticator(std::vector<Entry> entries, bool anonymous_read)
        : entries_(std::move(entries)), anonymous_read_(anonymous_read) {}
    // The entry whose token matches, compared in constant time against all; nullptr if none.
    const Entry* find_token(std::string_view token) const;

    std::vector<Entry> entries_;
    bool anonymous_read_;
};

}  // namespace aiops::common
