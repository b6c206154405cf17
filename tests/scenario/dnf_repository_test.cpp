// A repository written and signed by twoliter, consumed by the real dnf:
// repomd.xml's signature checked (repo_gpgcheck), the RPMs' signatures
// checked (gpgcheck), dependencies resolved, packages installed into an
// installroot.
#include <catch2/catch.hpp>

#include <filesystem>

#include "repo/repo_signing.h"
#include "repo/repo_verify.h"
#include "repo/rpm_repository.h"
#include "support/temp_tree.h"
#include "support/test_packages.h"
#include "util/files.h"

using namespace twoliter;
using twoliter::testing::buildTestRpm;
using twoliter::testing::makeTestKey;
using twoliter::testing::runQuietly;
using twoliter::testing::TempDir;
using twoliter::testing::TestKey;
using twoliter::testing::TestRpm;
using twoliter::testing::writeTreeFile;
namespace fs = std::filesystem;

namespace {

// A noarch RPM installing /usr/share/<name>/README (holding "<name>\n").
TestRpm readmeRpm(const std::string& name, const std::string& dependency) {
    TestRpm rpm{name};
    if (!dependency.empty())
        rpm.dependencies = {dependency};
    rpm.files = {{"/usr/share/" + name + "/README", name + "\n"}};
    return rpm;
}

struct DnfFixture {
    TempDir dir;
    std::string repo = dir.path() + "/repo";
    std::string root = dir.path() + "/root";
    std::string dnfCache = dir.path() + "/dnf-cache";
    TestKey key = makeTestKey(dir.path(), "publisher");
    DnfFixture() {
        for (auto [name, dependency] : {std::pair{"greet-tool", "greet-lib >= 1.0"},
                                        std::pair{"greet-lib", ""}, std::pair{"unrelated", ""}})
            buildTestRpm(dir.path() + "/work", readmeRpm(name, dependency), repo + "/Packages");
    }
    // The repository as a publisher makes it: RPMs signed (or not), the
    // metadata written, then signed by metadataKey.
    void publish(bool signPackages, const TestKey& metadataKey) {
        if (signPackages)
            signRpms(rpmPaths(), key.secretFile);
        writeRpmRepository(repo, 1704067200);
        signRepositoryMetadata(repo, metadataKey.secretFile);
    }
    ~DnfFixture() {
        // dnf's librepo starts a gpg-agent per repository keyring.
        std::error_code ignored;
        for (fs::recursive_directory_iterator it(dir.path(), ignored), end; it != end;
             it.increment(ignored)) {
            if (it->path().filename() == "pubring" && it->is_directory())
                runQuietly("gpgconf --homedir " + it->path().string() + " --kill all");
        }
    }
    std::vector<std::string> rpmPaths() const {
        std::vector<std::string> paths;
        for (const auto& relative : rpmFilesBelow(repo))
            paths.push_back(repo + "/" + relative);
        return paths;
    }
    // dnf with nothing from the host's configuration: one repository, its
    // metadata and packages checked against the publisher's key.
    int dnfInstall(const std::string& package) {
        writeTreeFile(dir.path(), "dnf.conf", "[main]\n");
        return runQuietly(
            "dnf -y --config=" + dir.path() + "/dnf.conf --noplugins --installroot=" + root +
            " --releasever=1 --setopt=reposdir=/dev/null --setopt=cachedir=" + dnfCache +
            " --setopt=install_weak_deps=False --repofrompath=local,file://" + repo +
            " --repo=local --setopt=local.repo_gpgcheck=1 --setopt=local.gpgcheck=1"
            " --setopt=local.gpgkey=file://" +
            key.publicFile + " install " + package);
    }
    bool installed(const std::string& package) {
        return runQuietly("rpm --root " + root + " --dbpath /root/.rpmdb -q " + package) == 0;
    }
};

}  // namespace

TEST_CASE_METHOD(DnfFixture, "dnf installs from a signed repository with its dependencies",
                 "[repo]") {
    publish(true, key);
    VerifyOptions options;
    options.requireSignedRpms = true;
    CHECK(verifyRepository(repo, key.publicFile, options).packages == 3);
    REQUIRE(dnfInstall("greet-tool") == 0);
    CHECK(installed("greet-tool"));
    CHECK(installed("greet-lib"));
    CHECK(!installed("unrelated"));
    CHECK(readFile(root + "/usr/share/greet-lib/README") == "greet-lib\n");
}

TEST_CASE_METHOD(DnfFixture, "dnf refuses a repository whose metadata was signed by another key",
                 "[repo]") {
    publish(true, makeTestKey(dir.path(), "impostor"));
    CHECK(dnfInstall("greet-tool") != 0);
    CHECK(!installed("greet-tool"));
    CHECK(!installed("greet-lib"));
}

TEST_CASE_METHOD(DnfFixture, "dnf refuses unsigned packages from a signed repository", "[repo]") {
    publish(false, key);
    CHECK(verifyRepository(repo, key.publicFile).packages == 3);
    CHECK(dnfInstall("greet-lib") != 0);
    CHECK(!installed("greet-lib"));
}
