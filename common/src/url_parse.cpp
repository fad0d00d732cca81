// parse_url / format_url (declared in url_guard.h): a strict absolute-URL parser, so the guard, the
// HTTP client and libcurl all see the same scheme, host and port.
#include <algorithm>
#include <cctype>
#include <charconv>

#include "aiops/common/url_guard.h"
#include "ip_address.h"

namespace aiops::common {
namespace {

constexpr std::size_t kMaxUrlBytes = 16384;
constexpr std::size_t kMaxHostBytes = 253;

Error invalid(std::string message) { return Error{ErrorCode::kInvalidInput, std::move(message)}; }

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    return out;
}

Status check_characters(std::string_view url) {
    for (const char ch : url) {
        const auto byte = static_cast<unsigned char>(ch);
        if (byte <= 0x20 || byte >= 0x7f) {
            return invalid("URL contains a control character, space or non-ASCII byte");
        }
        if (ch == '\\') {
            return invalid("URL contains a backslash");
        }
    }
    return {};
}

bool valid_scheme(std::string_view scheme) {
    if (scheme.empty() || !std::isalpha(static_cast<unsigned char>(scheme.front()))) {
        return false;
    }
    return std::all_of(scheme.begin(), scheme.end(), [](unsigned char ch) {
        return std::isalnum(ch) || ch == '+' || ch == '-' || ch == '.';
    });
}

int default_port(std::string_view scheme) {
    if (scheme == "http") {
        return 80;
    }
    if (scheme == "https") {
        return 443;
    }
    return 0;
}

Result<int> parse_port(std::string_view text, int fallback) {
    if (text.empty()) {
        return fallback;
    }
    int port = 0;
    const auto* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, port);
    if (ec != std::errc() || ptr != end || text.size() > 5 || port < 1 || port > 65535) {
        return invalid("URL port is not a number in 1..65535");
    }
    return port;
}

bool valid_host_name(std::string_view host) {
    return std::all_of(host.begin(), host.end(), [](unsigned char ch) {
        return std::isalnum(ch) || ch == '.' || ch == '-' || ch == '_';
    });
}

// host[:port] or [v6][:port] → url.host, url.port
Status parse_host_port_part(std::string_view hostport, ParsedUrl& url) {
    std::string_view host = hostport;
    std::string_view port;
    if (!hostport.empty() && hostport.front() == '[') {
        const auto close = hostport.find(']');
        if (close == std::string_view::npos) {
            return invalid("URL has an unterminated IPv6 host");
        }
        host = hostport.substr(1, close - 1);
        const auto after = hostport.substr(close + 1);
        if (!after.empty() && after.front() != ':') {
            return invalid("URL has junk after the IPv6 host");
        }
        port = after.empty() ? after : after.substr(1);
        if (!parse_ip(host) || host.find(':') == std::string_view::npos) {
            return invalid("URL has an invalid IPv6 host");
        }
    } else if (const auto colon = hostport.find(':'); colon != std::string_view::npos) {
        host = hostport.substr(0, colon);
        port = hostport.substr(colon + 1);
    }
    if (host.empty() || host.size() > kMaxHostBytes) {
        return invalid("URL host is empty or too long");
    }
    if (hostport.front() != '[' && !valid_host_name(host)) {
        return invalid("URL host contains invalid characters");
    }
    auto port_number = parse_port(port, default_port(url.scheme));
    if (!port_number) {
        return port_number.error();
    }
    url.host = lower(host);
    url.port = *port_number;
    return {};
}

}  // namespace

Result<ParsedUrl> parse_url(std::string_view text) {
    if (text.size() > kMaxUrlBytes) {
        return invalid("URL is too long");
    }
    if (auto chars = check_characters(text); !chars) {
        return chars.error();
    }
    const auto separator = text.find("://");
    if (separator == std::string_view::npos || !valid_scheme(text.substr(0, separator))) {
        return invalid("URL is not absolute (scheme://host/...)");
    }
    ParsedUrl url;
    url.scheme = lower(text.substr(0, separator));
    const auto rest = text.substr(separator + 3);
    const auto authority_end = std::min(rest.find_first_of("/?#"), rest.size());
    auto authority = rest.substr(0, authority_end);
    if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
        url.has_userinfo = true;
        authority = authority.substr(at + 1);
    }
    if (auto host = parse_host_port_part(authority, url); !host) {
        return host.error();
    }
    auto target = rest.substr(authority_end);
    target = target.substr(0, std::min(target.find('#'), target.size()));
    if (target.empty() || target.front() != '/') {
        url.target.push_back('/');
    }
    url.target.append(target);
    return url;
}

std::string format_url(const ParsedUrl& url) {
    const bool ipv6 = url.host.find(':') != std::string::npos;
    std::string text = url.scheme;
    text.append("://");
    text.append(ipv6 ? "[" : "").append(url.host).append(ipv6 ? "]" : "");
    if (url.port != default_port(url.scheme)) {
        text.append(":").append(std::to_string(url.port));
    }
    text.append(url.target);
    return text;
}

}  // namespace aiops::common
