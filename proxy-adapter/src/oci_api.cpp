#include "oci_api.h"

#include <algorithm>
#include <charconv>

#include "aiops/common/blob_response.h"
#include "aiops/common/encoding.h"
#include "aiops/common/log.h"
#include "aiops/common/media_types.h"

namespace aiops::proxy {

using common::Digest;
using common::Error;
using common::ErrorCode;
using common::Method;
using common::RequestContext;
using common::Result;
using httplib::Request;
using httplib::Response;
using nlohmann::json;

namespace {

constexpr const char* kApiVersionHeader = "Docker-Distribution-API-Version";
constexpr const char* kApiVersion = "registry/2.0";
constexpr const char* kBlobType = "application/octet-stream";
constexpr std::size_t kDefaultPage = 100;

std::string_view oci_code(const Error& error, std::string_view not_found_code,
                          std::string_view invalid_code) {
    switch (error.code) {
        case ErrorCode::kNotFound: return not_found_code;
        case ErrorCode::kInvalidInput: return invalid_code;
        case ErrorCode::kUnauthorized: return "UNAUTHORIZED";
        case ErrorCode::kForbidden: return "DENIED";
        case ErrorCode::kRateLimited: return "TOOMANYREQUESTS";
        case ErrorCode::kRangeNotSatisfiable: return "BLOB_UNKNOWN";
        case ErrorCode::kDigestMismatch: return "DIGEST_INVALID";
        case ErrorCode::kTooLarge:
        case ErrorCode::kUnsupportedMedia: return "UNSUPPORTED";
        case ErrorCode::kUpstream:
        case ErrorCode::kTimeout:
        case ErrorCode::kUnavailable: return "UNAVAILABLE";
        default: return "UNKNOWN";
    }
}

// The scheme://host the client used, for the bearer realm. A Host header outside the expected
// alphabet (it ends up inside a quoted header value) is replaced.
std::string base_url(const Request& req, bool tls) {
    auto host = req.get_header_value("Host");
    const bool clean =
        !host.empty() && host.size() <= 255 && std::all_of(host.begin(), host.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' ||
                   c == ':' || c == '[' || c == ']';
        });
    if (!clean) {
        host = "localhost";
    }
    return std::string(tls ? "https" : "http") + "://" + host;
}

// n= (1..max, default kDefaultPage) and last= of a paginated list; entries after `last`.
struct Page {
    std::vector<std::string> items;
    bool more = false;
    std::size_t n = kDefaultPage;
};

Page paginate(const std::vector<std::string>& sorted, const Request& req, std::size_t max_page) {
    Page page;
    if (req.has_param("n")) {
        const auto text = req.get_param_value("n");
        std::size_t n = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
        if (ec == std::errc() && end == text.data() + text.size() && n > 0) {
            page.n = n;
        }
    }
    page.n = std::min(page.n, max_page);
    const auto last = req.get_param_value("last");
    auto it = last.empty() ? sorted.begin() : std::upper_bound(sorted.begin(), sorted.end(), last);
    for (; it != sorted.end() && page.items.size() < page.n; ++it) {
        page.items.push_back(*it);
    }
    page.more = it != sorted.end();
    return page;
}

void set_next_link(Response& res, const std::string& path, const Page& page) {
    if (page.more && !page.items.empty()) {
        res.set_header("Link", "<" + path +
                                   "?last=" + common::percent_encode(page.items.back(), true) +
                                   "&n=" + std::to_string(page.n) + ">; rel=\"next\"");
    }
}

}  // namespace

void write_oci_error(Response& res, const Error& error, std::string_view not_found_code,
                     std::string_view invalid_code) {
    if (error.retry_after.count() > 0) {
        res.set_header("Retry-After", std::to_string(error.retry_after.count()));
    }
    res.set_header(kApiVersionHeader, kApiVersion);
    const json body{
        {"errors", json::array({{{"code", oci_code(error, not_found_code, invalid_code)},
                                 {"message", error.message},
                                 {"detail", json::object()}}})}};
    res.status = common::http_status(error.code);
    res.set_content(body.dump(), "application/json");
}

