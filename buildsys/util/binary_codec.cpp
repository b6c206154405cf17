#include "util/binary_codec.h"

#include <algorithm>

#include "util/error.h"

namespace twoliter {

void BinaryWriter::putVarint(uint64_t number) {
    while (number >= 0x80) {
        bytes_ += static_cast<char>((number & 0x7f) | 0x80);
        number >>= 7;
    }
    bytes_ += static_cast<char>(number);
}

void BinaryWriter::putString(std::string_view text) {
    putVarint(text.size());
    bytes_.append(text);
}

void BinaryWriter::putStrings(const std::vector<std::string>& items) {
    putVarint(items.size());
    for (const auto& item : items)
        putString(item);
}

uint64_t BinaryReader::getVarint() {
    uint64_t number = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (position_ >= bytes_.size())
            throw Error("truncated record");
        auto byte = static_cast<unsigned char>(bytes_[position_++]);
        number |= static_cast<uint64_t>(byte & 0x7f) << shift;
        if (!(byte & 0x80))
            return number;
    }
    throw Error("malformed varint in record");
}

std::string BinaryReader::getString() {
    uint64_t size = getVarint();
    if (size > bytes_.size() - position_)
        throw Error("truncated record");
    std::string text(bytes_.substr(position_, size));
    position_ += size;
    return text;
}

uint64_t BinaryReader::getCount(size_t minBytes) {
    uint64_t count = getVarint();
    if (count > (bytes_.size() - position_) / std::max<size_t>(minBytes, 1))
        throw Error("malformed record");
    return count;
}

std::vector<std::string> BinaryReader::getStrings() {
    uint64_t count = getCount();
    std::vector<std::string> items;
    items.reserve(count);
    for (uint64_t i = 0; i < count; ++i)
        items.push_back(getString());
    return items;
}

}  // namespace twoliter
