#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aiops/common/bandwidth.h"
#include "aiops/common/http_client.h"
#include "aiops/common/result.h"
#include "hf_api.h"

// The Hugging Face Hub over HTTP (shared/reference/modelspec-hf-scanning.md §2): model info at a
// revision, the recursive file tree (Link-paginated), refs, and file downloads through
// /resolve/ (the 302 to the CDN is followed by common::HttpClient, which re-checks the target with
// the URL guard and drops Authorization on a cross-host hop). HF errors become common errors:
// 401 → kUnauthorized, 403 → kForbidden, RepoNotFound/RevisionNotFound/EntryNotFound →
// kNotFound, 429 after our retries → kRateLimited with retry_after, 5xx/transport → kUpstream.
namespace aiops::proxy {

using common::BandwidthLimiter;  // a shared byte-rate cap over every download

struct HfClientSettings {
    std::string endpoint = "https://huggingface.co";  // trailing '/' stripped
    std::size_t max_tree_pages = 200;
    std::chrono::milliseconds download_timeout{
        0};  // per download; 0 = none (low-speed abort stays)
};

class HfClient {
public:
    HfClient(common::HttpClient& http, HfClientSettings settings, BandwidthLimiter* limiter);

    const std::string& endpoint() const { return settings_.endpoint; }

    // `token` empty = anonymous. `revision` is a branch, tag or commit.
    common::Result<HfModelInfo> model_info(std::string_view repo, std::string_view revision,
                                           const std::string& token);
    common::Result<std::vector<HfFile>> list_files(std::string_view repo, std::string_view commit,
                                                   const std::string& token);
    common::Result<std::vector<HfRef>> list_refs(std::string_view repo, const std::string& token);
    // A whole small file (kTooLarge above max_bytes).
    common::Result<std::string> fetch_file(std::string_view repo, std::string_view commit,
                                           std::string_view path, const std::string& token,
                                           std::size_t max_bytes);
    // Streams a file's bytes (from `offset` when > 0) into `on_chunk`; false from on_chunk stops
    // the download (kUpstream "stopped"). A server that ignores the Range is an error.
    common::Status stream_file(std::string_view repo, std::string_view commit,
                               std::string_view path, const std::string& token,
                               std::uint64_t offset,
                               const std::function<bool(std::string_view)>& on_chunk);

    std::string resolve_url(std::string_view repo, std::string_view revision,
                            std::string_view path) const;

private:
    common::Result<std::string> get_json(const std::string& url, const std::string& token,
                                         std::string* next_url);
    common::HttpRequest request(const std::string& url, const std::string& token) const;

    common::HttpClient& http_;
    HfClientSettings settings_;
    BandwidthLimiter* limiter_;
};

// Percent-encoding as huggingface_hub does it: `segment` with safe="" (a revision: `refs/pr/1` →
// `refs%2Fpr%2F1`), `path` with '/' kept.
std::string quote_segment(std::string_view text);
std::string quote_path(std::string_view text);

// The common error for an HF answer with a non-2xx status (headers: X-Error-Code,
// X-Error-Message, Retry-After). `what` names the request for the message.
common::Error hf_error(const common::HttpResponse& response, std::string_view what);

}  // namespace aiops::proxy
