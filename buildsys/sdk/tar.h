#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sdk/byte_stream.h"

namespace twoliter {

enum class TarType { File, Directory, Symlink, Hardlink, CharDevice, BlockDevice, Fifo };

// One member of a tar archive. path is normalised: no leading "/" or "./",
// no trailing "/" ("" is the archive root).
struct TarEntry {
    std::string path;
    TarType type = TarType::File;
    uint32_t mode = 0644;  // permission bits incl. set-id and sticky (07777)
    uint64_t uid = 0;
    uint64_t gid = 0;
    int64_t mtime = 0;
    uint64_t size = 0;       // data bytes (regular files only)
    std::string linkTarget;  // symlink target or hard link target path
    uint32_t devMajor = 0;
    uint32_t devMinor = 0;
    std::vector<std::pair<std::string, std::string>> xattrs;  // SCHILY.xattr.*
};

// Strips leading "/" and "./" and trailing "/" from a member name.
std::string normalizeTarPath(std::string_view name);

// Streaming reader for ustar, pax (x/g headers: path, linkpath, size, uid,
// gid, mtime, SCHILY.xattr.*) and GNU (L/K long names, base-256 numbers)
// archives. Header checksums are verified; a damaged header throws Error
// naming what.
class TarReader {
  public:
    TarReader(ByteSource& source, std::string what);

    // The next member, false at the end of the archive. Skips whatever data
    // of the previous member was not read.
    bool next(TarEntry& entry);
    // Data of the current member; 0 at its end.
    size_t readData(char* buffer, size_t size);
    std::string readAllData();
    // Offset in the stream where the current member's data starts.
    uint64_t dataOffset() const { return dataOffset_; }

  private:
    void readExact(char* buffer, size_t size);
    bool readBlock(char* block);
    void skip(uint64_t size);
    std::string readPayload(uint64_t size);

    ByteSource& source_;
    std::string what_;
    uint64_t position_ = 0;
    uint64_t dataOffset_ = 0;
    uint64_t remaining_ = 0;  // data bytes of the current member not yet read
    uint64_t padding_ = 0;    // padding after them
    std::vector<std::pair<std::string, std::string>> globalPax_;
};

// Writes a POSIX (ustar + pax where needed) archive to a sink, byte for byte
// determined by the entries given: nothing is taken from the clock or the
// user database. Callers order the entries.
class TarWriter {
  public:
    using Sink = std::function<void(std::string_view)>;
    explicit TarWriter(Sink sink) : sink_(std::move(sink)) {}

    void add(const TarEntry& entry, std::string_view data = {});
    // The two zero blocks that end an archive.
    void finish();

  private:
    void header(const TarEntry& entry, char typeflag, const std::string& name,
                const std::string& link, uint64_t size);
    Sink sink_;
};

// Convenience: an archive in memory.
class TarBuilder {
  public:
    TarBuilder() : writer_([this](std::string_view bytes) { out_.append(bytes); }) {}
    TarBuilder& directory(const std::string& path, uint32_t mode = 0755, int64_t mtime = 0);
    TarBuilder& file(const std::string& path, std::string_view content, uint32_t mode = 0644,
                     int64_t mtime = 0);
    TarBuilder& symlink(const std::string& path, const std::string& target, int64_t mtime = 0);
    TarBuilder& hardlink(const std::string& path, const std::string& target, int64_t mtime = 0);
    TarBuilder& add(const TarEntry& entry, std::string_view data = {});
    std::string finish();

  private:
    std::string out_;
    TarWriter writer_;
};

}  // namespace twoliter
