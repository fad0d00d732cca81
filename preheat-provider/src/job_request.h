#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aiops/common/result.h"

// Preheat job requests as Harbor sends them to a "Dragonfly" provider
// (shared/reference/harbor-preheat-webhook-replication.md §1.3, §1.4, §2.1):
//  * Harbor ≥ 2.12, POST /oapi/v1/jobs: {"type":"preheat","args":{"type":"image","url":…,
//    "tag":"","filtered_query_params":"","headers":{"Authorization":"Bearer <JWT>"},
//    "scope":""|"single_seed_peer"|"all_seed_peers"|"all_peers","concurrent_count":0,
//    "timeout":0},"scheduler_cluster_ids":[1,2]|null} — every key always present;
//  * Harbor ≤ 2.11, POST /preheats: the raw PreheatImage {"type":"image","url":…,"headers":{…},
//    "image":"proj/repo","tag":"v1","digest":"sha256:…"}.
// Pure functions over untrusted JSON (fuzzed): every error names the field.
namespace aiops::preheat {

enum class Scope { kSingleSeedPeer, kAllSeedPeers, kAllPeers };
std::string_view scope_name(Scope scope);                     // the wire names above
std::optional<Scope> scope_from_name(std::string_view name);  // one of those names exactly

// `<scheme>://<host>/v2/<repository>/manifests/<reference>` (Dragonfly's ParseManifestURL).
struct ManifestUrl {
    std::string registry{};    // "https://harbor.example.com" (scheme and authority)
    std::string repository{};  // "ai/llama3-8b": distribution name grammar
    std::string reference{};   // a tag or a digest
};
common::Result<ManifestUrl> parse_manifest_url(std::string_view url);

struct JobRequest {
    ManifestUrl manifest{};
    std::string url{};                                 // as sent
    std::string authorization{};                       // headers.Authorization ("" when absent)
    Scope scope = Scope::kSingleSeedPeer;              // "" → Dragonfly's default
    std::optional<std::vector<std::int64_t>> pools{};  // scheduler_cluster_ids; nullopt = all
    std::string platform{};                            // "os/arch[/variant]", "" = the pools'
    // Our own API only (top-level "selector"): nodes must carry every one of these labels.
    std::map<std::string, std::string> selector{};
};

struct JobRequestLimits {
    std::size_t max_url_bytes = 4096;
    std::size_t max_header_bytes = 16U << 10;  // one header value (a JWT)
    std::size_t max_headers = 32;
    std::size_t max_pools = 256;
    std::size_t max_selector_labels = 32;
};

// Harbor ≥ 2.12 (and our own API, which uses the same body plus optional args.platform).
common::Result<JobRequest> parse_job_request(const nlohmann::json& body,
                                             const JobRequestLimits& limits = {});
// Harbor ≤ 2.11's PreheatImage: scope all_peers (the legacy driver had no scope), all pools.
common::Result<JobRequest> parse_legacy_preheat(const nlohmann::json& body,
                                                const JobRequestLimits& limits = {});

}  // namespace aiops::preheat
