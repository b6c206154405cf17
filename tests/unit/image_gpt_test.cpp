#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <regex>

#include "image/gpt.h"
#include "support/error_text.h"
#include "support/temp_tree.h"
#include "support/test_packages.h"
#include "util/files.h"
#include "util/strings.h"

using namespace twoliter;
using twoliter::testing::runCapturing;

namespace {

std::string field(const std::string& text, const std::string& pattern) {
    std::smatch match;
    REQUIRE(std::regex_search(text, match, std::regex(pattern)));
    return match[1];
}

ImagePlan plan(int osGib, PartitionPlan partitionPlan, bool inPlaceUpdates) {
    ImageLayout layout;
    layout.osImageSizeGib = osGib;
    layout.dataImageSizeGib = 1;
    layout.partitionPlan = partitionPlan;
    return planImage(layout, inPlaceUpdates, Arch::X86_64);
}

// What `sgdisk -i N` says about each partition matches the table.
void checkWithSgdisk(const std::string& image, const GptTable& table) {
    auto [status, listing] = runCapturing("sgdisk -p " + image);
    REQUIRE(status == 0);
    CHECK(lowercase(field(listing, "Disk identifier \\(GUID\\): (\\S+)")) ==
          formatGuid(table.diskGuid));
    CHECK(field(listing, "(\\d+) sectors,") == std::to_string(table.diskSectors));
    for (size_t i = 0; i < table.partitions.size(); ++i) {
        const GptPartition& expected = table.partitions[i];
        auto [infoStatus, info] = runCapturing("sgdisk -i " + std::to_string(i + 1) + " " + image);
        REQUIRE(infoStatus == 0);
        INFO(info);
        CHECK(field(info, "Partition name: '([^']*)'") == expected.label);
        CHECK(lowercase(field(info, "Partition GUID code: (\\S+)")) == formatGuid(expected.type));
        CHECK(lowercase(field(info, "Partition unique GUID: (\\S+)")) ==
              formatGuid(expected.unique));
        CHECK(field(info, "First sector: (\\d+)") == std::to_string(expected.firstLba));
        CHECK(field(info, "Last sector: (\\d+)") == std::to_string(expected.lastLba));
        char flags[17];
        std::snprintf(flags, sizeof flags, "%016llX",
                      static_cast<unsigned long long>(expected.attributes));
        CHECK(field(info, "Attribute flags: (\\S+)") == flags);
    }
    CHECK(runCapturing("sgdisk -i " + std::to_string(table.partitions.size() + 1) + " " + image)
              .second.find("does not exist") != std::string::npos);
    auto [verifyStatus, verify] = runCapturing("sgdisk -v " + image);
    CHECK(verifyStatus == 0);
    CHECK(verify.find("No problems found") != std::string::npos);
}

// The arguments rpm2img gives sgdisk for this disk, plus the GUIDs ours has.
std::string sgdiskCommand(const DiskPlan& disk, const GptTable& table, const std::string& image) {
    std::string command = "sgdisk --clear --disk-guid=" + formatGuid(table.diskGuid);
    for (size_t i = 0; i < disk.partitions.size(); ++i) {
        const PlannedPartition& partition = disk.partitions[i];
        command += " -n 0:" + std::to_string(partition.startMib) +
                   "M:" + std::to_string(partition.endMib() * 2048 - 1);
        command += " -c '0:" + partition.label + "' -t 0:" + formatGuid(partition.type);
        command += " -u 0:" + formatGuid(table.partitions[i].unique);
        if (partition.name == "BOOT-A")
            command += " -A 0:set:48 -A 0:set:56";
    }
    return command + " --sort " + image;
}

std::string gptSectors(const std::string& image, uint64_t diskSectors) {
    std::ifstream in(image, std::ios::binary);
    std::string head(34 * 512, '\0'), tail(33 * 512, '\0');
    in.read(head.data(), head.size());
    in.seekg(static_cast<std::streamoff>((diskSectors - 33) * 512));
    in.read(tail.data(), tail.size());
    return head + tail;
}

// Where a and b first differ (-1 when they do not), as a readable failure.
long firstDifference(const std::string& a, const std::string& b) {
    auto mismatch = std::mismatch(a.begin(), a.end(), b.begin(), b.end());
    return mismatch.first == a.end() && mismatch.second == b.end()
               ? -1
               : static_cast<long>(mismatch.first - a.begin());
}

// readGpt gives back what was written.
void checkReadBack(const std::string& image, const GptTable& table) {
    GptTable read = readGpt(image);
    CHECK(read.diskSectors == table.diskSectors);
    CHECK(read.diskGuid == table.diskGuid);
    REQUIRE(read.partitions.size() == table.partitions.size());
    for (size_t i = 0; i < read.partitions.size(); ++i) {
        CHECK(read.partitions[i].label == table.partitions[i].label);
        CHECK(read.partitions[i].type == table.partitions[i].type);
        CHECK(read.partitions[i].unique == table.partitions[i].unique);
        CHECK(read.partitions[i].firstLba == table.partitions[i].firstLba);
        CHECK(read.partitions[i].lastLba == table.partitions[i].lastLba);
        CHECK(read.partitions[i].attributes == table.partitions[i].attributes);
    }
}

// Checks the GPT of disk with sgdisk; with compareBytes also against the
// bytes sgdisk writes for rpm2img's arguments (each such write costs about a
// second: sgdisk sleeps after writing to let the kernel reread the table).
void checkDisk(const DiskPlan& disk, const std::string& folder, bool compareBytes) {
    GptTable table = gptTableForPlan(disk, "variant aws-dev x86_64 1.2.3");
    std::string ours = folder + "/" + disk.name + ".img";
    writeGpt(ours, table);
    CHECK(std::ifstream(ours, std::ios::ate).tellg() ==
          static_cast<std::streamoff>(disk.sizeMib << 20));
    checkWithSgdisk(ours, table);
    checkReadBack(ours, table);
    if (!compareBytes)
        return;

    std::string theirs = folder + "/" + disk.name + "-sgdisk.img";
    REQUIRE(runCapturing("truncate -s " + std::to_string(disk.sizeMib) + "M " + theirs).first == 0);
    auto [status, output] = runCapturing(sgdiskCommand(disk, table, theirs));
    INFO(output);
    REQUIRE(status == 0);
    CHECK(firstDifference(gptSectors(ours, table.diskSectors),
                          gptSectors(theirs, table.diskSectors)) == -1);
}

}  // namespace

