#include "sdk/tar.h"

#include <cstdio>
#include <cstring>

#include "util/error.h"
#include "util/strings.h"

namespace twoliter {

namespace {

constexpr size_t kBlock = 512;

uint64_t parseNumber(const char* field, size_t size) {
    auto byte = [&](size_t i) { return static_cast<unsigned char>(field[i]); };
    if (byte(0) & 0x80) {  // GNU base-256
        if (byte(0) == 0xff)
            return 0;  // negative: clamp
        uint64_t value = byte(0) & 0x3f;
        for (size_t i = 1; i < size; ++i)
            value = (value << 8) | byte(i);
        return value;
    }
    size_t i = 0;
    while (i < size && (field[i] == ' ' || field[i] == '\0'))
        ++i;
    uint64_t value = 0;
    for (; i < size && field[i] >= '0' && field[i] <= '7'; ++i)
        value = value * 8 + static_cast<uint64_t>(field[i] - '0');
    return value;
}

std::string fieldString(const char* field, size_t size) {
    return std::string(field, strnlen(field, size));
}

// size-1 zero-padded octal digits and a NUL, as GNU tar and Go write them.
// Callers keep value within size-1 digits (larger values go to pax).
void putOctal(char* field, size_t size, uint64_t value) {
    field[size - 1] = '\0';
    for (size_t i = size - 1; i-- > 0;) {
        field[i] = static_cast<char>('0' + (value & 7));
        value >>= 3;
    }
}

uint64_t maxOctal(size_t size) {
    return (uint64_t(1) << (3 * (size - 1))) - 1;
}

std::string paxRecord(const std::string& key, const std::string& value) {
    std::string body = " " + key + "=" + value + "\n";
    size_t length = body.size() + 1;
    while (std::to_string(length).size() + body.size() != length)
        length = std::to_string(length).size() + body.size();
    return std::to_string(length) + body;
}

}  // namespace

std::string normalizeTarPath(std::string_view name) {
    for (;;) {
        if (startsWith(name, "/"))
            name.remove_prefix(1);
        else if (startsWith(name, "./"))
            name.remove_prefix(2);
        else
            break;
    }
    if (name == ".")
        name = "";
    while (!name.empty() && name.back() == '/')
        name.remove_suffix(1);
    return std::string(name);
}

TarReader::TarReader(ByteSource& source, std::string what)
    : source_(source), what_(std::move(what)) {}

void TarReader::readExact(char* buffer, size_t size) {
    size_t done = 0;
    while (done < size) {
        size_t n = source_.read(buffer + done, size - done);
        if (n == 0)
            throw Error(what_ + ": the archive is truncated at byte " +
                        std::to_string(position_ + done));
        done += n;
    }
    position_ += size;
}

bool TarReader::readBlock(char* block) {
    size_t done = 0;
    while (done < kBlock) {
        size_t n = source_.read(block + done, kBlock - done);
        if (n == 0) {
            if (done == 0)
                return false;
            throw Error(what_ + ": the archive is truncated at byte " +
                        std::to_string(position_ + done));
        }
        done += n;
    }
    position_ += kBlock;
    return true;
}

void TarReader::skip(uint64_t size) {
    char buffer[64 * 1024];
    while (size > 0) {
        size_t chunk = size < sizeof buffer ? static_cast<size_t>(size) : sizeof buffer;
        readExact(buffer, chunk);
        size -= chunk;
    }
}

std::string TarReader::readPayload(uint64_t size) {
    if (size > (64u << 20))
        throw Error(what_ + ": an extended header of " + std::to_string(size) +
                    " bytes is too large");
    std::string payload(static_cast<size_t>(size), '\0');
    readExact(payload.data(), payload.size());
    skip((kBlock - size % kBlock) % kBlock);
    return payload;
}

bool TarReader::next(TarEntry& entry) {
    skip(remaining_ + padding_);
    remaining_ = padding_ = 0;

    std::vector<std::pair<std::string, std::string>> pax = globalPax_;
    std::string longName, longLink;
    bool haveLongName = false, haveLongLink = false;
    char block[kBlock];
    for (;;) {
        uint64_t headerAt = position_;
        if (!readBlock(block))
            return false;  // end of stream without end-of-archive blocks: accepted
        bool zero = true;
        for (char c : block)
            zero &= c == 0;
        if (zero)
            return false;

        uint64_t stored = parseNumber(block + 148, 8);
        uint64_t unsignedSum = 0;
        int64_t signedSum = 0;
        for (size_t i = 0; i < kBlock; ++i) {
            bool inField = i >= 148 && i < 156;
            unsignedSum += inField ? ' ' : static_cast<unsigned char>(block[i]);
            signedSum += inField ? ' ' : static_cast<signed char>(block[i]);
        }
        if (stored != unsignedSum && static_cast<int64_t>(stored) != signedSum)
            throw Error(what_ + ": damaged tar header at byte " + std::to_string(headerAt) +
                        " (checksum mismatch)");

        char typeflag = block[156];
        uint64_t size = parseNumber(block + 124, 12);
        for (const auto& [key, value] : pax)
            if (key == "size")
                size = std::strtoull(value.c_str(), nullptr, 10);

        if (typeflag == 'x' || typeflag == 'g') {
            std::string payload = readPayload(parseNumber(block + 124, 12));
            size_t at = 0;
            while (at < payload.size()) {
                size_t space = payload.find(' ', at);
                if (space == std::string::npos)
                    throw Error(what_ + ": malformed pax header at byte " +
                                std::to_string(headerAt));
                size_t length = std::strtoull(payload.c_str() + at, nullptr, 10);
                if (length == 0 || at + length > payload.size())
                    throw Error(what_ + ": malformed pax header at byte " +
                                std::to_string(headerAt));
                std::string record = payload.substr(space + 1, at + length - space - 2);
                size_t equals = record.find('=');
                if (equals != std::string::npos) {
                    auto& target = typeflag == 'g' ? globalPax_ : pax;
                    target.emplace_back(record.substr(0, equals), record.substr(equals + 1));
                    if (typeflag == 'g')
                        pax.emplace_back(record.substr(0, equals), record.substr(equals + 1));
                }
                at += length;
            }
            continue;
        }
        if (typeflag == 'L' || typeflag == 'K') {
            std::string payload = readPayload(size);
            payload.resize(strnlen(payload.c_str(), payload.size()));
            (typeflag == 'L' ? longName : longLink) = payload;
            (typeflag == 'L' ? haveLongName : haveLongLink) = true;
            continue;
        }

        entry = TarEntry{};
        std::string name = fieldString(block, 100);
        if (std::memcmp(block + 257, "ustar\0", 6) == 0) {
            std::string prefix = fieldString(block + 345, 155);
            if (!prefix.empty())
                name = prefix + "/" + name;
        }
        std::string link = fieldString(block + 157, 100);
        if (haveLongName)
            name = longName;
        if (haveLongLink)
            link = longLink;
        entry.mode = static_cast<uint32_t>(parseNumber(block + 100, 8) & 07777);
        entry.uid = parseNumber(block + 108, 8);
        entry.gid = parseNumber(block + 116, 8);
        entry.mtime = static_cast<int64_t>(parseNumber(block + 136, 12));
        entry.devMajor = static_cast<uint32_t>(parseNumber(block + 329, 8));
        entry.devMinor = static_cast<uint32_t>(parseNumber(block + 337, 8));
        for (const auto& [key, value] : pax) {
            if (key == "path")
                name = value;
            else if (key == "linkpath")
                link = value;
            else if (key == "uid")
                entry.uid = std::strtoull(value.c_str(), nullptr, 10);
            else if (key == "gid")
                entry.gid = std::strtoull(value.c_str(), nullptr, 10);
            else if (key == "mtime")
                entry.mtime = std::strtoll(value.c_str(), nullptr, 10);
            else if (startsWith(key, "SCHILY.xattr."))
                entry.xattrs.emplace_back(key.substr(13), value);
            else if (startsWith(key, "GNU.sparse."))
                throw Error(what_ + ": sparse member " + name + " is not supported");
        }
        bool trailingSlash = !name.empty() && name.back() == '/';
        switch (typeflag) {
            case '0':
            case '\0':
            case '7':
                entry.type = trailingSlash ? TarType::Directory : TarType::File;
                break;
            case '1':
                entry.type = TarType::Hardlink;
                break;
            case '2':
                entry.type = TarType::Symlink;
                break;
            case '3':
                entry.type = TarType::CharDevice;
                break;
            case '4':
                entry.type = TarType::BlockDevice;
                break;
            case '5':
                entry.type = TarType::Directory;
                break;
            case '6':
                entry.type = TarType::Fifo;
                break;
            default:
                throw Error(what_ + ": member " + name + " has unsupported type '" +
                            std::string(1, typeflag) + "'");
        }
        entry.path = normalizeTarPath(name);
        entry.linkTarget = link;
        if (entry.type == TarType::Hardlink)
            entry.linkTarget = normalizeTarPath(link);
        // Only regular files carry data; a size on anything else is skipped.
        entry.size = entry.type == TarType::File ? size : 0;
        dataOffset_ = position_;
        remaining_ = size;
        padding_ = (kBlock - size % kBlock) % kBlock;
        if (entry.type != TarType::File) {
            skip(remaining_ + padding_);
            remaining_ = padding_ = 0;
        }
        return true;
    }
}

size_t TarReader::readData(char* buffer, size_t size) {
    if (remaining_ == 0)
        return 0;
    if (size > remaining_)
        size = static_cast<size_t>(remaining_);
    readExact(buffer, size);
    remaining_ -= size;
    return size;
}

std::string TarReader::readAllData() {
    std::string data(static_cast<size_t>(remaining_), '\0');
    readExact(data.data(), data.size());
    remaining_ = 0;
    return data;
}

void TarWriter::header(const TarEntry& entry, char typeflag, const std::string& name,
                       const std::string& link, uint64_t size) {
    char block[kBlock];
    std::memset(block, 0, sizeof block);
    std::string base = name, prefix;
    if (base.size() > 100) {
        // ustar split at a '/' (the caller made sure one exists).
        size_t cut = base.rfind('/', 155);
        prefix = base.substr(0, cut);
        base = base.substr(cut + 1);
    }
    std::memcpy(block, base.data(), std::min<size_t>(base.size(), 100));
    putOctal(block + 100, 8, entry.mode & 07777);
    putOctal(block + 108, 8, entry.uid > maxOctal(8) ? 0 : entry.uid);
    putOctal(block + 116, 8, entry.gid > maxOctal(8) ? 0 : entry.gid);
    putOctal(block + 124, 12, size > maxOctal(12) ? 0 : size);
    putOctal(block + 136, 12, entry.mtime < 0 ? 0 : static_cast<uint64_t>(entry.mtime));
    block[156] = typeflag;
    std::memcpy(block + 157, link.data(), std::min<size_t>(link.size(), 100));
    std::memcpy(block + 257,
                "ustar\0"
                "00",
                8);
    putOctal(block + 329, 8, entry.devMajor);
    putOctal(block + 337, 8, entry.devMinor);
    std::memcpy(block + 345, prefix.data(), std::min<size_t>(prefix.size(), 155));
    std::memset(block + 148, ' ', 8);
    unsigned sum = 0;
    for (unsigned char c : block)
        sum += c;
    std::snprintf(block + 148, 8, "%06o", sum);
    block[155] = ' ';
    sink_(std::string_view(block, sizeof block));
}

void TarWriter::add(const TarEntry& entry, std::string_view data) {
    std::string name = entry.path;
    if (entry.type == TarType::Directory && !name.empty())
        name += '/';
    if (name.empty())
        name = "./";
    uint64_t size = entry.type == TarType::File ? data.size() : 0;

    std::string records;
    bool splittable = false;
    if (name.size() > 100) {
        size_t cut = name.rfind('/', 155);
        splittable = cut != std::string::npos && cut > 0 && name.size() - cut - 1 <= 100 &&
                     name.size() - cut - 1 > 0;
    }
    bool nameFits = name.size() <= 100 || splittable;
    bool asciiOnly = true;
    for (unsigned char c : name + entry.linkTarget)
        asciiOnly &= c < 0x80;
    if (!nameFits || !asciiOnly)
        records += paxRecord("path", name);
    if (entry.linkTarget.size() > 100 || !asciiOnly)
        records += paxRecord("linkpath", entry.linkTarget);
    if (size > maxOctal(12))
        records += paxRecord("size", std::to_string(size));
    if (entry.uid > maxOctal(8))
        records += paxRecord("uid", std::to_string(entry.uid));
    if (entry.gid > maxOctal(8))
        records += paxRecord("gid", std::to_string(entry.gid));
    for (const auto& [key, value] : entry.xattrs)
        records += paxRecord("SCHILY.xattr." + key, value);
    if (!records.empty()) {
        std::string base = entry.path.substr(entry.path.rfind('/') + 1);
        TarEntry paxEntry;
        paxEntry.mtime = entry.mtime;
        std::string paxName = ("PaxHeaders/" + base).substr(0, 100);
        std::string printable;
        for (unsigned char c : paxName)
            printable += c < 0x80 ? static_cast<char>(c) : '_';
        header(paxEntry, 'x', printable, "", records.size());
        sink_(records);
        sink_(std::string(kBlock - 1 - (records.size() + kBlock - 1) % kBlock, '\0'));
        if (!nameFits)
            name = name.substr(0, 100);
    }

    char typeflag = '0';
    switch (entry.type) {
        case TarType::File:
            typeflag = '0';
            break;
        case TarType::Hardlink:
            typeflag = '1';
            break;
        case TarType::Symlink:
            typeflag = '2';
            break;
        case TarType::CharDevice:
            typeflag = '3';
            break;
        case TarType::BlockDevice:
            typeflag = '4';
            break;
        case TarType::Directory:
            typeflag = '5';
            break;
        case TarType::Fifo:
            typeflag = '6';
            break;
    }
    header(entry, typeflag, name, entry.linkTarget.substr(0, 100), size);
    if (size > 0) {
        sink_(data.substr(0, size));
        sink_(std::string((kBlock - size % kBlock) % kBlock, '\0'));
    }
}

void TarWriter::finish() {
    sink_(std::string(2 * kBlock, '\0'));
}

TarBuilder& TarBuilder::add(const TarEntry& entry, std::string_view data) {
    writer_.add(entry, data);
    return *this;
}

TarBuilder& TarBuilder::directory(const std::string& path, uint32_t mode, int64_t mtime) {
    TarEntry entry;
    entry.path = path;
    entry.type = TarType::Directory;
    entry.mode = mode;
    entry.mtime = mtime;
    return add(entry);
}

TarBuilder& TarBuilder::file(const std::string& path, std::string_view content, uint32_t mode,
                             int64_t mtime) {
    TarEntry entry;
    entry.path = path;
    entry.mode = mode;
    entry.mtime = mtime;
    entry.size = content.size();
    return add(entry, content);
}

TarBuilder& TarBuilder::symlink(const std::string& path, const std::string& target, int64_t mtime) {
    TarEntry entry;
    entry.path = path;
    entry.type = TarType::Symlink;
    entry.mode = 0777;
    entry.linkTarget = target;
    entry.mtime = mtime;
    return add(entry);
}

TarBuilder& TarBuilder::hardlink(const std::string& path, const std::string& target,
                                 int64_t mtime) {
    TarEntry entry;
    entry.path = path;
    entry.type = TarType::Hardlink;
    entry.linkTarget = target;
    entry.mtime = mtime;
    return add(entry);
}

std::string TarBuilder::finish() {
    writer_.finish();
    return std::move(out_);
}

}  // namespace twoliter
