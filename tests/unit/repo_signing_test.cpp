// Signed repositories: real keys made by gpg, real RPMs made by rpmbuild,
// signatures made and checked through gpgme, rpmsign and rpmkeys.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "repo/repo_signing.h"
#include "repo/repo_verify.h"
#include "repo/rpm_repository.h"
#include "support/error_text.h"
#include "support/temp_tree.h"
#include "support/test_packages.h"
#include "util/files.h"
#include "util/strings.h"

using namespace twoliter;
using twoliter::testing::buildTestRpm;
using twoliter::testing::errorText;
using twoliter::testing::makeTestKey;
using twoliter::testing::rpmWithSubpackages;
using twoliter::testing::TempDir;
using twoliter::testing::TestKey;
using twoliter::testing::writeTreeFile;
namespace fs = std::filesystem;

namespace {

void flipByte(const std::string& path, std::streamoff offset) {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(offset);
    char byte = 0;
    file.get(byte);
    file.seekp(offset);
    file.put(static_cast<char>(byte ^ 0x55));
}

struct SignedRepoFixture {
    TempDir dir;
    std::string repo = dir.path() + "/repo";
    TestKey key = makeTestKey(dir.path(), "alice");
    TestKey otherKey = makeTestKey(dir.path(), "mallory");
    SignedRepoFixture() {
        buildTestRpm(dir.path() + "/work", rpmWithSubpackages("hello", {"extra"}),
                     repo + "/Packages");
        writeRpmRepository(repo, 1700000000);
    }
    std::string rpm(const std::string& name) const {
        return repo + "/Packages/noarch/" + name + "-1.0-1.noarch.rpm";
    }
};

}  // namespace

TEST_CASE_METHOD(SignedRepoFixture, "a signed repository verifies with the published public key",
                 "[repo]") {
    signRepositoryMetadata(repo, key.secretFile);
    CHECK(startsWith(readFile(repo + "/repodata/repomd.xml.asc"), "-----BEGIN PGP SIGNATURE-----"));
    PublicKey published = publicKeyOf(key.secretFile);
    CHECK(startsWith(published.armored, "-----BEGIN PGP PUBLIC KEY BLOCK-----"));
    CHECK(published.armored.find("PRIVATE") == std::string::npos);
    writeFileAtomic(dir.path() + "/published.asc", published.armored);
    VerifiedRepository verified = verifyRepository(repo, dir.path() + "/published.asc");
    CHECK(verified.packages == 2);
    CHECK(verified.signer == published.fingerprint);
}

TEST_CASE_METHOD(SignedRepoFixture, "an unsigned repository is refused", "[repo]") {
    CHECK_THAT(errorText([&] { verifyRepository(repo, key.publicFile); }),
               Catch::StartsWith(repo + "/repodata/repomd.xml.asc: repository metadata is not "
                                        "signed"));
    signRepositoryMetadata(repo, key.secretFile);
    writeRpmRepository(repo, 1700000001);  // new metadata, not signed again
    CHECK_THAT(errorText([&] { verifyRepository(repo, key.publicFile); }),
               Catch::Contains("is not signed"));
}

TEST_CASE_METHOD(SignedRepoFixture, "a repository signed by another key is refused", "[repo]") {
    signRepositoryMetadata(repo, otherKey.secretFile);
    CHECK_THAT(errorText([&] { verifyRepository(repo, key.publicFile); }),
               Catch::StartsWith(repo + "/repodata/repomd.xml.asc: signed by another key") &&
                   Catch::Contains(key.publicFile));
}

TEST_CASE_METHOD(SignedRepoFixture, "repomd.xml changed after signing is refused", "[repo]") {
    signRepositoryMetadata(repo, key.secretFile);
    std::string repomd = readFile(repo + "/repodata/repomd.xml");
    size_t revision = repomd.find("1700000000");
    REQUIRE(revision != std::string::npos);
    repomd.replace(revision, 10, "1700000099");
    writeFileAtomic(repo + "/repodata/repomd.xml", repomd);
    CHECK_THAT(errorText([&] { verifyRepository(repo, key.publicFile); }),
               Catch::StartsWith(repo + "/repodata/repomd.xml: bad signature"));
}

TEST_CASE_METHOD(SignedRepoFixture, "an RPM changed after the metadata was written is refused",
                 "[repo]") {
    signRepositoryMetadata(repo, key.secretFile);
    flipByte(rpm("hello-extra"),
             static_cast<std::streamoff>(fs::file_size(rpm("hello-extra")) / 2));
    CHECK_THAT(errorText([&] { verifyRepository(repo, key.publicFile); }),
               Catch::StartsWith(rpm("hello-extra") + ": checksum differs from primary.xml's"));
    fs::remove(rpm("hello-extra"));
    CHECK_THAT(
        errorText([&] { verifyRepository(repo, key.publicFile); }),
        Catch::StartsWith(rpm("hello-extra") + ": package listed in primary.xml is missing"));
}

TEST_CASE_METHOD(SignedRepoFixture, "a replaced primary.xml.gz is refused", "[repo]") {
    signRepositoryMetadata(repo, key.secretFile);
    // A well-formed primary that lists one package less.
    std::string other = dir.path() + "/other";
    buildTestRpm(dir.path() + "/work2", rpmWithSubpackages("hello", {}), other + "/Packages");
    writeRpmRepository(other, 1700000000);
    fs::copy_file(other + "/repodata/primary.xml.gz", repo + "/repodata/primary.xml.gz",
                  fs::copy_options::overwrite_existing);
    CHECK_THAT(errorText([&] { verifyRepository(repo, key.publicFile); }),
               Catch::StartsWith(repo + "/repodata/primary.xml.gz: checksum differs from "
                                        "repomd.xml's"));
}

