#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>

#include "cache/cache_pruning.h"
#include "support/temp_tree.h"
#include "util/error.h"
#include "util/files.h"

using namespace twoliter;
using twoliter::testing::TempDir;
using twoliter::testing::writeTreeFile;

namespace {
// Sets a path's modification time to `seconds` after the epoch.
void age(const std::string& path, long seconds) {
    struct timespec times[2] = {{seconds, 0}, {seconds, 0}};
    ::utimensat(AT_FDCWD, path.c_str(), times, 0);
}
}  // namespace

TEST_CASE("sizes as people write them") {
    CHECK(parseSize("123") == 123);
    CHECK(parseSize("2K") == 2048);
    CHECK(parseSize("500M") == 500ull << 20);
    CHECK(parseSize("10G") == 10ull << 30);
    CHECK(parseSize("10GB") == 10ull << 30);
    CHECK_THROWS_AS(parseSize("lots"), Error);
    CHECK_THROWS_AS(parseSize("10X"), Error);
}

TEST_CASE("pruning removes the least recently used entries first and keeps SDK images") {
    TempDir dir;
    std::string root = dir.path();
    writeTreeFile(root, "cas/aa/aaaa", std::string(1000, 'a'));
    writeTreeFile(root, "cas/bb/bbbb", std::string(1000, 'b'));
    writeTreeFile(root, "build-roots/k1/x86_64-bottlerocket-linux-gnu/lib/libz.so",
                  std::string(1000, 'z'));
    writeTreeFile(root, "external-files/ff/zlib.tar.gz", std::string(1000, 'f'));
    writeTreeFile(root, "sdk/cafe/rootfs/usr/bin/rpm", std::string(5000, 'r'));
    age(root + "/cas/aa/aaaa", 100);
    age(root + "/build-roots/k1", 200);
    age(root + "/external-files/ff/zlib.tar.gz", 300);
    age(root + "/cas/bb/bbbb", 400);
    CacheUsage usage = measureCache(root);
    CHECK(usage.prunable() == 4000);
    CHECK(usage.sdkBytes == 5000);
    PruneResult result = pruneCache(root, 2500);
    CHECK(result.removedEntries == 2);
    CHECK(result.removedBytes == 2000);
    CHECK_FALSE(pathExists(root + "/cas/aa/aaaa"));
    CHECK_FALSE(pathExists(root + "/build-roots/k1"));
    CHECK(pathExists(root + "/external-files/ff/zlib.tar.gz"));
    CHECK(pathExists(root + "/cas/bb/bbbb"));
    CHECK(result.after.prunable() == 2000);
    CHECK(pruneCache(root, 0).after.prunable() == 0);
    CHECK(pathExists(root + "/sdk/cafe/rootfs/usr/bin/rpm"));
}

TEST_CASE("pruning removes what interrupted runs left half-written, whatever its age") {
    TempDir dir;
    std::string root = dir.path();
    writeTreeFile(root, "cas/aa/aaaa", std::string(1000, 'a'));
    writeTreeFile(root, "cas/aa/aaaa.tmp-4242-0", std::string(700, 'a'));
    writeTreeFile(root, "build-roots/k1.tmp-4242-1/usr/lib/libz.so", std::string(10, 'z'));
    writeTreeFile(root, "external-files/ff/zlib.tar.gz.part-4242-2", std::string(10, 'f'));
    writeTreeFile(root, "actions/ab/abab.tmp-1-3", "{}");
    age(root + "/cas/aa/aaaa", 100);
    age(root + "/cas/aa/aaaa.tmp-4242-0", 900);
    PruneResult result = pruneCache(root, 1 << 20);
    CHECK(result.removedTemporaries == 4);
    CHECK(result.removedEntries == 0);
    CHECK(pathExists(root + "/cas/aa/aaaa"));
    CHECK_FALSE(pathExists(root + "/cas/aa/aaaa.tmp-4242-0"));
    CHECK_FALSE(pathExists(root + "/build-roots/k1.tmp-4242-1"));
    CHECK_FALSE(pathExists(root + "/external-files/ff/zlib.tar.gz.part-4242-2"));
    CHECK_FALSE(pathExists(root + "/actions/ab/abab.tmp-1-3"));
    CHECK(result.after.prunable() == 1000);
}
