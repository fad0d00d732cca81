#include "model_resolver.h"

#include <fnmatch.h>

#include <algorithm>

#include "aiops/common/json.h"
#include "aiops/common/log.h"

namespace aiops::proxy {

using common::Digest;
using common::Error;
using common::ErrorCode;
using common::Result;
using common::Status;
using nlohmann::json;

namespace {

constexpr std::string_view kRefs = "hf_refs";
constexpr std::string_view kArtifacts = "hf_artifacts";
constexpr std::string_view kManifestDigests = "hf_manifest_digests";
constexpr std::string_view kBlobs = "hf_blobs";
constexpr std::size_t kFingerprintHexChars = 24;

std::string key_of(const UpstreamAuth& auth, const std::string& repo, std::string_view rest) {
    return auth.fingerprint + "|" + repo + "|" + std::string(rest);
}

// Errors meaning "the Hub could not be asked", as opposed to an answer (404, 401…).
bool hub_unreachable(const Error& error) {
    return error.code == ErrorCode::kUpstream || error.code == ErrorCode::kTimeout ||
           error.code == ErrorCode::kUnavailable || error.code == ErrorCode::kRateLimited;
}

std::int64_t epoch_seconds(std::chrono::system_clock::time_point at) {
    return std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
}

bool is_readme(std::string_view path) { return path == "README.md" || path == "readme.md"; }

}  // namespace

UpstreamAuth UpstreamAuth::service(std::string configured_token) {
    return UpstreamAuth{std::move(configured_token), "service"};
}

UpstreamAuth UpstreamAuth::per_request(std::string token) {
    auto digest = common::compute_digest(token);
    std::string fingerprint = "t:";
    if (digest) {
        fingerprint += std::string(digest->hex().substr(0, kFingerprintHexChars));
    }
    return UpstreamAuth{std::move(token), std::move(fingerprint)};
}

bool RepositoryPolicy::permits(std::string_view repo) const {
    const std::string name(repo);
    const auto matches = [&](const std::string& glob) {
        return fnmatch(glob.c_str(), name.c_str(), FNM_PATHNAME) == 0;
    };
    if (std::any_of(deny.begin(), deny.end(), matches)) {
        return false;
    }
    return allow.empty() || std::any_of(allow.begin(), allow.end(), matches);
}

ModelResolver::ModelResolver(HfClient& hf, common::Store& store, common::BlobCache& cache,
                             const common::Clock& clock, ResolverSettings settings)
    : hf_(hf), store_(store), cache_(cache), clock_(clock), settings_(std::move(settings)) {}

Status ModelResolver::check_repo(const std::string& repo) const {
    if (!is_valid_repo_id(repo)) {
        return Error{ErrorCode::kNotFound, "'" + repo + "' is not a Hugging Face model id"};
    }
    if (!settings_.policy.permits(repo)) {
        return Error{ErrorCode::kForbidden, repo + " is not allowed by this proxy's policy"};
    }
    return {};
}

Result<ServedManifest> ModelResolver::manifest(const std::string& repo,
                                               const std::string& reference,
                                               const UpstreamAuth& auth) {
    if (auto ok = check_repo(repo); !ok) {
        return ok.error();
    }
    if (reference.find(':') != std::string::npos) {
        auto digest = Digest::parse(reference);
        if (!digest) {
            return Error{ErrorCode::kInvalidInput, "invalid manifest digest " + reference};
        }
        auto known = store_.get(kManifestDigests, key_of(auth, repo, digest->str()));
        if (!known) {
            return Error{ErrorCode::kNotFound, "manifest " + reference + " of " + repo +
                                                   " is unknown (pull it by tag or commit first)"};
        }
        return artifact_for(repo, known->body.value("commit", ""), auth);
    }
    if (is_commit_sha(reference)) {
        return artifact_for(repo, reference, auth);
    }
    auto commit = commit_for(repo, reference, auth);
    if (!commit) {
        return commit.error();
    }
    return artifact_for(repo, *commit, auth);
}

Result<std::string> ModelResolver::commit_for(const std::string& repo, const std::string& ref,
                                              const UpstreamAuth& auth) {
    const auto key = key_of(auth, repo, ref);
    auto cached = store_.get(kRefs, key);
    const auto now = epoch_seconds(clock_.now());
    if (cached &&
        now - cached->body.value("fetched_at", std::int64_t{0}) < settings_.ref_ttl.count()) {
        return cached->body.value("commit", "");
    }
    auto info = hf_.model_info(repo, ref, auth.token);
    if (!info) {
        if (cached && hub_unreachable(info.error())) {
            common::log::warn(
                "Hugging Face unreachable: serving the last known commit",
                {{"repository", repo}, {"reference", ref}, {"error", info.error().message}});
            return cached->body.value("commit", "");
        }
        return info.error();
    }
    if (auto stored = store_.put(kRefs, key, {{"commit", info->sha}, {"fetched_at", now}});
        !stored) {
        common::log::warn("cannot cache a resolved reference", {{"error", stored.error().message}});
    }
    return info->sha;
}

Result<ServedManifest> ModelResolver::artifact_for(const std::string& repo,
                                                   const std::string& commit,
                                                   const UpstreamAuth& auth) {
    const auto key = key_of(auth, repo, commit);
    {
        std::unique_lock lock(building_mutex_);
        building_done_.wait(lock, [&] { return building_.count(key) == 0; });
        auto loaded = load_artifact(key);
        if (loaded || loaded.error().code != ErrorCode::kNotFound) {
            return loaded;
        }
        building_[key] = 1;
    }
    auto built = build_artifact(repo, commit, auth);
    {
        const std::lock_guard lock(building_mutex_);
        building_.erase(key);
    }
    building_done_.notify_all();
    return built;
}

Result<ServedManifest> ModelResolver::load_artifact(const std::string& key) {
    auto document = store_.get(kArtifacts, key);
    if (!document) {
        return document.error();
    }
    const auto& body = document->body;
    auto digest = Digest::parse(body.value("manifest_digest", ""));
    if (!digest) {
        return Error{ErrorCode::kInternal, "stored artifact " + key + " has no valid digest"};
    }
    return ServedManifest{body.value("manifest", ""), *digest, body.value("commit", "")};
}

Result<ServedManifest> ModelResolver::build_artifact(const std::string& repo,
                                                     const std::string& commit,
                                                     const UpstreamAuth& auth) {
    auto info = hf_.model_info(repo, commit, auth.token);
    if (!info) {
        return info.error();
    }
    auto files = hf_.list_files(repo, info->sha, auth.token);
    if (!files) {
        return files.error();
    }
    ManifestInput input;
    input.repo_id = repo;
    input.naming = settings_.naming;
    input.source_url = hf_.endpoint() + "/" + repo;
    for (const auto& file : *files) {
        if (!classify_file(file.path, file.content_size())) {
            continue;  // hidden and build files are not part of the artifact: never fetched
        }
        auto model_file = file_digest(repo, info->sha, file, auth, input);
        if (!model_file) {
            return model_file.error();
        }
        input.files.push_back(std::move(*model_file));
    }
    input.info = std::move(*info);
    auto artifact = build_model_artifact(input);
    if (!artifact) {
        return artifact.error();
    }
    if (artifact->manifest.size() > settings_.max_manifest_bytes) {
        return Error{ErrorCode::kTooLarge, repo + " at " + commit + " makes a manifest of " +
                                               std::to_string(artifact->manifest.size()) +
                                               " bytes (limit " +
                                               std::to_string(settings_.max_manifest_bytes) + ")"};
    }
    const auto key = key_of(auth, repo, commit);
    if (auto saved = save_artifact(key, repo, *artifact, input.info.sha, auth); !saved) {
        return saved.error();
    }
    common::log::info("built model artifact", {{"repository", repo},
                                               {"commit", input.info.sha},
                                               {"layers", artifact->layers.size()},
                                               {"digest", artifact->manifest_digest.str()}});
    return ServedManifest{artifact->manifest, artifact->manifest_digest, input.info.sha};
}

Result<ModelFile> ModelResolver::file_digest(const std::string& repo, const std::string& commit,
                                             const HfFile& file, const UpstreamAuth& auth,
                                             ManifestInput& input) {
    const bool wanted = file.path == "config.json" || is_readme(file.path);
    if (file.lfs_sha256 && !wanted) {
        auto digest = Digest::parse("sha256:" + *file.lfs_sha256);
        if (!digest) {
            return digest.error();
        }
        return ModelFile{file.path, *digest, file.content_size()};
    }
    // Small git files carry only a SHA-1: fetch once, hash, keep the bytes in the blob cache.
    auto content =
        hf_.fetch_file(repo, commit, file.path, auth.token, settings_.max_small_file_bytes);
    if (!content) {
        return content.error();
    }
    auto digest = common::compute_digest(*content);
    if (!digest) {
        return digest.error();
    }
    if (file.lfs_sha256 && digest->hex() != *file.lfs_sha256) {
        return Error{ErrorCode::kDigestMismatch, file.path + " does not match its LFS sha256"};
    }
    if (auto kept = cache_.put(*digest, *content); !kept) {
        common::log::warn("cannot cache a small file",
                          {{"path", file.path}, {"error", kept.error().message}});
    }
    if (file.path == "config.json") {
        if (auto parsed = common::parse_json(*content); parsed && parsed->is_object()) {
            input.config_json = std::move(*parsed);
        }
    } else if (is_readme(file.path)) {
        input.readme = *content;
    }
    return ModelFile{file.path, *digest, content->size()};
}

Status ModelResolver::save_artifact(const std::string& key, const std::string& repo,
                                    const ModelArtifact& artifact, const std::string& commit,
                                    const UpstreamAuth& auth) {
    // Blob locations first, the artifact last: a crash in between leaves no artifact that points
    // at missing locations (a rebuild rewrites them identically).
    for (const auto& layer : artifact.layers) {
        if (auto ok = store_.put(kBlobs, key_of(auth, repo, layer.digest.str()),
                                 {{"commit", commit}, {"path", layer.path}, {"size", layer.size}});
            !ok) {
            return ok.error();
        }
    }
    if (auto ok = store_.put(kBlobs, key_of(auth, repo, artifact.config_digest.str()),
                             {{"commit", commit}, {"config", true}});
        !ok) {
        return ok.error();
    }
    if (auto ok = cache_.put(artifact.config_digest, artifact.config); !ok) {
        common::log::warn("cannot cache a config blob", {{"error", ok.error().message}});
    }
    if (auto ok = store_.put(kManifestDigests, key_of(auth, repo, artifact.manifest_digest.str()),
                             {{"commit", commit}});
        !ok) {
        return ok.error();
    }
    json body{{"commit", commit},
              {"manifest", artifact.manifest},
              {"manifest_digest", artifact.manifest_digest.str()},
              {"config", artifact.config},
              {"config_digest", artifact.config_digest.str()}};
    if (auto ok = store_.put(kArtifacts, key, body); !ok) {
        return ok.error();
    }
    return {};
}

Result<BlobLocation> ModelResolver::blob(const std::string& repo, const Digest& digest,
                                         const UpstreamAuth& auth) {
    if (auto ok = check_repo(repo); !ok) {
        return ok.error();
    }
    auto document = store_.get(kBlobs, key_of(auth, repo, digest.str()));
    if (!document) {
        if (document.error().code == ErrorCode::kNotFound) {
            return Error{ErrorCode::kNotFound, "blob " + digest.str() + " is not part of any " +
                                                   "manifest of " + repo + " pulled so far"};
        }
        return document.error();
    }
    const auto& body = document->body;
    BlobLocation location{body.value("commit", ""), body.value("path", ""),
                          body.value("size", std::uint64_t{0}), std::nullopt};
    if (body.value("config", false)) {
        auto artifact = store_.get(kArtifacts, key_of(auth, repo, location.commit));
        if (!artifact) {
            return artifact.error();
        }
        location.bytes = artifact->body.value("config", "");
        location.size = location.bytes->size();
    }
    return location;
}

Result<std::vector<std::string>> ModelResolver::tags(const std::string& repo,
                                                     const UpstreamAuth& auth) {
    if (auto ok = check_repo(repo); !ok) {
        return ok.error();
    }
    auto refs = hf_.list_refs(repo, auth.token);
    if (!refs) {
        return refs.error();
    }
    std::vector<std::string> names;
    for (const auto& ref : *refs) {
        // OCI tags are [A-Za-z0-9_][A-Za-z0-9._-]{0,127}: refs that do not fit cannot be pulled
        // by tag (they still can by commit).
        const bool valid = !ref.name.empty() && ref.name.size() <= 128 && ref.name.front() != '.' &&
                           ref.name.front() != '-' &&
                           std::all_of(ref.name.begin(), ref.name.end(), [](char c) {
                               return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
                                      c == '_' || c == '.' || c == '-';
                           });
        if (valid) {
            names.push_back(ref.name);
        }
    }
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    return names;
}

}  // namespace aiops::proxy
