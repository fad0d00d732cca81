#pragma once

#include <chrono>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace aiops::common {

// E2: one closed enum; the wire names returned by wire_name() never change once shipped.
enum class ErrorCode {
    kInvalidInput,         // 400 invalid_input
    kUnauthorized,         // 401 unauthorized
    kForbidden,            // 403 forbidden
    kNotFound,             // 404 not_found
    kMethodNotAllowed,     // 405 method_not_allowed
    kConflict,             // 409 conflict
    kPreconditionFailed,   // 412 precondition_failed
    kTooLarge,             // 413 too_large
    kUnsupportedMedia,     // 415 unsupported_media_type
    kRangeNotSatisfiable,  // 416 range_not_satisfiable
    kRateLimited,          // 429 rate_limited
    kInternal,             // 500 internal
    kUpstream,             // 502 upstream
    kUnavailable,          // 503 unavailable
    kTimeout,              // 504 timeout
    kDigestMismatch,       // 502 digest_mismatch
    kBlockedUrl,           // 400 blocked_url
};

struct Error {
    ErrorCode code;
    std::string message;  // shown to the caller: no secrets, no stack traces
    // kRateLimited / kUnavailable: when the caller may retry (sent as Retry-After); 0 = unknown.
    std::chrono::seconds retry_after{0};
};

int http_status(ErrorCode code);
std::string_view wire_name(ErrorCode code);
inline std::ostream& operator<<(std::ostream& out, ErrorCode code) {
    return out << wire_name(code);
}

// E1: Result<T> holds a T or an Error. Stand-in for std::expected (not in g++ 12).
template <typename T>
class [[nodiscard]] Result {
public:
    // Implicit on purpose, like std::expected: `return value;` and `return Error{...};` both work.
    // NOLINTNEXTLINE(google-explicit-constructor): mirrors std::expected's converting constructor
    Result(T value) : storage_(std::in_place_index<0>, std::move(value)) {}
    // NOLINTNEXTLINE(google-explicit-constructor): mirrors construction from std::unexpected
    Result(Error error) : storage_(std::in_place_index<1>, std::move(error)) {}

    bool has_value() const { return storage_.index() == 0; }
    explicit operator bool() const { return has_value(); }
    T& value() & { return std::get<0>(storage_); }
    const T& value() const& { return std::get<0>(storage_); }
    T&& value() && { return std::get<0>(std::move(storage_)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    const Error& error() const { return std::get<1>(storage_); }

private:
    std::variant<T, Error> storage_;
};

// Result<void>: success carries nothing.
template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    // NOLINTNEXTLINE(google-explicit-constructor): mirrors construction from std::unexpected
    Result(Error error) : error_(std::move(error)), ok_(false) {}

    bool has_value() const { return ok_; }
    explicit operator bool() const { return ok_; }
    const Error& error() const { return error_; }

private:
    Error error_{ErrorCode::kInternal, {}};
    bool ok_ = true;
};

using Status = Result<void>;

}  // namespace aiops::common
