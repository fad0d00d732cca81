#pragma once

#include <string>
#include <vector>

#include "aiops/common/blob_cache.h"
#include "aiops/common/http_server.h"
#include "aiops/common/metrics.h"
#include "hf_client.h"
#include "model_resolver.h"
#include "oci_auth.h"

// The OCI Distribution read API (what Harbor's replication and proxy cache call, reference §4):
//   GET  /v2/                                  auth discovery / ping
//   GET  /token                                bearer mode: the token endpoint
//   GET  /v2/_catalog?n=&last=                 the configured allow-list (exact names), Link-paged
//   GET  /v2/<name>/tags/list?n=&last=         branches and tags of the HF repo, Link-paged
//   GET|HEAD /v2/<name>/manifests/<reference>  exact Content-Type, Docker-Content-Digest,
//                                              Content-Length on both
//   GET|HEAD /v2/<name>/blobs/<digest>         Content-Length always, single Range → 206
// <name> = [<prefix>/]<org>/<model>. Errors use the OCI envelope {"errors":[{code,message}]}.
namespace aiops::proxy {

struct OciApiSettings {
    std::string prefix;                // e.g. "hf" → /v2/hf/<org>/<model>; "" = none
    std::vector<std::string> catalog;  // exact "org/name" entries listed by _catalog
    std::size_t max_page = 1000;       // _catalog / tags/list page size cap
    std::size_t stream_buffer_bytes = 1U << 20;
    bool tls = false;  // for the realm derived from Host
};

class OciApi {
public:
    OciApi(OciApiSettings settings, OciAuth& auth, ModelResolver& resolver,
           common::BlobCache& cache, HfClient& hf, common::Metrics& metrics);

    void add_routes(common::Server& server);

private:
    struct Call;  // one request: its upstream auth, repository name and OCI error context

    bool authenticate(const httplib::Request& req, httplib::Response& res, UpstreamAuth& auth);
    void base(const httplib::Request& req, httplib::Response& res);
    void token(const httplib::Request& req, httplib::Response& res);
    void catalog(const httplib::Request& req, httplib::Response& res);
    void tags(const httplib::Request& req, httplib::Response& res,
              const common::RequestContext& ctx);
    void manifest(const httplib::Request& req, httplib::Response& res,
                  const common::RequestContext& ctx);
    void blob(const httplib::Request& req, httplib::Response& res,
              const common::RequestContext& ctx);
    void serve_reader(const httplib::Request& req, httplib::Response& res,
                      const std::shared_ptr<common::BlobReader>& reader, std::uint64_t size,
                      const std::string& source);
    common::Result<std::string> repository(const std::string& name) const;

    OciApiSettings settings_;
    OciAuth& auth_;
    ModelResolver& resolver_;
    common::BlobCache& cache_;
    HfClient& hf_;
    common::Counter& blob_bytes_;
    common::Counter& blob_requests_;
    common::Gauge& cache_bytes_;
};

// {"errors":[{"code":<code>,"message":<message>,"detail":{}}]} with the status for `error`, and
// WWW-Authenticate / Retry-After when they apply. `not_found_code` names what was missing
// (MANIFEST_UNKNOWN, BLOB_UNKNOWN, NAME_UNKNOWN), `invalid_code` what was malformed
// (NAME_INVALID, DIGEST_INVALID).
void write_oci_error(httplib::Response& res, const common::Error& error,
                     std::string_view not_found_code,
                     std::string_view invalid_code = "NAME_INVALID");

}  // namespace aiops::proxy
