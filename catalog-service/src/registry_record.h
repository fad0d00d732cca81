#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "aiops/common/result.h"

// The container-registry record (contract: seeds/003 and issue 3). Field names are a contract with
// existing clients and never change:
//   container_registry_id, _name, _metadata, _tags, _public_url, _image_prefix, _config,
//   _storage_info
// plus the read-only created_at, updated_at, health maintained by the service.
namespace aiops::catalog {

inline constexpr const char* kIdField = "container_registry_id";
inline constexpr const char* kNameField = "container_registry_name";
inline constexpr const char* kTagsField = "container_registry_tags";
inline constexpr const char* kUrlField = "container_registry_public_url";

// Checks every field's type and range; unknown top-level fields are rejected. The message names
// the field (e.g. "container_registry_storage_info.storage_size: must be an integer >= -1").
common::Status validate_registry(const nlohmann::json& record);

// A new record from a POST body: validates the client fields, generates a UUIDv4 id when absent,
// fills absent optional fields with their empty defaults and stamps created_at/updated_at = now.
// Read-only fields (created_at, updated_at, health) in the body are rejected.
common::Result<nlohmann::json> new_registry(const nlohmann::json& body, const std::string& now);

// The record after a PUT body: either a plain object of top-level fields to replace, or update
// operators $set/$unset (dotted paths), $addToSet/$pull (arrays, with $each / $in). The id and the
// read-only fields cannot change. The result is validated and updated_at = now.
common::Result<nlohmann::json> update_registry(const nlohmann::json& current,
                                               const nlohmann::json& update,
                                               const std::string& now);

// Random (version 4) UUID in canonical lowercase form.
std::string generate_uuid_v4();
bool is_uuid(const std::string& text);

}  // namespace aiops::catalog
