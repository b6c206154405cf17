#pragma once

// TUF keys (specification §4.2 "KEYS"): the public key objects root.json
// lists, key ids, and signing/verification with OpenSSL.
//   ed25519: keytype/scheme "ed25519", public = hex of the 32 raw bytes;
//   rsa:     keytype "rsa", scheme "rsassa-pss-sha256" (MGF1-SHA256, salt
//            of 32 bytes when signing, as tough signs), public = PEM SPKI;
//   ecdsa:   keytype "ecdsa" (also read: "ecdsa-sha2-nistp256"), scheme
//            "ecdsa-sha2-nistp256" (P-256, SHA-256, DER signature),
//            public = PEM SPKI.
// A key id is the lowercase hex SHA-256 of the canonical JSON of the public
// key object {keytype, keyval: {public}, scheme}, as tough and python-tuf
// compute it. Signatures are lowercase hex.

#include <memory>
#include <string>
#include <string_view>

#include "sdk/json_reader.h"
#include "util/canonical_json.h"

namespace twoliter {

enum class TufKeyType { Ed25519, Rsa, Ecdsa };

// "ed25519", "rsa" or "ecdsa"; parseTufKeyType throws Error naming where for
// anything else.
const char* tufKeyTypeName(TufKeyType type);
TufKeyType parseTufKeyType(const std::string& name, const std::string& where);

struct PublicKey {
    std::string keyType;  // as written: "ed25519", "rsa", "ecdsa", "ecdsa-sha2-nistp256"
    std::string scheme;
    std::string value;  // keyval.public

    CanonicalJson toJson() const;
    std::string keyId() const;
    // Whether signatureHex is a valid signature of message by this key. False
    // for a key type or scheme this code does not know, or a malformed key.
    bool verify(std::string_view message, std::string_view signatureHex) const;
};

// A key object of root.json's "keys". Throws Error naming where when a
// field is missing or not a string.
PublicKey publicKeyFromJson(const JsonValue& value, const std::string& where);

// A private key read from a PEM file (PKCS#8, or the traditional RSA / EC
// forms), unencrypted.
class SigningKey {
  public:
    // Throws Error naming path when the file cannot be read, holds no
    // private key, or holds a key type TUF cannot use here (RSA under 2048
    // bits, a curve other than P-256).
    static SigningKey load(const std::string& path);
    // A new key written to path (mode 0600, parent folders created). Throws
    // Error naming path when it exists already or cannot be written.
    static SigningKey generate(TufKeyType type, const std::string& path);

    SigningKey(SigningKey&&) noexcept;
    SigningKey& operator=(SigningKey&&) noexcept;
    ~SigningKey();

    TufKeyType type() const { return type_; }
    const PublicKey& publicKey() const { return publicKey_; }
    const std::string& keyId() const { return keyId_; }
    const std::string& path() const { return path_; }
    // The signature of message, hex.
    std::string sign(std::string_view message) const;

  private:
    SigningKey() = default;
    // Takes ownership of key (an EVP_PKEY); throws Error naming path for a
    // key type TUF cannot use here.
    static SigningKey adopt(void* key, const std::string& path);

    void* key_ = nullptr;  // EVP_PKEY
    TufKeyType type_ = TufKeyType::Ed25519;
    PublicKey publicKey_;
    std::string keyId_;
    std::string path_;
};

}  // namespace twoliter
