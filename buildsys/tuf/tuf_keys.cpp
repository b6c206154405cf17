#include "tuf/tuf_keys.h"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <sys/stat.h>

#include <cstdio>
#include <utility>
#include <vector>

#include "util/digest.h"
#include "util/error.h"
#include "util/files.h"
#include "util/strings.h"

namespace twoliter {

namespace {

struct PkeyFree {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct BioFree {
    void operator()(BIO* bio) const { BIO_free(bio); }
};
struct MdCtxFree {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

std::string hexEncode(const unsigned char* bytes, size_t size) {
    return twoliter::hexEncode(std::string_view(reinterpret_cast<const char*>(bytes), size));
}

bool hexDecode(std::string_view text, std::vector<unsigned char>& bytes) {
    if (text.size() % 2 != 0)
        return false;
    bytes.clear();
    for (size_t i = 0; i < text.size(); i += 2) {
        int high = hexDigitValue(text[i]), low = hexDigitValue(text[i + 1]);
        if (high < 0 || low < 0)
            return false;
        bytes.push_back(static_cast<unsigned char>(high * 16 + low));
    }
    return true;
}

bool isEcdsaKeyType(const std::string& keyType) {
    return keyType == "ecdsa" || keyType == "ecdsa-sha2-nistp256";
}

// The OpenSSL public key of a TUF key object, or null when malformed.
PkeyPtr openPublicKey(const PublicKey& key) {
    if (key.keyType == "ed25519") {
        std::vector<unsigned char> raw;
        if (!hexDecode(key.value, raw) || raw.size() != 32)
            return nullptr;
        return PkeyPtr(
            EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, raw.data(), raw.size()));
    }
    BioPtr bio(BIO_new_mem_buf(key.value.data(), static_cast<int>(key.value.size())));
    return PkeyPtr(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
}

std::string publicPem(EVP_PKEY* key) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    PEM_write_bio_PUBKEY(bio.get(), key);
    char* data = nullptr;
    long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<size_t>(size));
}

// RSA-PSS with SHA-256 and MGF1-SHA256; saltLength for signing, or
// RSA_PSS_SALTLEN_AUTO to accept any salt when verifying.
void usePss(EVP_PKEY_CTX* context, int saltLength) {
    EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_rsa_pss_saltlen(context, saltLength);
    EVP_PKEY_CTX_set_rsa_mgf1_md(context, EVP_sha256());
}

std::string openSslError() {
    return "OpenSSL could not sign";
}

}  // namespace

const char* tufKeyTypeName(TufKeyType type) {
    switch (type) {
        case TufKeyType::Ed25519:
            return "ed25519";
        case TufKeyType::Rsa:
            return "rsa";
        case TufKeyType::Ecdsa:
            return "ecdsa";
    }
    return "";
}

TufKeyType parseTufKeyType(const std::string& name, const std::string& where) {
    for (TufKeyType type : {TufKeyType::Ed25519, TufKeyType::Rsa, TufKeyType::Ecdsa}) {
        if (name == tufKeyTypeName(type))
            return type;
    }
    throw Error("unknown key type '" + name + "'", {where}, "use ed25519, rsa or ecdsa");
}

CanonicalJson PublicKey::toJson() const {
    CanonicalJson keyval = CanonicalJson::object();
    keyval.set("public", value);
    CanonicalJson json = CanonicalJson::object();
    json.set("keytype", keyType);
    json.set("keyval", std::move(keyval));
    json.set("scheme", scheme);
    return json;
}

std::string PublicKey::keyId() const {
    return sha256Hex(toJson().str());
}

bool PublicKey::verify(std::string_view message, std::string_view signatureHex) const {
    bool known = (keyType == "ed25519" && scheme == "ed25519") ||
                 (keyType == "rsa" && scheme == "rsassa-pss-sha256") ||
                 (isEcdsaKeyType(keyType) && scheme == "ecdsa-sha2-nistp256");
    std::vector<unsigned char> signature;
    if (!known || !hexDecode(signatureHex, signature))
        return false;
    PkeyPtr key = openPublicKey(*this);
    if (!key)
        return false;
    MdCtxPtr context(EVP_MD_CTX_new());
    EVP_PKEY_CTX* keyContext = nullptr;
    const EVP_MD* digest = keyType == "ed25519" ? nullptr : EVP_sha256();
    if (EVP_DigestVerifyInit(context.get(), &keyContext, digest, nullptr, key.get()) != 1)
        return false;
    if (keyType == "rsa")
        usePss(keyContext, RSA_PSS_SALTLEN_AUTO);
    return EVP_DigestVerify(context.get(), signature.data(), signature.size(),
                            reinterpret_cast<const unsigned char*>(message.data()),
                            message.size()) == 1;
}

PublicKey publicKeyFromJson(const JsonValue& value, const std::string& where) {
    const JsonValue* keyType = value.find("keytype");
    const JsonValue* scheme = value.find("scheme");
    const JsonValue* keyval = value.find("keyval");
    const JsonValue* publicValue = keyval ? keyval->find("public") : nullptr;
    if (!keyType || !keyType->isString() || !scheme || !scheme->isString() || !publicValue ||
        !publicValue->isString()) {
        throw Error("a key needs string fields keytype, scheme and keyval.public", {where});
    }
    return {keyType->text(), scheme->text(), publicValue->text()};
}

SigningKey::SigningKey(SigningKey&& other) noexcept
    : key_(std::exchange(other.key_, nullptr)),
      type_(other.type_),
      publicKey_(std::move(other.publicKey_)),
      keyId_(std::move(other.keyId_)),
      path_(std::move(other.path_)) {}

SigningKey& SigningKey::operator=(SigningKey&& other) noexcept {
    std::swap(key_, other.key_);
    type_ = other.type_;
    publicKey_ = std::move(other.publicKey_);
    keyId_ = std::move(other.keyId_);
    path_ = std::move(other.path_);
    return *this;
}

SigningKey::~SigningKey() {
    EVP_PKEY_free(static_cast<EVP_PKEY*>(key_));
}

SigningKey SigningKey::adopt(void* opaque, const std::string& path) {
    PkeyPtr key(static_cast<EVP_PKEY*>(opaque));
    SigningKey signing;
    signing.path_ = path;
    if (EVP_PKEY_is_a(key.get(), "ED25519")) {
        unsigned char raw[32];
        size_t size = sizeof raw;
        EVP_PKEY_get_raw_public_key(key.get(), raw, &size);
        signing.type_ = TufKeyType::Ed25519;
        signing.publicKey_ = {"ed25519", "ed25519", hexEncode(raw, size)};
    } else if (EVP_PKEY_is_a(key.get(), "RSA")) {
        if (EVP_PKEY_get_bits(key.get()) < 2048)
            throw Error("RSA keys for TUF need at least 2048 bits", {path});
        signing.type_ = TufKeyType::Rsa;
        signing.publicKey_ = {"rsa", "rsassa-pss-sha256", publicPem(key.get())};
    } else if (EVP_PKEY_is_a(key.get(), "EC")) {
        char group[64] = "";
        size_t size = 0;
        EVP_PKEY_get_utf8_string_param(key.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                       &size);
        if (std::string(group) != "prime256v1")
            throw Error("ECDSA keys for TUF must be on curve P-256, not " + std::string(group),
                        {path});
        signing.type_ = TufKeyType::Ecdsa;
        signing.publicKey_ = {"ecdsa", "ecdsa-sha2-nistp256", publicPem(key.get())};
    } else {
        throw Error("the key is not an ed25519, RSA or ECDSA P-256 key", {path});
    }
    signing.keyId_ = signing.publicKey_.keyId();
    signing.key_ = key.release();
    return signing;
}

SigningKey SigningKey::load(const std::string& path) {
    std::string pem = readFile(path);
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
    if (!key) {
        throw Error("no unencrypted PEM private key in the file", {path},
                    "TUF keys are PEM files of ed25519, RSA or ECDSA P-256 private keys");
    }
    return adopt(key, path);
}

SigningKey SigningKey::generate(TufKeyType type, const std::string& path) {
    if (pathExists(path))
        throw Error("will not overwrite an existing key", {path});
    EVP_PKEY* key = nullptr;
    switch (type) {
        case TufKeyType::Ed25519:
            key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
            break;
        case TufKeyType::Rsa:
            key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(3072));
            break;
        case TufKeyType::Ecdsa:
            key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
            break;
    }
    if (!key)
        throw Error("OpenSSL could not generate a key", {path});
    SigningKey signing = adopt(key, path);
    BioPtr bio(BIO_new(BIO_s_mem()));
    PEM_write_bio_PrivateKey(bio.get(), static_cast<EVP_PKEY*>(signing.key_), nullptr, nullptr, 0,
                             nullptr, nullptr);
    char* data = nullptr;
    long size = BIO_get_mem_data(bio.get(), &data);
    mode_t previous = umask(077);
    try {
        writeFileAtomic(path, std::string(data, static_cast<size_t>(size)));
    } catch (...) {
        umask(previous);
        throw;
    }
    umask(previous);
    chmod(path.c_str(), 0600);
    return signing;
}

std::string SigningKey::sign(std::string_view message) const {
    MdCtxPtr context(EVP_MD_CTX_new());
    EVP_PKEY_CTX* keyContext = nullptr;
    const EVP_MD* digest = type_ == TufKeyType::Ed25519 ? nullptr : EVP_sha256();
    auto* key = static_cast<EVP_PKEY*>(key_);
    if (EVP_DigestSignInit(context.get(), &keyContext, digest, nullptr, key) != 1)
        throw Error(openSslError(), {path_});
    if (type_ == TufKeyType::Rsa)
        usePss(keyContext, 32);
    auto* bytes = reinterpret_cast<const unsigned char*>(message.data());
    size_t size = 0;
    if (EVP_DigestSign(context.get(), nullptr, &size, bytes, message.size()) != 1)
        throw Error(openSslError(), {path_});
    std::vector<unsigned char> signature(size);
    if (EVP_DigestSign(context.get(), signature.data(), &size, bytes, message.size()) != 1)
        throw Error(openSslError(), {path_});
    return hexEncode(signature.data(), size);
}

}  // namespace twoliter
