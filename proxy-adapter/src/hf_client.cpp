#include "hf_client.h"

#include <algorithm>
#include <chrono>

#include "aiops/common/encoding.h"
#include "aiops/common/link_header.h"

namespace aiops::proxy {

using common::Error;
using common::ErrorCode;
using common::HttpRequest;
using common::HttpResponse;
using common::Result;
using common::Status;

namespace {

constexpr std::size_t kMaxErrorMessage = 300;

// At most kMaxErrorMessage bytes of `text`, never ending inside a UTF-8 sequence, then "…".
std::string clipped(std::string_view text) {
    if (text.size() <= kMaxErrorMessage) {
        return std::string(text);
    }
    std::size_t end = kMaxErrorMessage;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0U) == 0x80U) {
        --end;
    }
    std::string out(text.substr(0, end));
    out.append("…");
    return out;
}

}  // namespace

std::string quote_segment(std::string_view text) { return common::percent_encode(text, false); }
std::string quote_path(std::string_view text) { return common::percent_encode(text, true); }

Error hf_error(const HttpResponse& response, std::string_view what) {
    const auto code_header = response.header("X-Error-Code").value_or("");
    auto message = response.header("X-Error-Message").value_or("");
    if (message.empty()) {
        message = "Hugging Face answered " + std::to_string(response.status);
    }
    std::string full(what);
    full.append(": ").append(message);
    message = clipped(full);
    if (code_header == "RepoNotFound" || code_header == "RevisionNotFound" ||
        code_header == "EntryNotFound") {
        // HF's 401 for a missing repo is ambiguous with private/gated (reference §2.5).
        if (response.status == 401) {
            return Error{ErrorCode::kUnauthorized,
                         message + " (the repository does not exist or needs a token)"};
        }
        return Error{ErrorCode::kNotFound, message};
    }
    switch (response.status) {
        case 401: return Error{ErrorCode::kUnauthorized, message};
        case 403: return Error{ErrorCode::kForbidden, message};
        case 404: return Error{ErrorCode::kNotFound, message};
        case 416: return Error{ErrorCode::kRangeNotSatisfiable, message};
        case 429: {
            Error error{ErrorCode::kRateLimited, message};
            const auto retry_after = common::parse_retry_after(
                response.header("Retry-After").value_or(""), std::chrono::system_clock::now());
            if (retry_after) {
                error.retry_after =
                    std::max(std::chrono::seconds(1),
                             std::chrono::duration_cast<std::chrono::seconds>(*retry_after));
            }
            return error;
        }
        default: return Error{ErrorCode::kUpstream, message};
    }
}

HfClient::HfClient(common::HttpClient& http, HfClientSettings settings, BandwidthLimiter* limiter)
    : http_(http), settings_(std::move(settings)), limiter_(limiter) {
    while (!settings_.endpoint.empty() && settings_.endpoint.back() == '/') {
        settings_.endpoint.pop_back();
    }
}

HttpRequest HfClient::request(const std::string& url, const std::string& token) const {
    HttpRequest req;
    req.url = url;
    req.headers.emplace("Accept-Encoding", "identity");
    if (!token.empty()) {
        req.headers.emplace("Authorization", "Bearer " + token);
    }
    return req;
}

Result<std::string> HfClient::get_json(const std::string& url, const std::string& token,
                                       std::string* next_url) {
    auto req = request(url, token);
    req.headers.emplace("Accept", "application/json");
    auto response = http_.fetch(req);
    if (!response) {
        return response.error();
    }
    if (response->status != 200) {
        return hf_error(*response, "GET " + url.substr(settings_.endpoint.size()));
    }
    if (next_url != nullptr) {
        next_url->clear();
        if (auto link = response->header("Link")) {
            if (auto next = common::parse_next_link(*link)) {
                *next_url = common::resolve_url(settings_.endpoint, *next).value_or("");
            }
        }
    }
    return std::move(response->body);
}

