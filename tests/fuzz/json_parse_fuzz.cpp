// Fuzz target: bounded JSON parsing of request bodies (aiops::common::parse_json).
#include <cstdint>
#include <string_view>

#include "aiops/common/json.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    (void)aiops::common::parse_json(bytes, {.max_bytes = 1 << 16, .max_depth = 16});
    (void)aiops::common::json_nesting_depth(bytes, 64);
    return 0;
}
