#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "image/guid.h"
#include "image/partition_plan.h"

namespace twoliter {

// GPT as sgdisk --clear writes it: 512-byte sectors, a protective MBR in
// sector 0, the primary header at LBA 1 with 128 entries of 128 bytes at
// LBA 2-33, the backup entries in the 33 sectors before the last and the
// backup header in the last sector; partitions usable from LBA 34 to the
// 34th sector from the end.
constexpr uint64_t kSectorSize = 512;
constexpr uint64_t kSectorsPerMib = 2048;
constexpr uint32_t kGptEntryCount = 128;

struct GptPartition {
    std::string label;  // at most 36 ASCII characters (stored as UTF-16LE)
    Guid type;
    Guid unique;
    uint64_t firstLba = 0;
    uint64_t lastLba = 0;  // inclusive
    uint64_t attributes = 0;

    uint64_t sectors() const { return lastLba - firstLba + 1; }
};

struct GptTable {
    uint64_t diskSectors = 0;  // the image file's size / 512
    Guid diskGuid;
    // Entries 1..n in order (readGpt skips unused entries).
    std::vector<GptPartition> partitions;
};

// The table of a planned disk: each partition from its first MiB to the
// sector before the next MiB boundary after it (as rpm2img asks sgdisk);
// unique GUIDs the plan's fixed ones, else deriveGuid(seed, "partition:" +
// name); the disk GUID deriveGuid(seed, "disk:" + disk name).
GptTable gptTableForPlan(const DiskPlan& disk, std::string_view seed);

// Writes table into the image file at imagePath, creating it (sparse) at
// diskSectors * 512 bytes when it does not exist; an existing file must
// have exactly that size. Only sector 0, LBA 1-33 and the last 33 sectors
// are written, in place: the caller assembles the image under a temporary
// name and renames it when complete. Throws Error naming the file for a
// table that does not fit (overlaps, outside the usable sectors, labels too
// long) or a failed write.
void writeGpt(const std::string& imagePath, const GptTable& table);

// Reads and checks the GPT of the image file: protective MBR, both headers
// (signature, revision, CRC32 of header and entries, each pointing at the
// other) and identical entries. Throws Error naming the file otherwise.
GptTable readGpt(const std::string& imagePath);

}  // namespace twoliter
