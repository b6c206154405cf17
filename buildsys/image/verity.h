#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "image/guid.h"

namespace twoliter {

// dm-verity as upstream formats the root filesystem: `veritysetup format
// --format 1 --hash sha256 --data-block-size 4096 --hash-block-size 4096`.
constexpr uint64_t kVerityBlockSize = 4096;

struct VerityHashTree {
    uint64_t dataBlocks = 0;  // 4096-byte blocks of the data file
    uint64_t hashBlocks = 0;  // tree blocks after the superblock (0 for one data block)
    std::string rootHash;     // lowercase hex
    std::string salt;         // lowercase hex

    // Bytes of the hash file that matter: the superblock block and the tree.
    uint64_t hashBytes() const { return (1 + hashBlocks) * kVerityBlockSize; }
};

// Writes the hash file of dataPath as veritysetup format writes it: the
// 512-byte superblock (with uuid and salt) in the first 4096-byte block,
// then the tree, top level first, each hash SHA-256(salt || block). The
// file is written under a temporary name and renamed onto hashPath; it is
// hashFileSize bytes long (the HASH partition, zeros after the tree) or, when
// hashFileSize is 0, just hashBytes(). Holes of a sparse data file are
// hashed without being read. salt is raw bytes (1 to 256; upstream's
// veritysetup default is 32). Throws Error naming the file when the data is
// empty or not a whole number of blocks, or when the tree does not fit in
// hashFileSize.
VerityHashTree writeVerityHashTree(const std::string& dataPath, const std::string& hashPath,
                                   std::string_view salt, const Guid& uuid,
                                   uint64_t hashFileSize = 0);

// The dm-mod.create table of the root device, as upstream's grub.cfg sets
// dm_verity_root: data and hash devices are the partitions after the active
// boot partition ("PARTUUID=$boot_uuid/PARTNROFF=1" and "…=2"), the hash
// tree starts at hash block 1 (after the superblock), and corruption
// restarts the host; zero blocks are not verified.
std::string dmVerityTable(const VerityHashTree& tree);

}  // namespace twoliter
