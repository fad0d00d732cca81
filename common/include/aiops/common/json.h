#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "aiops/common/result.h"

// Parsing JSON from the network: bounded size and nesting depth, never throws.
namespace aiops::common {

struct JsonLimits {
    std::size_t max_bytes = 1 << 20;
    int max_depth = 32;
};

// Largest nesting depth of arrays/objects in `text`, ignoring brackets inside strings.
// Stops counting once `limit` is exceeded and returns limit + 1.
int json_nesting_depth(std::string_view text, int limit);

Result<nlohmann::json> parse_json(std::string_view text, const JsonLimits& limits = {});

}  // namespace aiops::common
