#include "image/gpt.h"

#include <algorithm>
#include <set>

#include "image/gpt_format.h"
#include "image/image_file.h"
#include "util/error.h"

namespace twoliter {

namespace {

using namespace gpt_format;

// CHS address of lba in the 255-head, 63-sector geometry gdisk uses;
// 0xFF 0xFF 0xFF from cylinder 1024 on.
void putChs(std::string& mbr, size_t offset, uint64_t lba) {
    constexpr uint64_t heads = 255, sectorsPerTrack = 63, cylinders = 1024;
    if (lba >= heads * sectorsPerTrack * cylinders) {
        mbr[offset] = mbr[offset + 1] = mbr[offset + 2] = static_cast<char>(0xff);
        return;
    }
    uint64_t cylinder = lba / (heads * sectorsPerTrack);
    uint64_t head = lba % (heads * sectorsPerTrack) / sectorsPerTrack;
    uint64_t sector = lba % sectorsPerTrack + 1;
    mbr[offset] = static_cast<char>(head);
    mbr[offset + 1] = static_cast<char>(sector | (cylinder >> 8) << 6);
    mbr[offset + 2] = static_cast<char>(cylinder & 0xff);
}

// One 0xEE partition from LBA 1 over the whole disk (at most 2^32-1 sectors).
std::string protectiveMbr(uint64_t diskSectors) {
    std::string mbr(kSectorSize, '\0');
    const size_t entry = 446;
    uint64_t sectors = std::min<uint64_t>(diskSectors - 1, 0xffffffff);
    putChs(mbr, entry + 1, 1);
    mbr[entry + 4] = static_cast<char>(0xee);
    putChs(mbr, entry + 5, sectors);
    put(mbr, entry + 8, 1, 4);
    put(mbr, entry + 12, sectors, 4);
    mbr[510] = 0x55;
    mbr[511] = static_cast<char>(0xaa);
    return mbr;
}

std::string encodeEntries(const GptTable& table) {
    std::string entries(kGptEntryCount * kEntrySize, '\0');
    for (size_t i = 0; i < table.partitions.size(); ++i) {
        const GptPartition& partition = table.partitions[i];
        size_t at = i * kEntrySize;
        putGuid(entries, at, partition.type);
        putGuid(entries, at + 16, partition.unique);
        put(entries, at + 32, partition.firstLba, 8);
        put(entries, at + 40, partition.lastLba, 8);
        put(entries, at + 48, partition.attributes, 8);
        for (size_t c = 0; c < partition.label.size(); ++c)
            put(entries, at + 56 + 2 * c, static_cast<uint8_t>(partition.label[c]), 2);
    }
    return entries;
}

std::string encodeHeader(const GptTable& table, uint64_t self, uint64_t other, uint64_t entriesLba,
                         uint32_t entriesCrc) {
    std::string header(kSectorSize, '\0');
    header.replace(0, 8, kSignature);
    put(header, 8, kRevision, 4);
    put(header, 12, kHeaderSize, 4);
    put(header, 24, self, 8);
    put(header, 32, other, 8);
    put(header, 40, kFirstUsableLba, 8);
    put(header, 48, lastUsableLba(table.diskSectors), 8);
    putGuid(header, 56, table.diskGuid);
    put(header, 72, entriesLba, 8);
    put(header, 80, kGptEntryCount, 4);
    put(header, 84, kEntrySize, 4);
    put(header, 88, entriesCrc, 4);
    put(header, 16, crc32Of(header, 0, kHeaderSize), 4);
    return header;
}

void checkPartition(const GptPartition& partition, const GptTable& table, const std::string& path) {
    const std::string name = "partition \"" + partition.label + "\"";
    if (partition.label.size() > kLabelChars)
        throw Error(name + ": a GPT label holds at most 36 characters", {path});
    for (char c : partition.label) {
        if (c < 0x20 || c > 0x7e)
            throw Error(name + ": only printable ASCII labels are supported", {path});
    }
    if (partition.type == Guid{})
        throw Error(name + ": the type GUID must not be zero", {path});
    if (partition.firstLba < kFirstUsableLba || partition.lastLba < partition.firstLba ||
        partition.lastLba > lastUsableLba(table.diskSectors))
        throw Error(name + ": sectors " + std::to_string(partition.firstLba) + "-" +
                        std::to_string(partition.lastLba) + " are outside the usable sectors " +
                        std::to_string(kFirstUsableLba) + "-" +
                        std::to_string(lastUsableLba(table.diskSectors)),
                    {path});
}

void checkTable(const GptTable& table, const std::string& path) {
    if (table.diskSectors < 2 * kFirstUsableLba + 1)
        throw Error("a GPT disk needs at least 69 sectors", {path});
    if (table.partitions.size() > kGptEntryCount)
        throw Error("a GPT holds at most 128 partitions", {path});
    std::vector<std::pair<uint64_t, uint64_t>> ranges;
    std::set<std::string> guids = {formatGuid(table.diskGuid)};
    for (const GptPartition& partition : table.partitions) {
        checkPartition(partition, table, path);
        ranges.emplace_back(partition.firstLba, partition.lastLba);
        if (!guids.insert(formatGuid(partition.unique)).second)
            throw Error("GUID " + formatGuid(partition.unique) + " is used twice", {path});
    }
    std::sort(ranges.begin(), ranges.end());
    for (size_t i = 1; i < ranges.size(); ++i) {
        if (ranges[i].first <= ranges[i - 1].second)
            throw Error("partitions overlap at sector " + std::to_string(ranges[i].first), {path});
    }
}

}  // namespace

GptTable gptTableForPlan(const DiskPlan& disk, std::string_view seed) {
    GptTable table;
    table.diskSectors = disk.sizeMib * kSectorsPerMib;
    table.diskGuid = deriveGuid(seed, "disk:" + disk.name);
    for (const PlannedPartition& planned : disk.partitions) {
        GptPartition partition;
        partition.label = planned.label;
        partition.type = planned.type;
        partition.unique =
            planned.fixedGuid ? *planned.fixedGuid : deriveGuid(seed, "partition:" + planned.name);
        partition.firstLba = planned.startMib * kSectorsPerMib;
        partition.lastLba = planned.endMib() * kSectorsPerMib - 1;
        partition.attributes = planned.attributes;
        table.partitions.push_back(partition);
    }
    return table;
}

void writeGpt(const std::string& imagePath, const GptTable& table) {
    checkTable(table, imagePath);
    ImageFile image = ImageFile::openForWriting(imagePath);
    const uint64_t bytes = table.diskSectors * kSectorSize;
    uint64_t size = image.size();
    if (size == 0) {
        image.resize(bytes);
    } else if (size != bytes) {
        throw Error("the image has " + std::to_string(size) +
                        " bytes, the partition table is for " + std::to_string(bytes),
                    {imagePath});
    }
    const uint64_t last = table.diskSectors - 1;
    const uint64_t backupEntries = last - kEntrySectors;
    std::string entries = encodeEntries(table);
    uint32_t entriesCrc = crc32Of(entries, 0, entries.size());
    std::string primary =
        protectiveMbr(table.diskSectors) + encodeHeader(table, 1, last, 2, entriesCrc) + entries;
    std::string backup = entries + encodeHeader(table, last, 1, backupEntries, entriesCrc);
    image.writeAt(0, primary.data(), primary.size());
    image.writeAt(backupEntries * kSectorSize, backup.data(), backup.size());
}

}  // namespace twoliter
