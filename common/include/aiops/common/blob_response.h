#pragma once

#include <httplib.h>

#include <cstdint>
#include <functional>
#include <memory>

#include "aiops/common/blob_cache.h"
#include "aiops/common/result.h"

// Answers a GET/HEAD with a blob read from the BlobCache (a cached file, or a download being
// tailed): 200, or 206 for a single satisfiable Range (RFC 9110), Accept-Ranges: bytes, the exact
// Content-Length, streamed in `buffer_bytes` pieces — never the whole blob in memory. Shared by the
// proxy-adapter's OCI blob endpoint and the preheat agent's peer and mirror endpoints.
namespace aiops::common {

struct BlobResponseOptions {
    std::size_t buffer_bytes = 1U << 20;
    const char* content_type = "application/octet-stream";
    std::function<void(std::size_t bytes)> on_sent{};  // after each piece written (metrics)
};

// `reader` may be null for a HEAD (headers only). An unsatisfiable or malformed Range returns
// kRangeNotSatisfiable after setting Content-Range: bytes */<size> — the caller writes its error
// body. Once headers are out, a read error aborts the connection (the client sees a short body;
// logged as a warning).
Status respond_with_blob(const httplib::Request& req, httplib::Response& res,
                         const std::shared_ptr<BlobReader>& reader, std::uint64_t size,
                         const BlobResponseOptions& options = {});

}  // namespace aiops::common
