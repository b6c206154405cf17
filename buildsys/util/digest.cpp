#include "util/digest.h"

#include <openssl/evp.h>

#include <fstream>

#include "util/error.h"
#include "util/strings.h"

namespace twoliter {

namespace {
EVP_MD_CTX* ctx(void* p) {
    return static_cast<EVP_MD_CTX*>(p);
}

// Finishes the digest in context and returns it as lowercase hex.
std::string finishHex(EVP_MD_CTX* context) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(context, md, &length);
    static const char* digits = "0123456789abcdef";
    std::string out;
    out.reserve(length * 2);
    for (unsigned int i = 0; i < length; ++i) {
        out += digits[md[i] >> 4];
        out += digits[md[i] & 15];
    }
    return out;
}
}  // namespace

Sha256::Sha256() : context_(EVP_MD_CTX_new()) {
    EVP_DigestInit_ex(ctx(context_), EVP_sha256(), nullptr);
}

Sha256::~Sha256() {
    EVP_MD_CTX_free(ctx(context_));
}

Sha256& Sha256::add(std::string_view bytes) {
    EVP_DigestUpdate(ctx(context_), bytes.data(), bytes.size());
    return *this;
}

Sha256& Sha256::addField(std::string_view bytes) {
    uint64_t size = bytes.size();
    unsigned char prefix[8];
    for (int i = 0; i < 8; ++i)
        prefix[i] = static_cast<unsigned char>(size >> (8 * i));
    EVP_DigestUpdate(ctx(context_), prefix, sizeof prefix);
    return add(bytes);
}

std::string Sha256::hex() {
    return finishHex(ctx(context_));
}

bool isSha256Hex(std::string_view text) {
    if (text.size() != 64)
        return false;
    for (char c : text) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return true;
}

std::string sha256Hex(std::string_view bytes) {
    return Sha256().add(bytes).hex();
}

namespace {
std::string fileDigestHex(const std::string& path, const EVP_MD* algorithm) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error("cannot read file", {path});
    EVP_MD_CTX* context = EVP_MD_CTX_new();
    EVP_DigestInit_ex(context, algorithm, nullptr);
    char buffer[1 << 16];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
        EVP_DigestUpdate(context, buffer, static_cast<size_t>(in.gcount()));
    }
    std::string hex = finishHex(context);
    EVP_MD_CTX_free(context);
    return hex;
}
}  // namespace

std::string sha256FileHex(const std::string& path) {
    return fileDigestHex(path, EVP_sha256());
}
std::string sha512FileHex(const std::string& path) {
    return fileDigestHex(path, EVP_sha512());
}

namespace {

// OpenSSL's decoding of text (length a multiple of 4) without the bytes its
// '=' padding stands for; false when OpenSSL refuses it.
bool decodeBase64Block(std::string_view text, std::string& bytes) {
    bytes.assign(text.size() / 4 * 3 + 1, '\0');
    int length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(bytes.data()),
                                 reinterpret_cast<const unsigned char*>(text.data()),
                                 static_cast<int>(text.size()));
    if (length < 0)
        return false;
    size_t padding = 0;
    for (size_t i = text.size(); i > 0 && text[i - 1] == '='; --i)
        ++padding;
    // At most "==" ends a block; "====" used to make the size wrap around
    // (std::length_error, found by fuzzing a lock digest).
    if (padding > 2 || padding > static_cast<size_t>(length))
        return false;
    bytes.resize(static_cast<size_t>(length) - padding);
    return true;
}

}  // namespace

std::string base64Encode(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                 reinterpret_cast<const unsigned char*>(bytes.data()),
                                 static_cast<int>(bytes.size()));
    out.resize(static_cast<size_t>(length));
    return out;
}

bool base64Decode(std::string_view text, std::string& bytes) {
    if (text.empty() || text.size() % 4 != 0)
        return false;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        bool letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '+' || c == '/';
        bool padding =
            c == '=' && i + 2 >= text.size() && (i + 1 == text.size() || text.back() == '=');
        if (!letter && !padding)
            return false;
    }
    return decodeBase64Block(text, bytes);
}

std::string base64FromHex(const std::string& hex) {
    std::string bytes;
    for (size_t i = 0; i + 1 < hex.size(); i += 2) {
        bytes += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
    }
    return base64Encode(bytes);
}

std::string hexFromBase64(const std::string& base64) {
    std::string bytes;
    if (base64.empty() || base64.size() % 4 != 0 || !decodeBase64Block(base64, bytes))
        return "";
    return hexEncode(bytes);
}

}  // namespace twoliter
