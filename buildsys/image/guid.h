#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace twoliter {

// A GUID with its 16 bytes in the order its text form spells them
// ("00112233-4455-…" is bytes 0x00, 0x11, …). GPT stores the first three
// fields little-endian; gpt.cpp converts.
struct Guid {
    std::array<uint8_t, 16> bytes{};

    bool operator==(const Guid& other) const { return bytes == other.bytes; }
    bool operator!=(const Guid& other) const { return bytes != other.bytes; }
};

// Parses "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (either case). Throws Error
// naming the text when it is anything else.
Guid parseGuid(std::string_view text);
// Lowercase 8-4-4-4-12 form.
std::string formatGuid(const Guid& guid);

// A GUID that depends only on seed and name: the first 16 bytes of
// SHA-256(length-prefixed seed, length-prefixed name) with the RFC 4122
// version 4 and variant bits set, so it looks like any random GUID but a
// rebuild from the same inputs gives the same one.
Guid deriveGuid(std::string_view seed, std::string_view name);

// `size` bytes (at most 32) derived the same way, for salts.
std::string deriveBytes(std::string_view seed, std::string_view name, size_t size);

}  // namespace twoliter
