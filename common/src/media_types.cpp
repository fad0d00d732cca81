#include "aiops/common/media_types.h"

#include <array>
#include <utility>

namespace aiops::common::media_type {

bool is_image_manifest(std::string_view media_type) {
    return media_type == kOciManifest || media_type == kDockerManifest;
}

bool is_index(std::string_view media_type) {
    return media_type == kOciIndex || media_type == kDockerManifestList;
}

}  // namespace aiops::common::media_type

namespace aiops::common::modelpack {
namespace {

constexpr std::array<std::pair<LayerKind, std::string_view>, 5> kKinds{{
    {LayerKind::kWeightConfig, "weight.config"},  // before "weight": longest match first
    {LayerKind::kWeight, "weight"},
    {LayerKind::kDoc, "doc"},
    {LayerKind::kCode, "code"},
    {LayerKind::kDataset, "dataset"},
}};

constexpr std::array<std::pair<LayerEncoding, std::string_view>, 4> kEncodings{{
    {LayerEncoding::kRaw, "raw"},
    {LayerEncoding::kTar, "tar"},
    {LayerEncoding::kTarGzip, "tar+gzip"},
    {LayerEncoding::kTarZstd, "tar+zstd"},
}};

std::string_view prefix_of(Naming naming) {
    return naming == Naming::kCncf ? "application/vnd.cncf.model." : "application/vnd.cnai.model.";
}

}  // namespace

const Names& names(Naming naming) {
    return naming == Naming::kCncf ? kCncfNames : kCnaiLegacyNames;
}

std::string layer_media_type(Naming naming, LayerKind kind, LayerEncoding encoding) {
    std::string result(prefix_of(naming));
    for (const auto& [candidate, text] : kKinds) {
        if (candidate == kind) {
            result += text;
        }
    }
    result += ".v1.";
    for (const auto& [candidate, text] : kEncodings) {
        if (candidate == encoding) {
            result += text;
        }
    }
    return result;
}

std::optional<LayerType> parse_layer_media_type(std::string_view media_type) {
    for (const Naming naming : {Naming::kCncf, Naming::kCnaiLegacy}) {
        for (const auto& [kind, kind_text] : kKinds) {
            for (const auto& [encoding, encoding_text] : kEncodings) {
                if (media_type == layer_media_type(naming, kind, encoding)) {
                    return LayerType{naming, kind, encoding};
                }
            }
        }
    }
    return std::nullopt;
}

std::optional<Naming> naming_of(std::string_view artifact_or_config_type) {
    for (const Naming naming : {Naming::kCncf, Naming::kCnaiLegacy}) {
        const Names& candidate = names(naming);
        if (artifact_or_config_type == candidate.manifest_artifact_type ||
            artifact_or_config_type == candidate.config) {
            return naming;
        }
    }
    return std::nullopt;
}

}  // namespace aiops::common::modelpack
