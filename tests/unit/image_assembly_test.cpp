// Disk assembly: a partition plan and partition images in, a sparse disk
// file out, read back with readGpt, sgdisk and extractPartition.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <random>

#include "image/disk_assembly.h"
#include "image/gpt.h"
#include "image/image_file.h"
#include "support/error_text.h"
#include "support/temp_tree.h"
#include "support/test_packages.h"
#include "util/digest.h"
#include "util/files.h"
#include "util/strings.h"

using namespace twoliter;
using twoliter::testing::outputOrFail;
using twoliter::testing::TempDir;

namespace fs = std::filesystem;

namespace {

constexpr uint64_t kMib = 1 << 20;
constexpr const char* kSeed = "variant metal-dev x86_64 1.2.3-abcdef12";

ImagePlan splitPlan() {
    ImageLayout layout;  // 2 GiB OS, 1 GiB data, split
    return planImage(layout, true, Arch::X86_64);
}

std::string randomBytes(size_t size, unsigned seed) {
    std::mt19937 generator(seed);
    std::string bytes(size, '\0');
    for (auto& c : bytes)
        c = static_cast<char>(generator() | 1);  // never a zero byte
    return bytes;
}

// A sparse file of size bytes holding each piece at its offset.
std::string sparseFile(const std::string& path, uint64_t size,
                       const std::vector<std::pair<uint64_t, std::string>>& pieces) {
    ImageFile file = ImageFile::openForWriting(path);
    file.resize(size);
    for (const auto& [offset, bytes] : pieces)
        file.writeAt(offset, bytes.data(), bytes.size());
    return path;
}

uint64_t allocatedBytes(const std::string& path) {
    struct stat info;
    REQUIRE(::stat(path.c_str(), &info) == 0);
    return static_cast<uint64_t>(info.st_blocks) * 512;
}

// Non-zero 4 KiB blocks of a file, in bytes: what assembly has to write.
uint64_t nonZeroBytes(const std::string& path) {
    std::string bytes = readFile(path);
    uint64_t count = 0;
    for (size_t at = 0; at < bytes.size(); at += 4096) {
        std::string block = bytes.substr(at, 4096);
        if (block.find_first_not_of('\0') != std::string::npos)
            count += block.size();
    }
    return count;
}

// A sparse file's contents without reading its holes: each data extent
// (SEEK_DATA / SEEK_HOLE) with the SHA-256 of its bytes, and the size.
std::string sparseDigest(const std::string& path) {
    ImageFile file = ImageFile::openForReading(path);
    std::string digest = std::to_string(file.size());
    off_t at = 0;
    while ((at = ::lseek(file.descriptor(), at, SEEK_DATA)) >= 0) {
        off_t end = ::lseek(file.descriptor(), at, SEEK_HOLE);
        std::string bytes(static_cast<size_t>(end - at), '\0');
        file.readAt(static_cast<uint64_t>(at), bytes.data(), bytes.size());
        digest += " " + std::to_string(at) + ":" + sha256Hex(bytes);
        at = end;
    }
    return digest;
}

struct AssemblyFixture {
    TempDir dir;
    ImagePlan plan = splitPlan();
    PartitionImages images;
    AssemblyFixture() {
        const std::string d = dir.path();
        // A 3 MiB image with a zero block inside and a hole at its end.
        std::string efi = randomBytes(3 * kMib, 1);
        std::fill(efi.begin() + 8192, efi.begin() + 12288, '\0');
        images["EFI-A"] = sparseFile(d + "/efi.img", 4 * kMib, {{0, efi}});
        // Data at both ends of a 40 MiB hole.
        images["BOOT-A"] =
            sparseFile(d + "/boot.img", 40 * kMib - 1,
                       {{0, randomBytes(5000, 2)}, {40 * kMib - 4097, randomBytes(4096, 3)}});
        images["ROOT-A"] = sparseFile(d + "/root.img", 8 * kMib, {{0, randomBytes(8 * kMib, 4)}});
        // Exactly as large as its partition, its last byte set.
        images["PRIVATE"] =
            sparseFile(d + "/private.img", 41 * kMib, {{41 * kMib - 1, std::string("\x7f")}});
    }
};

// size bytes of path from offset (fewer at its end).
std::string bytesAt(const std::string& path, uint64_t offset, size_t size) {
    std::string bytes(size, '\0');
    bytes.resize(ImageFile::openForReading(path).readSomeAt(offset, bytes.data(), size));
    return bytes;
}

// Whether path holds only zero bytes from offset on.
bool zeroFrom(const std::string& path, uint64_t offset) {
    for (std::string chunk; !(chunk = bytesAt(path, offset, kMib)).empty(); offset += chunk.size())
        if (chunk.find_first_not_of('\0') != std::string::npos)
            return false;
    return true;
}

void checkPartitionBytes(const std::string& disk, const PlannedPartition& partition,
                         const std::string& image, const std::string& dir) {
    INFO(partition.name);
    std::string extracted = dir + "/extracted-" + partition.name;
    extractPartition(disk, partition, extracted);
    std::string input = readFile(image);
    REQUIRE(fs::file_size(extracted) == partition.sizeMib * kMib);
    CHECK(bytesAt(extracted, 0, input.size()) == input);
    CHECK(zeroFrom(extracted, input.size()));
    CHECK(allocatedBytes(extracted) <= nonZeroBytes(image) + 4096);  // a partial last block
    fs::remove(extracted);
}

}  // namespace

