#pragma once

#include <cstdint>

#include <string>
#include <vector>

namespace twoliter {

// Signing keys are armored OpenPGP secret key files without passphrase,
// holding one key; public keys are armored OpenPGP public key files. Each
// operation imports its key into a throw-away GnuPG home (see GpgHome), so
// nothing is read from or left in the user's keyrings, and no gpg-agent
// outlives the call.

// The public half of a secret key file, for a project to publish.
struct PublicKey {
    std::string fingerprint;  // of the primary key, uppercase hex
    std::string armored;      // "-----BEGIN PGP PUBLIC KEY BLOCK-----..."
};
PublicKey publicKeyOf(const std::string& secretKeyFile);

// Writes <directory>/repodata/repomd.xml.asc: an armored detached signature
// of repomd.xml (what dnf checks with repo_gpgcheck=1), atomically. Throws
// Error naming the repository's repomd.xml when there is none, or the key
// file when it cannot sign.
// signatureTime, when not 0, is the signature's creation time (raised to
// the key's creation time if earlier), so signing is reproducible: pass
// SOURCE_DATE_EPOCH.
void signRepositoryMetadata(const std::string& directory, const std::string& secretKeyFile,
                            int64_t signatureTime = 0);
// The same for a repomd.xml at any path (signature at repomdPath + ".asc").
void signRepomdFile(const std::string& repomdPath, const std::string& secretKeyFile,
                    int64_t signatureTime = 0);

// Signs each RPM file with rpmsign (header signature, key by fingerprint,
// loopback pinentry). Each file is signed as a copy beside it that is then
// renamed over it, so a reader sees the unsigned or the signed RPM, never a
// partial one; when any file cannot be signed, none is replaced and Error
// names every such file.
void signRpms(const std::vector<std::string>& rpmFiles, const std::string& secretKeyFile,
              int64_t signatureTime = 0);

// Checks that every RPM file carries a valid signature by the key in
// publicKeyFile (rpmkeys -K against a keyring holding only that key).
// Throws Error naming each RPM that is unsigned, signed by another key or
// damaged (an ErrorList when several are).
void checkRpmSignatures(const std::vector<std::string>& rpmFiles, const std::string& publicKeyFile);

}  // namespace twoliter
