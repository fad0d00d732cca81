#include "curl_transfer.h"

#include <algorithm>
#include <cctype>

#include "aiops/common/url_guard.h"

namespace aiops::common {
namespace {

constexpr std::size_t kDiscardLimit = 64U << 10;  // body bytes read from a redirect/retry answer
constexpr long kReceiveBufferBytes = 256L << 10;  // CURLOPT_BUFFERSIZE (curl default 16 KiB)

struct SlistDeleter {
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

// State shared with the libcurl callbacks of one hop.
struct Transfer {
    const HttpRequest& request;
    const HopRequest& hop;
    const HopPlan& plan;
    HopResult result;
    bool head_done = false;
    bool deliver = false;             // final 2xx of stream(): bytes go to on_chunk
    std::size_t discarded = 0;        // body bytes dropped from a non-final answer
    bool stopped_on_purpose = false;  // we returned 0 from a callback and the hop is complete
    bool too_large = false;
    std::size_t body_offset = 0;  // request.body bytes already sent
};

bool is_redirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
        text.remove_prefix(1);
    }
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
        text.remove_suffix(1);
    }
    return text;
}

int parse_status_line(std::string_view line) {
    const auto space = line.find(' ');
    if (space == std::string_view::npos || line.size() < space + 4) {
        return 0;
    }
    int status = 0;
    for (std::size_t index = space + 1; index < space + 4; ++index) {
        if (!std::isdigit(static_cast<unsigned char>(line[index]))) {
            return 0;
        }
        status = status * 10 + (line[index] - '0');
    }
    return status;
}

std::optional<std::uint64_t> content_length(const HttpResponse& response) {
    const auto value = response.header("content-length");
    if (!value || value->empty() || value->size() > 19 ||
        !std::all_of(value->begin(), value->end(),
                     [](unsigned char ch) { return std::isdigit(ch); })) {
        return std::nullopt;
    }
    return std::stoull(*value);
}

// End of the header block of a final (≥ 200) answer: decide what this hop is.
bool finish_head(Transfer& transfer) {
    auto& response = transfer.result.response;
    const int status = response.status;
    const auto& plan = transfer.plan;
    if (plan.follow_redirects && is_redirect(status) && response.header("location")) {
        transfer.result.kind = HopKind::kRedirect;
        return true;
    }
    if (plan.retry_possible && (status == 429 || (status >= 500 && status <= 599))) {
        transfer.result.kind = HopKind::kRetry;
        return true;
    }
    transfer.result.kind = HopKind::kFinal;
    const bool success = status >= 200 && status <= 299;
    transfer.deliver = plan.streaming && success;
    const auto length = content_length(response);
    if (!plan.streaming && plan.cap_is_error && length && *length > plan.body_cap &&
        transfer.hop.method != "HEAD") {
        transfer.too_large = true;
        return false;
    }
    if (plan.streaming && plan.on_head != nullptr && *plan.on_head && !(*plan.on_head)(response)) {
        transfer.stopped_on_purpose = true;
        return false;
    }
    return true;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
    auto& transfer = *static_cast<Transfer*>(user);
    const std::size_t bytes = size * count;
    std::string_view line(data, bytes);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
        line.remove_suffix(1);
    }
    auto& response = transfer.result.response;
    if (line.substr(0, 5) == "HTTP/") {
        response.headers.clear();
        response.status = parse_status_line(line);
        transfer.head_done = false;
        return bytes;
    }
    if (line.empty()) {
        if (response.status >= 200 && !transfer.head_done) {
            transfer.head_done = true;
            return finish_head(transfer) ? bytes : 0;
        }
        return bytes;
    }
    const auto colon = line.find(':');
    if (colon != std::string_view::npos && colon > 0) {
        response.headers.emplace(std::string(trim(line.substr(0, colon))),
                                 std::string(trim(line.substr(colon + 1))));
    }
    return bytes;
}

