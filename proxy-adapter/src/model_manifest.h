#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aiops/common/digest.h"
#include "aiops/common/media_types.h"
#include "aiops/common/result.h"
#include "hf_api.h"

// Hugging Face repo at a commit → ModelPack artifact (shared/reference/modelspec-hf-scanning.md
// §1): an OCI image manifest with the ModelPack artifactType, a ModelPack config blob and one raw
// layer per file. Pure and deterministic: the same input always yields byte-identical manifest and
// config (so digests are stable across restarts and replicas).
namespace aiops::proxy {

// modctl's classification (§1.5) on the lower-cased base name: config → weights → code → docs;
// unmatched files larger than 128 MB are weights, others code. nullopt = skipped (hidden files and
// directories, `__pycache__`, *.pyc/*.pyo/*.pyd, `modelfile`).
std::optional<common::modelpack::LayerKind> classify_file(std::string_view path,
                                                          std::uint64_t size);
// Go filepath.Match on one path segment: '*' (not across '/'), '?', '[a-z]', '[^...]'/'[!...]'.
// A malformed class (no closing ']') never matches.
bool glob_match(std::string_view pattern, std::string_view name);

struct ModelFile {
    std::string path;  // repo-relative (already validated)
    common::Digest digest;
    std::uint64_t size = 0;
};

struct ManifestInput {
    std::string repo_id;                        // "org/name"
    HfModelInfo info;                           // at the commit (info.sha)
    std::vector<ModelFile> files;               // every file of the tree, any order
    std::optional<nlohmann::json> config_json;  // parsed config.json when the repo has one
    std::string readme;                         // README.md text ("" when none)
    common::modelpack::Naming naming = common::modelpack::Naming::kCncf;
    std::string source_url;  // descriptor.sourceURL, e.g. https://huggingface.co/org/name
};

struct ArtifactLayer {
    std::string path;
    common::Digest digest;
    std::uint64_t size = 0;
    std::string media_type;
};

struct ModelArtifact {
    std::string manifest;  // exact bytes served
    common::Digest manifest_digest;
    std::string config;  // exact bytes of the config blob
    common::Digest config_digest;
    std::vector<ArtifactLayer> layers;  // manifest order
};

// kInvalidInput when no file is left after classification (nothing to serve), when a path is
// unsafe or repeated, or when repo_id / info.sha are malformed; kTooLarge above kMaxRepoFiles
// files. Layers: config → weights → code → docs, each sorted by path (bytewise).
common::Result<ModelArtifact> build_model_artifact(const ManifestInput& input);

// SPDX-ish license ids from the model card: cardData.license (string or list), else the README's
// YAML front matter `license:`; "other" + license_name → license_name. Sorted, unique.
std::vector<std::string> model_licenses(const HfModelInfo& info, std::string_view readme);
// ModelPack paramSize from a parameter count: 6738415616 → "6.7B", 124439808 → "124M",
// 1500 → "1.5K"; one decimal digit only when the leading part is < 10.
std::string param_size_label(std::uint64_t parameters);

}  // namespace aiops::proxy
