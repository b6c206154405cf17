#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "graph/build_graph.h"
#include "project/project.h"
#include "solve/resolver.h"
#include "spec/package_spec.h"
#include "spec/spec_cache.h"
#include "spec/spec_parser.h"

namespace twoliter {

struct PlannerOptions {
    Arch arch = Arch::X86_64;
    std::string sdkPath;  // SDK root, SDK source tree or macros file
    // Kits resolved from a kit project's source tree instead of repodata:
    // (kit name, project root). Useful before a kit is published.
    std::vector<std::pair<std::string, std::string>> kitSources;
    int jobs = 2;
    // Called while specs are parsed (not for cached ones): (parsed, total).
    ParseProgress specProgress;
};

// A local package as the planner sees it.
struct PlannedPackage {
    std::vector<ResolvedPackage> buildRoot;  // closure of its BuildRequires
    std::vector<size_t> buildDependencies;   // local packages whose RPMs are in it
};

// Where Cargo's [build-dependencies] and the spec's BuildRequires disagree.
struct EdgeDisagreement {
    size_t package;
    size_t other;
    bool missingFromCargo;  // true: spec needs other, Cargo.toml does not declare it
                            // false: Cargo.toml declares other, no BuildRequires needs it
};

struct BuildPlan {
    std::string kind;  // "variant", "package" or "kit"
    std::string target;
    std::vector<std::vector<size_t>> levels;  // package indices, level 0 first
    std::vector<size_t> criticalPath;
    std::vector<ResolvedPackage> imagePackages;  // variants only
    size_t packageCount() const;
};

// Reads the specs of a project (through the parse cache), fills one resolver,
// and derives the package build graph for one architecture. Node i of graph()
// is project.packages[i].
class Planner {
  public:
    Planner(const Project& project, PlannerOptions options);
    ~Planner();

    // Throws Error (or ErrorList) with every spec, build-root and cycle
    // problem found.
    void load();

    const Project& project() const { return project_; }
    Arch arch() const { return options_.arch; }
    const std::vector<PackageSpec>& specs() const { return specs_; }
    const std::vector<PlannedPackage>& packages() const { return packages_; }
    const BuildGraph& graph() const { return graph_; }
    const std::vector<EdgeDisagreement>& disagreements() const { return disagreements_; }
    const std::vector<std::string>& warnings() const { return warnings_; }
    const std::string& osPrefix() const { return osPrefix_; }
    size_t specCacheHits() const { return cacheHits_; }
    // Whether load() took every build root from the cache (the pool's inputs
    // unchanged since a previous load) instead of solving each.
    bool buildRootsReused() const { return buildRootsReused_; }
    // Digest of the macro context the specs were parsed in.
    const std::string& macroContextDigest() const { return contextDigest_; }

    std::vector<ResolvedPackage> resolveVariant(const std::string& variant);
    std::vector<DependencyStep> explain(const std::string& variant, const std::string& package);

    BuildPlan planVariant(const std::string& name);
    BuildPlan planPackage(const std::string& name);
    BuildPlan planKit(const std::string& name);
    BuildPlan planAll();

  private:
    const VariantManifest& variant(const std::string& name) const;
    void loadSpecs();
    void loadResolver();
    void requireVerifiedKit(const ImageRef& kit, const std::string& directory) const;
    void loadBuildRoots();
    bool loadCachedBuildRoots(const std::string& key);
    void storeBuildRoots(const std::string& key);
    void addBuildEdges(size_t package, std::vector<Error>& errors);
    void checkCargoEdges();
    BuildPlan planFor(std::string kind, std::string target, const std::vector<size_t>& roots);

    const Project& project_;
    PlannerOptions options_;
    MacroContext context_;
    std::string contextDigest_;
    // Everything the pool is made of (spec keys, kit repodata, SDK provides),
    // so build roots can be reused while none of it changes.
    std::vector<std::string> poolInputs_;
    std::unique_ptr<SpecCache> cache_;
    std::string osPrefix_;
    std::vector<PackageSpec> specs_;
    std::vector<PlannedPackage> packages_;
    BuildGraph graph_;
    std::unique_ptr<Resolver> resolver_;
    std::vector<EdgeDisagreement> disagreements_;
    std::vector<std::string> warnings_;
    size_t cacheHits_ = 0;
    bool buildRootsReused_ = false;
};

}  // namespace twoliter
