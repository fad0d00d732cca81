#pragma once

#include <optional>
#include <string>
#include <string_view>

// Byte encodings and MACs on OpenSSL: Basic credentials, signed tokens, webhook signatures.
namespace aiops::common {

std::string base64_encode(std::string_view bytes);
// Standard alphabet with '=' padding; nullopt for anything else (whitespace included).
std::optional<std::string> base64_decode(std::string_view text);
// RFC 4648 §5 (URL- and filename-safe), without padding.
std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

// Percent-encoding (RFC 3986): every byte outside the unreserved set [A-Za-z0-9-._~] becomes
// %XX (upper-case hex); `keep_slash` leaves '/' as is (paths), otherwise it is encoded (one
// segment or query value).
std::string percent_encode(std::string_view text, bool keep_slash);

// HMAC-SHA256(key, message), raw 32 bytes.
std::string hmac_sha256(std::string_view key, std::string_view message);
// Constant-time equality (lengths may differ: false, without early exit on content).
bool constant_time_equal(std::string_view lhs, std::string_view rhs);

}  // namespace aiops::common
