#include "aiops/common/result.h"

namespace aiops::common {

int http_status(ErrorCode code) {
    switch (code) {
        case ErrorCode::kInvalidInput:
        case ErrorCode::kBlockedUrl: return 400;
        case ErrorCode::kUnauthorized: return 401;
        case ErrorCode::kForbidden: return 403;
        case ErrorCode::kNotFound: return 404;
        case ErrorCode::kMethodNotAllowed: return 405;
        case ErrorCode::kConflict: return 409;
        case ErrorCode::kPreconditionFailed: return 412;
        case ErrorCode::kTooLarge: return 413;
        case ErrorCode::kUnsupportedMedia: return 415;
        case ErrorCode::kRangeNotSatisfiable: return 416;
        case ErrorCode::kRateLimited: return 429;
        case ErrorCode::kInternal: return 500;
        case ErrorCode::kUpstream:
        case ErrorCode::kDigestMismatch: return 502;
        case ErrorCode::kUnavailable: return 503;
        case ErrorCode::kTimeout: return 504;
    }
    return 500;
}

std::string_view wire_name(ErrorCode code) {
    switch (code) {
        case ErrorCode::kInvalidInput: return "invalid_input";
        case ErrorCode::kBlockedUrl: return "blocked_url";
        case ErrorCode::kUnauthorized: return "unauthorized";
        case ErrorCode::kForbidden: return "forbidden";
        case ErrorCode::kNotFound: return "not_found";
        case ErrorCode::kMethodNotAllowed: return "method_not_allowed";
        case ErrorCode::kConflict: return "conflict";
        case ErrorCode::kPreconditionFailed: return "precondition_failed";
        case ErrorCode::kTooLarge: return "too_large";
        case ErrorCode::kUnsupportedMedia: return "unsupported_media_type";
        case ErrorCode::kRangeNotSatisfiable: return "range_not_satisfiable";
        case ErrorCode::kRateLimited: return "rate_limited";
        case ErrorCode::kInternal: return "internal";
        case ErrorCode::kUpstream: return "upstream";
        case ErrorCode::kDigestMismatch: return "digest_mismatch";
        case ErrorCode::kUnavailable: return "unavailable";
        case ErrorCode::kTimeout: return "timeout";
    }
    return "internal";
}

}  // namespace aiops::common
