#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "aiops/common/oci.h"
#include "aiops/common/registry_client.h"
#include "aiops/common/result.h"
#include "job_request.h"
#include "preheat_job.h"

// What a preheat job must warm, resolved inside POST /oapi/v1/jobs (Harbor's token is only good
// for ~30 min, and Dragonfly resolves in the request too: shared/reference/harbor-preheat-
// webhook-replication.md §2.2): the manifest at the job's URL (tag or digest), an index
// narrowed to the wanted platforms and each match resolved by digest, then every config and
// layer blob, once each.
namespace aiops::preheat {

struct BlobRef {
    common::Digest digest;
    std::uint64_t size = 0;
    std::string url;  // <registry>/v2/<repository>/blobs/<digest>
};

struct ResolvedArtifact {
    std::string manifest_digest;  // of what the URL's reference names (the index for an index)
    std::vector<BlobRef> blobs;   // config and layers, unique by digest, in manifest order
    std::vector<JobManifest> manifests;  // the one the URL names first, then an index's children
};

// "linux/amd64", "linux/arm64/v8": true when `platform` is that os/architecture[/variant].
bool platform_matches(const common::Platform& platform, std::string_view wanted);

// `platforms` empty: every entry of an index. kNotFound when an index has no matching entry.
common::Result<ResolvedArtifact> resolve_blobs(common::RegistryClient& client,
                                               const ManifestUrl& manifest,
                                               const std::vector<std::string>& platforms,
                                               std::size_t max_blobs = 10'000);

}  // namespace aiops::preheat
