#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace twoliter {

// Incremental SHA-256. Fields fed with addField() are length-prefixed so that
// ("ab","c") and ("a","bc") give different digests.
class Sha256 {
  public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;

    Sha256& add(std::string_view bytes);
    Sha256& addField(std::string_view bytes);
    // Lowercase hex of the digest; the object cannot be fed afterwards.
    std::string hex();

  private:
    void* context_;
};

std::string sha256Hex(std::string_view bytes);
// SHA-256 / SHA-512 of a file's contents, lowercase hex. Throw Error when
// the file cannot be read.
std::string sha256FileHex(const std::string& path);
std::string sha512FileHex(const std::string& path);

}  // namespace twoliter
