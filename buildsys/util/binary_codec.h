#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace twoliter {

// A compact, versionless byte encoding for cache records: unsigned integers
// as LEB128 varints, strings as a varint length followed by the bytes.
// Decoding past the end throws Error, so a truncated record is detected.
class BinaryWriter {
  public:
    void putVarint(uint64_t number);
    void putString(std::string_view text);
    void putStrings(const std::vector<std::string>& items);
    const std::string& bytes() const { return bytes_; }

  private:
    std::string bytes_;
};

class BinaryReader {
  public:
    explicit BinaryReader(std::string_view bytes) : bytes_(bytes) {}
    uint64_t getVarint();
    std::string getString();
    std::vector<std::string> getStrings();
    // A count of items that each take at least minBytes bytes; throws Error
    // when the bytes left cannot hold that many, so that a damaged record
    // never makes a decoder allocate for items that are not there.
    uint64_t getCount(size_t minBytes = 1);
    bool atEnd() const { return position_ == bytes_.size(); }

  private:
    std::string_view bytes_;
    size_t position_ = 0;
};

}  // namespace twoliter