Result<HfModelInfo> HfClient::model_info(std::string_view repo, std::string_view revision,
                                         const std::string& token) {
    const auto url = settings_.endpoint + "/api/models/" + std::string(repo) + "/revision/" +
                     quote_segment(revision);
    auto body = get_json(url, token, nullptr);
    if (!body) {
        return body.error();
    }
    return parse_model_info(*body);
}

Result<std::vector<HfFile>> HfClient::list_files(std::string_view repo, std::string_view commit,
                                                 const std::string& token) {
    std::string url = settings_.endpoint + "/api/models/" + std::string(repo) + "/tree/" +
                      quote_segment(commit) + "?recursive=true&expand=false";
    std::vector<HfFile> files;
    for (std::size_t page = 0; !url.empty(); ++page) {
        if (page == settings_.max_tree_pages) {
            return Error{ErrorCode::kUpstream, "the file tree of " + std::string(repo) +
                                                   " has more than " + std::to_string(page) +
                                                   " pages"};
        }
        std::string next;
        auto body = get_json(url, token, &next);
        if (!body) {
            return body.error();
        }
        auto entries = parse_tree_page(*body);
        if (!entries) {
            return entries.error();
        }
        files.insert(files.end(), std::make_move_iterator(entries->begin()),
                     std::make_move_iterator(entries->end()));
        if (files.size() > kMaxRepoFiles) {
            return Error{ErrorCode::kTooLarge, std::string(repo) + " has more than " +
                                                   std::to_string(kMaxRepoFiles) + " files"};
        }
        url = std::move(next);
    }
    return files;
}

Result<std::vector<HfRef>> HfClient::list_refs(std::string_view repo, const std::string& token) {
    auto body =
        get_json(settings_.endpoint + "/api/models/" + std::string(repo) + "/refs", token, nullptr);
    if (!body) {
        return body.error();
    }
    return parse_refs(*body);
}

std::string HfClient::resolve_url(std::string_view repo, std::string_view revision,
                                  std::string_view path) const {
    return settings_.endpoint + "/" + std::string(repo) + "/resolve/" + quote_segment(revision) +
           "/" + quote_path(path);
}

Result<std::string> HfClient::fetch_file(std::string_view repo, std::string_view commit,
                                         std::string_view path, const std::string& token,
                                         std::size_t max_bytes) {
    std::string content;
    bool too_large = false;
    auto status = stream_file(repo, commit, path, token, 0, [&](std::string_view chunk) {
        too_large = content.size() + chunk.size() > max_bytes;
        if (!too_large) {
            content.append(chunk);
        }
        return !too_large;
    });
    if (too_large) {
        return Error{ErrorCode::kTooLarge,
                     std::string(path) + " is larger than " + std::to_string(max_bytes) + " bytes"};
    }
    if (!status) {
        return status.error();
    }
    return content;
}

Status HfClient::stream_file(std::string_view repo, std::string_view commit, std::string_view path,
                             const std::string& token, std::uint64_t offset,
                             const std::function<bool(std::string_view)>& on_chunk) {
    auto req = request(resolve_url(repo, commit, path), token);
    if (offset > 0) {
        req.range = std::make_pair(offset, std::nullopt);
    }
    req.total_timeout = settings_.download_timeout;
    bool stopped = false;
    bool range_ignored = false;
    auto head = http_.stream(
        req,
        [&](const HttpResponse& answer) {
            range_ignored = offset > 0 && answer.status == 200;
            return !range_ignored;
        },
        [&](std::string_view chunk) {
            if (limiter_ != nullptr) {
                limiter_->consume(chunk.size());
            }
            if (!on_chunk(chunk)) {
                stopped = true;
                return false;
            }
            return true;
        });
    if (!head) {
        return head.error();
    }
    if (range_ignored) {
        return Error{ErrorCode::kUpstream,
                     "Hugging Face ignored the Range request for " + std::string(path)};
    }
    if (head->status < 200 || head->status > 299) {
        return hf_error(*head, std::string(repo) + "/" + std::string(path));
    }
    if (stopped) {
        return Error{ErrorCode::kUpstream, "download of " + std::string(path) + " stopped"};
    }
    return {};
}

}  // namespace aiops::proxy
