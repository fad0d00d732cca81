#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aiops/common/blob_cache.h"
#include "aiops/common/clock.h"
#include "aiops/common/digest.h"
#include "aiops/common/media_types.h"
#include "aiops/common/result.h"
#include "aiops/common/storage.h"
#include "hf_client.h"
#include "model_manifest.h"

// Hugging Face repo + reference → the ModelPack artifact served for it, with every piece of
// metadata kept in the Store so that restarts, replicas and an unreachable Hub still serve what was
// resolved before:
//   ref → commit        (TTL; a stale entry is used when the Hub is unreachable)
//   commit → artifact   (pinned: a commit never changes, so neither does its manifest)
//   manifest digest → commit, blob digest → (commit, path, size)
// Entries are keyed by a credential fingerprint: what a per-request HF token resolved is only
// visible to requests carrying the same token.
namespace aiops::proxy {

// Which HF token a request uses upstream, and the cache partition it may see.
struct UpstreamAuth {
    std::string token;        // "" = anonymous
    std::string fingerprint;  // "service" (configured token or none) or "t:<sha256 prefix>"
    static UpstreamAuth service(std::string configured_token);
    static UpstreamAuth per_request(std::string token);
};

struct RepositoryPolicy {
    std::vector<std::string>
        allow;                      // globs on "org/name" ('*' stays within a segment); empty = all
    std::vector<std::string> deny;  // wins over allow
    bool permits(std::string_view repo) const;
};

struct ResolverSettings {
    common::modelpack::Naming naming = common::modelpack::Naming::kCncf;
    std::chrono::seconds ref_ttl{300};
    std::size_t max_small_file_bytes = 64U << 20;  // non-LFS files are fetched to hash them
    std::size_t max_manifest_bytes = 4U << 20;
    RepositoryPolicy policy;
};

struct ServedManifest {
    std::string bytes;
    common::Digest digest;
    std::string commit;
};

// Where a blob's bytes come from: an HF file at a commit, or bytes we made (the config).
struct BlobLocation {
    std::string commit;
    std::string path;  // empty for the config blob
    std::uint64_t size = 0;
    std::optional<std::string> bytes;  // the config blob itself
};

class ModelResolver {
public:
    ModelResolver(HfClient& hf, common::Store& store, common::BlobCache& cache,
                  const common::Clock& clock, ResolverSettings settings);

    const ResolverSettings& settings() const { return settings_; }

    // `reference`: a branch, a tag, a 40-hex commit, or a manifest digest.
    common::Result<ServedManifest> manifest(const std::string& repo, const std::string& reference,
                                            const UpstreamAuth& auth);
    // kNotFound unless a manifest of `repo` resolved under the same fingerprint lists `digest`.
    common::Result<BlobLocation> blob(const std::string& repo, const common::Digest& digest,
                                      const UpstreamAuth& auth);
    // Branches and tags, sorted.
    common::Result<std::vector<std::string>> tags(const std::string& repo,
                                                  const UpstreamAuth& auth);

private:
    common::Result<std::string> commit_for(const std::string& repo, const std::string& ref,
                                           const UpstreamAuth& auth);
    common::Result<ServedManifest> artifact_for(const std::string& repo, const std::string& commit,
                                                const UpstreamAuth& auth);
    common::Result<ServedManifest> load_artifact(const std::string& key);
    common::Result<ServedManifest> build_artifact(const std::string& repo,
                                                  const std::string& commit,
                                                  const UpstreamAuth& auth);
    common::Result<ModelFile> file_digest(const std::string& repo, const std::string& commit,
                                          const HfFile& file, const UpstreamAuth& auth,
                                          ManifestInput& input);
    common::Status save_artifact(const std::string& key, const std::string& repo,
                                 const ModelArtifact& artifact, const std::string& commit,
                                 const UpstreamAuth& auth);
    common::Status check_repo(const std::string& repo) const;

    HfClient& hf_;
    common::Store& store_;
    common::BlobCache& cache_;
    const common::Clock& clock_;
    ResolverSettings settings_;

    // One build per artifact key at a time: concurrent pulls of a new commit wait for the first.
    std::mutex building_mutex_;
    std::condition_variable building_done_;
    std::map<std::string, int> building_;
};

}  // namespace aiops::proxy
