#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model_manifest.h"

// The ModelPack config blob of build_model_artifact (shared/reference/modelspec-hf-scanning.md
// §1.4): descriptor, config and modelfs, in that key order, without whitespace.
namespace aiops::proxy {

// An RFC 3339 date-time ("2024-02-19T11:06:12.000Z", "2024-02-19T12:06:12+01:00") converted to
// UTC with whole seconds ("2024-02-19T11:06:12Z"); nullopt when not a valid RFC 3339 date-time.
std::optional<std::string> normalize_rfc3339(std::string_view text);

// The config JSON for `input`, whose layers (manifest order) are already chosen.
std::string model_config_json(const ManifestInput& input, const std::vector<ArtifactLayer>& layers);

}  // namespace aiops::proxy
