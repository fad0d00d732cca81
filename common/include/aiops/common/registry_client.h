#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aiops/common/digest.h"
#include "aiops/common/http_client.h"
#include "aiops/common/result.h"

// OCI Distribution v2 client making the calls Harbor itself makes: /v2/ ping, the Docker token
// flow (WWW-Authenticate → realm → Bearer, cached per scope), manifests, blobs (streamed and
// verified), Range reads, paginated tag list and catalog, blob uploads and manifest PUT.
namespace aiops::common {

struct RegistryClientSettings {
    // Registry root with scheme, e.g. "http://127.0.0.1:5000" or "https://harbor.example.com".
    std::string base_url{};
    // Credentials, at most one kind:
    //  - username + password: Basic at the token realm (Bearer registries) or on every request
    //    (Basic registries);
    //  - authorization: a pre-issued header value as Harbor hands to scanners/preheat providers.
    //    "Bearer …" is sent as-is on every request (it cannot be refreshed); "Basic …" is
    //    exchanged at the token realm like username + password.
    std::string username{};
    std::string password{};
    std::string authorization{};
    // A cached token is dropped this long before its expires_in runs out.
    std::chrono::seconds token_expiry_margin{30};
    // Token lifetime assumed when the token response has no expires_in (Docker token spec: 60 s).
    std::chrono::seconds default_token_lifetime{60};
    std::size_t max_manifest_bytes = 4U << 20;
    std::size_t max_list_entries = 100000;    // tags / repositories over all pages
    std::size_t max_range_bytes = 64U << 20;  // read_blob_range() buffers the range
    // C3: the clock used for token expiry. Default: std::chrono::steady_clock::now.
    std::function<std::chrono::steady_clock::time_point()> now{};
};

struct ManifestResponse {
    std::string bytes;
    std::string media_type;  // Content-Type without parameters
    Digest digest;           // sha256 of bytes (verified against a digest reference)
};

struct ManifestInfo {
    std::string media_type;
    Digest digest;  // Docker-Content-Digest
    std::uint64_t size = 0;
};

struct BlobUploadStats {
    Digest digest;
    std::uint64_t size = 0;
    bool already_present = false;  // HEAD found it: nothing uploaded
};

// Blob bytes as they arrive; return false to stop (the read then fails with kInternal).
using BlobSink = std::function<bool(std::string_view chunk)>;
// Fills `buffer` with up to `capacity` bytes; 0 = end of data.
using BlobSource = std::function<Result<std::size_t>(char* buffer, std::size_t capacity)>;

// Errors: 401 → kUnauthorized, 403 → kForbidden, 404 → kNotFound, 412 → kPreconditionFailed,
// 416 → kRangeNotSatisfiable, 429 → kRateLimited, 400 DIGEST_INVALID → kDigestMismatch, other 4xx
// → kInvalidInput, 5xx and protocol violations → kUpstream; transport errors as from HttpClient.
// Thread-safe: the token cache is behind one mutex.
class RegistryClient {
public:
    // `http` must outlive the client. kInvalidInput for a base_url that is not http(s).
    static Result<std::unique_ptr<RegistryClient>> create(HttpClient& http,
                                                          RegistryClientSettings settings);
    ~RegistryClient();
    RegistryClient(const RegistryClient&) = delete;
    RegistryClient& operator=(const RegistryClient&) = delete;

    // GET /v2/ with credentials: ok on 2xx.
    Status ping();

    // GET /v2/<repo>/manifests/<tag|digest> with the OCI + Docker v2 Accept list.
    Result<ManifestResponse> get_manifest(std::string_view repository, std::string_view reference);
    Result<ManifestInfo> head_manifest(std::string_view repository, std::string_view reference);
    // PUT; returns the manifest digest (kDigestMismatch if the registry reports another one).
    Result<Digest> put_manifest(std::string_view repository, std::string_view reference,
                                std::string_view bytes, std::string_view media_type);

    // OCI 1.1 referrers API, GET /v2/<repo>/referrers/<digest>: the image index of the
    // manifests whose subject is `digest`; nullopt when the registry does not have the API
    // (404 with no index body: distribution 2.x, Debian's docker-registry) — the caller then
    // uses the fallback tag scheme (tag "sha256-<hex>" holding that index).
    Result<std::optional<std::string>> referrers(std::string_view repository, const Digest& digest);

    // HEAD /v2/<repo>/blobs/<digest>: the blob size, kNotFound when absent.
    Result<std::uint64_t> head_blob(std::string_view repository, const Digest& digest);
    // Streams the whole blob into `sink`, hashing on the fly; kDigestMismatch at the end when the
    // bytes do not hash to `digest`. Returns the byte count.
    Result<std::uint64_t> get_blob(std::string_view repository, const Digest& digest,
                                   const BlobSink& sink);
    // Buffered get_blob(); kTooLarge past max_bytes.
    Result<std::string> fetch_blob(std::string_view repository, const Digest& digest,
                                   std::size_t max_bytes);
    // Bytes [offset, offset + length) (fewer only when the blob ends first). A server that ignores
    // Range and answers 200 is read only up to offset + length, then the transfer is aborted.
    Result<std::string> read_blob_range(std::string_view repository, const Digest& digest,
                                        std::uint64_t offset, std::uint64_t length);
    // The same, saying whether the server ignored Range (Harbor proxy-cache projects do): a
    // caller about to read many ranges of that blob is better off streaming it once.
    struct RangeRead {
        std::string bytes{};
        bool range_ignored = false;
    };
    Result<RangeRead> read_blob_range_or_whole(std::string_view repository, const Digest& digest,
                                               std::uint64_t offset, std::uint64_t length);

    // All tags / repositories, following Link rel="next"; page_size sets `n`.
    Result<std::vector<std::string>> list_tags(std::string_view repository,
                                               std::optional<int> page_size = std::nullopt);
    Result<std::vector<std::string>> catalog(std::optional<int> page_size = std::nullopt);

    // Monolithic upload: HEAD (skip if present), POST, PUT ?digest=.
    Result<BlobUploadStats> push_blob(std::string_view repository, std::string_view bytes);
    // Chunked upload: POST, PATCH per chunk (Content-Range), PUT ?digest= of the hashed bytes.
    Result<BlobUploadStats> push_blob_chunked(std::string_view repository, const BlobSource& source,
                                              std::size_t chunk_bytes);
    // Cross-repository mount: true when mounted (201); false when the registry declined (202).
    Result<bool> mount_blob(std::string_view repository, const Digest& digest,
                            std::string_view from_repository);

    struct Impl;  // opaque: defined in common/src, named here for the .cpp files' helpers

private:
    explicit RegistryClient(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// Distribution name grammar: lower-case path components separated by `/`, each
// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`, ≤ 255 characters in all.
bool is_valid_repository_name(std::string_view name);
// `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`.
bool is_valid_tag(std::string_view tag);

}  // namespace aiops::common
