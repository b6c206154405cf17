#include <catch2/catch.hpp>

#include "graph/build_graph.h"
#include "util/error.h"

using namespace twoliter;

namespace {
// glibc <- libz <- libglib <- open-vm-tools, glibc <- libcap <- runc
BuildGraph sampleGraph() {
    BuildGraph graph;
    for (const char* name : {"glibc", "libz", "libglib", "open-vm-tools", "libcap", "runc"}) {
        graph.addNode(name);
    }
    graph.addEdge(1, 0);
    graph.addEdge(2, 1);
    graph.addEdge(2, 0);
    graph.addEdge(3, 2);
    graph.addEdge(4, 0);
    graph.addEdge(5, 4);
    graph.addEdge(5, 4);  // duplicates are ignored
    return graph;
}
}  // namespace

TEST_CASE("levels put every node after its dependencies") {
    BuildGraph graph = sampleGraph();
    CHECK(graph.dependencies(5).size() == 1);
    auto levels = graph.levels();
    REQUIRE(levels.size() == 4);
    CHECK(levels[0] == std::vector<size_t>{0});
    CHECK(levels[1] == std::vector<size_t>{4, 1});  // sorted by name: libcap, libz
    CHECK(levels[2] == std::vector<size_t>{2, 5});
    CHECK(levels[3] == std::vector<size_t>{3});
}

TEST_CASE("levels and closure of a subset") {
    BuildGraph graph = sampleGraph();
    auto subset = graph.closure({5});
    CHECK(subset == std::vector<size_t>{0, 4, 5});
    auto levels = graph.levels(subset);
    REQUIRE(levels.size() == 3);
    CHECK(levels[2] == std::vector<size_t>{5});
}

TEST_CASE("critical path follows the heaviest chain") {
    BuildGraph graph = sampleGraph();
    CHECK(graph.criticalPath() == std::vector<size_t>{0, 1, 2, 3});
    BuildGraph weighted;
    weighted.addNode("a", 1);
    weighted.addNode("slow", 50);
    weighted.addNode("b", 1);
    weighted.addNode("c", 1);
    weighted.addEdge(1, 0);
    weighted.addEdge(2, 0);
    weighted.addEdge(3, 2);
    CHECK(weighted.criticalPath() == std::vector<size_t>{0, 1});
    auto work = weighted.remainingWork();
    CHECK(work[0] == 51);
    CHECK(work[3] == 1);
}

TEST_CASE("a cycle is named in order") {
    BuildGraph graph;
    graph.addNode("base");
    graph.addNode("tool");
    graph.addNode("other");
    graph.addEdge(0, 1);
    graph.addEdge(1, 0);
    graph.addEdge(2, 0);
    CHECK_THROWS_WITH(graph.checkAcyclic(), "dependency cycle: base -> tool -> base");
    CHECK_NOTHROW(sampleGraph().checkAcyclic());
}
