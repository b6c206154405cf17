#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "image/partition_plan.h"

namespace twoliter {

// What goes on one disk: partition name (PlannedPartition::name) -> the
// image file written at the partition's start. Partitions not named stay
// zero (holes of the sparse disk file).
using PartitionImages = std::map<std::string, std::string>;

struct AssembledDisk {
    uint64_t diskBytes = 0;    // the disk file's size (the plan's)
    uint64_t copiedBytes = 0;  // partition bytes written (zero blocks are skipped)
};

// Assembles the disk file of plan at output: a sparse file of
// plan.sizeMib MiB with the GPT of gptTableForPlan(plan, seed) (gpt.h) and
// each partition image copied at its partition's offset. Only non-zero
// 4 KiB blocks of an image are written (holes and zero blocks are skipped),
// so the disk stays sparse. bootCode, when not empty, is at most 440 bytes
// written at the start of the protective MBR (GRUB's boot.img for BIOS
// boot). Written under a temporary name and renamed onto output when
// complete. Throws Error naming the image that is larger than its partition,
// a partition name the plan does not have, or a file that cannot be read or
// written.
AssembledDisk assembleDisk(const DiskPlan& plan, std::string_view seed,
                           const PartitionImages& images, const std::string& output,
                           const std::string& bootCode = "");

// Copies the bytes of partition (sizeMib MiB from startMib) out of the disk
// file at diskPath into output (sparse, temporary name then rename). Throws
// Error naming the disk when it ends before the partition does.
void extractPartition(const std::string& diskPath, const PlannedPartition& partition,
                      const std::string& output);

}  // namespace twoliter
