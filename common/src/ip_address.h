#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "aiops/common/url_guard.h"

// Binary IP addresses for the URL guard: IPv4 is held as IPv4-mapped IPv6 (::ffff:a.b.c.d), so one
// 16-byte form serves classification and CIDR matching for both families.
namespace aiops::common {

using IpBytes = std::array<std::uint8_t, 16>;

// Textual IPv4 (dotted quad only) or IPv6 (no brackets, no zone) → bytes; nullopt otherwise.
std::optional<IpBytes> parse_ip(std::string_view text);
bool is_ipv4_mapped(const IpBytes& address);
AddressClass classify_ip(const IpBytes& address);
// True when the first `bits` bits of `address` and `prefix` agree.
bool prefix_matches(const IpBytes& address, const IpBytes& prefix, int bits);

}  // namespace aiops::common
