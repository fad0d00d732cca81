#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aiops/common/result.h"

// RFC 7235 `WWW-Authenticate` parsing: one or more challenges, each a scheme followed by either a
// token68 or comma-separated auth-params whose values are tokens or quoted strings (with `\`
// escapes). Used for the registry token flow (`Bearer realm="…",service="…",scope="…"`).
namespace aiops::common {

struct AuthChallenge {
    std::string scheme;   // lower-cased: "bearer", "basic", ...
    std::string token68;  // rarely used; empty when the challenge carries auth-params
    std::map<std::string, std::string> params;  // names lower-cased, values unescaped

    std::optional<std::string> param(std::string_view name) const;  // name: lower-case
};

inline constexpr std::size_t kMaxWwwAuthenticateBytes = 16U << 10;

// kInvalidInput for an empty, oversize or malformed header (missing scheme, unterminated quoted
// string, stray characters). Never throws.
Result<std::vector<AuthChallenge>> parse_www_authenticate(std::string_view header);

// The first challenge with `scheme` (case-insensitive), if any.
std::optional<AuthChallenge> find_challenge(const std::vector<AuthChallenge>& challenges,
                                            std::string_view scheme);

}  // namespace aiops::common
