#include "image/gpt.h"
#include "image/gpt_format.h"
#include "image/image_file.h"
#include "util/error.h"

namespace twoliter {

namespace {

using namespace gpt_format;

// What one header says, and the entries array it points at.
struct Header {
    uint64_t self = 0, other = 0, firstUsable = 0, lastUsable = 0, entriesLba = 0;
    Guid diskGuid;
    std::string entries;
};

void checkProtectiveMbr(const std::string& mbr, const std::string& path) {
    if (static_cast<uint8_t>(mbr[510]) != 0x55 || static_cast<uint8_t>(mbr[511]) != 0xaa)
        throw Error("no MBR signature in sector 0", {path});
    for (size_t entry = 446; entry < 510; entry += 16) {
        if (static_cast<uint8_t>(mbr[entry + 4]) == 0xee)
            return;
    }
    throw Error("sector 0 is not a protective MBR (no partition of type 0xEE)", {path});
}

Header readHeader(const ImageFile& image, uint64_t lba, const char* which) {
    const std::string& path = image.path();
    std::string sector(kSectorSize, '\0');
    image.readAt(lba * kSectorSize, sector.data(), sector.size());
    const std::string what =
        std::string("the ") + which + " GPT header (LBA " + std::to_string(lba) + ")";
    if (sector.compare(0, 8, kSignature) != 0)
        throw Error(what + " has no \"EFI PART\" signature", {path});
    uint32_t size = static_cast<uint32_t>(get(sector, 12, 4));
    if (get(sector, 8, 4) != kRevision || size < kHeaderSize || size > kSectorSize)
        throw Error(what + " has an unsupported revision or size", {path});
    std::string zeroed = sector;
    put(zeroed, 16, 0, 4);
    if (crc32Of(zeroed, 0, size) != get(sector, 16, 4))
        throw Error(what + " fails its CRC32", {path});
    Header header{get(sector, 24, 8),
                  get(sector, 32, 8),
                  get(sector, 40, 8),
                  get(sector, 48, 8),
                  get(sector, 72, 8),
                  getGuid(sector, 56),
                  {}};
    if (get(sector, 80, 4) != kGptEntryCount || get(sector, 84, 4) != kEntrySize)
        throw Error(what + ": only 128 entries of 128 bytes are supported", {path});
    header.entries.resize(kGptEntryCount * kEntrySize);
    image.readAt(header.entriesLba * kSectorSize, header.entries.data(), header.entries.size());
    if (crc32Of(header.entries, 0, header.entries.size()) != get(sector, 88, 4))
        throw Error(what + ": the partition entries fail their CRC32", {path});
    if (header.self != lba)
        throw Error(what + " says it is at LBA " + std::to_string(header.self), {path});
    return header;
}

GptPartition decodeEntry(const std::string& entries, size_t index) {
    size_t at = index * kEntrySize;
    GptPartition partition;
    partition.type = getGuid(entries, at);
    partition.unique = getGuid(entries, at + 16);
    partition.firstLba = get(entries, at + 32, 8);
    partition.lastLba = get(entries, at + 40, 8);
    partition.attributes = get(entries, at + 48, 8);
    for (size_t c = 0; c < kLabelChars; ++c) {
        uint64_t unit = get(entries, at + 56 + 2 * c, 2);
        if (unit == 0)
            break;
        partition.label += unit < 0x80 ? static_cast<char>(unit) : '?';
    }
    return partition;
}

void checkBackup(const Header& primary, const Header& backup, const std::string& path) {
    if (backup.other != 1 || backup.diskGuid != primary.diskGuid ||
        backup.firstUsable != primary.firstUsable || backup.lastUsable != primary.lastUsable)
        throw Error("the backup GPT header does not match the primary header", {path});
    if (backup.entries != primary.entries)
        throw Error("the backup GPT entries differ from the primary entries", {path});
}

}  // namespace

GptTable readGpt(const std::string& imagePath) {
    ImageFile image = ImageFile::openForReading(imagePath);
    uint64_t bytes = image.size();
    if (bytes % kSectorSize != 0 || bytes / kSectorSize < 2 * kFirstUsableLba + 1)
        throw Error("not a GPT disk image: its size is " + std::to_string(bytes) + " bytes",
                    {imagePath});
    std::string mbr(kSectorSize, '\0');
    image.readAt(0, mbr.data(), mbr.size());
    checkProtectiveMbr(mbr, imagePath);
    const uint64_t last = bytes / kSectorSize - 1;
    Header primary = readHeader(image, 1, "primary");
    if (primary.other != last)
        throw Error("the primary GPT header puts its backup at LBA " +
                        std::to_string(primary.other) + ", not at the last sector " +
                        std::to_string(last),
                    {imagePath});
    checkBackup(primary, readHeader(image, last, "backup"), imagePath);

    GptTable table;
    table.diskSectors = last + 1;
    table.diskGuid = primary.diskGuid;
    for (size_t i = 0; i < kGptEntryCount; ++i) {
        GptPartition partition = decodeEntry(primary.entries, i);
        if (partition.type == Guid{})
            continue;
        if (partition.firstLba < primary.firstUsable || partition.lastLba > primary.lastUsable ||
            partition.lastLba < partition.firstLba)
            throw Error("GPT entry " + std::to_string(i + 1) + " lies outside the usable sectors",
                        {imagePath});
        table.partitions.push_back(std::move(partition));
    }
    return table;
}

}  // namespace twoliter
