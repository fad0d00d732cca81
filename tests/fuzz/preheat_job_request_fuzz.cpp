// Fuzz target: the preheat-provider's parsers of Harbor's job requests (Dragonfly open API body,
// Harbor ≤ 2.11 PreheatImage, manifest URLs), and the plan built from whatever they accept.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "job_request.h"
#include "plan.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    (void)aiops::preheat::parse_manifest_url(text);
    const auto body = nlohmann::json::parse(text, nullptr, false);
    if (body.is_discarded()) {
        return 0;
    }
    for (const bool legacy : {false, true}) {
        auto request = legacy ? aiops::preheat::parse_legacy_preheat(body)
                              : aiops::preheat::parse_job_request(body);
        if (!request) {
            continue;
        }
        const std::vector<std::string> nodes{"gpu-0", "gpu-1", "gpu-2", "gpu-3", "gpu-4"};
        const auto tree =
            aiops::preheat::plan_blob(request->manifest.reference, nodes, request->scope, 2);
        std::vector<bool> has(tree.order.size(), true);
        std::vector<bool> failed(tree.order.size(), false);
        if (!tree.order.empty()) {
            failed[0] = true;
            (void)aiops::preheat::fallback_source(tree, static_cast<int>(tree.order.size()) - 1,
                                                  has, failed);
        }
    }
    return 0;
}