std::size_t keep_body(Transfer& transfer, std::string_view chunk) {
    auto& body = transfer.result.response.body;
    const std::size_t room = transfer.plan.body_cap - std::min(body.size(), transfer.plan.body_cap);
    if (chunk.size() <= room) {
        body.append(chunk);
        return chunk.size();
    }
    if (transfer.plan.cap_is_error) {
        transfer.too_large = true;
        return 0;
    }
    body.append(chunk.substr(0, room));  // error body of stream(): keep the first bytes only
    transfer.stopped_on_purpose = true;
    return 0;
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
    auto& transfer = *static_cast<Transfer*>(user);
    const std::size_t bytes = size * count;
    if (transfer.result.kind != HopKind::kFinal) {
        transfer.discarded += bytes;
        if (transfer.discarded > kDiscardLimit) {
            transfer.stopped_on_purpose = true;
            return 0;
        }
        return bytes;
    }
    if (!transfer.deliver) {
        return keep_body(transfer, std::string_view(data, bytes)) == bytes ? bytes : 0;
    }
    if (bytes == 0) {
        return 0;
    }
    transfer.result.body_delivered = true;
    if (!(*transfer.plan.on_chunk)(std::string_view(data, bytes))) {
        transfer.stopped_on_purpose = true;
        return 0;
    }
    return bytes;
}

std::size_t on_read(char* buffer, std::size_t size, std::size_t count, void* user) {
    auto& transfer = *static_cast<Transfer*>(user);
    const std::size_t capacity = size * count;
    if (transfer.request.body_source) {
        const std::size_t produced = transfer.request.body_source(buffer, capacity);
        return produced <= capacity ? produced : CURL_READFUNC_ABORT;
    }
    const auto& body = transfer.request.body;
    const std::size_t length = std::min(capacity, body.size() - transfer.body_offset);
    std::copy_n(body.data() + transfer.body_offset, length, buffer);
    transfer.body_offset += length;
    return length;
}

int on_seek(void* user, curl_off_t offset, int origin) {
    auto& transfer = *static_cast<Transfer*>(user);
    if (transfer.request.body_source || origin != SEEK_SET || offset < 0 ||
        static_cast<std::uint64_t>(offset) > transfer.request.body.size()) {
        return CURL_SEEKFUNC_CANTSEEK;
    }
    transfer.body_offset = static_cast<std::size_t>(offset);
    return CURL_SEEKFUNC_OK;
}

// Collects the first failing curl_easy_setopt (every return code is checked, E3).
class Options {
public:
    explicit Options(CURL* handle) : handle_(handle) {}
    template <typename Value>
    void set(CURLoption option, Value value) {
        if (code_ == CURLE_OK) {
            code_ = curl_easy_setopt(handle_, option, value);
        }
    }
    CURLcode code() const { return code_; }

private:
    CURL* handle_;
    CURLcode code_ = CURLE_OK;
};

bool valid_header(const std::string& name, const std::string& value) {
    const auto bad_name = [](unsigned char ch) { return ch <= 0x20 || ch >= 0x7f || ch == ':'; };
    const auto bad_value = [](unsigned char ch) { return ch == '\r' || ch == '\n' || ch == '\0'; };
    return !name.empty() && std::none_of(name.begin(), name.end(), bad_name) &&
           std::none_of(value.begin(), value.end(), bad_value);
}

Result<Slist> build_headers(const HopRequest& hop) {
    Slist list;
    const auto append = [&list](const std::string& line) {
        curl_slist* grown = curl_slist_append(list.get(), line.c_str());
        if (grown == nullptr) {
            return false;
        }
        (void)list.release();
        list.reset(grown);
        return true;
    };
    bool ok = append("Expect:");  // no 100-continue round trip on uploads
    for (const auto& [name, value] : hop.headers) {
        if (!valid_header(name, value)) {
            return Error{ErrorCode::kInvalidInput, "request header '" + name + "' is invalid"};
        }
        std::string line = name;
        line.append(value.empty() ? ";" : ": ").append(value);
        ok = ok && append(line);
    }
    if (!ok) {
        return Error{ErrorCode::kInternal, "out of memory building request headers"};
    }
    return list;
}

