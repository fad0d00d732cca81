#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "aiops/common/result.h"

// MongoDB-style update operators on a JSON document: $set and $unset with dotted paths,
// $addToSet (value or {"$each": [...]}) and $pull (value or {"$in": [...]}) on arrays.
// Pure: returns the updated copy or an error naming the operator and path.
namespace aiops::catalog {

bool is_operator_update(const nlohmann::json& update);

common::Result<nlohmann::json> apply_update_operators(const nlohmann::json& document,
                                                      const nlohmann::json& update);

// Splits "a.b.c" into a JSON pointer; rejects empty components and '$'-prefixed ones.
common::Result<nlohmann::json::json_pointer> dotted_to_pointer(const std::string& path);

}  // namespace aiops::catalog