TEST_CASE_METHOD(SignedRepoFixture,
                 "signed RPMs verify, and an unsigned one is refused when required", "[repo]") {
    signRpms({rpm("hello"), rpm("hello-extra")}, key.secretFile);
    checkRpmSignatures({rpm("hello"), rpm("hello-extra")}, key.publicFile);
    CHECK_THAT(errorText([&] { checkRpmSignatures({rpm("hello")}, otherKey.publicFile); }),
               Catch::StartsWith(rpm("hello") + ": RPM signature does not verify"));
    writeTreeFile(dir.path(), "junk.rpm", "not an rpm");
    CHECK_THAT(errorText([&] {
                   checkRpmSignatures({dir.path() + "/junk.rpm", rpm("hello")}, key.publicFile);
               }),
               Catch::StartsWith(dir.path() + "/junk.rpm: cannot check the RPM's signature"));
    RepositoryOptions options;
    options.epoch = 1700000000;
    options.signingKey = key.secretFile;  // signed before it is swapped in
    writeRpmRepository(repo, options);
    VerifyOptions requireSigned;
    requireSigned.requireSignedRpms = true;
    CHECK(verifyRepository(repo, key.publicFile, requireSigned).packages == 2);

    buildTestRpm(dir.path() + "/work2", rpmWithSubpackages("unsigned", {}), repo + "/Packages");
    writeRpmRepository(repo, options);
    CHECK(verifyRepository(repo, key.publicFile).packages == 3);  // RPM signatures not asked for
    CHECK_THAT(errorText([&] { verifyRepository(repo, key.publicFile, requireSigned); }),
               Catch::StartsWith(rpm("unsigned") + ": RPM is not signed"));
}

TEST_CASE_METHOD(SignedRepoFixture, "key problems name the key file", "[repo]") {
    CHECK_THAT(errorText([&] { signRepositoryMetadata(repo, key.publicFile); }),
               Catch::StartsWith(key.publicFile + ": holds no secret key"));
    CHECK_THAT(errorText([&] { signRepositoryMetadata(repo, dir.path() + "/missing.asc"); }),
               Catch::StartsWith(dir.path() + "/missing.asc: cannot read file"));
    TestKey locked = makeTestKey(dir.path(), "locked", "secret words");
    CHECK_THAT(errorText([&] { signRepositoryMetadata(repo, locked.secretFile); }),
               Catch::StartsWith(locked.secretFile + ": cannot sign with this key") &&
                   Catch::Contains("without passphrase"));
    CHECK(!pathExists(repo + "/repodata/repomd.xml.asc"));
    writeTreeFile(dir.path(), "garbage.asc", "not a key\n");
    CHECK_THAT(errorText([&] { signRpms({rpm("hello")}, dir.path() + "/garbage.asc"); }),
               Catch::StartsWith(dir.path() + "/garbage.asc: holds no OpenPGP key"));
    CHECK_THAT(errorText([&] { signRepositoryMetadata(dir.path(), key.secretFile); }),
               Catch::StartsWith(dir.path() + "/repodata/repomd.xml: no repository metadata"));
}

TEST_CASE_METHOD(SignedRepoFixture, "signing leaves no GnuPG home and no gpg-agent behind",
                 "[repo]") {
    std::string scratch = dir.path() + "/tmp";
    fs::create_directories(scratch);
    const char* saved = std::getenv("TMPDIR");
    std::string previous = saved ? saved : "";
    ::setenv("TMPDIR", scratch.c_str(), 1);
    signRpms({rpm("hello"), rpm("hello-extra")}, key.secretFile);
    writeRpmRepository(repo, 1700000000);
    signRepositoryMetadata(repo, key.secretFile);
    VerifyOptions requireSigned;
    requireSigned.requireSignedRpms = true;
    CHECK(verifyRepository(repo, key.publicFile, requireSigned).packages == 2);
    saved ? ::setenv("TMPDIR", previous.c_str(), 1) : ::unsetenv("TMPDIR");
    CHECK(fs::is_empty(scratch));
    std::vector<std::string> agents;
    std::error_code ignored;
    for (fs::directory_iterator it("/proc", ignored), end; it != end; it.increment(ignored)) {
        const auto& entry = *it;
        std::string cmdline;
        std::ifstream(entry.path() / "cmdline") >> cmdline;
        if (cmdline.find(scratch) != std::string::npos)
            agents.push_back(cmdline);
    }
    CHECK(agents.empty());
}

TEST_CASE_METHOD(SignedRepoFixture, "signatures with a given time are reproducible and verify",
                 "[repo]") {
    // A time before the key existed is raised to the key's creation time:
    // clients refuse signatures older than their key.
    const int64_t beforeTheKey = 1000000000;
    signRepositoryMetadata(repo, key.secretFile, beforeTheKey);
    std::string first = readFile(repo + "/repodata/repomd.xml.asc");
    signRepositoryMetadata(repo, key.secretFile, beforeTheKey);
    CHECK(readFile(repo + "/repodata/repomd.xml.asc") == first);
    CHECK(verifyRepository(repo, key.publicFile).packages == 2);
    signRepositoryMetadata(repo, key.secretFile);  // the clock's time: a signature made later
    CHECK(verifyRepository(repo, key.publicFile).packages == 2);

    std::string copy = dir.path() + "/hello-copy.rpm";
    std::filesystem::copy_file(rpm("hello"), copy);
    signRpms({rpm("hello")}, key.secretFile, beforeTheKey);
    signRpms({copy}, key.secretFile, beforeTheKey);
    CHECK(readFile(copy) == readFile(rpm("hello")));
    checkRpmSignatures({rpm("hello"), copy}, key.publicFile);
}
