#include "blob_list.h"

#include <set>
#include <variant>

namespace aiops::preheat {

using common::Error;
using common::ErrorCode;
using common::Result;
using common::Status;

namespace {

// Appends the manifest's config and layers not seen yet.
Status add_blobs(const common::ImageManifest& manifest, const ManifestUrl& url,
                 std::set<std::string>& seen, std::size_t max_blobs, ResolvedArtifact& out) {
    std::vector<const common::Descriptor*> descriptors{&manifest.config};
    for (const auto& layer : manifest.layers) {
        descriptors.push_back(&layer);
    }
    for (const auto* descriptor : descriptors) {
        const auto key = descriptor->digest.str();
        if (!seen.insert(key).second) {
            continue;
        }
        if (out.blobs.size() >= max_blobs) {
            return Error{ErrorCode::kTooLarge,
                         "the artifact has more than " + std::to_string(max_blobs) + " blobs"};
        }
        out.blobs.push_back({descriptor->digest, descriptor->size,
                             url.registry + "/v2/" + url.repository + "/blobs/" + key});
    }
    return {};
}

Result<common::Manifest> fetch(common::RegistryClient& client, const ManifestUrl& url,
                               std::string_view reference, ResolvedArtifact& out) {
    auto response = client.get_manifest(url.repository, reference);
    if (!response) {
        return Error{response.error().code, "manifest " + url.repository + ":" +
                                                std::string(reference) + ": " +
                                                response.error().message};
    }
    auto parsed = common::parse_manifest(response->bytes, response->media_type);
    out.manifests.push_back(
        {response->digest.str(), response->media_type, std::move(response->bytes)});
    return parsed;
}

}  // namespace

bool platform_matches(const common::Platform& platform, std::string_view wanted) {
    std::string expected = platform.os + "/" + platform.architecture;
    if (wanted.size() > expected.size() && !platform.variant.empty()) {
        expected += "/" + platform.variant;
    }
    return expected == wanted;
}

Result<ResolvedArtifact> resolve_blobs(common::RegistryClient& client, const ManifestUrl& manifest,
                                       const std::vector<std::string>& platforms,
                                       std::size_t max_blobs) {
    ResolvedArtifact out;
    auto top = fetch(client, manifest, manifest.reference, out);
    if (!top) {
        return top.error();
    }
    out.manifest_digest = out.manifests.front().digest;
    std::set<std::string> seen;
    if (const auto* image = std::get_if<common::ImageManifest>(&*top)) {
        if (auto added = add_blobs(*image, manifest, seen, max_blobs, out); !added) {
            return added.error();
        }
        return out;
    }
    const auto& index = std::get<common::ImageIndex>(*top);
    std::size_t matched = 0;
    for (const auto& entry : index.manifests) {
        const bool wanted =
            platforms.empty() ||
            (entry.platform &&
             std::any_of(platforms.begin(), platforms.end(), [&](const std::string& platform) {
                 return platform_matches(*entry.platform, platform);
             }));
        if (!wanted) {
            continue;
        }
        ++matched;
        auto child = fetch(client, manifest, entry.digest.str(), out);
        if (!child) {
            return child.error();
        }
        const auto* image = std::get_if<common::ImageManifest>(&*child);
        if (image == nullptr) {
            return Error{ErrorCode::kInvalidInput,
                         "index entry " + entry.digest.str() + " is an index itself"};
        }
        if (auto added = add_blobs(*image, manifest, seen, max_blobs, out); !added) {
            return added.error();
        }
    }
    if (matched == 0) {
        std::string wanted;
        for (const auto& platform : platforms) {
            wanted += wanted.empty() ? "" : ", ";
            wanted += platform;
        }
        return Error{ErrorCode::kNotFound, "the index " + manifest.repository + ":" +
                                               manifest.reference + " has no manifest for " +
                                               wanted};
    }
    return out;
}

}  // namespace aiops::preheat
