// OLPC canonical JSON (util/canonical_json.h) and the lock digest built on
// it (kit/lock_digest.h), checked against values computed outside this code.
#include <catch2/catch.hpp>

#include "kit/lock_digest.h"
#include "support/error_text.h"
#include "util/canonical_json.h"
#include "util/digest.h"

using namespace twoliter;

namespace {

std::string canonical(const std::string& json) {
    return canonicalizeJson(json, "test.json");
}

}  // namespace

TEST_CASE("canonical JSON: the securesystemslib and olpc-cjson cases", "[canonical-json]") {
    CHECK(canonical("[1, 2, 3]") == "[1,2,3]");
    CHECK(canonical("[]") == "[]");
    CHECK(canonical("{}") == "{}");
    CHECK(canonical(R"({"A": [99]})") == R"({"A":[99]})");
    CHECK(canonical(R"({"A": true})") == R"({"A":true})");
    CHECK(canonical(R"({"B": false})") == R"({"B":false})");
    CHECK(canonical(R"({"x": 3, "y": 2})") == R"({"x":3,"y":2})");
    CHECK(canonical(R"({"y": null, "x": 3})") == R"({"x":3,"y":null})");
    CHECK(
        canonical(R"({"nested": {"good": false, "bad": true}, "b": 2, "a": 1,
                        "c": {"h": {"i": 3, "h": -5}, "x": {}, "a": null}})") ==
        R"({"a":1,"b":2,"c":{"a":null,"h":{"h":-5,"i":3},"x":{}},"nested":{"bad":true,"good":false}})");
}

TEST_CASE("canonical JSON: strings escape only quote and backslash", "[canonical-json]") {
    // JSON escapes are decoded, then only " and \ are escaped again; control
    // characters, "/" and UTF-8 are written as bytes.
    CHECK(canonical(R"(["a\/b", "q\"b\\s", "tab\there", "nl\n", "\u00e9", "\u0001"])") ==
          "[\"a/b\",\"q\\\"b\\\\s\",\"tab\there\",\"nl\n\",\"\xc3\xa9\",\"\x01\"]");
    CHECK(canonicalJsonString("x\"y\\z\x1f") == "\"x\\\"y\\\\z\x1f\"");
}

TEST_CASE("canonical JSON: members sort by their serialised keys", "[canonical-json]") {
    // olpc-cjson sorts the key bytes with their quotes: "a!" (…0x21) sorts
    // before "a" (…0x22 after the a), unlike a sort of the bare keys.
    CHECK(canonical(R"({"a": 1, "a!": 2, "B": 3, "b": 4, "\u00e9": 5})") ==
          "{\"B\":3,\"a!\":2,\"a\":1,\"b\":4,\"\xc3\xa9\":5}");
    // The last of duplicate keys wins, as serde_json reads them.
    CHECK(canonical(R"({"k": 1, "k": 2})") == R"({"k":2})");
    CanonicalJson built = CanonicalJson::object();
    built.set("z", std::string("last")).set("m", int64_t(-7)).set("a", CanonicalJson());
    built.set("m", CanonicalJson::boolean(true));
    CHECK(built.str() == R"({"a":null,"m":true,"z":"last"})");
}

TEST_CASE("canonical JSON: integers only, within 64 bits", "[canonical-json]") {
    CHECK(canonical("[0, -0, 18446744073709551615, -9223372036854775808]") ==
          "[0,0,18446744073709551615,-9223372036854775808]");
    auto message = [](const std::string& json) {
        return testing::errorText([&] { canonical(json); });
    };
    CHECK(message(R"({"size": 1.5})") ==
          "test.json: floating point number 1.5 cannot be written as canonical JSON");
    CHECK_THAT(message("[1e3]"), Catch::Contains("floating point number 1e3"));
    CHECK_THAT(message("[18446744073709551616]"), Catch::Contains("is not a 64-bit integer"));
    CHECK_THAT(message("[-9223372036854775809]"), Catch::Contains("is not a 64-bit integer"));
    CHECK_THAT(message("[01]"), Catch::Contains("number 01 is not a 64-bit integer"));
    CHECK_THAT(message("{\"a\": }"), Catch::Contains("test.json: invalid JSON at byte 6"));
}

TEST_CASE("lock digest: base64 SHA-256 of the canonical manifest", "[canonical-json]") {
    // An index as a registry might serve it: indented, keys in any order,
    // an escaped "/". The constant was computed with python3:
    //   c = json.dumps(json.loads(text), sort_keys=True, separators=(',', ':'))
    //   base64.b64encode(hashlib.sha256(c.encode()).digest())
    // (the same bytes as olpc-cjson for ASCII text without control
    // characters and without keys that prefix one another).
    std::string index = R"({
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.index.v1+json",
  "manifests": [
    {
      "mediaType": "application/vnd.oci.image.manifest.v1+json",
      "digest": "sha256:1111111111111111111111111111111111111111111111111111111111111111",
      "size": 1234,
      "platform": { "architecture": "amd64", "os": "linux" }
    },
    {
      "mediaType": "application/vnd.oci.image.manifest.v1+json",
      "digest": "sha256:2222222222222222222222222222222222222222222222222222222222222222",
      "size": 1235,
      "platform": { "os": "linux", "architecture": "arm64" },
      "annotations": { "org.opencontainers.image.created": "2024-10-11T00:00:00Z", "a\/b": "x\"y" }
    }
  ]
})";
    std::string expected = "Wxlz6y5Y6RewzOffK28m8vZGEJtnhQO1fym/nHm6qWU=";
    CHECK(lockDigest(index, "index") == expected);
    // The canonical text's OCI digest shares the SHA-256.
    std::string text = canonical(index);
    CHECK(lockDigest(text, "index") == expected);
    CHECK(lockDigestSha256Hex(expected, "Twoliter.lock") == sha256Hex(text));
    CHECK(base64FromHex(sha256Hex(text)) == expected);
    CHECK(lockDigest(index + "\n", "index") == expected);
    CHECK(lockDigest(R"({"schemaVersion": 2})", "index") != expected);

    CHECK_THAT(testing::errorText([] { lockDigestSha256Hex("not base64!", "Twoliter.lock"); }),
               Catch::StartsWith("Twoliter.lock: digest 'not base64!' is not the base64 of a "
                                 "SHA-256"));
    CHECK_THAT(testing::errorText([] { lockDigestSha256Hex("YWJj", "Twoliter.lock"); }),
               Catch::Contains("is not the base64 of a SHA-256"));
}