TEST_CASE_METHOD(AssemblyFixture, "a disk holds its GPT and each partition image at its offset",
                 "[image-assembly]") {
    std::string disk = dir.path() + "/os.img";
    AssembledDisk assembled = assembleDisk(plan.os, kSeed, images, disk);
    CHECK(assembled.diskBytes == 2048 * kMib);
    CHECK(fs::file_size(disk) == 2048 * kMib);

    GptTable expected = gptTableForPlan(plan.os, kSeed);
    GptTable read = readGpt(disk);
    CHECK(read.diskGuid == expected.diskGuid);
    REQUIRE(read.partitions.size() == expected.partitions.size());
    for (size_t i = 0; i < read.partitions.size(); ++i) {
        CHECK(read.partitions[i].label == expected.partitions[i].label);
        CHECK(read.partitions[i].unique == expected.partitions[i].unique);
        CHECK(read.partitions[i].firstLba == plan.os.partitions[i].startMib * 2048);
    }
    std::string listing = outputOrFail("sgdisk -p " + disk);
    CHECK_THAT(listing, Catch::Contains("Disk identifier (GUID): " + [](std::string g) {
                   for (auto& c : g)
                       c = static_cast<char>(std::toupper(c));
                   return g;
               }(formatGuid(expected.diskGuid))));
    CHECK_THAT(listing, Catch::Contains("BOTTLEROCKET-ROOT-A"));
    CHECK_THAT(outputOrFail("sgdisk -v " + disk), Catch::Contains("No problems found"));

    for (const auto& [name, image] : images)
        checkPartitionBytes(disk, plan.os.partition(name), image, dir.path());
    // A partition without an image reads as zeros.
    std::string hash = dir.path() + "/hash";
    extractPartition(disk, plan.os.partition("HASH-A"), hash);
    CHECK(zeroFrom(hash, 0));
    CHECK(allocatedBytes(hash) == 0);
}

TEST_CASE_METHOD(AssemblyFixture, "a disk stays sparse and reproducible", "[image-assembly]") {
    std::string disk = dir.path() + "/os.img";
    AssembledDisk assembled = assembleDisk(plan.os, kSeed, images, disk);
    uint64_t expectedCopy = 0;
    for (const auto& [name, image] : images)
        expectedCopy += nonZeroBytes(image);
    CHECK(assembled.copiedBytes == expectedCopy);
    // Partition data plus the two GPT copies; du agrees with stat.
    uint64_t allocated = allocatedBytes(disk);
    INFO("allocated " << allocated << " of " << assembled.diskBytes);
    CHECK(allocated >= expectedCopy);
    CHECK(allocated <= expectedCopy + 2 * kMib);
    std::string du = outputOrFail("du --block-size=1 " + disk);
    CHECK(std::stoull(du) == allocated);

    std::string again = dir.path() + "/again.img";
    assembleDisk(plan.os, kSeed, images, again);
    CHECK(sparseDigest(disk) == sparseDigest(again));
    // No temporary file is left beside the outputs.
    for (const auto& entry : fs::directory_iterator(dir.path()))
        CHECK(entry.path().filename().string().find(".tmp-") == std::string::npos);
}

