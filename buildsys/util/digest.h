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
// Whether text is 64 lowercase hex digits, the form of a SHA-256 above.
bool isSha256Hex(std::string_view text);
// SHA-256 / SHA-512 of a file's contents, lowercase hex. Throw Error when
// the file cannot be read.
std::string sha256FileHex(const std::string& path);
std::string sha512FileHex(const std::string& path);

// Standard base64 (with padding) of bytes. base64Decode is strict (padded,
// no whitespace, only the base64 alphabet): false when text is malformed.
std::string base64Encode(std::string_view bytes);
bool base64Decode(std::string_view text, std::string& bytes);

// Standard base64 (with padding) of the bytes a hex string spells, and back;
// Twoliter.lock writes digests as base64 of the raw SHA-256. hexFromBase64
// returns "" for malformed input.
std::string base64FromHex(const std::string& hex);
std::string hexFromBase64(const std::string& base64);

}  // namespace twoliter
