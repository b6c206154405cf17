#pragma once

// The on-disk encoding shared by the GPT writer and reader (internal to
// image/): little-endian fields, mixed-endian GUIDs, CRC32 (zlib's, the one
// UEFI specifies).

#include <zlib.h>

#include <cstdint>
#include <string>

#include "image/gpt.h"

namespace twoliter::gpt_format {

constexpr uint64_t kEntrySize = 128;
constexpr uint64_t kEntrySectors = kGptEntryCount * kEntrySize / kSectorSize;  // 32
constexpr uint64_t kFirstUsableLba = 2 + kEntrySectors;                        // 34
constexpr uint32_t kHeaderSize = 92;
constexpr uint32_t kRevision = 0x00010000;
constexpr size_t kLabelChars = 36;
constexpr const char* kSignature = "EFI PART";

inline uint64_t lastUsableLba(uint64_t diskSectors) {
    return diskSectors - 1 - kEntrySectors - 1;
}

inline void put(std::string& buffer, size_t offset, uint64_t value, size_t width) {
    for (size_t i = 0; i < width; ++i)
        buffer[offset + i] = static_cast<char>(value >> (8 * i));
}

inline uint64_t get(const std::string& buffer, size_t offset, size_t width) {
    uint64_t value = 0;
    for (size_t i = 0; i < width; ++i)
        value |= uint64_t(static_cast<uint8_t>(buffer[offset + i])) << (8 * i);
    return value;
}

// GPT stores a GUID's first three fields little-endian.
constexpr size_t kGuidDiskOrder[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};

inline void putGuid(std::string& buffer, size_t offset, const Guid& guid) {
    for (size_t i = 0; i < 16; ++i)
        buffer[offset + i] = static_cast<char>(guid.bytes[kGuidDiskOrder[i]]);
}

inline Guid getGuid(const std::string& buffer, size_t offset) {
    Guid guid;
    for (size_t i = 0; i < 16; ++i)
        guid.bytes[kGuidDiskOrder[i]] = static_cast<uint8_t>(buffer[offset + i]);
    return guid;
}

inline uint32_t crc32Of(const std::string& bytes, size_t offset, size_t size) {
    return static_cast<uint32_t>(
        ::crc32(0, reinterpret_cast<const Bytef*>(bytes.data() + offset), static_cast<uInt>(size)));
}

}  // namespace twoliter::gpt_format
