// TUF keys (tuf/tuf_keys.h) and signed metadata (tuf/tuf_metadata.h):
// signatures of each key type checked by the openssl tool, key ids against
// the canonical JSON written out by hand, thresholds.
#include <catch2/catch.hpp>
#include <cstdlib>

#include "support/error_text.h"
#include "support/temp_tree.h"
#include "tuf/tuf_keys.h"
#include "tuf/tuf_metadata.h"
#include "util/digest.h"
#include "util/files.h"

using namespace twoliter;
using twoliter::testing::errorText;
using twoliter::testing::TempDir;

namespace {

bool run(const std::string& command) {
    return std::system((command + " >/dev/null 2>&1").c_str()) == 0;
}

std::string hexToBytes(const std::string& hex) {
    std::string bytes;
    for (size_t i = 0; i < hex.size(); i += 2)
        bytes += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
    return bytes;
}

// Whether openssl verifies signatureHex of message with key's public key.
bool opensslVerifies(const TempDir& dir, const SigningKey& key, const std::string& message,
                     const std::string& signatureHex) {
    std::string base = dir.path() + "/check";
    writeFileAtomic(base + ".msg", message);
    writeFileAtomic(base + ".sig", hexToBytes(signatureHex));
    std::string pub = base + ".pub";
    if (!run("openssl pkey -in " + key.path() + " -pubout -out " + pub))
        return false;
    switch (key.type()) {
        case TufKeyType::Ed25519:
            return run("openssl pkeyutl -verify -pubin -inkey " + pub + " -rawin -in " + base +
                       ".msg -sigfile " + base + ".sig");
        case TufKeyType::Rsa:
            return run("openssl dgst -sha256 -verify " + pub +
                       " -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 -signature " +
                       base + ".sig " + base + ".msg");
        case TufKeyType::Ecdsa:
            return run("openssl dgst -sha256 -verify " + pub + " -signature " + base + ".sig " +
                       base + ".msg");
    }
    return false;
}

}  // namespace

TEST_CASE("tuf keys: every key type signs what openssl and the verifier accept", "[tuf]") {
    TempDir dir;
    for (TufKeyType type : {TufKeyType::Ed25519, TufKeyType::Rsa, TufKeyType::Ecdsa}) {
        INFO(tufKeyTypeName(type));
        SigningKey key =
            SigningKey::generate(type, dir.path() + "/" + tufKeyTypeName(type) + ".pem");
        std::string message = R"({"_type":"timestamp","version":7})";
        std::string signature = key.sign(message);
        CHECK(opensslVerifies(dir, key, message, signature));
        CHECK(key.publicKey().verify(message, signature));
        CHECK_FALSE(key.publicKey().verify(message + " ", signature));
        std::string flipped = signature;
        flipped[10] = flipped[10] == '0' ? '1' : '0';
        CHECK_FALSE(key.publicKey().verify(message, flipped));
        // The key loads back from its PEM file with the same id.
        CHECK(SigningKey::load(key.path()).keyId() == key.keyId());
    }
}

TEST_CASE("tuf keys: public key objects and key ids as the specification defines them", "[tuf]") {
    TempDir dir;
    REQUIRE(run("openssl genpkey -algorithm ed25519 -out " + dir.path() + "/ed.pem"));
    SigningKey ed = SigningKey::load(dir.path() + "/ed.pem");
    REQUIRE(ed.publicKey().value.size() == 64);
    // sha256 of {"keytype":"ed25519","keyval":{"public":"<hex>"},"scheme":"ed25519"}
    std::string canonical = R"({"keytype":"ed25519","keyval":{"public":")" + ed.publicKey().value +
                            R"("},"scheme":"ed25519"})";
    CHECK(ed.keyId() == sha256Hex(canonical));
    CHECK(ed.publicKey().toJson().str() == canonical);

    REQUIRE(run("openssl ecparam -name prime256v1 -genkey -noout -out " + dir.path() + "/ec.pem"));
    SigningKey ec = SigningKey::load(dir.path() + "/ec.pem");
    CHECK(ec.publicKey().keyType == "ecdsa");
    CHECK(ec.publicKey().scheme == "ecdsa-sha2-nistp256");
    CHECK(ec.publicKey().value.rfind("-----BEGIN PUBLIC KEY-----\n", 0) == 0);
    // The PEM's newlines are raw bytes in canonical JSON (only " and \ escaped).
    CHECK(ec.keyId() == sha256Hex(R"({"keytype":"ecdsa","keyval":{"public":")" +
                                  ec.publicKey().value + R"("},"scheme":"ecdsa-sha2-nistp256"})"));
    // The older keytype name verifies as well.
    PublicKey old = ec.publicKey();
    old.keyType = "ecdsa-sha2-nistp256";
    CHECK(old.verify("m", ec.sign("m")));

    REQUIRE(run("openssl genrsa -traditional -out " + dir.path() + "/rsa.pem 2048"));
    SigningKey rsa = SigningKey::load(dir.path() + "/rsa.pem");
    CHECK(rsa.publicKey().scheme == "rsassa-pss-sha256");
    CHECK(rsa.publicKey().verify("m", rsa.sign("m")));
}

