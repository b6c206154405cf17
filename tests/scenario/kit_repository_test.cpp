// Kits as RPM repositories: real RPMs made with rpmbuild, real repodata made
// with createrepo_c, read by the resolver with kit priority rules.
#include <catch2/catch.hpp>

#include <algorithm>
#include <optional>

#include "build/planner.h"
#include "repo/rpm_repository.h"
#include "support/error_text.h"
#include "support/temp_tree.h"
#include "support/test_packages.h"
#include "util/digest.h"
#include "util/files.h"

using namespace twoliter;
using twoliter::testing::buildTestRpm;
using twoliter::testing::runOrFail;
using twoliter::testing::TempDir;
using twoliter::testing::TestRpm;
using twoliter::testing::writeTreeFile;

namespace {

// An empty noarch RPM named bottlerocket-<name>.
TestRpm bottlerocketRpm(const std::string& name, const std::string& version) {
    TestRpm rpm{"bottlerocket-" + name};
    rpm.version = version;
    return rpm;
}

struct KitFixture {
    TempDir dir;
    std::string kitRepo;
    KitFixture() {
        testing::copyTree(testing::sourceDir() + "/tests/data/mini-project", dir.path());
        std::string config = readFile(dir.path() + "/Twoliter.toml");
        writeFileAtomic(
            dir.path() + "/Twoliter.toml",
            config + "\n[[kit]]\nname = \"extra-kit\"\nversion = \"1.0.0\"\nvendor = \"mini\"\n");
        kitRepo = dir.path() + "/build/external-kits/mini/extra-kit/x86_64";
    }
    // The kit's repository, its metadata written by createrepo_c's CLI or,
    // with ourWriter, by writeRpmRepository.
    void publishKit(bool ourWriter = false) {
        std::string work = dir.path() + "/rpmwork";
        buildTestRpm(work, bottlerocketRpm("extra", "3.0"), kitRepo + "/Packages");
        // shadowed by the local base
        buildTestRpm(work, bottlerocketRpm("base", "9.0"), kitRepo + "/Packages");
        if (ourWriter) {
            CHECK(writeRpmRepository(kitRepo, 1704067200) == 2);
        } else {
            runOrFail("createrepo_c " + kitRepo);
        }
    }
    // A planner of the project as it is on disk now, with the sample SDK;
    // not loaded yet.
    Planner& newPlanner() {
        project = loadProject(dir.path());
        PlannerOptions options;
        options.sdkPath = testing::sampleSdk();
        return planner_.emplace(project, options);
    }
    Project project;
    std::optional<Planner> planner_;
};

}  // namespace

TEST_CASE_METHOD(KitFixture, "kit packages come from repodata, and local packages win over them") {
    bool ourWriter = GENERATE(false, true);
    INFO((ourWriter ? "repodata written by twoliter" : "repodata written by createrepo_c"));
    publishKit(ourWriter);
    writeTreeFile(dir.path(), "variants/metal-dev/Cargo.toml",
                  "[package]\nname = \"metal-dev\"\nversion = \"0.1.0\"\n"
                  "[package.metadata.build-variant]\nincluded-packages = [\"tool\", \"extra\"]\n");
    Planner& planner = newPlanner();
    planner.load();
    BuildPlan plan = planner.planVariant("metal-dev");
    bool sawExtra = false;
    for (const auto& package : plan.imagePackages) {
        if (package.name == "bottlerocket-extra") {
            sawExtra = true;
            CHECK(package.repository == "extra-kit");
            CHECK(package.evr == "3.0-1");
        }
        if (package.name == "bottlerocket-base") {
            CHECK(package.origin == PackageOrigin::Local);
            CHECK(package.evr == "1.0-1");
        }
    }
    CHECK(sawExtra);
    CHECK(plan.packageCount() == 2);  // only local packages are built
}

TEST_CASE_METHOD(KitFixture, "a kit that is neither fetched nor given as source is a clear error") {
    Planner& planner = newPlanner();
    CHECK_THROWS_WITH(planner.load(),
                      Catch::Contains("kit 'extra-kit' is not available for x86_64"));
}

TEST_CASE_METHOD(KitFixture, "repository metadata is reproducible and replaced whole") {
    publishKit(true);
    std::string first = readFile(kitRepo + "/repodata/repomd.xml");
    CHECK(first.find("<revision>1704067200</revision>") != std::string::npos);
    CHECK(first.find("repodata/primary.xml.gz") != std::string::npos);
    CHECK(writeRpmRepository(kitRepo, 1704067200) == 2);
    CHECK(readFile(kitRepo + "/repodata/repomd.xml") == first);
    CHECK(listSubdirectories(kitRepo) == std::vector<std::string>{"Packages", "repodata"});
}

TEST_CASE("a damaged RPM is named, and the old metadata stays") {
    TempDir dir;
    writeTreeFile(dir.path(), "Packages/bad.rpm", "not an rpm");
    CHECK_THAT(testing::errorText([&] { writeRpmRepository(dir.path(), 0); }),
               Catch::StartsWith(dir.path() + "/Packages/bad.rpm: cannot read RPM"));
    CHECK(listSubdirectories(dir.path()) == std::vector<std::string>{"Packages"});
}

TEST_CASE_METHOD(KitFixture,
                 "a build root takes a kit package's RPM file and its repodata digest") {
    publishKit(true);
    writeTreeFile(dir.path(), "packages/tool/tool.spec",
                  "Name: %{_cross_os}tool\nVersion: 2.0\nRelease: 1\nSummary: s\nLicense: MIT\n"
                  "BuildRequires: %{_cross_os}extra\n%description\nd\n%files\n");
    Planner& planner = newPlanner();
    planner.load();
    const Project& loaded = planner.project();
    size_t tool = 0;
    while (loaded.packages[tool].packageName != "tool")
        ++tool;
    const auto& root = planner.packages()[tool].buildRoot;
    auto extra = std::find_if(root.begin(), root.end(), [](const ResolvedPackage& package) {
        return package.name == "bottlerocket-extra";
    });
    REQUIRE(extra != root.end());
    CHECK(extra->origin == PackageOrigin::Kit);
    CHECK(extra->rpmPath == kitRepo + "/Packages/noarch/bottlerocket-extra-3.0-1.noarch.rpm");
    CHECK(extra->sha256 == sha256FileHex(extra->rpmPath));
    CHECK(planner.packages()[tool].buildDependencies.empty());
}
