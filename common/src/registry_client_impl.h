#pragma once

#include <string>
#include <string_view>

#include "aiops/common/registry_client.h"
#include "registry_auth.h"

// Private to aiops_common: RegistryClient's state, shared by registry_client.cpp (reads) and
// registry_upload.cpp (writes).
namespace aiops::common {

struct RegistryClient::Impl {
    Impl(HttpClient& http_client, RegistryClientSettings client_settings)
        : http(http_client), settings(std::move(client_settings)), auth(http_client, settings) {}

    std::string url(std::string_view path) const { return settings.base_url + std::string(path); }

    Result<HttpResponse> fetch(HttpRequest request, const RegistryScopes& scopes) {
        return auth.send(std::move(request), scopes,
                         [this](const HttpRequest& sent) { return http.fetch(sent); });
    }

    Result<HttpResponse> stream(HttpRequest request, const RegistryScopes& scopes,
                                const HeadCallback& on_head, const ChunkCallback& on_chunk) {
        return auth.send(std::move(request), scopes, [&](const HttpRequest& sent) {
            return http.stream(sent, on_head, on_chunk);
        });
    }

    // A registry-supplied URL (Location, Link) resolved against base_url; kUpstream unless it
    // stays on the registry's origin (credentials are attached to it).
    Result<std::string> same_origin_url(std::string_view reference) const;

    Result<std::uint64_t> head_blob(std::string_view repository, const Digest& digest,
                                    const RegistryScopes& scopes);

    HttpClient& http;
    RegistryClientSettings settings;
    RegistryAuth auth;
};

Status check_repository(std::string_view repository);
Status check_reference(std::string_view reference);  // a tag or a digest

}  // namespace aiops::common
