#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "aiops/common/result.h"

// The model index record: one OCI model artifact (ModelPack or image) in one registry.
//   model_id          read-only, derived from (registry_id, repository, digest): upsert key
//   registry_id       string, required — the catalog registry (or Harbor instance) it lives in
//   repository        string, required — OCI repository name, e.g. "hf/meta-llama/llama-3-8b"
//   digest            string, required — "sha256:<64 hex>" of the manifest
//   tags              array of strings
//   artifact_type     string — manifest artifactType / config media type
//   name family version format architecture param_size precision quantization: strings
//                     (the ModelPack config's descriptor.* and config.* fields)
//   licenses          array of strings (SPDX expressions)
//   size_bytes        integer >= 0 (sum of layer sizes)
//   scan_status       "not_scanned" | "pending" | "clean" | "vulnerable" | "error"
//   severity_summary  object of counts {critical, high, medium, low, negligible, unknown}
//   pushed_at         string (RFC 3339)
//   created_at, updated_at  read-only, set by the service
namespace aiops::catalog {

// Deterministic id for the upsert key: hex of sha256(registry_id \n repository \n digest), 32
// chars.
std::string model_id_for(const std::string& registry_id, const std::string& repository,
                         const std::string& digest);

common::Status validate_model(const nlohmann::json& record);

// The stored record after an upsert of `body` onto `existing` (null when new): validates, derives
// model_id, keeps created_at of an existing record, stamps updated_at = now.
common::Result<nlohmann::json> upsert_model(const nlohmann::json* existing,
                                            const nlohmann::json& body, const std::string& now);

}  // namespace aiops::catalog
