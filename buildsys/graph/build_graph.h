#pragma once

#include <string>
#include <vector>

namespace twoliter {

// A directed acyclic graph of build steps: an edge from a to b means a's build
// needs b's outputs. Nodes are dense indices in insertion order. Pure data and
// algorithms: no I/O.
class BuildGraph {
  public:
    size_t addNode(std::string name, double weight = 1.0);
    // from needs to; duplicate edges are ignored.
    void addEdge(size_t from, size_t to);

    size_t size() const { return nodes_.size(); }
    const std::string& name(size_t node) const { return nodes_[node].name; }
    double weight(size_t node) const { return nodes_[node].weight; }
    const std::vector<size_t>& dependencies(size_t node) const { return nodes_[node].dependencies; }

    // Throws Error naming one cycle ("a -> b -> a") when the graph has one.
    void checkAcyclic() const;

    // Nodes reachable from roots through dependencies, roots included, sorted.
    std::vector<size_t> closure(const std::vector<size_t>& roots) const;

    // Levels of the subgraph induced by `subset` (all nodes when empty): level
    // 0 has no dependencies in the subset, level k depends only on levels < k.
    // Each level is sorted by name. Requires an acyclic graph.
    std::vector<std::vector<size_t>> levels(const std::vector<size_t>& subset = {}) const;

    // The heaviest chain of dependencies within subset (all when empty), from
    // the first node to build to the last. Its total weight bounds the build's
    // duration however many jobs run.
    std::vector<size_t> criticalPath(const std::vector<size_t>& subset = {}) const;

    // For every node of subset: the weight of the heaviest chain from it to the
    // end of the build (itself included), for critical-path-first scheduling.
    std::vector<double> remainingWork(const std::vector<size_t>& subset = {}) const;

  private:
    struct Node {
        std::string name;
        double weight;
        std::vector<size_t> dependencies;
    };
    std::vector<bool> membership(const std::vector<size_t>& subset) const;

    std::vector<Node> nodes_;
};

}  // namespace twoliter
