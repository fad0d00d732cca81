// Fuzz target: the catalog's MongoDB-style filter parser and evaluator on arbitrary JSON.
#include <cstdint>
#include <string_view>

#include "aiops/common/json.h"
#include "filter.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    auto parsed = aiops::common::parse_json(bytes, {.max_bytes = 1 << 16, .max_depth = 16});
    if (!parsed) {
        return 0;
    }
    auto filter = aiops::catalog::Filter::parse(parsed.value());
    if (!filter) {
        return 0;
    }
    // Evaluate against the filter itself and a fixed record: exercises every operator path.
    static const auto record = nlohmann::json::parse(
        R"({"container_registry_name":"r","container_registry_tags":["ai","x"],
            "container_registry_storage_info":{"storage_size":-1,"registry_type":"aios"},
            "health":{"status":"up","history":[{"status":"up","latency_ms":3}]}})");
    (void)filter->matches(record);
    (void)filter->matches(parsed.value());
    (void)filter->index_hints();
    return 0;
}