OciApi::OciApi(OciApiSettings settings, OciAuth& auth, ModelResolver& resolver,
               common::BlobCache& cache, HfClient& hf, common::Metrics& metrics)
    : settings_(std::move(settings)),
      auth_(auth),
      resolver_(resolver),
      cache_(cache),
      hf_(hf),
      blob_bytes_(metrics.counter("proxy_blob_bytes_total",
                                  "Blob bytes sent to clients, by where they came from",
                                  {"source"})),
      blob_requests_(metrics.counter("proxy_blob_requests_total",
                                     "Blob GETs, by cache outcome (hit, miss, inline)",
                                     {"outcome"})),
      cache_bytes_(metrics.gauge("proxy_cache_bytes", "Bytes of complete blobs in the cache")) {
    std::sort(settings_.catalog.begin(), settings_.catalog.end());
}

void OciApi::add_routes(common::Server& server) {
    const auto anyone = common::Access::anyone();  // OCI auth is ours (challenge, token flow)
    server.route(
        Method::kGet, "/v2/?", anyone,
        [this](const Request& req, Response& res, const RequestContext&) { base(req, res); });
    server.route(
        Method::kGet, "/token", anyone,
        [this](const Request& req, Response& res, const RequestContext&) { token(req, res); });
    server.route(
        Method::kGet, "/v2/_catalog", anyone,
        [this](const Request& req, Response& res, const RequestContext&) { catalog(req, res); });
    server.route(Method::kGet, "/v2/(.+)/tags/list", anyone,
                 [this](const Request& req, Response& res, const RequestContext& ctx) {
                     tags(req, res, ctx);
                 });
    server.route(Method::kGet, "/v2/(.+)/manifests/([^/]+)", anyone,
                 [this](const Request& req, Response& res, const RequestContext& ctx) {
                     manifest(req, res, ctx);
                 });
    server.route(Method::kGet, "/v2/(.+)/blobs/([^/]+)", anyone,
                 [this](const Request& req, Response& res, const RequestContext& ctx) {
                     blob(req, res, ctx);
                 });
}

bool OciApi::authenticate(const Request& req, Response& res, UpstreamAuth& upstream) {
    auto result = auth_.authenticate(req.get_header_value("Authorization"));
    if (!result) {
        res.set_header("WWW-Authenticate", auth_.challenge(base_url(req, settings_.tls)));
        write_oci_error(res, result.error(), "UNAUTHORIZED");
        return false;
    }
    upstream = std::move(*result);
    return true;
}

Result<std::string> OciApi::repository(const std::string& name) const {
    if (settings_.prefix.empty()) {
        return name;
    }
    const auto prefix = settings_.prefix + "/";
    if (name.rfind(prefix, 0) != 0) {
        return Error{ErrorCode::kNotFound,
                     "repository names start with " + prefix + " on this registry"};
    }
    return name.substr(prefix.size());
}

void OciApi::base(const Request& req, Response& res) {
    UpstreamAuth upstream;
    if (auth_.mode() != OciAuthMode::kAnonymous && req.get_header_value("Authorization").empty()) {
        // Auth discovery: the challenge tells Harbor which flow to use.
        res.set_header("WWW-Authenticate", auth_.challenge(base_url(req, settings_.tls)));
        return write_oci_error(res, {ErrorCode::kUnauthorized, "authentication required"}, "");
    }
    if (!authenticate(req, res, upstream)) {
        return;
    }
    res.set_header(kApiVersionHeader, kApiVersion);
    res.status = 200;
    res.set_content("{}", "application/json");
}

void OciApi::token(const Request& req, Response& res) {
    auto issued = auth_.issue_token(req.get_header_value("Authorization"));
    if (!issued) {
        if (issued.error().code == ErrorCode::kUnauthorized) {
            res.set_header("WWW-Authenticate", "Basic realm=\"" + std::string("token") + "\"");
        }
        return write_oci_error(res, issued.error(), "NAME_UNKNOWN");
    }
    res.status = 200;
    res.set_content(issued->dump(), "application/json");
}

void OciApi::catalog(const Request& req, Response& res) {
    UpstreamAuth upstream;
    if (!authenticate(req, res, upstream)) {
        return;
    }
    std::vector<std::string> names;
    for (const auto& repo : settings_.catalog) {
        names.push_back(settings_.prefix.empty() ? repo : settings_.prefix + "/" + repo);
    }
    std::sort(names.begin(), names.end());
    const auto page = paginate(names, req, settings_.max_page);
    set_next_link(res, "/v2/_catalog", page);
    res.set_header(kApiVersionHeader, kApiVersion);
    res.status = 200;
    res.set_content(json{{"repositories", page.items}}.dump(), "application/json");
}

