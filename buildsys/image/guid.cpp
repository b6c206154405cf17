#include "image/guid.h"

#include "util/digest.h"
#include "util/error.h"
#include "util/strings.h"

namespace twoliter {

namespace {

bool isDashPosition(size_t i) {
    return i == 8 || i == 13 || i == 18 || i == 23;
}

}  // namespace

Guid parseGuid(std::string_view text) {
    Guid guid;
    size_t byte = 0;
    bool valid = text.size() == 36;
    for (size_t i = 0; valid && i < text.size(); ++i) {
        if (isDashPosition(i)) {
            valid = text[i] == '-';
            continue;
        }
        int high = hexDigitValue(text[i]);
        int low = i + 1 < text.size() ? hexDigitValue(text[i + 1]) : -1;
        valid = high >= 0 && low >= 0;
        if (valid)
            guid.bytes[byte++] = static_cast<uint8_t>(high << 4 | low);
        ++i;
    }
    if (!valid || byte != 16)
        throw Error("not a GUID: \"" + std::string(text) + "\"", {},
                    "expected the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx");
    return guid;
}

std::string formatGuid(const Guid& guid) {
    static const char* digits = "0123456789abcdef";
    std::string text;
    text.reserve(36);
    for (size_t i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            text += '-';
        text += digits[guid.bytes[i] >> 4];
        text += digits[guid.bytes[i] & 15];
    }
    return text;
}

std::string deriveBytes(std::string_view seed, std::string_view name, size_t size) {
    if (size > 32)
        throw Error("cannot derive more than 32 bytes from one SHA-256",
                    {"", 0, std::string(name)});
    std::string hex = Sha256().addField(seed).addField(name).hex();
    std::string bytes;
    for (size_t i = 0; i < size; ++i)
        bytes += static_cast<char>(hexDigitValue(hex[2 * i]) << 4 | hexDigitValue(hex[2 * i + 1]));
    return bytes;
}

Guid deriveGuid(std::string_view seed, std::string_view name) {
    std::string bytes = deriveBytes(seed, name, 16);
    Guid guid;
    for (size_t i = 0; i < 16; ++i)
        guid.bytes[i] = static_cast<uint8_t>(bytes[i]);
    guid.bytes[6] = static_cast<uint8_t>((guid.bytes[6] & 0x0f) | 0x40);  // version 4
    guid.bytes[8] = static_cast<uint8_t>((guid.bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
    return guid;
}

}  // namespace twoliter
