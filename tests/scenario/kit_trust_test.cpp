// Trust in fetched kits: a vendor's signing key, a kit repository signed by
// it (or not), the stamp fetch leaves, and what the planner then accepts.
#include <catch2/catch.hpp>

#include "build/kit_trust.h"
#include "build/planner.h"
#include "repo/rpm_repository.h"
#include "support/error_text.h"
#include "support/temp_tree.h"
#include "support/test_packages.h"
#include "util/files.h"

using namespace twoliter;
using namespace twoliter::testing;

namespace {

constexpr const char* kLockDigest = "V2lUX6Rs9rZLg8POxV7P785Mr5nallfyxor0Scrvh3Y=";

// The mini project consuming kit "extra-kit" of vendor mini, whose
// repository (one RPM) sits where fetch puts it, signed by signer (or not).
struct TrustFixture {
    TempDir dir;
    TestKey vendor = makeTestKey(dir.path(), "vendor");
    TestKey stranger = makeTestKey(dir.path(), "stranger");
    std::string kitRepo = dir.path() + "/project/build/external-kits/mini/extra-kit/x86_64";
    VendorSigningKey key{vendor.publicFile, {}};

    TrustFixture() {
        copyTree(sourceDir() + "/tests/data/mini-project", dir.path() + "/project");
        std::string config = readFile(dir.path() + "/project/Twoliter.toml");
        config.insert(config.find("[sdk]"), "signing-key = \"" + vendor.publicFile + "\"\n\n");
        writeFileAtomic(dir.path() + "/project/Twoliter.toml",
                        config +
                            "\n[[kit]]\nname = \"extra-kit\"\nversion = \"1.0.0\"\n"
                            "vendor = \"mini\"\n");
        std::string digest = std::string("digest = \"") + kLockDigest + "\"\n";
        writeFileAtomic(
            dir.path() + "/project/Twoliter.lock",
            "schema-version = 1\n[sdk]\nname = \"sample-sdk\"\nversion = \"0.1.0\"\n"
            "vendor = \"mini\"\nsource = \"localhost:5000/mini/sample-sdk:v0.1.0\"\n" +
                digest +
                "[[kit]]\nname = \"extra-kit\"\nversion = \"1.0.0\"\n"
                "vendor = \"mini\"\nsource = \"localhost:5000/mini/extra-kit:v1.0.0\"\n" +
                digest);
        TestRpm rpm;
        rpm.name = "bottlerocket-extra";
        buildTestRpm(dir.path() + "/work", rpm, kitRepo + "/Packages");
    }
    void publish(const std::string& signingKey) {
        RepositoryOptions options;
        options.epoch = 1704067200;
        options.signingKey = signingKey;
        writeRpmRepository(kitRepo, options);
    }
    void plan() {
        Project project = loadProject(dir.path() + "/project");
        PlannerOptions options;
        options.sdkPath = sampleSdk();
        Planner planner(project, options);
        planner.load();
    }
};

}  // namespace

TEST_CASE_METHOD(TrustFixture, "a kit signed by its vendor's key is verified once, then trusted",
                 "[kit-trust]") {
    publish(vendor.secretFile);
    CHECK_THAT(errorText([&] { plan(); }),
               Catch::Contains("kit 'extra-kit' has not been verified with the signing key of "
                               "vendor 'mini'"));
    verifyFetchedKit(kitRepo, key, kLockDigest);
    CHECK(kitVerified(kitRepo, key, kLockDigest));
    CHECK_NOTHROW(plan());
    CHECK_FALSE(kitVerified(kitRepo, key, "another digest"));
}

TEST_CASE_METHOD(TrustFixture,
                 "an unsigned kit, or one signed by another key, is refused and removed",
                 "[kit-trust]") {
    SECTION("unsigned") {
        publish("");
        CHECK_THAT(errorText([&] { verifyFetchedKit(kitRepo, key, kLockDigest); }),
                   Catch::Contains("repomd.xml.asc"));
    }
    SECTION("signed by a stranger") {
        publish(stranger.secretFile);
        CHECK_THAT(errorText([&] { verifyFetchedKit(kitRepo, key, kLockDigest); }),
                   Catch::Contains("repomd.xml"));
    }
    CHECK_FALSE(pathExists(kitRepo));
    CHECK_THAT(errorText([&] { plan(); }), Catch::Contains("is not available for x86_64"));
}
