#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "image/guid.h"
#include "project/model.h"

namespace twoliter {

// One partition of a variant image, as upstream's partyplanner lays it out.
// Sizes and offsets are whole MiB (2048 sectors of 512 bytes).
struct PlannedPartition {
    std::string name;   // upstream's key: BIOS, EFI-A, BOOT-A, …, PRIVATE, DATA-A, DATA-B
    std::string label;  // the GPT partition name; empty for DATA-A/DATA-B (labelled at boot)
    Guid type;
    // The data partitions' well-known unique GUIDs (which one is "preferred"
    // tells the OS which data partition to use); every other partition's
    // unique GUID is derived from the image's seed (gpt.h).
    std::optional<Guid> fixedGuid;
    uint64_t startMib = 0;
    uint64_t sizeMib = 0;
    // GPT attribute bits: BOOT-A has 48 (gptprio priority) and 56 (gptprio
    // successful) set; everything else none.
    uint64_t attributes = 0;

    uint64_t endMib() const { return startMib + sizeMib; }
};

// One disk image file: its size and its partitions in disk order, which is
// also their GPT entry order (sgdisk --sort).
struct DiskPlan {
    std::string name;  // "os" or "data"
    uint64_t sizeMib = 0;
    std::vector<PlannedPartition> partitions;

    // nullptr when the disk has no partition of that name.
    const PlannedPartition* find(std::string_view partitionName) const;
    // Throws Error when the disk has no partition of that name.
    const PlannedPartition& partition(std::string_view partitionName) const;
};

struct ImagePlan {
    DiskPlan os;
    // The separate data image of the split plan (one partition, DATA-B);
    // absent for the unified plan, whose OS image holds the data partition.
    std::optional<DiskPlan> data;
    // Whether GRUB's BIOS stage goes into the MBR and the BIOS partition
    // (upstream runs grub-bios-setup on x86_64 only). The BIOS partition
    // itself is reserved on every arch: the layout does not depend on it.
    bool biosBootCode = false;
};

// The partition plan upstream's partyplanner computes for an OS image of
// layout.osImageSizeGib (G) and a data image of layout.dataImageSizeGib:
// GPT 1 MiB at each end, BIOS 4, then per bank EFI 5, BOOT 20G, ROOT 460G,
// HASH 5G, RESERVED 15G-5; with in-place updates off, one bank with each
// of those doubled; then PRIVATE 24G-7 and DATA-A (1 MiB when split, the
// whole data size when unified, the OS file then being G+data GiB and the
// MiB before the backup GPT left unused). The split data image holds DATA-B
// of data*1024-2 MiB at 1 MiB.
// Throws Error at `where` (the variant's image-layout) for sizes below 1 GiB
// or above 65535 GiB.
ImagePlan planImage(const ImageLayout& layout, bool inPlaceUpdates, Arch arch,
                    const Location& where = {});

// Upstream's GPT type GUIDs and fixed unique GUIDs (partyplanner).
namespace partition_guids {
extern const char* const kBiosBoot;  // sgdisk's "ef02"
extern const char* const kEfiSystem;
extern const char* const kEfiBackup;
extern const char* const kBoot;
extern const char* const kRoot;
extern const char* const kHash;
extern const char* const kReserved;
extern const char* const kPrivate;
extern const char* const kData;
extern const char* const kDataPreferred;
extern const char* const kDataFallback;
}  // namespace partition_guids

}  // namespace twoliter
