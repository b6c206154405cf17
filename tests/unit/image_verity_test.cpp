#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <random>
#include <regex>

#include "image/verity.h"
#include "support/error_text.h"
#include "support/temp_tree.h"
#include "support/test_packages.h"
#include "util/files.h"

using namespace twoliter;
using twoliter::testing::runCapturing;

namespace {

// A data file of `blocks` 4096-byte blocks: random bytes in the blocks
// listed in `filled` (all when empty), a hole elsewhere.
void writeData(const std::string& path, uint64_t blocks, const std::vector<uint64_t>& filled = {}) {
    std::mt19937_64 random(blocks);
    std::string block(kVerityBlockSize, '\0');
    std::fstream file(path, std::ios::out | std::ios::binary | std::ios::trunc);
    auto fill = [&](uint64_t index) {
        for (auto& c : block)
            c = static_cast<char>(random());
        file.seekp(static_cast<std::streamoff>(index * kVerityBlockSize));
        file.write(block.data(), block.size());
    };
    if (filled.empty()) {
        for (uint64_t i = 0; i < blocks; ++i)
            fill(i);
    }
    for (uint64_t index : filled)
        fill(index);
    file.close();
    std::filesystem::resize_file(path, blocks * kVerityBlockSize);
}

void flipByte(const std::string& path, uint64_t offset) {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(static_cast<std::streamoff>(offset));
    char c = static_cast<char>(file.get() ^ 0x01);
    file.seekp(static_cast<std::streamoff>(offset));
    file.put(c);
}

const std::string kSalt = std::string("0123456789abcdef0123456789abcdef");
const std::string kSaltHex =
    "30313233343536373839616263646566"
    "30313233343536373839616263646566";
const char* kUuid = "6f2b1a3c-8d4e-4f50-9a61-b7c8d9e0f1a2";

// veritysetup's own hash file for the same data, salt and uuid, written into
// a file of hashFileSize bytes as upstream pre-sizes it.
std::string veritysetupFormat(const std::string& data, const std::string& hash,
                              uint64_t hashFileSize, std::string* rootHash) {
    std::filesystem::remove(hash);
    std::ofstream(hash).close();
    std::filesystem::resize_file(hash, hashFileSize);
    auto [status, output] = runCapturing(
        "veritysetup format --format 1 --hash sha256 --data-block-size 4096 "
        "--hash-block-size 4096 --salt " +
        kSaltHex + " --uuid " + kUuid + " " + data + " " + hash);
    INFO(output);
    REQUIRE(status == 0);
    std::smatch match;
    REQUIRE(std::regex_search(output, match, std::regex("Root hash:\\s+(\\S+)")));
    *rootHash = match[1];
    return readFile(hash);
}

void checkAgainstVeritysetup(uint64_t blocks, const std::vector<uint64_t>& filled,
                             uint64_t corruptBlock) {
    testing::TempDir dir;
    const std::string data = dir.path() + "/root.img", hash = dir.path() + "/root.verity";
    writeData(data, blocks, filled);
    const uint64_t hashFileSize = 10 << 20;
    VerityHashTree tree = writeVerityHashTree(data, hash, kSalt, parseGuid(kUuid), hashFileSize);
    CHECK(tree.dataBlocks == blocks);
    CHECK(tree.salt == kSaltHex);
    CHECK(std::filesystem::file_size(hash) == hashFileSize);

    CHECK(runCapturing("veritysetup verify " + data + " " + hash + " " + tree.rootHash).first == 0);
    std::string theirRoot;
    std::string theirs =
        veritysetupFormat(data, dir.path() + "/theirs.verity", hashFileSize, &theirRoot);
    CHECK(tree.rootHash == theirRoot);
    CHECK((readFile(hash) == theirs));

    flipByte(data, corruptBlock * kVerityBlockSize + 100);
    auto [status, output] =
        runCapturing("veritysetup verify " + data + " " + hash + " " + tree.rootHash);
    CHECK(status != 0);
    CHECK(output.find("Verification of") != std::string::npos);
    if (blocks > 1)  // with one block only the root hash is checked
        CHECK(output.find("Verification failed at position " +
                          std::to_string(corruptBlock * kVerityBlockSize)) != std::string::npos);
}

}  // namespace

TEST_CASE("verity trees match veritysetup for one to three levels", "[image]") {
    SECTION("one block: the root is the block's hash, no tree") {
        checkAgainstVeritysetup(1, {}, 0);
    }
    SECTION("two blocks: one level") {
        checkAgainstVeritysetup(2, {}, 1);
    }
    SECTION("129 blocks: two levels") {
        checkAgainstVeritysetup(129, {}, 128);
    }
    SECTION("128*128+1 sparse blocks: three levels") {
        checkAgainstVeritysetup(128 * 128 + 1, {0, 5000, 5001, 128 * 128}, 5001);
    }
}

TEST_CASE("the tree's size and the dm-verity table", "[image]") {
    testing::TempDir dir;
    const std::string data = dir.path() + "/root.img", hash = dir.path() + "/root.verity";
    writeData(data, 129, {7});
    VerityHashTree tree = writeVerityHashTree(data, hash, kSalt, parseGuid(kUuid));
    CHECK(tree.hashBlocks == 3);  // two blocks of leaves, one above them
    CHECK(std::filesystem::file_size(hash) == 4 * kVerityBlockSize);
    CHECK(dmVerityTable(tree) ==
          "root,,,ro,0 1032 verity 1 PARTUUID=$boot_uuid/PARTNROFF=1 "
          "PARTUUID=$boot_uuid/PARTNROFF=2 4096 4096 129 1 sha256 " +
              tree.rootHash + " " + kSaltHex + " 2 restart_on_corruption ignore_zero_blocks");
    CHECK(runCapturing("veritysetup verify " + data + " " + hash + " " + tree.rootHash).first == 0);
}

TEST_CASE("verity refuses partial blocks and a hash partition that is too small", "[image]") {
    testing::TempDir dir;
    const std::string data = dir.path() + "/root.img", hash = dir.path() + "/root.verity";
    writeData(data, 200);
    CHECK(testing::errorText([&] {
              writeVerityHashTree(data, hash, kSalt, parseGuid(kUuid), 3 * kVerityBlockSize);
          }) == hash +
                    ": the verity hash tree needs 16384 bytes, more than the 12288 available "
                    "(hint: the hash partition is too small for this root filesystem)");
    CHECK_FALSE(std::filesystem::exists(hash));
    std::filesystem::resize_file(data, 200 * kVerityBlockSize + 1);
    CHECK(testing::errorText([&] { writeVerityHashTree(data, hash, kSalt, parseGuid(kUuid)); }) ==
          data +
              ": verity data must be a non-empty whole number of 4096-byte blocks, found 819201 "
              "bytes");
    // Nothing but the data: no hash file, no temporary left behind.
    auto entries = std::filesystem::directory_iterator(dir.path());
    CHECK(std::distance(begin(entries), end(entries)) == 1);
}
