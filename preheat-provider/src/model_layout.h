#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aiops/common/digest.h"
#include "aiops/common/media_types.h"
#include "aiops/common/oci.h"
#include "aiops/common/result.h"

// Lays a preheated ModelPack model out as plain files, so an inference server starts from local
// disk (`vllm serve <models-dir>/<repository>/<tag>`):
//   <models-dir>/<repository>/<tag-or-digest>/<org.cncf.model.filepath of each layer>
//   <models-dir>/<repository>/<tag-or-digest>/.ready   (the manifest digest, written last)
// Raw layers become hard links to the verified cache file (a copy across filesystems); tar layers
// (tar, tar+gzip, tar+zstd) are extracted, regular files and directories only. Both current
// (`org.cncf.model.*`) and older (`org.cnai.model.*`) names are understood.
// Annotation paths and tar entry names are untrusted: absolute paths, `..`, empty or `.`
// components, backslashes and control characters are rejected, and nothing is written through a
// symlink (none is ever created; an existing non-directory on the way is an error). The model is
// assembled in a temporary sibling directory and renamed into place, so a reader never sees a
// half-written model under its final name.
namespace aiops::preheat {

struct ModelFile {
    common::Digest digest;
    std::uint64_t size = 0;
    std::string path;  // validated relative path ("" for a tar layer without a filepath)
    common::modelpack::LayerEncoding encoding = common::modelpack::LayerEncoding::kRaw;
};

// The files of a ModelPack image manifest; nullopt when the manifest is not a ModelPack model.
// kInvalidInput naming the layer when a filepath annotation is unsafe or a raw layer has none.
common::Result<std::optional<std::vector<ModelFile>>> model_files(
    const common::ImageManifest& manifest);

// A relative path of 1..4096 bytes whose components are all ordinary names.
common::Status check_relative_path(std::string_view path);

// "<tag>" or the digest with ':' replaced by '-' ("sha256-…"), validated as one path component.
std::string reference_dir_name(std::string_view reference);

// Where a cached blob's verified file is; nullopt when it is not cached.
using CachedFile = std::function<std::optional<std::filesystem::path>(const common::Digest&)>;

struct LayoutLimits {
    std::uint64_t max_extracted_bytes = std::uint64_t{1} << 40;  // per tar layer
    std::size_t max_entries = 1'000'000;                         // per tar layer
};

// Builds <models_dir>/<repository>/<dir_name>/ from `files`. A directory whose .ready already
// holds `manifest_digest` is left as is.
common::Status lay_out_model(const std::filesystem::path& models_dir, std::string_view repository,
                             std::string_view dir_name, std::string_view manifest_digest,
                             const std::vector<ModelFile>& files, const CachedFile& cached,
                             const LayoutLimits& limits = {});

}  // namespace aiops::preheat
