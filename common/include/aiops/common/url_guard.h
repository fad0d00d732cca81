#pragma once

#include <array>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aiops/common/result.h"

// Outbound-URL guard (SSRF defence). Every URL the services fetch on behalf of someone else (and
// every redirect target) goes through UrlGuard::check(): the scheme must be allowed, the URL must
// not carry credentials, and every address the host resolves to must be public unless the policy
// allows its class (loopback, private, link-local) or it lies in an allowed CIDR, or the host is
// listed in allow_hosts. The HTTP client then pins the connection to the checked addresses, so a
// second DNS answer (rebinding) cannot swap them.
namespace aiops::common {

class Config;

struct UrlPolicy {
    std::vector<std::string> allowed_schemes{"http", "https"};
    bool allow_loopback = false;    // 127.0.0.0/8, ::1
    bool allow_private = false;     // 10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7, fec0::/10
    bool allow_link_local = false;  // 169.254/16 (cloud metadata!), fe80::/10
    // Hosts allowed whatever they resolve to (exact, case-insensitive, e.g. "harbor.internal").
    std::vector<std::string> allow_hosts;
    // Addresses allowed whatever their class ("10.1.0.0/16", "fd00::/8", "192.168.1.5").
    std::vector<std::string> allow_cidrs;
};

// Reads <prefix>.allowed_schemes, .allow_loopback, .allow_private, .allow_link_local,
// .allow_hosts, .allow_cidrs (defaults as in UrlPolicy). CIDRs are validated by UrlGuard::create.
UrlPolicy url_policy_from_config(Config& config, const std::string& prefix);

struct ParsedUrl {
    std::string scheme;  // lower-case
    std::string host;    // lower-case; an IPv6 literal without its brackets
    int port = 0;        // explicit, else the scheme's default (http 80, https 443; 0 if unknown)
    std::string target;  // path + query ("/" when empty); the fragment is dropped
    bool has_userinfo = false;
};

// Strict absolute-URL parser (scheme://[userinfo@]host[:port][/path][?query][#fragment]). Rejects
// (kInvalidInput) control characters, spaces, non-ASCII bytes, backslashes, an empty host, host
// characters outside [a-z0-9.-_], IPv6 zone ids, and ports outside 1..65535. Userinfo is accepted
// here but reported (has_userinfo); the guard and the HTTP client refuse it. Pure.
Result<ParsedUrl> parse_url(std::string_view url);

// scheme://host[:port]target with the host bracketed when IPv6 and the port omitted when default.
std::string format_url(const ParsedUrl& url);

enum class AddressClass {
    kPublic,
    kLoopback,
    kPrivate,
    kLinkLocal,
    kUnspecified,  // 0.0.0.0, ::
    kMulticast,    // 224/4, ff00::/8
    kReserved,     // 0/8, 240/4 (incl. broadcast), deprecated IPv4-compatible ::a.b.c.d
};
std::string_view address_class_name(AddressClass address_class);
inline std::ostream& operator<<(std::ostream& out, AddressClass address_class) {
    return out << address_class_name(address_class);
}

// Class of a textual IPv4/IPv6 address (no brackets, no zone). IPv4-mapped (::ffff:a.b.c.d),
// NAT64 (64:ff9b::/96) and 6to4 (2002::/16) addresses are classified by their IPv4 part.
// kInvalidInput if `ip` is not an address. Pure.
Result<AddressClass> classify_address(std::string_view ip);

struct CheckedUrl {
    ParsedUrl url;
    std::vector<std::string> addresses;  // every resolved address, textual, all checked
};

class UrlGuard {
public:
    // kInvalidInput for a malformed CIDR or an empty scheme list.
    static Result<UrlGuard> create(UrlPolicy policy);

    // Parses `url`, checks scheme/userinfo, resolves the host (getaddrinfo) and checks every
    // address. kBlockedUrl (message names the host and the reason, never credentials) or
    // kInvalidInput for a malformed URL; kUpstream when the host does not resolve.
    Result<CheckedUrl> check(std::string_view url) const;

    // The address part of check(), for already-resolved addresses. Pure.
    Status check_addresses(const ParsedUrl& url, const std::vector<std::string>& addresses) const;

    const UrlPolicy& policy() const { return policy_; }

private:
    struct Cidr {
        std::array<std::uint8_t, 16> prefix{};  // IPv4 as ::ffff:a.b.c.d
        int bits = 0;
    };
    UrlGuard(UrlPolicy policy, std::vector<Cidr> cidrs)
        : policy_(std::move(policy)), cidrs_(std::move(cidrs)) {}

    bool host_allowed(const std::string& host) const;
    Status check_address(const ParsedUrl& url, const std::string& address) const;

    UrlPolicy policy_;
    std::vector<Cidr> cidrs_;
};

}  // namespace aiops::common
