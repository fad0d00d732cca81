#include "aiops/common/url_guard.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <memory>

#include "aiops/common/config.h"
#include "ip_address.h"

namespace aiops::common {
namespace {

Error blocked(std::string message) { return Error{ErrorCode::kBlockedUrl, std::move(message)}; }

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    return out;
}

std::string without_trailing_dot(std::string host) {
    if (!host.empty() && host.back() == '.') {
        host.pop_back();
    }
    return host;
}

// "10.0.0.0/8", "fd00::/8" or a bare address (a /32 or /128).
std::optional<std::pair<IpBytes, int>> parse_cidr(std::string_view text) {
    const auto slash = text.find('/');
    const auto address = parse_ip(text.substr(0, slash));
    if (!address) {
        return std::nullopt;
    }
    const bool v4 = is_ipv4_mapped(*address) && text.find(':') == std::string_view::npos;
    const int max_bits = v4 ? 32 : 128;
    int bits = max_bits;
    if (slash != std::string_view::npos) {
        const auto digits = text.substr(slash + 1);
        const auto* end = digits.data() + digits.size();
        auto [ptr, ec] = std::from_chars(digits.data(), end, bits);
        if (digits.empty() || ec != std::errc() || ptr != end || bits < 0 || bits > max_bits) {
            return std::nullopt;
        }
    }
    return std::make_pair(*address, v4 ? bits + 96 : bits);
}

// The scheme before "://", lower-cased; empty when the text does not start with one.
std::string leading_scheme(std::string_view url) {
    const auto colon = url.find("://");
    if (colon == std::string_view::npos || colon == 0) {
        return {};
    }
    const auto scheme = url.substr(0, colon);
    const bool plain = std::all_of(scheme.begin(), scheme.end(), [](unsigned char ch) {
        return std::isalnum(ch) || ch == '+' || ch == '-' || ch == '.';
    });
    return plain ? lower(scheme) : std::string();
}

struct AddrinfoDeleter {
    void operator()(addrinfo* info) const { freeaddrinfo(info); }
};

Result<std::vector<std::string>> resolve(const std::string& host) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* raw = nullptr;
    const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &raw);
    std::unique_ptr<addrinfo, AddrinfoDeleter> list(raw);
    if (rc != 0) {
        return Error{ErrorCode::kUpstream,
                     "cannot resolve host '" + host + "': " + gai_strerror(rc)};
    }
    std::vector<std::string> addresses;
    for (const addrinfo* entry = list.get(); entry != nullptr; entry = entry->ai_next) {
        char text[INET6_ADDRSTRLEN] = {};
        const void* source = nullptr;
        if (entry->ai_family == AF_INET) {
            source = &reinterpret_cast<const sockaddr_in*>(entry->ai_addr)->sin_addr;
        } else if (entry->ai_family == AF_INET6) {
            source = &reinterpret_cast<const sockaddr_in6*>(entry->ai_addr)->sin6_addr;
        }
        if (source == nullptr ||
            inet_ntop(entry->ai_family, source, text, sizeof(text)) == nullptr) {
            continue;
        }
        if (std::find(addresses.begin(), addresses.end(), text) == addresses.end()) {
            addresses.emplace_back(text);
        }
    }
    return addresses;
}

}  // namespace

UrlPolicy url_policy_from_config(Config& config, const std::string& prefix) {
    UrlPolicy policy;
    policy.allowed_schemes =
        config.get_string_list(prefix + ".allowed_schemes", policy.allowed_schemes);
    policy.allow_loopback = config.get_bool(prefix + ".allow_loopback", policy.allow_loopback);
    policy.allow_private = config.get_bool(prefix + ".allow_private", policy.allow_private);
    policy.allow_link_local =
        config.get_bool(prefix + ".allow_link_local", policy.allow_link_local);
    policy.allow_hosts = config.get_string_list(prefix + ".allow_hosts", {});
    policy.allow_cidrs = config.get_string_list(prefix + ".allow_cidrs", {});
    return policy;
}

Result<UrlGuard> UrlGuard::create(UrlPolicy policy) {
    if (policy.allowed_schemes.empty()) {
        return Error{ErrorCode::kInvalidInput, "url policy: allowed_schemes is empty"};
    }
    for (auto& scheme : policy.allowed_schemes) {
        scheme = lower(scheme);
    }
    for (auto& host : policy.allow_hosts) {
        host = without_trailing_dot(lower(host));
    }
    std::vector<Cidr> cidrs;
    for (const auto& text : policy.allow_cidrs) {
        const auto cidr = parse_cidr(text);
        if (!cidr) {
            return Error{ErrorCode::kInvalidInput, "url policy: invalid CIDR '" + text + "'"};
        }
        cidrs.push_back(Cidr{cidr->first, cidr->second});
    }
    return UrlGuard(std::move(policy), std::move(cidrs));
}

Result<CheckedUrl> UrlGuard::check(std::string_view url) const {
    const auto scheme = leading_scheme(url);
    const auto& schemes = policy_.allowed_schemes;
    if (!scheme.empty() && std::find(schemes.begin(), schemes.end(), scheme) == schemes.end()) {
        return blocked("URL scheme '" + scheme + "' is not allowed");
    }
    auto parsed = parse_url(url);
    if (!parsed) {
        return parsed.error();
    }
    if (parsed->has_userinfo) {
        return blocked("URL must not contain credentials (user:password@)");
    }
    auto addresses = resolve(parsed->host);
    if (!addresses) {
        return addresses.error();
    }
    if (auto status = check_addresses(*parsed, *addresses); !status) {
        return status.error();
    }
    return CheckedUrl{std::move(parsed).value(), std::move(addresses).value()};
}

Status UrlGuard::check_addresses(const ParsedUrl& url,
                                 const std::vector<std::string>& addresses) const {
    if (addresses.empty()) {
        return blocked("host '" + url.host + "' resolved to no address");
    }
    if (host_allowed(url.host)) {
        return {};
    }
    for (const auto& address : addresses) {
        if (auto status = check_address(url, address); !status) {
            return status;
        }
    }
    return {};
}

bool UrlGuard::host_allowed(const std::string& host) const {
    const auto& hosts = policy_.allow_hosts;
    return std::find(hosts.begin(), hosts.end(), without_trailing_dot(lower(host))) != hosts.end();
}

Status UrlGuard::check_address(const ParsedUrl& url, const std::string& address) const {
    const auto bytes = parse_ip(address);
    if (!bytes) {
        return blocked("host '" + url.host + "' resolved to an unparseable address");
    }
    const auto address_class = classify_ip(*bytes);
    const bool allowed_by_class =
        address_class == AddressClass::kPublic ||
        (address_class == AddressClass::kLoopback && policy_.allow_loopback) ||
        (address_class == AddressClass::kPrivate && policy_.allow_private) ||
        (address_class == AddressClass::kLinkLocal && policy_.allow_link_local);
    const bool allowed_by_cidr = std::any_of(cidrs_.begin(), cidrs_.end(), [&](const Cidr& cidr) {
        return prefix_matches(*bytes, cidr.prefix, cidr.bits);
    });
    if (allowed_by_class || allowed_by_cidr) {
        return {};
    }
    return blocked("host '" + url.host + "' resolves to " + address + " (" +
                   std::string(address_class_name(address_class)) +
                   " address), which is not allowed");
}

}  // namespace aiops::common
