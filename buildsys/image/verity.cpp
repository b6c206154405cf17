#include "image/verity.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "image/image_file.h"
#include "util/error.h"

namespace twoliter {

namespace {

constexpr size_t kDigestSize = 32;
constexpr uint64_t kHashesPerBlock = kVerityBlockSize / kDigestSize;  // 128
constexpr uint64_t kReadBlocks = 256;                                 // 1 MiB per read
constexpr size_t kMaxSalt = 256;

using Bytes = std::vector<uint8_t>;

// SHA-256(salt || block) of 4096-byte blocks (verity format 1), each from a
// copy of a context that has already taken the salt.
class SaltedHasher {
  public:
    explicit SaltedHasher(std::string_view salt)
        : salted_(EVP_MD_CTX_new()), work_(EVP_MD_CTX_new()) {
        EVP_DigestInit_ex(salted_, EVP_sha256(), nullptr);
        EVP_DigestUpdate(salted_, salt.data(), salt.size());
    }
    ~SaltedHasher() {
        EVP_MD_CTX_free(salted_);
        EVP_MD_CTX_free(work_);
    }
    SaltedHasher(const SaltedHasher&) = delete;
    SaltedHasher& operator=(const SaltedHasher&) = delete;

    void hash(const uint8_t* block, uint8_t* digest) {
        EVP_MD_CTX_copy_ex(work_, salted_);
        EVP_DigestUpdate(work_, block, kVerityBlockSize);
        EVP_DigestFinal_ex(work_, digest, nullptr);
    }