void OciApi::tags(const Request& req, Response& res, const RequestContext& ctx) {
    UpstreamAuth upstream;
    if (!authenticate(req, res, upstream)) {
        return;
    }
    const auto& name = ctx.captures.at(0);
    auto repo = repository(name);
    auto names =
        repo ? resolver_.tags(*repo, upstream) : Result<std::vector<std::string>>(repo.error());
    if (!names) {
        return write_oci_error(res, names.error(), "NAME_UNKNOWN");
    }
    const auto page = paginate(*names, req, settings_.max_page);
    set_next_link(res, "/v2/" + name + "/tags/list", page);
    res.set_header(kApiVersionHeader, kApiVersion);
    res.status = 200;
    res.set_content(json{{"name", name}, {"tags", page.items}}.dump(), "application/json");
}

void OciApi::manifest(const Request& req, Response& res, const RequestContext& ctx) {
    UpstreamAuth upstream;
    if (!authenticate(req, res, upstream)) {
        return;
    }
    auto repo = repository(ctx.captures.at(0));
    if (!repo) {
        return write_oci_error(res, repo.error(), "NAME_UNKNOWN");
    }
    auto served = resolver_.manifest(*repo, ctx.captures.at(1), upstream);
    if (!served) {
        return write_oci_error(res, served.error(), "MANIFEST_UNKNOWN", "MANIFEST_INVALID");
    }
    res.set_header(kApiVersionHeader, kApiVersion);
    res.set_header("Docker-Content-Digest", served->digest.str());
    res.set_header("ETag", "\"" + served->digest.str() + "\"");
    res.status = 200;
    res.set_content(served->bytes, std::string(common::media_type::kOciManifest));
}

void OciApi::blob(const Request& req, Response& res, const RequestContext& ctx) {
    UpstreamAuth upstream;
    if (!authenticate(req, res, upstream)) {
        return;
    }
    auto repo = repository(ctx.captures.at(0));
    if (!repo) {
        return write_oci_error(res, repo.error(), "NAME_UNKNOWN");
    }
    auto digest = Digest::parse(ctx.captures.at(1));
    if (!digest) {
        return write_oci_error(res, digest.error(), "BLOB_UNKNOWN", "DIGEST_INVALID");
    }
    auto location = resolver_.blob(*repo, *digest, upstream);
    if (!location) {
        return write_oci_error(res, location.error(), "BLOB_UNKNOWN");
    }
    res.set_header(kApiVersionHeader, kApiVersion);
    res.set_header("Docker-Content-Digest", digest->str());
    res.set_header("ETag", "\"" + digest->str() + "\"");
    if (location->bytes) {  // the config: we made it, it is small
        blob_requests_.inc({"inline"});
        (void)cache_.put(*digest, *location->bytes);
    }
    std::shared_ptr<common::BlobReader> reader;
    std::string source = "cache";
    if (auto cached = cache_.lookup(*digest)) {
        reader = std::move(*cached);
        blob_requests_.inc({"hit"});
    } else if (req.method != "HEAD") {
        auto opened =
            cache_.open(*digest, location->size,
                        [hf = &hf_, repo = *repo, commit = location->commit, path = location->path,
                         token = upstream.token](const common::BlobSink& sink) {
                            return hf->stream_file(repo, commit, path, token, 0, sink);
                        });
        if (!opened) {
            return write_oci_error(res, opened.error(), "BLOB_UNKNOWN");
        }
        reader = std::move(*opened);
        source = "upstream";
        blob_requests_.inc({"miss"});
    }
    serve_reader(req, res, reader, location->size, source);
    cache_bytes_.set({}, static_cast<double>(cache_.stats().bytes));
}

void OciApi::serve_reader(const Request& req, Response& res,
                          const std::shared_ptr<common::BlobReader>& reader, std::uint64_t size,
                          const std::string& source) {
    common::BlobResponseOptions options;
    options.buffer_bytes = settings_.stream_buffer_bytes;
    options.content_type = kBlobType;
    options.on_sent = [this, source](std::size_t bytes) {
        blob_bytes_.inc({source}, static_cast<double>(bytes));
    };
    if (auto served = common::respond_with_blob(req, res, reader, size, options); !served) {
        write_oci_error(res, served.error(), "BLOB_UNKNOWN");
    }
}

}  // namespace aiops::proxy
