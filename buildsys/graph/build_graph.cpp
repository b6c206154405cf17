#include "graph/build_graph.h"

#include <algorithm>
#include <functional>

#include "util/error.h"
#include "util/strings.h"

namespace twoliter {

size_t BuildGraph::addNode(std::string name, double weight) {
    nodes_.push_back({std::move(name), weight, {}});
    return nodes_.size() - 1;
}

void BuildGraph::addEdge(size_t from, size_t to) {
    auto& dependencies = nodes_.at(from).dependencies;
    if (std::find(dependencies.begin(), dependencies.end(), to) == dependencies.end()) {
        dependencies.push_back(to);
    }
}

void BuildGraph::checkAcyclic() const {
    enum Color { White, Grey, Black };
    std::vector<Color> color(nodes_.size(), White);
    std::vector<size_t> stack;
    // Iterative DFS; `stack` holds the current path, so a grey hit is a cycle.
    std::vector<std::pair<size_t, size_t>> frames;  // (node, next dependency)
    for (size_t start = 0; start < nodes_.size(); ++start) {
        if (color[start] != White)
            continue;
        frames.push_back({start, 0});
        color[start] = Grey;
        stack.push_back(start);
        while (!frames.empty()) {
            auto& [node, next] = frames.back();
            if (next == nodes_[node].dependencies.size()) {
                color[node] = Black;
                stack.pop_back();
                frames.pop_back();
                continue;
            }
            size_t dependency = nodes_[node].dependencies[next++];
            if (color[dependency] == Grey) {
                auto begin = std::find(stack.begin(), stack.end(), dependency);
                std::vector<std::string> names;
                for (auto it = begin; it != stack.end(); ++it)
                    names.push_back(nodes_[*it].name);
                names.push_back(nodes_[dependency].name);
                throw Error("dependency cycle: " + joinStrings(names, " -> "), {},
                            "each package on the cycle build-requires the next one's output");
            }
            if (color[dependency] == White) {
                color[dependency] = Grey;
                stack.push_back(dependency);
                frames.push_back({dependency, 0});
            }
        }
    }
}

std::vector<size_t> BuildGraph::closure(const std::vector<size_t>& roots) const {
    std::vector<bool> seen(nodes_.size(), false);
    std::vector<size_t> pending(roots.begin(), roots.end());
    std::vector<size_t> result;
    while (!pending.empty()) {
        size_t node = pending.back();
        pending.pop_back();
        if (seen[node])
            continue;
        seen[node] = true;
        result.push_back(node);
        for (size_t dependency : nodes_[node].dependencies)
            pending.push_back(dependency);
    }
    std::sort(result.begin(), result.end());
    return result;
}

std::vector<bool> BuildGraph::membership(const std::vector<size_t>& subset) const {
    std::vector<bool> member(nodes_.size(), subset.empty());
    for (size_t node : subset)
        member[node] = true;
    return member;
}

std::vector<std::vector<size_t>> BuildGraph::levels(const std::vector<size_t>& subset) const {
    std::vector<bool> member = membership(subset);
    std::vector<int> level(nodes_.size(), -1);
    std::function<int(size_t)> levelOf = [&](size_t node) {
        if (level[node] >= 0)
            return level[node];
        int deepest = -1;
        for (size_t dependency : nodes_[node].dependencies) {
            if (member[dependency])
                deepest = std::max(deepest, levelOf(dependency));
        }
        return level[node] = deepest + 1;
    };
    std::vector<std::vector<size_t>> result;
    for (size_t node = 0; node < nodes_.size(); ++node) {
        if (!member[node])
            continue;
        auto at = static_cast<size_t>(levelOf(node));
        if (result.size() <= at)
            result.resize(at + 1);
        result[at].push_back(node);
    }
    for (auto& nodes : result) {
        std::sort(nodes.begin(), nodes.end(),
                  [&](size_t a, size_t b) { return nodes_[a].name < nodes_[b].name; });
    }
    return result;
}

std::vector<double> BuildGraph::remainingWork(const std::vector<size_t>& subset) const {
    std::vector<bool> member = membership(subset);
    // Work from a node to the end = its weight + the heaviest dependent chain.
    std::vector<std::vector<size_t>> dependents(nodes_.size());
    for (size_t node = 0; node < nodes_.size(); ++node) {
        if (!member[node])
            continue;
        for (size_t dependency : nodes_[node].dependencies) {
            if (member[dependency])
                dependents[dependency].push_back(node);
        }
    }
    std::vector<double> work(nodes_.size(), -1.0);
    std::function<double(size_t)> workOf = [&](size_t node) {
        if (work[node] >= 0)
            return work[node];
        double heaviest = 0;
        for (size_t dependent : dependents[node])
            heaviest = std::max(heaviest, workOf(dependent));
        return work[node] = nodes_[node].weight + heaviest;
    };
    for (size_t node = 0; node < nodes_.size(); ++node) {
        if (member[node])
            workOf(node);
    }
    return work;
}

std::vector<size_t> BuildGraph::criticalPath(const std::vector<size_t>& subset) const {
    std::vector<bool> member = membership(subset);
    std::vector<double> work = remainingWork(subset);
    // Start at the heaviest node with no dependencies, then keep following the
    // heaviest dependent: its remaining work is this node's minus its weight.
    std::vector<std::vector<size_t>> dependents(nodes_.size());
    for (size_t node = 0; node < nodes_.size(); ++node) {
        if (!member[node])
            continue;
        for (size_t dependency : nodes_[node].dependencies) {
            if (member[dependency])
                dependents[dependency].push_back(node);
        }
    }
    auto heavier = [&](size_t a, size_t b) {
        return work[a] != work[b] ? work[a] > work[b] : nodes_[a].name < nodes_[b].name;
    };
    std::vector<size_t> path;
    std::vector<size_t> candidates;
    for (size_t node = 0; node < nodes_.size(); ++node) {
        if (member[node])
            candidates.push_back(node);
    }
    while (!candidates.empty()) {
        size_t best = *std::min_element(candidates.begin(), candidates.end(), heavier);
        path.push_back(best);
        candidates = dependents[best];
    }
    return path;
}

}  // namespace twoliter