Result<Slist> build_resolve(const HopRequest& hop, const HopPlan& plan) {
    if (plan.pinned_addresses.empty()) {
        return Slist();
    }
    auto url = parse_url(hop.url);
    if (!url) {
        return url.error();
    }
    std::string entry = url->host + ":" + std::to_string(url->port) + ":";
    for (std::size_t index = 0; index < plan.pinned_addresses.size(); ++index) {
        const auto& address = plan.pinned_addresses[index];
        const bool ipv6 = address.find(':') != std::string::npos;
        entry += (index == 0 ? "" : ",") + (ipv6 ? "[" + address + "]" : address);
    }
    curl_slist* list = curl_slist_append(nullptr, entry.c_str());
    if (list == nullptr) {
        return Error{ErrorCode::kInternal, "out of memory pinning resolved addresses"};
    }
    return Slist(list);
}

bool sends_body(const HttpRequest& request, const HopRequest& hop) {
    if (!hop.with_body) {
        return false;
    }
    return !request.body.empty() || static_cast<bool>(request.body_source) ||
           hop.method == "POST" || hop.method == "PUT" || hop.method == "PATCH";
}

void set_method(Options& options, const HttpRequest& request, const HopRequest& hop,
                Transfer& transfer) {
    if (sends_body(request, hop)) {
        options.set(CURLOPT_UPLOAD, 1L);
        options.set(CURLOPT_READFUNCTION, &on_read);
        options.set(CURLOPT_READDATA, static_cast<void*>(&transfer));
        options.set(CURLOPT_SEEKFUNCTION, &on_seek);
        options.set(CURLOPT_SEEKDATA, static_cast<void*>(&transfer));
        const bool sized = !request.body_source || request.body_size.has_value();
        const auto size = request.body_source ? request.body_size.value_or(0) : request.body.size();
        options.set(CURLOPT_INFILESIZE_LARGE,
                    sized ? static_cast<curl_off_t>(size) : curl_off_t{-1});
        options.set(CURLOPT_CUSTOMREQUEST, hop.method.c_str());
    } else if (hop.method == "GET") {
        options.set(CURLOPT_HTTPGET, 1L);
    } else if (hop.method == "HEAD") {
        options.set(CURLOPT_NOBODY, 1L);
    } else {
        options.set(CURLOPT_CUSTOMREQUEST, hop.method.c_str());
    }
}

void set_limits(Options& options, const HttpClientSettings& settings, const HttpRequest& request) {
    const auto total = request.total_timeout.value_or(settings.total_timeout);
    options.set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(settings.connect_timeout.count()));
    options.set(CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<std::int64_t>(0, total.count())));
    if (settings.low_speed_timeout.count() > 0) {
        const long seconds = std::max<long>(1, settings.low_speed_timeout.count() / 1000);
        options.set(CURLOPT_LOW_SPEED_LIMIT, 1L);
        options.set(CURLOPT_LOW_SPEED_TIME, seconds);
    }
    options.set(CURLOPT_SSL_VERIFYPEER, settings.verify_tls ? 1L : 0L);
    options.set(CURLOPT_SSL_VERIFYHOST, settings.verify_tls ? 2L : 0L);
    if (!settings.ca_file.empty()) {
        options.set(CURLOPT_CAINFO, settings.ca_file.c_str());
    }
}

std::string range_value(const HttpRequest& request) {
    const auto& [first, last] = *request.range;
    return std::to_string(first) + "-" + (last ? std::to_string(*last) : std::string());
}

