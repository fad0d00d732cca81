#include "ip_address.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace aiops::common {
namespace {

constexpr std::size_t kMaxAddressText = 64;

IpBytes mapped_v4(const std::uint8_t* v4) {
    IpBytes bytes{};
    bytes[10] = 0xff;
    bytes[11] = 0xff;
    std::copy(v4, v4 + 4, bytes.begin() + 12);
    return bytes;
}

AddressClass classify_v4(const std::uint8_t* octet) {
    if (octet[0] == 0) {
        const bool all_zero = octet[1] == 0 && octet[2] == 0 && octet[3] == 0;
        return all_zero ? AddressClass::kUnspecified : AddressClass::kReserved;
    }
    if (octet[0] == 127) {
        return AddressClass::kLoopback;
    }
    if (octet[0] == 10 || (octet[0] == 172 && (octet[1] & 0xf0) == 16) ||
        (octet[0] == 192 && octet[1] == 168) || (octet[0] == 100 && (octet[1] & 0xc0) == 64)) {
        return AddressClass::kPrivate;
    }
    if (octet[0] == 169 && octet[1] == 254) {
        return AddressClass::kLinkLocal;
    }
    if ((octet[0] & 0xf0) == 224) {
        return AddressClass::kMulticast;
    }
    if ((octet[0] & 0xf0) == 240) {
        return AddressClass::kReserved;
    }
    return AddressClass::kPublic;
}

bool leading_zero_bytes(const IpBytes& address, std::size_t count) {
    return std::all_of(address.begin(), address.begin() + static_cast<std::ptrdiff_t>(count),
                       [](std::uint8_t byte) { return byte == 0; });
}

AddressClass classify_v6(const IpBytes& address) {
    if (leading_zero_bytes(address, 16)) {
        return AddressClass::kUnspecified;
    }
    if (leading_zero_bytes(address, 15) && address[15] == 1) {
        return AddressClass::kLoopback;
    }
    if (leading_zero_bytes(address, 12)) {
        return AddressClass::kReserved;  // deprecated IPv4-compatible ::a.b.c.d
    }
    static constexpr std::array<std::uint8_t, 12> kNat64{0x00, 0x64, 0xff, 0x9b};
    if (std::equal(kNat64.begin(), kNat64.end(), address.begin())) {
        return classify_v4(address.data() + 12);
    }
    if (address[0] == 0x20 && address[1] == 0x02) {
        return classify_v4(address.data() + 2);  // 6to4 embeds the IPv4 address
    }
    if (address[0] == 0xff) {
        return AddressClass::kMulticast;
    }
    if (address[0] == 0xfe && (address[1] & 0xc0) == 0x80) {
        return AddressClass::kLinkLocal;
    }
    if ((address[0] == 0xfe && (address[1] & 0xc0) == 0xc0) || (address[0] & 0xfe) == 0xfc) {
        return AddressClass::kPrivate;  // site-local fec0::/10 (deprecated), unique-local fc00::/7
    }
    return AddressClass::kPublic;
}

}  // namespace

std::optional<IpBytes> parse_ip(std::string_view text) {
    if (text.empty() || text.size() > kMaxAddressText ||
        text.find('\0') != std::string_view::npos) {
        return std::nullopt;
    }
    const std::string terminated(text);
    std::uint8_t v4[4];
    if (inet_pton(AF_INET, terminated.c_str(), v4) == 1) {
        return mapped_v4(v4);
    }
    IpBytes v6{};
    if (inet_pton(AF_INET6, terminated.c_str(), v6.data()) == 1) {
        return v6;
    }
    return std::nullopt;
}

bool is_ipv4_mapped(const IpBytes& address) {
    return leading_zero_bytes(address, 10) && address[10] == 0xff && address[11] == 0xff;
}

AddressClass classify_ip(const IpBytes& address) {
    if (is_ipv4_mapped(address)) {
        return classify_v4(address.data() + 12);
    }
    return classify_v6(address);
}

bool prefix_matches(const IpBytes& address, const IpBytes& prefix, int bits) {
    const auto whole_bytes = static_cast<std::size_t>(bits / 8);
    if (std::memcmp(address.data(), prefix.data(), whole_bytes) != 0) {
        return false;
    }
    const int rest = bits % 8;
    if (rest == 0) {
        return true;
    }
    const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
    return (address[whole_bytes] & mask) == (prefix[whole_bytes] & mask);
}

std::string_view address_class_name(AddressClass address_class) {
    switch (address_class) {
        case AddressClass::kPublic: return "public";
        case AddressClass::kLoopback: return "loopback";
        case AddressClass::kPrivate: return "private";
        case AddressClass::kLinkLocal: return "link-local";
        case AddressClass::kUnspecified: return "unspecified";
        case AddressClass::kMulticast: return "multicast";
        case AddressClass::kReserved: return "reserved";
    }
    return "unknown";
}

Result<AddressClass> classify_address(std::string_view ip) {
    const auto bytes = parse_ip(ip);
    if (!bytes) {
        return Error{ErrorCode::kInvalidInput, "not an IP address"};
    }
    return classify_ip(*bytes);
}

}  // namespace aiops::common