TEST_CASE_METHOD(AssemblyFixture, "the split data disk holds DATA-B", "[image-assembly]") {
    REQUIRE(plan.data);
    std::string data = dir.path() + "/data.img";
    std::string image =
        sparseFile(dir.path() + "/data-fs.img", 16 * kMib, {{1024, randomBytes(4096, 5)}});
    assembleDisk(*plan.data, kSeed, {{"DATA-B", image}}, data);
    CHECK(fs::file_size(data) == 1024 * kMib);
    CHECK_THAT(outputOrFail("sgdisk -v " + data), Catch::Contains("No problems found"));
    checkPartitionBytes(data, plan.data->partition("DATA-B"), image, dir.path());
}

TEST_CASE_METHOD(AssemblyFixture, "boot code goes before the protective MBR's table",
                 "[image-assembly]") {
    std::string disk = dir.path() + "/os.img";
    std::string bootCode = randomBytes(440, 6);
    assembleDisk(plan.os, kSeed, {}, disk, bootCode);
    std::string sector = bytesAt(disk, 0, 512);
    CHECK(sector.substr(0, 440) == bootCode);
    CHECK(static_cast<unsigned char>(sector[450]) == 0xee);  // the protective partition
    CHECK(readGpt(disk).partitions.size() == plan.os.partitions.size());
    CHECK_THAT(
        testing::errorText([&] { assembleDisk(plan.os, kSeed, {}, disk, randomBytes(441, 6)); }),
        Catch::Contains("does not fit the MBR"));
}

TEST_CASE_METHOD(AssemblyFixture, "what does not fit is refused and nothing is written",
                 "[image-assembly]") {
    std::string disk = dir.path() + "/os.img";
    SECTION("an image larger than its partition") {
        images["HASH-A"] = sparseFile(dir.path() + "/hash.img", 10 * kMib + 1, {});
        CHECK(testing::errorText([&] { assembleDisk(plan.os, kSeed, images, disk); }) ==
              dir.path() +
                  "/hash.img: HASH-A: the image of 10485761 bytes does not fit the "
                  "partition (10485760 bytes)");
    }
    SECTION("a partition the disk does not have") {
        images["DATA-B"] = images["ROOT-A"];
        CHECK(testing::errorText([&] { assembleDisk(plan.os, kSeed, images, disk); }) ==
              images["ROOT-A"] + ": DATA-B: the os disk has no such partition");
    }
    SECTION("a missing image") {
        images["ROOT-A"] = dir.path() + "/missing.img";
        CHECK_THAT(testing::errorText([&] { assembleDisk(plan.os, kSeed, images, disk); }),
                   Catch::StartsWith(dir.path() + "/missing.img: cannot open file"));
    }
    CHECK_FALSE(fs::exists(disk));
    for (const auto& entry : fs::directory_iterator(dir.path()))
        CHECK(entry.path().filename().string().find(".tmp-") == std::string::npos);
}

TEST_CASE_METHOD(AssemblyFixture, "extracting past the end of a disk is refused",
                 "[image-assembly]") {
    std::string small = sparseFile(dir.path() + "/small.img", 100 * kMib, {});
    CHECK_THAT(testing::errorText([&] {
                   extractPartition(small, plan.os.partition("PRIVATE"), dir.path() + "/out");
               }),
               Catch::StartsWith(small + ": PRIVATE: the disk ends before the partition does"));
    CHECK_FALSE(fs::exists(dir.path() + "/out"));
}
