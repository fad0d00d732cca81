// Fuzz target: the preheat provider's and agent's parsers of untrusted input — Harbor's job
// requests (Dragonfly open API body, Harbor ≤ 2.11 PreheatImage, manifest URLs) and the plan built
// from whatever they accept, agents' heartbeats and progress reports, and ModelPack filepath
// annotations of a manifest (model_files).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>

#include "aiops/common/oci.h"
#include "job_request.h"
#include "model_layout.h"
#include "plan.h"
#include "scheduler.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    (void)aiops::preheat::parse_manifest_url(text);
    (void)aiops::preheat::check_relative_path(text);
    if (auto manifest =
            aiops::common::parse_manifest(text, "application/vnd.oci.image.manifest.v1+json")) {
        if (const auto* image = std::get_if<aiops::common::ImageManifest>(&*manifest)) {
            (void)aiops::preheat::model_files(*image);
        }
    }
    const auto body = nlohmann::json::parse(text, nullptr, false);
    if (body.is_discarded()) {
        return 0;
    }
    (void)aiops::preheat::parse_heartbeat(body);
    (void)aiops::preheat::parse_progress(body);
    for (const bool legacy : {false, true}) {
        auto request = legacy ? aiops::preheat::parse_legacy_preheat(body)
                              : aiops::preheat::parse_job_request(body);
        if (!request) {
            continue;
        }
        const std::vector<std::string> nodes{"gpu-0", "gpu-1", "gpu-2", "gpu-3", "gpu-4"};
        const auto tree =
            aiops::preheat::plan_blob(request->manifest.reference, nodes, request->scope, 2);
        std::vector<aiops::preheat::PeerState> peers(tree.order.size(),
                                                     aiops::preheat::PeerState::kNotStarted);
        if (!tree.order.empty()) {
            peers[0] = aiops::preheat::PeerState::kUnusable;
            (void)aiops::preheat::choose_source(tree.parent,
                                                static_cast<int>(tree.order.size()) - 1, peers);
        }
    }
    return 0;
}