// libcurl failure → Error. The message names the origin only (a query may hold a signature).
Error transport_error(CURLcode code, const char* detail, const HopRequest& hop) {
    const auto url = parse_url(hop.url);
    const std::string origin =
        url ? url->scheme + "://" + url->host + ":" + std::to_string(url->port)
            : std::string("(invalid URL)");
    std::string message = hop.method + " " + origin + ": " + curl_easy_strerror(code);
    if (detail != nullptr && detail[0] != '\0') {
        message += " (" + std::string(detail) + ")";
    }
    switch (code) {
        case CURLE_OPERATION_TIMEDOUT: return Error{ErrorCode::kTimeout, message};
        case CURLE_URL_MALFORMAT:
        case CURLE_UNSUPPORTED_PROTOCOL: return Error{ErrorCode::kInvalidInput, message};
        case CURLE_OUT_OF_MEMORY: return Error{ErrorCode::kInternal, message};
        default: return Error{ErrorCode::kUpstream, message};
    }
}

bool retryable(CURLcode code) {
    switch (code) {
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_CONNECT:
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_PARTIAL_FILE:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM: return true;
        default: return false;
    }
}

void finish_transfer(CURL* handle, CURLcode code, const char* detail, Transfer& transfer) {
    auto& result = transfer.result;
    if (code == CURLE_WRITE_ERROR && transfer.too_large) {
        result.error =
            Error{ErrorCode::kTooLarge,
                  "response body exceeds " + std::to_string(transfer.plan.body_cap) + " bytes"};
        return;
    }
    const bool stopped = code == CURLE_WRITE_ERROR && transfer.stopped_on_purpose;
    if (code != CURLE_OK && !stopped) {
        result.error = transport_error(code, detail, transfer.hop);
        result.retryable_error = retryable(code);
        return;
    }
    if (result.kind == HopKind::kRedirect) {
        char* location = nullptr;
        if (curl_easy_getinfo(handle, CURLINFO_REDIRECT_URL, &location) == CURLE_OK &&
            location != nullptr) {
            result.redirect_url = location;
        }
    }
}

}  // namespace

HopResult perform_hop(CURL* handle, const HttpClientSettings& settings, const HttpRequest& request,
                      const HopRequest& hop, const HopPlan& plan) {
    Transfer transfer{request, hop, plan, {}};
    curl_easy_reset(handle);
    auto headers = build_headers(hop);
    auto resolve = build_resolve(hop, plan);
    if (!headers || !resolve) {
        transfer.result.error = headers ? resolve.error() : headers.error();
        return transfer.result;
    }
    char detail[CURL_ERROR_SIZE] = {};
    const std::string range = request.range ? range_value(request) : std::string();
    Options options(handle);
    options.set(CURLOPT_URL, hop.url.c_str());
    options.set(CURLOPT_PROTOCOLS_STR, "http,https");
    options.set(CURLOPT_NOSIGNAL, 1L);
    options.set(CURLOPT_FOLLOWLOCATION, 0L);
    options.set(CURLOPT_PROXY, "");  // direct connections only: the guard checked these addresses
    options.set(CURLOPT_ERRORBUFFER, detail);
    options.set(CURLOPT_USERAGENT, settings.user_agent.c_str());
    options.set(CURLOPT_HTTPHEADER, headers->get());
    options.set(CURLOPT_RESOLVE, resolve->get());
    options.set(CURLOPT_HEADERFUNCTION, &on_header);
    options.set(CURLOPT_HEADERDATA, static_cast<void*>(&transfer));
    options.set(CURLOPT_WRITEFUNCTION, &on_body);
    options.set(CURLOPT_WRITEDATA, static_cast<void*>(&transfer));
    // Large receive buffer: blobs arrive in fewer, bigger callbacks (hashing, cache writes).
    options.set(CURLOPT_BUFFERSIZE, kReceiveBufferBytes);
    if (request.range) {
        options.set(CURLOPT_RANGE, range.c_str());
    }
    set_limits(options, settings, request);
    set_method(options, request, hop, transfer);
    if (options.code() != CURLE_OK) {
        transfer.result.error = transport_error(options.code(), nullptr, hop);
        return transfer.result;
    }
    const CURLcode code = curl_easy_perform(handle);
    finish_transfer(handle, code, detail, transfer);
    curl_easy_reset(handle);  // drop pointers into this frame (headers, buffers, callbacks)
    return std::move(transfer.result);
}

}  // namespace aiops::common