TEST_CASE("GPTs of every plan read back the same with sgdisk and match its bytes", "[image]") {
    for (int gib : {2, 4}) {
        for (PartitionPlan partitionPlan : {PartitionPlan::Split, PartitionPlan::Unified}) {
            for (bool inPlaceUpdates : {true, false}) {
                DYNAMIC_SECTION(gib << " GiB " << partitionPlanName(partitionPlan)
                                    << (inPlaceUpdates ? " A/B" : " single bank")) {
                    testing::TempDir dir;
                    ImagePlan image = plan(gib, partitionPlan, inPlaceUpdates);
                    // Bytes against sgdisk's for a split A/B and a unified
                    // single-bank layout.
                    bool split = partitionPlan == PartitionPlan::Split;
                    bool compareBytes =
                        split ? gib == 2 && inPlaceUpdates : gib == 4 && !inPlaceUpdates;
                    checkDisk(image.os, dir.path(), compareBytes);
                    if (image.data)
                        checkDisk(*image.data, dir.path(), compareBytes);
                }
            }
        }
    }
}

TEST_CASE("a data disk past 1024 cylinders gets sgdisk's protective MBR", "[image]") {
    testing::TempDir dir;
    ImageLayout layout;
    layout.dataImageSizeGib = 20;
    checkDisk(*planImage(layout, true, Arch::X86_64).data, dir.path(), true);
}

TEST_CASE("the same seed writes the same bytes, another seed other GUIDs", "[image]") {
    testing::TempDir dir;
    ImagePlan image = plan(2, PartitionPlan::Split, true);
    writeGpt(dir.path() + "/a.img", gptTableForPlan(image.os, "seed"));
    writeGpt(dir.path() + "/b.img", gptTableForPlan(image.os, "seed"));
    // writeGpt writes nothing else into the sparse files.
    const uint64_t sectors = image.os.sizeMib * 2048;
    CHECK(gptSectors(dir.path() + "/a.img", sectors) == gptSectors(dir.path() + "/b.img", sectors));

    GptTable one = gptTableForPlan(image.os, "seed");
    GptTable other = gptTableForPlan(image.os, "other seed");
    CHECK(one.diskGuid != other.diskGuid);
    CHECK(one.partitions[3].unique != other.partitions[3].unique);
    // The data partitions keep upstream's fixed GUIDs whatever the seed.
    CHECK(one.partitions.back().unique == other.partitions.back().unique);
    CHECK(formatGuid(one.partitions[3].unique)[14] == '4');  // version 4
    CHECK(std::string("89ab").find(formatGuid(one.partitions[3].unique)[19]) !=
          std::string::npos);  // RFC 4122 variant
}

TEST_CASE("a damaged or mismatched GPT is an error naming the image", "[image]") {
    testing::TempDir dir;
    std::string image = dir.path() + "/os.img";
    GptTable table = gptTableForPlan(plan(2, PartitionPlan::Split, true).os, "seed");
    writeGpt(image, table);

    table.diskSectors += 2048;
    CHECK(testing::errorText([&] { writeGpt(image, table); }) ==
          image + ": the image has 2147483648 bytes, the partition table is for 2148532224");
    table.diskSectors -= 2048;
    table.partitions[2].lastLba = table.partitions[3].firstLba;
    CHECK(testing::errorText([&] { writeGpt(image, table); }) ==
          image + ": partitions overlap at sector 102400");

    {
        std::fstream file(image, std::ios::in | std::ios::out | std::ios::binary);
        file.seekp(2 * 512 + 128 * 3 + 60);  // a character of the fourth label
        file.put('X');
    }
    CHECK(testing::errorText([&] { readGpt(image); }) ==
          image + ": the primary GPT header (LBA 1): the partition entries fail their CRC32");
    CHECK(runCapturing("sgdisk -v " + image).second.find("No problems found") == std::string::npos);
}
