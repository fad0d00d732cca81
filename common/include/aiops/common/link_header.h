#pragma once

#include <optional>
#include <string>
#include <string_view>

// RFC 8288 `Link` header, as used for OCI Distribution pagination:
// `Link: </v2/_catalog?last=b&n=1>; rel="next"`.
namespace aiops::common {

// The target of the first link whose `rel` includes "next", or nullopt (absent or malformed).
std::optional<std::string> parse_next_link(std::string_view header);

// `reference` resolved against `base_url` (`scheme://authority[/path]`): absolute URLs are
// returned as-is, `/path` replaces the base path, anything else is nullopt (not needed by
// registries, rejected rather than guessed).
std::optional<std::string> resolve_url(std::string_view base_url, std::string_view reference);

}  // namespace aiops::common
