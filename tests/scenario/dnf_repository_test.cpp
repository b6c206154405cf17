// A repository written and signed by twoliter, consumed by the real dnf:
// repomd.xml's signature checked (repo_gpgcheck), the RPMs' signatures
// checked (gpgcheck), dependencies resolved, packages installed into an
// installroot.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>

#include "repo/repo_signing.h"
#include "repo/repo_verify.h"
#include "repo/rpm_repository.h"
#include "support/temp_tree.h"
#include "util/files.h"

using namespace twoliter;
using twoliter::testing::TempDir;
using twoliter::testing::writeTreeFile;
namespace fs = std::filesystem;

namespace {

int shell(const std::string& command) {
    INFO(command);
    return std::system((command + " >/dev/null 2>&1").c_str());
}

void run(const std::string& command) {
    INFO(command);
    REQUIRE(shell(command) == 0);
}

// An ed25519 signing key without passphrase, exported armored.
struct TestKey {
    std::string secretFile;
    std::string publicFile;
};

TestKey makeKey(const std::string& dir, const std::string& name) {
    std::string home = dir + "/gnupg-" + name;
    fs::create_directories(home);
    fs::permissions(home, fs::perms::owner_all, fs::perm_options::replace);
    std::string gpg = "gpg --homedir " + home + " --batch --pinentry-mode loopback --passphrase ''";
    TestKey key{dir + "/" + name + ".sec.asc", dir + "/" + name + ".pub.asc"};
    run(gpg + " --quick-gen-key '" + name + " <" + name + "@example.test>' ed25519 sign 1y");
    run(gpg + " --armor --output " + key.secretFile + " --export-secret-keys");
    run(gpg + " --armor --output " + key.publicFile + " --export");
    run("gpgconf --homedir " + home + " --kill all");
    return key;
}

// A noarch RPM installing /usr/share/<name>/README, from a generated spec.
void buildRpm(const std::string& work, const std::string& name, const std::string& requires,
              const std::string& output) {
    writeTreeFile(work, name + ".spec",
                  "Name: " + name + "\nVersion: 1.0\nRelease: 1\nSummary: s\nLicense: MIT\n" +
                      "BuildArch: noarch\n" + (requires.empty() ? "" : "Requires: " + requires) +
                      "\n%description\nd\n%install\nmkdir -p %{buildroot}/usr/share/" + name +
                      "\necho " + name + " > %{buildroot}/usr/share/" + name +
                      "/README\n%files\n/usr/share/" + name + "/README\n");
    run("rpmbuild -bb --define '_topdir " + work + "/top' --define '_rpmdir " + output +
        "' --define '_build_id_links none' " + work + "/" + name + ".spec");
}

struct DnfFixture {
    TempDir dir;
    std::string repo = dir.path() + "/repo";
    std::string root = dir.path() + "/root";
    std::string dnfCache = dir.path() + "/dnf-cache";
    TestKey key = makeKey(dir.path(), "publisher");
    DnfFixture() {
        for (auto [name, requires] : {std::pair{"greet-tool", "greet-lib >= 1.0"},
                                      std::pair{"greet-lib", ""}, std::pair{"unrelated", ""}})
            buildRpm(dir.path() + "/work", name, requires, repo + "/Packages");
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
                shell("gpgconf --homedir " + it->path().string() + " --kill all");
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
        return shell("dnf -y --config=" + dir.path() +
                     "/dnf.conf --noplugins --installroot=" + root +
                     " --releasever=1 --setopt=reposdir=/dev/null --setopt=cachedir=" + dnfCache +
                     " --setopt=install_weak_deps=False --repofrompath=local,file://" + repo +
                     " --repo=local --setopt=local.repo_gpgcheck=1 --setopt=local.gpgcheck=1"
                     " --setopt=local.gpgkey=file://" +
                     key.publicFile + " install " + package);
    }
    bool installed(const std::string& package) {
        return shell("rpm --root " + root + " --dbpath /root/.rpmdb -q " + package) == 0;
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
    publish(true, makeKey(dir.path(), "impostor"));
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
