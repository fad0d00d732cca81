// RegistryClient writes: blob uploads (monolithic, chunked, cross-repository mount), manifest PUT.
#include "aiops/common/encoding.h"
#include "aiops/common/oci.h"
#include "aiops/common/registry_client.h"
#include "registry_client_impl.h"

namespace aiops::common {
namespace {

constexpr std::string_view kOctetStream = "application/octet-stream";

std::string with_digest(const std::string& location, const Digest& digest) {
    const char separator = location.find('?') == std::string::npos ? '?' : '&';
    return location + separator + "digest=" + percent_encode(digest.str(), false);
}

// The upload URL from a 202's Location header, checked to stay on the registry's origin.
Result<std::string> upload_location(const RegistryClient::Impl& impl,
                                    const HttpResponse& response) {
    const auto location = response.header("Location");
    if (!location) {
        return Error{ErrorCode::kUpstream, "blob upload answer without Location"};
    }
    return impl.same_origin_url(*location);
}

Result<HttpResponse> start_upload(RegistryClient::Impl& impl, std::string_view repository,
                                  const std::string& query, const RegistryScopes& scopes) {
    HttpRequest request;
    request.method = "POST";
    request.url = impl.url("/v2/" + std::string(repository) + "/blobs/uploads/" + query);
    request.retry = false;
    return impl.fetch(request, scopes);
}

Result<std::string> open_upload(RegistryClient::Impl& impl, std::string_view repository) {
    auto response = start_upload(impl, repository, "", {push_scope(repository)});
    if (!response) {
        return response.error();
    }
    if (response->status != 202) {
        return registry_error(*response, "blob upload start");
    }
    return upload_location(impl, *response);
}

Status finish_upload(RegistryClient::Impl& impl, std::string_view repository,
                     const std::string& location, const Digest& digest, std::string body) {
    HttpRequest request;
    request.method = "PUT";
    request.url = with_digest(location, digest);
    request.headers.emplace("Content-Type", kOctetStream);
    request.body = std::move(body);
    request.retry = false;
    auto response = impl.fetch(request, {push_scope(repository)});
    if (!response) {
        return response.error();
    }
    if (response->status != 201 && response->status != 204) {
        return registry_error(*response, "blob upload PUT");
    }
    return {};
}

// Reads up to `capacity` bytes from `source` into `chunk` (fewer only at the end of data).
Status fill_chunk(const BlobSource& source, std::string& chunk, std::size_t capacity) {
    chunk.resize(capacity);
    std::size_t filled = 0;
    while (filled < capacity) {
        auto produced = source(chunk.data() + filled, capacity - filled);
        if (!produced) {
            return produced.error();
        }
        if (*produced > capacity - filled) {
            return Error{ErrorCode::kInternal, "blob source overfilled its buffer"};
        }
        if (*produced == 0) {
            break;
        }
        filled += *produced;
    }
    chunk.resize(filled);
    return {};
}

// PATCH one chunk at `offset`; returns the next upload location.
Result<std::string> patch_chunk(RegistryClient::Impl& impl, std::string_view repository,
                                const std::string& location, std::string chunk,
                                std::uint64_t offset) {
    HttpRequest request;
    request.method = "PATCH";
    request.url = location;
    request.headers.emplace("Content-Type", kOctetStream);
    request.headers.emplace(
        "Content-Range", std::to_string(offset) + "-" + std::to_string(offset + chunk.size() - 1));
    request.body = std::move(chunk);
    request.retry = false;
    auto response = impl.fetch(request, {push_scope(repository)});
    if (!response) {
        return response.error();
    }
    if (response->status != 202) {
        return registry_error(*response, "blob upload PATCH");
    }
    return upload_location(impl, *response);
}

}  // namespace

Result<BlobUploadStats> RegistryClient::push_blob(std::string_view repository,
                                                  std::string_view bytes) {
    if (auto valid = check_repository(repository); !valid) {
        return valid.error();
    }
    auto digest = compute_digest(bytes);
    if (!digest) {
        return digest.error();
    }
    auto present = impl_->head_blob(repository, *digest, {push_scope(repository)});
    if (present) {
        return BlobUploadStats{*digest, *present, true};
    }
    if (present.error().code != ErrorCode::kNotFound) {
        return present.error();
    }
    auto location = open_upload(*impl_, repository);
    if (!location) {
        return location.error();
    }
    if (auto put = finish_upload(*impl_, repository, *location, *digest, std::string(bytes));
        !put) {
        return put.error();
    }
    return BlobUploadStats{std::move(digest).value(), bytes.size(), false};
}

Result<BlobUploadStats> RegistryClient::push_blob_chunked(std::string_view repository,
                                                          const BlobSource& source,
                                                          std::size_t chunk_bytes) {
    if (auto valid = check_repository(repository); !valid) {
        return valid.error();
    }
    if (chunk_bytes == 0) {
        return Error{ErrorCode::kInvalidInput, "chunk_bytes must be positive"};
    }
    auto location = open_upload(*impl_, repository);
    Sha256Hasher hasher;
    std::string chunk;
    while (location) {
        if (auto filled = fill_chunk(source, chunk, chunk_bytes); !filled) {
            return filled.error();
        }
        if (chunk.empty()) {
            break;
        }
        const std::uint64_t offset = hasher.bytes_hashed();
        const bool last = chunk.size() < chunk_bytes;
        hasher.update(chunk);
        location = patch_chunk(*impl_, repository, *location, std::move(chunk), offset);
        if (last) {
            break;
        }
    }
    if (!location) {
        return location.error();
    }
    const std::uint64_t size = hasher.bytes_hashed();
    auto digest = hasher.finish();
    if (!digest) {
        return digest.error();
    }
    if (auto put = finish_upload(*impl_, repository, *location, *digest, {}); !put) {
        return put.error();
    }
    return BlobUploadStats{std::move(digest).value(), size, false};
}

Result<bool> RegistryClient::mount_blob(std::string_view repository, const Digest& digest,
                                        std::string_view from_repository) {
    if (auto valid = check_repository(repository); !valid) {
        return valid.error();
    }
    if (auto valid = check_repository(from_repository); !valid) {
        return valid.error();
    }
    const std::string query = "?mount=" + percent_encode(digest.str(), false) +
                              "&from=" + percent_encode(from_repository, false);
    auto response = start_upload(*impl_, repository, query,
                                 {push_scope(repository), pull_scope(from_repository)});
    if (!response) {
        return response.error();
    }
    if (response->status == 201) {
        return true;
    }
    if (response->status != 202) {
        return registry_error(*response, "blob mount");
    }
    // Declined: the registry opened an ordinary upload instead. Cancel it; a failure to cancel
    // only leaves a session the registry purges itself.
    if (auto location = upload_location(*impl_, *response)) {
        HttpRequest cancel;
        cancel.method = "DELETE";
        cancel.url = *location;
        (void)impl_->fetch(cancel, {push_scope(repository)});
    }
    return false;
}

Result<Digest> RegistryClient::put_manifest(std::string_view repository, std::string_view reference,
                                            std::string_view bytes, std::string_view media_type) {
    if (auto valid = check_repository(repository); !valid) {
        return valid.error();
    }
    if (auto valid = check_reference(reference); !valid) {
        return valid.error();
    }
    if (!is_valid_media_type(media_type)) {
        return Error{ErrorCode::kInvalidInput, "invalid manifest media type"};
    }
    auto digest = compute_digest(bytes);
    if (!digest) {
        return digest.error();
    }
    HttpRequest request;
    request.method = "PUT";
    request.url =
        impl_->url("/v2/" + std::string(repository) + "/manifests/" + std::string(reference));
    request.headers.emplace("Content-Type", media_type);
    request.body = std::string(bytes);
    auto response = impl_->fetch(request, {push_scope(repository)});
    if (!response) {
        return response.error();
    }
    if (response->status != 201 && response->status != 200) {
        return registry_error(*response, "manifest PUT");
    }
    auto reported = Digest::parse(response->header("Docker-Content-Digest").value_or(""));
    if (reported && !(*reported == *digest)) {
        return Error{ErrorCode::kDigestMismatch,
                     "registry stored the manifest as " + reported->str()};
    }
    return digest;
}

}  // namespace aiops::common
