// The repository's sample project, planned end to end (real specs, real
// librpmbuild, real libsolv), checked against what its specs declare.
#include <catch2/catch.hpp>

#include <algorithm>

#include "build/planner.h"
#include "build/report.h"
#include "support/temp_tree.h"
#include "util/files.h"

using namespace twoliter;
using twoliter::testing::TempDir;

namespace {

std::vector<std::string> imageNames(const BuildPlan& plan) {
    std::vector<std::string> names;
    for (const auto& package : plan.imagePackages)
        names.push_back(package.name);
    return names;
}

bool has(const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), "bottlerocket-" + name) != names.end();
}

std::vector<std::string> planned(const Planner& planner, const BuildPlan& plan) {
    std::vector<std::string> names;
    for (const auto& level : plan.levels) {
        for (size_t index : level)
            names.push_back(planner.project().packages[index].packageName);
    }
    std::sort(names.begin(), names.end());
    return names;
}

struct SampleFixture {
    TempDir dir;
    Project project;
    SampleFixture() {
        testing::copySampleProject(dir.path());
        project = loadProject(dir.path());
    }
    PlannerOptions options(Arch arch = Arch::X86_64) const {
        PlannerOptions options;
        options.arch = arch;
        options.sdkPath = dir.path() + "/sdk";
        return options;
    }
};

}  // namespace

TEST_CASE_METHOD(SampleFixture,
                 "the sample project loads and its Cargo edges agree with its specs") {
    CHECK(project.variants.size() == 5);
    CHECK(project.kits.size() == 1);
    Planner planner(project, options());
    planner.load();
    CHECK(planner.disagreements().empty());
    CHECK(planner.osPrefix() == "bottlerocket-");
    // glibc-devel -> libz-devel -> libglib-devel -> open-vm-tools
    BuildPlan tools = planner.planPackage("open-vm-tools");
    CHECK(tools.levels.size() >= 4);
}

TEST_CASE_METHOD(SampleFixture, "each variant selects its own packages through metadata provides") {
    Planner planner(project, options());
    planner.load();
    auto k8s = imageNames(planner.planVariant("aws-k8s-1.31"));
    CHECK(has(k8s, "settings-defaults-aws-k8s-1.31"));
    CHECK(has(k8s, "kubelet-1.31"));
    CHECK(has(k8s, "containerd-bin"));
    CHECK_FALSE(has(k8s, "containerd-fips-bin"));
    CHECK_FALSE(has(k8s, "ecs-agent"));
    CHECK(has(k8s, "metadata"));
    auto ecs = imageNames(planner.planVariant("aws-ecs-2"));
    CHECK(has(ecs, "ecs-agent"));
    CHECK(has(ecs, "docker-engine"));
    CHECK(has(ecs, "settings-defaults-aws-ecs-2"));
    CHECK_FALSE(has(ecs, "settings-defaults-aws-k8s-1.31"));
    auto vmware = imageNames(planner.planVariant("vmware-k8s-1.31"));
    CHECK(has(vmware, "open-vm-tools"));
    auto path = planner.explain("aws-ecs-2", "ecs-agent");
    REQUIRE_FALSE(path.empty());
    CHECK(path.back().to == "bottlerocket-ecs-agent");
}

TEST_CASE_METHOD(SampleFixture,
                 "a variant plan holds exactly the packages its image and build roots need") {
    Planner planner(project, options());
    planner.load();
    BuildPlan plan = planner.planVariant("aws-ecs-2");
    auto names = planned(planner, plan);
    CHECK(std::find(names.begin(), names.end(), "ecs-agent") != names.end());
    CHECK(std::find(names.begin(), names.end(), "kubernetes-1.31") == names.end());
    CHECK(std::find(names.begin(), names.end(), "open-vm-tools") == names.end());
    // Every package comes after the packages its build needs.
    std::map<size_t, size_t> levelOf;
    for (size_t level = 0; level < plan.levels.size(); ++level) {
        for (size_t index : plan.levels[level])
            levelOf[index] = level;
    }
    for (const auto& [index, level] : levelOf) {
        for (size_t dependency : planner.packages()[index].buildDependencies) {
            REQUIRE(levelOf.count(dependency));
            CHECK(levelOf[dependency] < level);
        }
    }
}

TEST_CASE_METHOD(SampleFixture, "variants limited to x86_64 are refused for aarch64") {
    Planner planner(project, options(Arch::Aarch64));
    planner.load();
    CHECK_NOTHROW(planner.planVariant("aws-k8s-1.31"));
    CHECK_THROWS_WITH(planner.planVariant("vmware-k8s-1.31"),
                      "variant vmware-k8s-1.31 does not support aarch64");
}

namespace {

// The build roots as comparable text: every package's resolved RPMs.
std::vector<std::string> buildRootsOf(const Planner& planner) {
    std::vector<std::string> roots;
    for (const auto& package : planner.packages()) {
        std::string root;
        for (const auto& resolved : package.buildRoot)
            root += resolved.name + "-" + resolved.evr + "." + resolved.arch + " ";
        roots.push_back(root);
    }
    return roots;
}

}  // namespace

TEST_CASE_METHOD(SampleFixture, "an unchanged tree is not parsed again, a changed spec is") {
    std::vector<std::string> coldRoots;
    {
        Planner cold(project, options());
        cold.load();
        CHECK(cold.specCacheHits() == 0);
        CHECK_FALSE(cold.buildRootsReused());
        coldRoots = buildRootsOf(cold);
    }
    {
        Planner warm(project, options());
        warm.load();
        CHECK(warm.specCacheHits() == project.packages.size());
        CHECK(warm.buildRootsReused());
        CHECK(buildRootsOf(warm) == coldRoots);
    }
    std::string spec = dir.path() + "/packages/runc/runc.spec";
    writeFileAtomic(spec, readFile(spec) + "\n# edited\n");
    Planner edited(project, options());
    edited.load();
    CHECK(edited.specCacheHits() == project.packages.size() - 1);
}

TEST_CASE_METHOD(SampleFixture,
                 "a Cargo edge the specs do not need, and one they need but Cargo lacks") {
    std::string manifest = dir.path() + "/packages/runc/Cargo.toml";
    std::string text = readFile(manifest);
    size_t at = text.find("libcap = ");
    REQUIRE(at != std::string::npos);
    text.erase(at, text.find('\n', at) - at + 1);
    std::string table = "[build-dependencies]\n";
    text.insert(text.find(table) + table.size(), "kernel-6_1 = { path = \"../kernel-6.1\" }\n");
    writeFileAtomic(manifest, text);
    Project edited = loadProject(dir.path());
    Planner planner(edited, options());
    planner.load();
    auto lines = describeDisagreements(planner);
    REQUIRE(lines.size() == 2);
    CHECK(lines[0] ==
          "packages/runc/Cargo.toml: build-dependencies: BuildRequires of runc need "
          "libcap, which Cargo.toml does not declare");
    CHECK(lines[1] ==
          "packages/runc/Cargo.toml: build-dependencies: declares kernel-6.1, which "
          "no BuildRequires of runc needs");
}
