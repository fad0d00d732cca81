#include "aiops/common/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

#include "aiops/common/config.h"

namespace aiops::common {
namespace {

constexpr std::string_view kBearerPrefix = "bearer ";

std::string trim(std::string text) {
    const auto not_space = [](unsigned char ch) { return !std::isspace(ch); };
    text.erase(text.begin(), std::find_if(text.begin(), text.end(), not_space));
    text.erase(std::find_if(text.rbegin(), text.rend(), not_space).base(), text.end());
    return text;
}

Result<std::array<unsigned char, 32>> sha256(std::string_view data) {
    std::array<unsigned char, 32> digest{};
    unsigned int length = 0;
    if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1 ||
        length != digest.size()) {
        return Error{ErrorCode::kInternal, "SHA-256 failed"};
    }
    return digest;
}

bool is_known_role(std::string_view role, const std::vector<std::string>& extra_roles) {
    return role_rank(role) > 0 ||
           std::find(extra_roles.begin(), extra_roles.end(), role) != extra_roles.end();
}

std::string known_roles_text(const std::vector<std::string>& extra_roles) {
    std::string text = "reader, writer";
    for (const auto& role : extra_roles) {
        text += ", " + role;
    }
    return text;
}

Result<std::string> read_token_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return Error{ErrorCode::kInvalidInput, "cannot read token_file " + path};
    }
    std::ostringstream contents;
    contents << in.rdbuf();
    return trim(contents.str());
}

std::string scalar_field(const YAML::Node& entry, const char* key) {
    const YAML::Node node = entry[key];
    return node.IsDefined() && node.IsScalar() ? node.Scalar() : std::string();
}

Result<std::string> token_of_entry(const YAML::Node& entry) {
    const bool inline_token = entry["token"].IsDefined();
    const bool file_token = entry["token_file"].IsDefined();
    if (inline_token == file_token) {
        return Error{ErrorCode::kInvalidInput, "needs exactly one of token or token_file"};
    }
    if (inline_token) {
        return scalar_field(entry, "token");
    }
    return read_token_file(scalar_field(entry, "token_file"));
}

Result<ApiToken> parse_token_entry(const YAML::Node& entry,
                                   const std::vector<std::string>& extra_roles) {
    if (!entry.IsMap()) {
        return Error{ErrorCode::kInvalidInput, "expected {name, role, token | token_file}"};
    }
    for (const auto& field : entry) {
        const auto key = field.first.as<std::string>();
        if (key != "name" && key != "role" && key != "token" && key != "token_file") {
            return Error{ErrorCode::kInvalidInput, "unknown config key " + key};
        }
    }
    ApiToken token{scalar_field(entry, "name"), scalar_field(entry, "role"), {}};
    if (token.name.empty()) {
        return Error{ErrorCode::kInvalidInput, "name is required"};
    }
    if (!is_known_role(token.role, extra_roles)) {
        return Error{ErrorCode::kInvalidInput,
                     "role must be one of " + known_roles_text(extra_roles)};
    }
    auto secret = token_of_entry(entry);
    if (!secret) {
        return secret.error();
    }
    token.token = std::move(secret).value();
    return token;
}

}  // namespace

Access Access::anyone() { return Access(Kind::kPublic, 0, {}); }
Access Access::reader() { return Access(Kind::kMinimumRank, 1, {}); }
Access Access::writer() { return Access(Kind::kMinimumRank, 2, {}); }
Access Access::roles(std::vector<std::string> allowed) {
    return Access(Kind::kNamedRoles, 0, std::move(allowed));
}

bool Access::allows(std::string_view role) const {
    switch (kind_) {
        case Kind::kPublic: return true;
        case Kind::kMinimumRank: return role_rank(role) >= min_rank_;
        case Kind::kNamedRoles:
            return std::find(allowed_.begin(), allowed_.end(), role) != allowed_.end();
    }
    return false;
}

