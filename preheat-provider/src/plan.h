#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "job_request.h"

// The distribution plan (pure, deterministic across restarts and replicas): which nodes a job
// warms, and per blob which node fetches from the registry and which from a peer. Each blob gets
// its own tree with bounded fan-out, rooted at a different node per blob (rendezvous hashing of
// digest × node), so the registry serves each blob about once however many nodes are warmed,
// and no single node serves every blob.
namespace aiops::preheat {

using Labels = std::map<std::string, std::string>;

struct Node {
    std::string name;
    Labels labels;
};

struct Pool {
    std::int64_t id = 0;  // Harbor's scheduler_cluster_id
    Labels selector;      // a node is in the pool when it carries every one of these labels
};

struct PlanSettings {
    int fan_out = 3;          // peers served by one node per blob (1..64)
    Labels seed_selector;     // the seed pool; empty = every selected node is a seed
    std::vector<Pool> pools;  // empty = one implicit pool of every node
};

bool matches(const Labels& labels, const Labels& selector);

// The nodes a job warms, sorted by name: those in any of `pool_ids` (nullopt = every pool),
// narrowed to the seed pool for kSingleSeedPeer and kAllSeedPeers.
std::vector<std::string> select_nodes(const std::vector<Node>& nodes,
                                      const std::optional<std::vector<std::int64_t>>& pool_ids,
                                      Scope scope, const PlanSettings& settings);

// One blob's fetch tree over `nodes`: order[0] fetches from the registry (parent -1), order[i]
// from order[parent[i]] with parent[i] = (i - 1) / fan_out < i. kSingleSeedPeer keeps only the
// first node of the rendezvous order.
struct BlobTree {
    std::vector<std::string> order;
    std::vector<int> parent;
};
BlobTree plan_blob(std::string_view digest, const std::vector<std::string>& nodes, Scope scope,
                   int fan_out);

// Where node `index` of a blob's tree fetches from, given what each node of the tree is doing.
// Walking up from its parent, the first ancestor that is not unusable: one that holds or is
// receiving the blob (a peer serves a blob it is still receiving), or kWaitForPeer when that
// ancestor has not started yet. When every ancestor is unusable (failed, lost, served bad bytes):
// any other node that holds the blob, else the registry (kFromRegistry).
enum class PeerState { kNotStarted, kReceiving, kHolds, kUnusable };
inline constexpr int kFromRegistry = -1;
inline constexpr int kWaitForPeer = -2;
int choose_source(const std::vector<int>& parent, int index, const std::vector<PeerState>& peers);

}  // namespace aiops::preheat
