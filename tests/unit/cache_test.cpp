#include <catch2/catch.hpp>

#include <filesystem>
#include <thread>

#include "cache/content_store.h"
#include "cache/file_digests.h"
#include "support/temp_tree.h"
#include "util/digest.h"
#include "util/files.h"

using namespace twoliter;
using twoliter::testing::TempDir;
using twoliter::testing::writeTreeFile;

TEST_CASE("the content store keeps one read-only copy per content") {
    TempDir dir;
    writeTreeFile(dir.path(), "a.rpm", "rpm bytes");
    writeTreeFile(dir.path(), "b.rpm", "rpm bytes");
    ContentStore store(dir.path() + "/cache");
    std::string digest = store.put(dir.path() + "/a.rpm");
    CHECK(digest == sha256Hex("rpm bytes"));
    CHECK(store.put(dir.path() + "/b.rpm") == digest);
    CHECK(store.pathOf(digest) == dir.path() + "/cache/cas/" + digest.substr(0, 2) + "/" + digest);
    CHECK(store.contains(digest));
    store.materialize(digest, dir.path() + "/build/rpms/x/a.rpm");
    CHECK(readFile(dir.path() + "/build/rpms/x/a.rpm") == "rpm bytes");
    CHECK(store.verify(digest));
}

TEST_CASE("a corrupt content entry is detected and removed") {
    TempDir dir;
    writeTreeFile(dir.path(), "a.rpm", "rpm bytes");
    ContentStore store(dir.path() + "/cache");
    std::string digest = store.put(dir.path() + "/a.rpm");
    std::filesystem::permissions(store.pathOf(digest), std::filesystem::perms::owner_write,
                                 std::filesystem::perm_options::add);
    writeTreeFile(dir.path(), "cache/cas/" + digest.substr(0, 2) + "/" + digest, "flipped");
    CHECK_FALSE(store.verify(digest));
    CHECK_FALSE(store.contains(digest));
}

TEST_CASE("action records round-trip, and a damaged one is a miss") {
    TempDir dir;
    ActionCache cache(dir.path());
    ActionRecord record;
    record.outputs = {{"bottlerocket-runc-1.0-1.x86_64.rpm", std::string(64, 'a'), 1234}};
    record.seconds = 2.5;
    record.inputsDigest = "inputs";
    record.inputs = {{"spec", "d1"}, {"file:runc.c", "d2"}};
    std::string key(64, 'b');
    CHECK_FALSE(cache.find(key));
    cache.store(key, record);
    auto found = cache.find(key);
    REQUIRE(found);
    CHECK(found->outputs.at(0).name == "bottlerocket-runc-1.0-1.x86_64.rpm");
    CHECK(found->outputs.at(0).size == 1234);
    CHECK(found->seconds == 2.5);
    CHECK(found->inputs == record.inputs);
    writeFileAtomic(dir.path() + "/actions/bb/" + key, "twoliter-action-v1\n\x7f");
    CHECK_FALSE(cache.find(key));
}

TEST_CASE("file digests are remembered until the file changes") {
    TempDir dir;
    writeTreeFile(dir.path(), "runc.c", "int main;");
    std::string path = dir.path() + "/runc.c";
    {
        FileDigests digests(dir.path() + "/state");
        CHECK(digests.digest(path) == sha256Hex("int main;"));
        CHECK(digests.hashed() == 1);
        digests.save();
    }
    {
        FileDigests digests(dir.path() + "/state");
        CHECK(digests.digest(path) == sha256Hex("int main;"));
        CHECK(digests.hashed() == 0);
        digests.save();
    }
    writeTreeFile(dir.path(), "runc.c", "int main();");
    FileDigests digests(dir.path() + "/state");
    CHECK(digests.digest(path) == sha256Hex("int main();"));
    CHECK(digests.hashed() == 1);
}

TEST_CASE("the cache folder follows the environment") {
    ::setenv("TWOLITER_CACHE_DIR", "/var/cache/tl", 1);
    CHECK(defaultCacheDirectory() == "/var/cache/tl");
    ::unsetenv("TWOLITER_CACHE_DIR");
    ::setenv("XDG_CACHE_HOME", "/xdg", 1);
    CHECK(defaultCacheDirectory() == "/xdg/twoliter");
    ::unsetenv("XDG_CACHE_HOME");
}

TEST_CASE("two threads storing the same content do not share a temporary file") {
    TempDir dir;
    writeTreeFile(dir.path(), "a.rpm", std::string(1 << 20, 'x'));
    std::vector<std::string> digests(2);
    std::vector<std::string> failures(2);
    std::vector<std::thread> threads;
    for (size_t i = 0; i < 2; ++i) {
        threads.emplace_back([&, i] {
            try {
                for (int round = 0; round < 20; ++round) {
                    ContentStore store(dir.path() + "/cache-" + std::to_string(round));
                    digests[i] = store.put(dir.path() + "/a.rpm");
                }
            } catch (const std::exception& e) {
                failures[i] = e.what();
            }
        });
    }
    for (auto& thread : threads)
        thread.join();
    CHECK(failures == std::vector<std::string>{"", ""});
    CHECK(digests[0] == digests[1]);
    CHECK(ContentStore(dir.path() + "/cache-19").verify(digests[0]));
}