int role_rank(std::string_view role) {
    if (role == kReaderRole) {
        return 1;
    }
    if (role == kWriterRole) {
        return 2;
    }
    return 0;
}

AuthSettings auth_settings_from_config(Config& config, std::vector<std::string> extra_roles) {
    AuthSettings settings;
    settings.extra_roles = std::move(extra_roles);
    settings.anonymous_read = config.get_bool("auth.anonymous_read", false);
    const YAML::Node tokens = config.get_node("auth.tokens");
    if (!tokens.IsDefined() || tokens.IsNull()) {
        return settings;
    }
    if (!tokens.IsSequence()) {
        config.add_error("auth.tokens: expected a list of {name, role, token | token_file}");
        return settings;
    }
    for (std::size_t idx = 0; idx < tokens.size(); ++idx) {
        auto token = parse_token_entry(tokens[idx], settings.extra_roles);
        if (!token) {
            config.add_error("auth.tokens[" + std::to_string(idx) + "]: " + token.error().message);
            continue;
        }
        settings.tokens.push_back(std::move(token).value());
    }
    if (auto checked = Authenticator::create(settings); !checked) {
        config.add_error(checked.error().message);
    }
    return settings;
}

Result<Authenticator> Authenticator::create(const AuthSettings& settings) {
    std::vector<Entry> entries;
    std::set<std::string> names;
    for (const auto& token : settings.tokens) {
        const std::string where = "auth token " + token.name;
        if (!is_known_role(token.role, settings.extra_roles)) {
            return Error{ErrorCode::kInvalidInput, where + ": unknown role " + token.role};
        }
        if (token.token.size() < kMinTokenLength) {
            return Error{ErrorCode::kInvalidInput,
                         where + ": token shorter than " + std::to_string(kMinTokenLength)};
        }
        if (!names.insert(token.name).second) {
            return Error{ErrorCode::kInvalidInput, where + ": duplicate name"};
        }
        auto digest = sha256(token.token);
        if (!digest) {
            return digest.error();
        }
        entries.push_back(Entry{token.name, token.role, digest.value()});
    }
    Authenticator authenticator(std::move(entries), settings.anonymous_read);
    for (const auto& token : settings.tokens) {
        if (authenticator.find_token(token.token)->name != token.name) {
            return Error{ErrorCode::kInvalidInput,
                         "auth token " + token.name + ": duplicate token"};
        }
    }
    return authenticator;
}

const Authenticator::Entry* Authenticator::find_token(std::string_view token) const {
    auto digest = sha256(token);
    if (!digest) {
        return nullptr;
    }
    const Entry* match = nullptr;
    for (const auto& entry : entries_) {  // no early exit: every entry is compared
        const bool equal =
            CRYPTO_memcmp(entry.digest.data(), digest->data(), entry.digest.size()) == 0;
        if (equal && match == nullptr) {
            match = &entry;
        }
    }
    return match;
}

Result<Principal> Authenticator::authorize(std::string_view authorization,
                                           const Access& access) const {
    if (access.is_public()) {
        return Principal{"anonymous", "", true};
    }
    if (authorization.empty()) {
        if (anonymous_read_ && access.is_reader_level()) {
            return Principal{"anonymous", "", true};
        }
        return Error{ErrorCode::kUnauthorized, "a bearer token is required"};
    }
    std::string scheme(authorization.substr(0, kBearerPrefix.size()));
    std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    if (scheme != kBearerPrefix) {
        return Error{ErrorCode::kUnauthorized, "expected Authorization: Bearer <token>"};
    }
    const std::string token = trim(std::string(authorization.substr(kBearerPrefix.size())));
    const Entry* entry = find_token(token);
    if (entry == nullptr) {
        return Error{ErrorCode::kUnauthorized, "invalid bearer token"};
    }
    if (!access.allows(entry->role)) {
        return Error{ErrorCode::kForbidden, "role " + entry->role + " may not call this route"};
    }
    return Principal{entry->name, entry->role, false};
}

}  // namespace aiops::common
