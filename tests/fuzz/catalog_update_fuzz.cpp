// Fuzz target: the catalog's update operators ($set/$unset/$addToSet/$pull) and record validation.
#include <cstdint>
#include <string_view>

#include "aiops/common/json.h"
#include "registry_record.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    auto update = aiops::common::parse_json(bytes, {.max_bytes = 1 << 16, .max_depth = 16});
    if (!update) {
        return 0;
    }
    static const auto current = nlohmann::json::parse(
        R"({"container_registry_id":"b3c38f52-8f2e-43a3-9aa9-bd9a4c75e509",
            "container_registry_name":"r","container_registry_tags":["ai"],
            "container_registry_metadata":{"owner":"x"},"container_registry_config":{},
            "container_registry_storage_info":{"storage_size":-1},
            "created_at":"t","updated_at":"t","health":null})");
    (void)aiops::catalog::update_registry(current, update.value(), "now");
    (void)aiops::catalog::new_registry(update.value(), "now");
    return 0;
}