  private:
    EVP_MD_CTX* salted_;
    EVP_MD_CTX* work_;
};

// Byte offset of the first data at or after offset (SEEK_DATA); end when
// the rest is a hole; offset itself when the file system cannot tell.
uint64_t nextDataOffset(const ImageFile& file, uint64_t offset, uint64_t end) {
    off_t found = ::lseek(file.descriptor(), static_cast<off_t>(offset), SEEK_DATA);
    if (found < 0)
        return errno == ENXIO ? end : offset;
    return std::min<uint64_t>(static_cast<uint64_t>(found), end);
}

uint64_t nextHoleOffset(const ImageFile& file, uint64_t offset, uint64_t end) {
    off_t found = ::lseek(file.descriptor(), static_cast<off_t>(offset), SEEK_HOLE);
    if (found < 0)
        return end;
    return std::min<uint64_t>(static_cast<uint64_t>(found), end);
}

// The digests of every data block, in order. Whole blocks inside holes get
// the digest of a zero block without being read.
Bytes hashDataBlocks(const ImageFile& data, uint64_t blocks, SaltedHasher& hasher) {
    Bytes digests(blocks * kDigestSize);
    Bytes buffer(kReadBlocks * kVerityBlockSize, 0);
    uint8_t zeroDigest[kDigestSize];
    hasher.hash(buffer.data(), zeroDigest);
    const uint64_t end = blocks * kVerityBlockSize;
    uint64_t block = 0;
    while (block < blocks) {
        uint64_t dataOffset = nextDataOffset(data, block * kVerityBlockSize, end);
        for (; block < dataOffset / kVerityBlockSize; ++block)
            std::memcpy(&digests[block * kDigestSize], zeroDigest, kDigestSize);
        if (block == blocks)
            break;
        uint64_t holeOffset =
            nextHoleOffset(data, std::max(dataOffset, block * kVerityBlockSize + 1), end);
        uint64_t dataEnd = (holeOffset + kVerityBlockSize - 1) / kVerityBlockSize;
        while (block < dataEnd) {
            uint64_t count = std::min(kReadBlocks, dataEnd - block);
            data.readAt(block * kVerityBlockSize, buffer.data(), count * kVerityBlockSize);
            for (uint64_t i = 0; i < count; ++i)
                hasher.hash(&buffer[i * kVerityBlockSize], &digests[(block + i) * kDigestSize]);
            block += count;
        }
    }
    return digests;
}

// The levels of hash blocks above the data, bottom first; digests becomes
// the root hash. One data block has no level: its digest is the root.
std::vector<Bytes> buildTree(Bytes& digests, SaltedHasher& hasher) {
    std::vector<Bytes> levels;
    while (digests.size() > kDigestSize) {
        uint64_t count = digests.size() / kDigestSize;
        uint64_t blocks = (count + kHashesPerBlock - 1) / kHashesPerBlock;
        Bytes level(blocks * kVerityBlockSize, 0);
        std::copy(digests.begin(), digests.end(), level.begin());
        Bytes next(blocks * kDigestSize);
        for (uint64_t b = 0; b < blocks; ++b)
            hasher.hash(&level[b * kVerityBlockSize], &next[b * kDigestSize]);
        levels.push_back(std::move(level));
        digests = std::move(next);
    }
    return levels;
}

void putLittleEndian(Bytes& buffer, size_t offset, uint64_t value, size_t width) {
    for (size_t i = 0; i < width; ++i)
        buffer[offset + i] = static_cast<uint8_t>(value >> (8 * i));
}

// The first hash block: struct verity_sb of cryptsetup (512 bytes,
// little-endian), zero-padded to a block.
Bytes superblock(uint64_t dataBlocks, std::string_view salt, const Guid& uuid) {
    Bytes block(kVerityBlockSize, 0);
    std::memcpy(block.data(), "verity", 6);
    putLittleEndian(block, 8, 1, 4);   // superblock version
    putLittleEndian(block, 12, 1, 4);  // hash type: format 1
    std::copy(uuid.bytes.begin(), uuid.bytes.end(), block.begin() + 16);
    std::memcpy(&block[32], "sha256", 6);
    putLittleEndian(block, 64, kVerityBlockSize, 4);  // data block size
    putLittleEndian(block, 68, kVerityBlockSize, 4);  // hash block size
    putLittleEndian(block, 72, dataBlocks, 8);
    putLittleEndian(block, 80, salt.size(), 2);
    std::memcpy(&block[88], salt.data(), salt.size());
    return block;
}

std::string hex(const uint8_t* bytes, size_t size) {
    static const char* digits = "0123456789abcdef";
    std::string text;
    for (size_t i = 0; i < size; ++i) {
        text += digits[bytes[i] >> 4];
        text += digits[bytes[i] & 15];
    }
    return text;
}

uint64_t countDataBlocks(const ImageFile& data) {
    uint64_t size = data.size();
    if (size == 0 || size % kVerityBlockSize != 0)
        throw Error("verity data must be a non-empty whole number of 4096-byte blocks, found " +
                        std::to_string(size) + " bytes",
                    {data.path()});
    return size / kVerityBlockSize;
}

}  // namespace

VerityHashTree writeVerityHashTree(const std::string& dataPath, const std::string& hashPath,
                                   std::string_view salt, const Guid& uuid, uint64_t hashFileSize) {
    if (salt.size() > kMaxSalt)
        throw Error("a verity salt has at most 256 bytes", {hashPath});
    ImageFile data = ImageFile::openForReading(dataPath);
    VerityHashTree tree;
    tree.dataBlocks = countDataBlocks(data);
    SaltedHasher hasher(salt);
    Bytes digests = hashDataBlocks(data, tree.dataBlocks, hasher);
    std::vector<Bytes> levels = buildTree(digests, hasher);
    for (const Bytes& level : levels)
        tree.hashBlocks += level.size() / kVerityBlockSize;
    tree.rootHash = hex(digests.data(), kDigestSize);
    tree.salt = hex(reinterpret_cast<const uint8_t*>(salt.data()), salt.size());
    if (hashFileSize != 0 && tree.hashBytes() > hashFileSize)
        throw Error("the verity hash tree needs " + std::to_string(tree.hashBytes()) +
                        " bytes, more than the " + std::to_string(hashFileSize) + " available",
                    {hashPath}, "the hash partition is too small for this root filesystem");

    PendingFile hash(hashPath);
    Bytes first = superblock(tree.dataBlocks, salt, uuid);
    hash.append(first.data(), first.size());
    for (auto level = levels.rbegin(); level != levels.rend(); ++level)
        hash.append(level->data(), level->size());
    hash.file().resize(hashFileSize != 0 ? hashFileSize : tree.hashBytes());
    hash.commit();
    return tree;
}

std::string dmVerityTable(const VerityHashTree& tree) {
    const std::string blockSize = std::to_string(kVerityBlockSize);
    return "root,,,ro,0 " + std::to_string(tree.dataBlocks * (kVerityBlockSize / 512)) +
           " verity 1 PARTUUID=$boot_uuid/PARTNROFF=1 PARTUUID=$boot_uuid/PARTNROFF=2 " +
           blockSize + " " + blockSize + " " + std::to_string(tree.dataBlocks) + " 1 sha256 " +
           tree.rootHash + " " + (tree.salt.empty() ? "-" : tree.salt) +
           " 2 restart_on_corruption ignore_zero_blocks";
}

}  // namespace twoliter
