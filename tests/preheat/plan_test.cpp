#define BOOST_TEST_MODULE preheat_plan
#include "plan.h"

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <map>
#include <set>

namespace {

using aiops::preheat::BlobTree;
using aiops::preheat::choose_source;
using aiops::preheat::kFromRegistry;
using aiops::preheat::kWaitForPeer;
using aiops::preheat::Node;
using aiops::preheat::PeerState;
using aiops::preheat::plan_blob;
using aiops::preheat::PlanSettings;
using aiops::preheat::Scope;
using aiops::preheat::select_nodes;

std::vector<std::string> names(int count) {
    std::vector<std::string> out;
    for (int index = 0; index < count; ++index) {
        out.push_back("gpu-" + std::to_string(index));
    }
    return out;
}

std::string digest(int index) {
    return "sha256:" + std::string(60, '0') + std::to_string(1000 + index);
}

int depth(const BlobTree& tree, int index) {
    int levels = 0;
    for (int node = index; tree.parent[node] >= 0; node = tree.parent[node]) {
        ++levels;
    }
    return levels;
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_registry_serves_each_blob_once_and_every_node_gets_it) {
    const auto nodes = names(50);

    const auto tree = plan_blob(digest(1), nodes, Scope::kAllPeers, 3);

    BOOST_TEST(tree.order.size() == 50U);
    BOOST_TEST(std::set<std::string>(tree.order.begin(), tree.order.end()).size() == 50U);
    BOOST_TEST(std::count(tree.parent.begin(), tree.parent.end(), -1) == 1);
    std::map<int, int> served;
    for (std::size_t index = 1; index < tree.parent.size(); ++index) {
        BOOST_TEST(tree.parent[index] < static_cast<int>(index));  // parents come first
        ++served[tree.parent[index]];
    }
    for (const auto& [node, count] : served) {
        BOOST_TEST(count <= 3, "node " << node << " serves " << count);
    }
    for (int index = 0; index < 50; ++index) {
        BOOST_TEST(depth(tree, index) <= 4);  // ceil(log3(50)) levels below the root
    }
}

BOOST_AUTO_TEST_CASE(roots_spread_over_the_nodes_and_plans_are_deterministic) {
    const auto nodes = names(8);
    std::map<std::string, int> roots;
    for (int blob = 0; blob < 200; ++blob) {
        const auto tree = plan_blob(digest(blob), nodes, Scope::kAllPeers, 3);
        ++roots[tree.order.front()];
        const auto again =
            plan_blob(digest(blob), {nodes.rbegin(), nodes.rend()}, Scope::kAllPeers, 3);
        BOOST_TEST((again.order == tree.order));  // input order does not matter
    }

    BOOST_TEST(roots.size() == 8U);
    for (const auto& [node, count] : roots) {
        BOOST_TEST(count >= 10, node << " is the root of " << count << " of 200 blobs");
    }
}

BOOST_AUTO_TEST_CASE(single_seed_peer_warms_one_node_per_blob) {
    const auto tree = plan_blob(digest(3), names(6), Scope::kSingleSeedPeer, 3);

    BOOST_TEST(tree.order.size() == 1U);
    BOOST_TEST(tree.parent.front() == -1);
    BOOST_TEST(plan_blob(digest(3), {}, Scope::kAllPeers, 3).order.empty());
}

BOOST_AUTO_TEST_CASE(a_failed_parent_is_replaced_by_its_nearest_ancestor_then_the_registry) {
    const auto tree = plan_blob(digest(7), names(13), Scope::kAllPeers, 3);
    const int leaf = 12;
    const int parent = tree.parent[leaf];
    const int grandparent = tree.parent[parent];
    std::vector<PeerState> peers(13, PeerState::kNotStarted);

    BOOST_TEST(choose_source(tree.parent, leaf, peers) == kWaitForPeer);
    peers[parent] = PeerState::kReceiving;  // a peer serves what it is still receiving
    BOOST_TEST(choose_source(tree.parent, leaf, peers) == parent);
    peers[parent] = PeerState::kUnusable;
    BOOST_TEST(choose_source(tree.parent, leaf, peers) == kWaitForPeer);  // grandparent not started
    peers[grandparent] = PeerState::kHolds;
    BOOST_TEST(choose_source(tree.parent, leaf, peers) == grandparent);
    peers[grandparent] = PeerState::kUnusable;
    BOOST_TEST(choose_source(tree.parent, leaf, peers) == kFromRegistry);  // nobody else has it
    peers[5] = PeerState::kHolds;
    BOOST_TEST(choose_source(tree.parent, leaf, peers) == 5);  // any holder before the registry
    BOOST_TEST(choose_source(tree.parent, 0, peers) == 5);     // even for the root
    BOOST_TEST(choose_source(tree.parent, 99, peers) == kFromRegistry);
    const std::vector<int> cyclic{1, 0};
    BOOST_TEST(choose_source(cyclic, 0, {PeerState::kUnusable, PeerState::kUnusable}) ==
               kFromRegistry);
}

BOOST_AUTO_TEST_CASE(nodes_are_selected_by_pool_and_seed_labels) {
    const std::vector<Node> nodes{{"a", {{"pool", "h100"}, {"role", "seed"}}},
                                  {"b", {{"pool", "h100"}}},
                                  {"c", {{"pool", "a100"}, {"role", "seed"}}},
                                  {"d", {{"pool", "a100"}}}};
    PlanSettings settings;
    settings.pools = {{1, {{"pool", "h100"}}}, {2, {{"pool", "a100"}}}};
    settings.seed_selector = {{"role", "seed"}};
    const std::vector<std::int64_t> h100{1};

    BOOST_TEST((select_nodes(nodes, h100, Scope::kAllPeers, settings) ==
                std::vector<std::string>{"a", "b"}));
    BOOST_TEST((select_nodes(nodes, std::nullopt, Scope::kAllSeedPeers, settings) ==
                std::vector<std::string>{"a", "c"}));
    BOOST_TEST(
        (select_nodes(nodes, std::vector<std::int64_t>{9}, Scope::kAllPeers, settings).empty()));
    settings.pools.clear();
    settings.seed_selector.clear();
    BOOST_TEST(select_nodes(nodes, h100, Scope::kAllPeers, settings).size() == 4U);
}
