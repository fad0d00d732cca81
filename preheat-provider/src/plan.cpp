#include "plan.h"

#include <algorithm>

namespace aiops::preheat {
namespace {

// FNV-1a 64: a stable hash (std::hash is not guaranteed to be the same across builds).
std::uint64_t fnv1a(std::string_view first, std::string_view second) {
    std::uint64_t hash = 0xcbf29ce484222325ULL;
    const auto mix = [&hash](std::string_view text) {
        for (const char c : text) {
            hash ^= static_cast<unsigned char>(c);
            hash *= 0x100000001b3ULL;
        }
    };
    mix(first);
    mix(std::string_view("\0", 1));
    mix(second);
    // Final avalanche (splitmix64): nearby inputs must not produce nearby orders.
    hash ^= hash >> 30;
    hash *= 0xbf58476d1ce4e5b9ULL;
    hash ^= hash >> 27;
    hash *= 0x94d049bb133111ebULL;
    hash ^= hash >> 31;
    return hash;
}

}  // namespace

bool matches(const Labels& labels, const Labels& selector) {
    return std::all_of(selector.begin(), selector.end(), [&](const auto& wanted) {
        const auto found = labels.find(wanted.first);
        return found != labels.end() && found->second == wanted.second;
    });
}

std::vector<std::string> select_nodes(const std::vector<Node>& nodes,
                                      const std::optional<std::vector<std::int64_t>>& pool_ids,
                                      Scope scope, const PlanSettings& settings) {
    std::vector<const Pool*> pools;
    for (const auto& pool : settings.pools) {
        if (!pool_ids ||
            std::find(pool_ids->begin(), pool_ids->end(), pool.id) != pool_ids->end()) {
            pools.push_back(&pool);
        }
    }
    const bool seeds_only = scope != Scope::kAllPeers;
    std::vector<std::string> selected;
    for (const auto& node : nodes) {
        const bool in_pool = settings.pools.empty() ||
                             std::any_of(pools.begin(), pools.end(), [&](const Pool* pool) {
                                 return matches(node.labels, pool->selector);
                             });
        if (in_pool && (!seeds_only || matches(node.labels, settings.seed_selector))) {
            selected.push_back(node.name);
        }
    }
    std::sort(selected.begin(), selected.end());
    selected.erase(std::unique(selected.begin(), selected.end()), selected.end());
    return selected;
}

BlobTree plan_blob(std::string_view digest, const std::vector<std::string>& nodes, Scope scope,
                   int fan_out) {
    std::vector<std::pair<std::uint64_t, const std::string*>> ranked;
    ranked.reserve(nodes.size());
    for (const auto& node : nodes) {
        ranked.emplace_back(fnv1a(digest, node), &node);
    }
    std::sort(ranked.begin(), ranked.end(), [](const auto& lhs, const auto& rhs) {
        return lhs.first != rhs.first ? lhs.first > rhs.first : *lhs.second < *rhs.second;
    });
    if (scope == Scope::kSingleSeedPeer && ranked.size() > 1) {
        ranked.resize(1);
    }
    const int width = std::clamp(fan_out, 1, 64);
    BlobTree tree;
    for (std::size_t index = 0; index < ranked.size(); ++index) {
        tree.order.push_back(*ranked[index].second);
        tree.parent.push_back(index == 0 ? -1 : static_cast<int>((index - 1) / width));
    }
    return tree;
}

int choose_source(const std::vector<int>& parent, int index, const std::vector<PeerState>& peers) {
    const auto size = static_cast<int>(std::min(parent.size(), peers.size()));
    if (index < 0 || index >= size) {
        return kFromRegistry;
    }
    int steps = 0;  // a malformed (cyclic) parent vector cannot loop forever
    for (int ancestor = parent[index]; ancestor >= 0 && ancestor < size && steps < size;
         ancestor = parent[ancestor], ++steps) {
        switch (peers[ancestor]) {
            case PeerState::kHolds:
            case PeerState::kReceiving: return ancestor;
            case PeerState::kNotStarted: return kWaitForPeer;
            case PeerState::kUnusable: break;
        }
    }
    for (int node = 0; node < size; ++node) {
        if (node != index && peers[node] == PeerState::kHolds) {
            return node;
        }
    }
    return kFromRegistry;
}

}  // namespace aiops::preheat