TEST_CASE("tuf keys: unusable keys are refused naming the file", "[tuf]") {
    TempDir dir;
    std::string small = dir.path() + "/small.pem";
    REQUIRE(run("openssl genrsa -out " + small + " 1024"));
    CHECK(errorText([&] { SigningKey::load(small); }).find("small.pem: RSA keys for TUF need") !=
          std::string::npos);
    std::string p384 = dir.path() + "/p384.pem";
    REQUIRE(run("openssl ecparam -name secp384r1 -genkey -noout -out " + p384));
    CHECK(errorText([&] { SigningKey::load(p384); }).find("curve P-256") != std::string::npos);
    writeFileAtomic(dir.path() + "/junk.pem", "junk");
    CHECK(errorText([&] {
              SigningKey::load(dir.path() + "/junk.pem");
          }).find("junk.pem: no unencrypted PEM private key") != std::string::npos);
    SigningKey::generate(TufKeyType::Ed25519, dir.path() + "/k.pem");
    CHECK(errorText([&] {
              SigningKey::generate(TufKeyType::Ed25519, dir.path() + "/k.pem");
          }).find("will not overwrite") != std::string::npos);
}

TEST_CASE("tuf metadata: signatures over canonical JSON and thresholds", "[tuf]") {
    TempDir dir;
    SigningKey a = SigningKey::generate(TufKeyType::Ed25519, dir.path() + "/a.pem");
    SigningKey b = SigningKey::generate(TufKeyType::Ecdsa, dir.path() + "/b.pem");
    SigningKey stranger = SigningKey::generate(TufKeyType::Rsa, dir.path() + "/c.pem");
    RootRole root;
    root.expires = 2000000000;
    root.keys[a.keyId()] = a.publicKey();
    root.keys[b.keyId()] = b.publicKey();
    for (const auto& role : topLevelRoles())
        root.roles[role] = {{a.keyId(), b.keyId()}, role == "timestamp" ? 2 : 1};
    TimestampRole timestamp;
    timestamp.version = 3;
    timestamp.expires = 2000000000;
    timestamp.snapshot = describeMetadata("snapshot bytes", 3);

    std::string both = signMetadata(toJson(timestamp), {&a, &b});
    SignedDocument document = parseSignedDocument(both, "timestamp.json");
    CHECK(document.canonicalSigned == toJson(timestamp).str());
    CHECK_NOTHROW(checkThreshold(document, root, "timestamp"));
    CHECK(timestampFromDocument(document).snapshot.hashes.at("sha256") ==
          sha256Hex("snapshot bytes"));

    // One signature (or the same key twice) is below the threshold of 2.
    std::string twice = signMetadata(toJson(timestamp), {&a, &a});
    CHECK(errorText([&] {
              checkThreshold(parseSignedDocument(twice, "t.json"), root, "timestamp");
          }).find("t.json: signatures: timestamp metadata has 1 valid signature(s)") !=
          std::string::npos);
    // A key the root does not list counts for nothing.
    std::string foreign = signMetadata(toJson(timestamp), {&a, &stranger});
    CHECK(errorText([&] {
              checkThreshold(parseSignedDocument(foreign, "t.json"), root, "timestamp");
          }).find("has 1 valid") != std::string::npos);
    // A changed field breaks the signatures.
    std::string altered = both;
    altered.replace(altered.find("\"version\": 3"), 12, "\"version\": 4");
    CHECK(errorText([&] {
              checkThreshold(parseSignedDocument(altered, "t.json"), root, "timestamp");
          }).find("has 0 valid") != std::string::npos);
    // A file of another role is not taken for a timestamp.
    CHECK(errorText([&] {
              timestampFromDocument(
                  parseSignedDocument(signMetadata(toJson(root), {&a}), "x.json"));
          }).find("x.json: signed._type: expected timestamp metadata") != std::string::npos);
}

TEST_CASE("tuf metadata: the root role round-trips", "[tuf]") {
    TempDir dir;
    SigningKey key = SigningKey::generate(TufKeyType::Rsa, dir.path() + "/k.pem");
    RootRole root;
    root.version = 2;
    root.expires = 1800000000;
    root.keys[key.keyId()] = key.publicKey();
    for (const auto& role : topLevelRoles())
        root.roles[role] = {{key.keyId()}, 1};
    std::string bytes = signMetadata(toJson(root), {&key});
    // Standard JSON: the PEM's newlines are escaped in the file.
    CHECK(bytes.find("-----BEGIN PUBLIC KEY-----\\n") != std::string::npos);
    SignedDocument document = parseSignedDocument(bytes, "2.root.json");
    RootRole read = rootFromDocument(document);
    CHECK(read.version == 2);
    CHECK(read.expires == 1800000000);
    CHECK(read.consistentSnapshot);
    CHECK(read.keys.at(key.keyId()).value == key.publicKey().value);
    CHECK_NOTHROW(checkThreshold(document, read, "root"));
    CHECK(toJson(read).str() == document.canonicalSigned);
}
