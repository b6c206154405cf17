#pragma once

#include <cstdint>

#include <memory>
#include <string>
#include <vector>

#include "repo/tool_process.h"

namespace twoliter {

// An OpenPGP key as imported: the primary key's fingerprint and those of
// all its subkeys (a signature names the subkey that made it).
struct ImportedKey {
    std::string fingerprint;
    std::vector<std::string> subkeyFingerprints;  // includes the primary
    int64_t created = 0;  // the newest creation time of the key and its subkeys
    bool owns(const std::string& signerFingerprint) const;
};

// How a detached signature checked out against the keys of a GpgHome.
struct SignatureCheck {
    enum class Outcome { Good, BadSignature, OtherKey, NotASignature, Invalid };
    Outcome outcome = Outcome::Invalid;
    std::string signer;  // fingerprint or key ID that made the signature
    std::string detail;  // gpgme's words when not Good
};

// A throw-away GnuPG home: a fresh folder (mode 0700) under the temporary
// directory, used through gpgme with loopback pinentry (so a key with a
// passphrase fails instead of prompting). The destructor stops the
// gpg-agent the home started (gpgconf --kill all) and removes the folder.
// Not shared between threads.
class GpgHome {
  public:
    GpgHome();
    ~GpgHome();
    GpgHome(const GpgHome&) = delete;
    GpgHome& operator=(const GpgHome&) = delete;

    const std::string& path() const { return folder_.path(); }

    // Imports an armored (or binary) key file holding exactly one key.
    // Throws Error naming keyFile when it cannot be read, holds no key or
    // several, or, with needSecret, no secret key.
    ImportedKey importKeyFile(const std::string& keyFile, bool needSecret);

    // Armored detached signature of data by the key (imported with its
    // secret). Throws Error naming keyFile (for messages) on failure.
    std::string signDetached(const std::string& data, const ImportedKey& key,
                             const std::string& keyFile);
    // From now on, signatures carry this creation time (0: the current
    // time) instead of the clock's, so the same data, key and time give the
    // same signature bytes (EdDSA and RSA signatures are deterministic).
    // Times before the key's creation are raised to it, which clients
    // require.
    void setSignatureTime(int64_t time, const ImportedKey& key);
    // The gpg options that do the same for gpg run by another program
    // (rpmsign): empty when time is 0.
    static std::string signatureTimeOptions(int64_t time, const ImportedKey& key);
    // Good only when every signature in `signature` is a valid signature of
    // data made by expected (or one of its subkeys).
    SignatureCheck verifyDetached(const std::string& data, const std::string& signature,
                                  const ImportedKey& expected);
    // The armored public key (primary and subkeys) of a key imported from
    // keyFile (named in errors).
    std::string exportPublicKey(const ImportedKey& key, const std::string& keyFile);

  private:
    struct Context;
    ScratchFolder folder_;
    std::unique_ptr<Context> context_;
};

}  // namespace twoliter
