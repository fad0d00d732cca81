#include "model_manifest.h"

#include <algorithm>
#include <set>
#include <utility>

#include "aiops/common/oci.h"
#include "model_config.h"

namespace aiops::proxy {
namespace {

using common::Error;
using common::ErrorCode;
using common::Result;
using common::modelpack::LayerKind;
using nlohmann::ordered_json;

constexpr std::string_view kUnknownMtime = "1970-01-01T00:00:00Z";  // no lastModified

// Manifest order of the kinds modctl produces: config → weights → code → docs.
int kind_rank(LayerKind kind) {
    switch (kind) {
        case LayerKind::kWeightConfig: return 0;
        case LayerKind::kWeight: return 1;
        case LayerKind::kCode: return 2;
        case LayerKind::kDoc: return 3;
        case LayerKind::kDataset: return 4;
    }
    return 5;
}

struct Classified {
    const ModelFile* file;
    LayerKind kind;
};

common::Status check_identity(const ManifestInput& input) {
    if (!is_valid_repo_id(input.repo_id)) {
        return Error{ErrorCode::kInvalidInput, "repo id must be org/name"};
    }
    if (!is_commit_sha(input.info.sha)) {
        return Error{ErrorCode::kInvalidInput, "model info sha is not a 40-hex commit id"};
    }
    if (input.files.size() > kMaxRepoFiles) {
        return Error{ErrorCode::kTooLarge,
                     "repo lists more than " + std::to_string(kMaxRepoFiles) + " files"};
    }
    return {};
}

// The files to serve, in manifest order; errors for unsafe or repeated paths and empty results.
Result<std::vector<Classified>> classify_files(const std::vector<ModelFile>& files) {
    std::set<std::string_view> seen;
    std::vector<Classified> kept;
    for (const ModelFile& file : files) {
        if (!is_safe_repo_path(file.path)) {
            return Error{ErrorCode::kInvalidInput, "unsafe file path in repo"};
        }
        if (!seen.insert(file.path).second) {
            return Error{ErrorCode::kInvalidInput, "file listed twice: " + file.path};
        }
        if (auto kind = classify_file(file.path, file.size)) {
            kept.push_back(Classified{&file, *kind});
        }
    }
    if (kept.empty()) {
        return Error{ErrorCode::kInvalidInput, "repo has no file to serve"};
    }
    std::sort(kept.begin(), kept.end(), [](const Classified& lhs, const Classified& rhs) {
        const int lhs_rank = kind_rank(lhs.kind);
        const int rhs_rank = kind_rank(rhs.kind);
        return lhs_rank != rhs_rank ? lhs_rank < rhs_rank : lhs.file->path < rhs.file->path;
    });
    return kept;
}

std::string file_metadata_json(const ModelFile& file, std::string_view mtime) {
    const std::size_t slash = file.path.rfind('/');
    ordered_json metadata = ordered_json::object();
    metadata["name"] = slash == std::string::npos ? file.path : file.path.substr(slash + 1);
    metadata["mode"] = 420;  // 0644
    metadata["uid"] = 0;
    metadata["gid"] = 0;
    metadata["size"] = file.size;
    metadata["mtime"] = mtime;
    metadata["typeflag"] = 0;  // regular file
    return metadata.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

common::Descriptor layer_descriptor(const Classified& entry, const ManifestInput& input,
                                    std::string_view mtime) {
    const common::modelpack::Names& names = common::modelpack::names(input.naming);
    return common::Descriptor{
        .media_type = common::modelpack::layer_media_type(input.naming, entry.kind,
                                                          common::modelpack::LayerEncoding::kRaw),
        .digest = entry.file->digest,
        .size = entry.file->size,
        .annotations = {{std::string(names.filepath_annotation), entry.file->path},
                        {std::string(names.file_metadata_annotation),
                         file_metadata_json(*entry.file, mtime)}},
    };
}

common::Annotations manifest_annotations(const ManifestInput& input) {
    common::Annotations annotations{{"org.opencontainers.image.revision", input.info.sha}};
    if (!input.source_url.empty()) {
        annotations.emplace("org.opencontainers.image.source", input.source_url);
    }
    return annotations;
}

}  // namespace

common::Result<ModelArtifact> build_model_artifact(const ManifestInput& input) {
    if (auto identity = check_identity(input); !identity) {
        return identity.error();
    }
    auto classified = classify_files(input.files);
    if (!classified) {
        return classified.error();
    }
    const std::string mtime =
        normalize_rfc3339(input.info.last_modified).value_or(std::string(kUnknownMtime));
    std::vector<common::Descriptor> descriptors;
    std::vector<ArtifactLayer> layers;
    for (const Classified& entry : *classified) {
        descriptors.push_back(layer_descriptor(entry, input, mtime));
        layers.push_back(ArtifactLayer{entry.file->path, entry.file->digest, entry.file->size,
                                       descriptors.back().media_type});
    }
    std::string config = model_config_json(input, layers);
    auto config_digest = common::compute_digest(config);
    if (!config_digest) {
        return config_digest.error();
    }
    const common::modelpack::Names& names = common::modelpack::names(input.naming);
    const common::ImageManifest manifest{
        .media_type = std::string(common::media_type::kOciManifest),
        .artifact_type = std::string(names.manifest_artifact_type),
        .config = common::Descriptor{.media_type = std::string(names.config),
                                     .digest = *config_digest,
                                     .size = config.size()},
        .layers = std::move(descriptors),
        .subject = std::nullopt,
        .annotations = manifest_annotations(input),
    };
    std::string manifest_bytes = common::serialize(manifest);
    auto manifest_digest = common::compute_digest(manifest_bytes);
    if (!manifest_digest) {
        return manifest_digest.error();
    }
    return ModelArtifact{std::move(manifest_bytes), std::move(manifest_digest).value(),
                         std::move(config), std::move(config_digest).value(), std::move(layers)};
}

}  // namespace aiops::proxy
