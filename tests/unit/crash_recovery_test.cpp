#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <system_error>

#include "cache/content_store.h"
#include "project/manifest_reader.h"
#include "spec/package_spec.h"
#include "support/error_text.h"
#include "support/temp_tree.h"
#include "util/digest.h"
#include "util/files.h"

using namespace twoliter;
using twoliter::testing::TempDir;
using twoliter::testing::writeTreeFile;
namespace fs = std::filesystem;

namespace {

// The pid of a process that has exited (and been reaped).
pid_t deadPid() {
    pid_t pid = ::fork();
    if (pid == 0)
        ::_exit(0);
    ::waitpid(pid, nullptr, 0);
    return pid;
}

void corrupt(const std::string& path) {
    fs::permissions(path, fs::perms::owner_write, fs::perm_options::add);
    writeFileAtomic(path, "corrupt");
}

}  // namespace

TEST_CASE("temporaries of dead processes are removed, those of live ones kept") {
    TempDir dir;
    std::string dead = std::to_string(deadPid());
    std::string live = std::to_string(::getpid());
    writeTreeFile(dir.path(), "runc.tmp-" + dead + "-3/a.rpm", "partial");
    writeTreeFile(dir.path(), "runc.old-" + dead + "-4/a.rpm", "old");
    writeTreeFile(dir.path(), ".kit.tar.layout-" + dead + "-0/index.json", "{}");
    writeTreeFile(dir.path(), "kit.tar.tmp-" + live + "-1", "being written");
    writeTreeFile(dir.path(), "runc/a.rpm", "published");
    writeTreeFile(dir.path(), "notes.tmp-x", "not a temporary name");
    removeAbandonedTemporaries(dir.path());
    CHECK_FALSE(fs::exists(dir.path() + "/runc.tmp-" + dead + "-3"));
    CHECK_FALSE(fs::exists(dir.path() + "/runc.old-" + dead + "-4"));
    CHECK_FALSE(fs::exists(dir.path() + "/.kit.tar.layout-" + dead + "-0"));
    CHECK(fs::exists(dir.path() + "/kit.tar.tmp-" + live + "-1"));
    CHECK(fs::exists(dir.path() + "/runc/a.rpm"));
    CHECK(fs::exists(dir.path() + "/notes.tmp-x"));
    removeAbandonedTemporaries(dir.path() + "/missing");  // no error
}

TEST_CASE("a cache hit verifies its outputs and reports corrupt entries") {
    TempDir dir;
    writeTreeFile(dir.path(), "a.rpm", "rpm a");
    writeTreeFile(dir.path(), "b.rpm", "rpm b");
    ContentStore store(dir.path() + "/cache");
    std::vector<ActionOutput> outputs = {{"a.rpm", store.put(dir.path() + "/a.rpm"), 5},
                                         {"b.rpm", store.put(dir.path() + "/b.rpm"), 5}};
    std::vector<std::string> corruptEntries;
    CHECK(outputsIntact(store, outputs, corruptEntries));
    CHECK(corruptEntries.empty());

    corrupt(store.pathOf(outputs[1].digest));
    CHECK_FALSE(outputsIntact(store, outputs, corruptEntries));
    CHECK(corruptEntries == std::vector<std::string>{store.pathOf(outputs[1].digest)});
    CHECK_FALSE(store.contains(outputs[1].digest));  // discarded

    corruptEntries.clear();
    CHECK_FALSE(outputsIntact(store, outputs, corruptEntries));  // missing now, not corrupt
    CHECK(corruptEntries.empty());
}

TEST_CASE("storing over a corrupt entry replaces it") {
    TempDir dir;
    writeTreeFile(dir.path(), "a.rpm", "rpm a");
    ContentStore store(dir.path() + "/cache");
    std::string digest = store.put(dir.path() + "/a.rpm");
    corrupt(store.pathOf(digest));
    CHECK(store.put(dir.path() + "/a.rpm") == digest);
    CHECK(readFile(store.pathOf(digest)) == "rpm a");
    CHECK(store.verify(digest));
}

TEST_CASE("file system errors become Errors naming the path, and a full disk says so") {
    fs::filesystem_error full("cannot copy file", "/cache/cas/ab/x.tmp-1-2", "/build/rpms/x",
                              std::make_error_code(std::errc::no_space_on_device));
    Error error = fileSystemError(full);
    CHECK(error.describe() ==
          "/cache/cas/ab/x.tmp-1-2: no space left on device (hint: free space on that file "
          "system (the build folder or the cache) and run again)");
    fs::filesystem_error denied("cannot copy file", "/a", "/b",
                                std::make_error_code(std::errc::permission_denied));
    CHECK(fileSystemError(denied).describe() == "/a: cannot copy file: Permission denied (to /b)");
}

TEST_CASE("a damaged action record with a huge count is a miss, not an allocation") {
    TempDir dir;
    std::string key(64, 'c');
    // The magic, then an output count of 2^56 and nothing else: resize()
    // threw std::length_error or bad_alloc, which no caller expects.
    writeTreeFile(dir.path(), "actions/cc/" + key,
                  std::string("twoliter-action-v1\n") + "\x80\x80\x80\x80\x80\x80\x80\x80\x01");
    CHECK_FALSE(ActionCache(dir.path()).find(key));
}

TEST_CASE("a damaged spec record with a huge dependency count is an Error") {
    // Four empty identity strings, no binaries, 2^31 build requirements:
    // decoding used to allocate 144 GB (found by package_spec_fuzzer).
    std::string record = std::string("\x04\x00\x00\x00\x00\x00", 6) + "\x80\x80\x80\x80\x08";
    CHECK_THROWS_AS(decodePackageSpec(record), Error);
}

TEST_CASE("base64 that is all padding is refused, not a wrapped-around size") {
    // Found by oci_json_fuzzer through lockDigestSha256Hex: Twoliter.lock's
    // digest = "====" made decoding throw std::length_error.
    std::string bytes;
    CHECK_FALSE(base64Decode("====", bytes));
    CHECK_FALSE(base64Decode("A===", bytes));
    CHECK(hexFromBase64("====").empty());
    CHECK(hexFromBase64("AA==") == "00");
}

TEST_CASE("a TOML file that is not UTF-8 is an Error naming its line") {
    // Found by the TOML fuzzers: toml11 3.7 reads out of bounds when it
    // reports invalid UTF-8 in a literal string.
    TempDir dir;
    writeTreeFile(dir.path(), "Twoliter.toml", "schema-version = 1\n'caf\xe9' = 1\n");
    CHECK(testing::errorText([&] {
              readTwoliterConfig(dir.path() + "/Twoliter.toml", "Twoliter.toml");
          }) == "Twoliter.toml:2: invalid TOML: not valid UTF-8");
}
