// Incremental repository metadata: unchanged RPMs are not read again, and
// the output is the same as a write from scratch, with any number of jobs.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <utime.h>

#include <filesystem>
#include <map>

#include "repo/rpm_repository.h"
#include "support/error_text.h"
#include "support/temp_tree.h"
#include "support/test_packages.h"
#include "util/files.h"

using namespace twoliter;
using twoliter::testing::buildTestRpm;
using twoliter::testing::rpmWithSubpackages;
using twoliter::testing::TempDir;
using twoliter::testing::TestRpm;
using twoliter::testing::writeTreeFile;
namespace fs = std::filesystem;

namespace {

// RPMs <name> and <name>-<sub> (noarch, version 2.0, a file each, each
// subpackage requiring <name>) in output/noarch/.
void buildRpmFamily(const std::string& work, const std::string& name,
                    const std::vector<std::string>& subpackages, const std::string& output) {
    TestRpm rpm = rpmWithSubpackages(name, subpackages);
    rpm.version = "2.0";
    rpm.changelog = "* Mon Jan 01 2024 A <a@b> - 2.0-1\n- c\n";
    for (auto& sub : rpm.subpackages)
        sub.dependencies = {name};
    buildTestRpm(work, rpm, output);
}

// Every file of repodata/ by name, with its bytes.
std::map<std::string, std::string> metadataOf(const std::string& repo) {
    std::map<std::string, std::string> files;
    for (const auto& entry : fs::directory_iterator(repo + "/repodata"))
        files[entry.path().filename().string()] = readFile(entry.path().string());
    return files;
}

// The metadata a write from scratch gives (the cache neither read nor written).
std::map<std::string, std::string> fromScratch(const std::string& repo, unsigned jobs = 1) {
    RepositoryOptions options;
    options.epoch = 1704067200;
    options.jobs = jobs;
    options.incremental = false;
    RepositoryStats stats = writeRpmRepository(repo, options);
    CHECK(stats.reused == 0);
    CHECK(stats.read == stats.packages);
    return metadataOf(repo);
}

struct RepoFixture {
    TempDir dir;
    std::string repo = dir.path() + "/repo";
    std::string cache = repo + "/.repodata-cache";
    RepoFixture() {
        buildRpmFamily(dir.path() + "/work", "base", {"a", "b", "c"}, repo + "/Packages");
    }
    RepositoryStats write(unsigned jobs = 2) {
        RepositoryOptions options;
        options.epoch = 1704067200;
        options.jobs = jobs;
        return writeRpmRepository(repo, options);
    }
};

}  // namespace

TEST_CASE_METHOD(RepoFixture, "unchanged RPMs are reused, a new one is read", "[repo]") {
    RepositoryStats first = write();
    CHECK(first.packages == 4);
    CHECK(first.read == 4);
    CHECK(first.reused == 0);
    CHECK(pathExists(cache));
    auto firstMetadata = metadataOf(repo);

    RepositoryStats again = write();
    CHECK(again.reused == 4);
    CHECK(again.read == 0);
    CHECK(metadataOf(repo) == firstMetadata);

    buildRpmFamily(dir.path() + "/work2", "added", {}, repo + "/Packages");
    RepositoryStats added = write();
    CHECK(added.packages == 5);
    CHECK(added.reused == 4);
    CHECK(added.read == 1);
    auto incremental = metadataOf(repo);
    CHECK(incremental != firstMetadata);
    CHECK(incremental == fromScratch(repo));
    CHECK(incremental == fromScratch(repo, 3));  // jobs do not change the output

    fs::remove(repo + "/Packages/noarch/base-a-2.0-1.noarch.rpm");
    RepositoryStats removed = write();
    CHECK(removed.packages == 4);
    CHECK(removed.reused == 4);
    CHECK(removed.read == 0);
    CHECK(metadataOf(repo) == fromScratch(repo));
}

TEST_CASE_METHOD(RepoFixture, "a damaged or foreign cache file is ignored and rebuilt", "[repo]") {
    write();
    auto expected = metadataOf(repo);
    std::string content = readFile(cache);
    SECTION("damaged") {
        content[content.size() / 2] ^= 0x20;
        writeFileAtomic(cache, content);
    }
    SECTION("truncated") {
        writeFileAtomic(cache, content.substr(0, content.size() / 3));
    }
    SECTION("foreign") {
        writeFileAtomic(cache, "twoliter-repodata-cache-v0\nsomething else");
    }
    RepositoryStats rebuilt = write();
    CHECK(rebuilt.reused == 0);
    CHECK(rebuilt.read == 4);
    CHECK(metadataOf(repo) == expected);
    CHECK(write().reused == 4);  // the cache file was written again
}

TEST_CASE_METHOD(RepoFixture, "an RPM replaced with its old size and mtime is read again",
                 "[repo]") {
    write();
    std::string rpm = repo + "/Packages/noarch/base-b-2.0-1.noarch.rpm";
    struct stat before {};
    REQUIRE(::stat(rpm.c_str(), &before) == 0);
    // The same bytes under a new inode, the mtime set back: only the inode
    // and ctime tell.
    writeFileAtomic(rpm, readFile(rpm));
    struct utimbuf times {
        before.st_atime, before.st_mtime
    };
    REQUIRE(::utime(rpm.c_str(), &times) == 0);
    RepositoryStats stats = write();
    CHECK(stats.read == 1);
    CHECK(stats.reused == 3);
}

TEST_CASE("every unreadable RPM is named, and nothing is written", "[repo]") {
    TempDir dir;
    writeTreeFile(dir.path(), "Packages/bad-1.rpm", "not an rpm");
    writeTreeFile(dir.path(), "Packages/bad-2.rpm", "not one either");
    try {
        RepositoryOptions options;
        options.jobs = 2;
        writeRpmRepository(dir.path(), options);
        FAIL("no error");
    } catch (const ErrorList& errors) {
        REQUIRE(errors.errors().size() == 2);
        CHECK(errors.errors()[0].location().file == dir.path() + "/Packages/bad-1.rpm");
        CHECK(errors.errors()[1].location().file == dir.path() + "/Packages/bad-2.rpm");
    }
    CHECK(listSubdirectories(dir.path()) == std::vector<std::string>{"Packages"});
    CHECK(!pathExists(dir.path() + "/.repodata-cache"));
}
