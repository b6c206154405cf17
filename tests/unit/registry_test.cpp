// The OCI registry client against a real registry (docker-registry) on
// loopback: push, resolve, pull by digest, a multi-arch index, Bearer
// tokens, and every way a pull can fail leaving nothing behind.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <random>

#include "oci/registry_client.h"
#include "sdk/oci_layout.h"
#include "support/loopback_registry.h"
#include "support/oci_test_image.h"
#include "support/error_text.h"
#include "support/temp_tree.h"
#include "util/digest.h"
#include "util/files.h"
#include "util/json_writer.h"

namespace fs = std::filesystem;
using namespace twoliter;
using twoliter::testing::LoopbackRegistry;
using twoliter::testing::TempDir;
using twoliter::testing::TestLayer;

namespace {

// name → bytes of every blob of a layout.
std::map<std::string, std::string> blobsOf(const std::string& layout) {
    std::map<std::string, std::string> blobs;
    for (const auto& entry : fs::directory_iterator(layout + "/blobs/sha256"))
        blobs[entry.path().filename().string()] = readFile(entry.path().string());
    return blobs;
}

// Names in dir other than the ones given: what a failed pull left behind.
std::vector<std::string> leftovers(const std::string& dir, const std::vector<std::string>& keep) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir)) {
        std::string name = entry.path().filename().string();
        if (std::find(keep.begin(), keep.end(), name) == keep.end())
            names.push_back(name);
    }
    return names;
}

std::string randomBytes(size_t size, unsigned seed) {
    std::mt19937_64 random(seed);
    std::string bytes(size, '\0');
    for (size_t i = 0; i + 8 <= size; i += 8) {
        uint64_t word = random();
        std::memcpy(&bytes[i], &word, 8);
    }
    return bytes;
}

// Two layers: about 5 MB uncompressed and a small gzip one.
std::vector<TestLayer> sampleLayers(const std::string& scratch, unsigned seed = 1) {
    std::string big = TarBuilder().file("opt/big.bin", randomBytes(5 << 20, seed)).finish();
    std::string small =
        TarBuilder().directory("etc").file("etc/os-release", "ID=sample\n").finish();
    return {{big, big, oci::kLayerTar},
            {testing::compressWith({"gzip", "-n", "-c"}, small, scratch), small, oci::kLayerGzip}};
}

std::string configFor(const std::string& arch, const std::vector<TestLayer>& layers) {
    JsonWriter config(false);
    config.beginObject().key("architecture").value(arch).key("os").value("linux");
    config.key("rootfs").beginObject().key("type").value("layers").key("diff_ids").beginArray();
    for (const auto& layer : layers)
        config.value("sha256:" + sha256Hex(layer.tar));
    config.endArray().endObject().endObject();
    return config.str();
}

struct RegistryFixture {
    LoopbackRegistry registry;
    TempDir dir;
    RegistryClient client{RegistrySettings{}};
    std::string source = dir.path() + "/source";
    std::string sourceDigest;

    RegistryFixture() {
        fs::create_directories(dir.path() + "/scratch");
        sourceDigest = testing::writeTestLayout(source, sampleLayers(dir.path() + "/scratch"));
    }
    ImageReference ref(const std::string& suffix) const {
        return parseImageReference(registry.host() + "/sample/sample-sdk" + suffix);
    }
};

}  // namespace

TEST_CASE("image references: the forms twoliter reads") {
    auto ref = parseImageReference("localhost:5000/sample/sample-sdk:v0.1.0");
    CHECK(ref.registry == "localhost:5000");
    CHECK(ref.repository == "sample/sample-sdk");
    CHECK(ref.tag == "v0.1.0");
    CHECK(ref.digest.empty());
    CHECK(ref.reference() == "v0.1.0");
    CHECK(ref.str() == "localhost:5000/sample/sample-sdk:v0.1.0");

    std::string digest = "sha256:" + std::string(64, 'a');
    ref = parseImageReference("public.ecr.aws/bottlerocket/bottlerocket-sdk@" + digest);
    CHECK(ref.registry == "public.ecr.aws");
    CHECK(ref.repository == "bottlerocket/bottlerocket-sdk");
    CHECK(ref.tag.empty());
    CHECK(ref.digest == digest);
    CHECK(ref.reference() == digest);

    ref = parseImageReference("127.0.0.1:5000/kits/core-kit:v3.1.1@" + digest);
    CHECK(ref.registry == "127.0.0.1:5000");
    CHECK(ref.tag == "v3.1.1");
    CHECK(ref.digest == digest);
    CHECK(ref.reference() == digest);
    CHECK(ref.str() == "127.0.0.1:5000/kits/core-kit:v3.1.1@" + digest);

    ref = parseImageReference("[::1]:5000/a/b_c.d--e:1");
    CHECK(ref.registry == "[::1]:5000");
    CHECK(ref.repository == "a/b_c.d--e");

    // As docker and crane read them: Docker Hub, library/, latest.
    ref = parseImageReference("ubuntu");
    CHECK(ref.str() == "docker.io/library/ubuntu:latest");
    CHECK(parseImageReference("bottlerocket/sdk:1").str() == "docker.io/bottlerocket/sdk:1");
    CHECK(parseImageReference("localhost/x").str() == "localhost/x:latest");
}

TEST_CASE("image references: malformed ones are clear errors at their location") {
    Location where{"Twoliter.toml", 7, "sdk.source"};
    auto message = [&](const std::string& text) {
        return testing::errorText([&] { parseImageReference(text, where); });
    };
    CHECK_THAT(message(""), Catch::StartsWith("Twoliter.toml:7: sdk.source: malformed image "
                                              "reference \"\": it is empty (hint: write "));
    CHECK_THAT(message("localhost:5000/Sample/sdk:1"), Catch::Contains("upper-case letters"));
    CHECK_THAT(message("localhost:5000/sample/sdk:"),
               Catch::Contains("the tag after ':' is empty"));
    CHECK_THAT(message("localhost:5000/sample/sdk:-bad"), Catch::Contains("the tag \"-bad\""));
    CHECK_THAT(message("localhost:5000/sample/sdk@sha512:" + std::string(128, 'a')),
               Catch::Contains("unsupported digest algorithm \"sha512\""));
    CHECK_THAT(message("localhost:5000/sample/sdk@sha256:abc"),
               Catch::Contains("64 lower-case hex digits"));
    CHECK_THAT(message("localhost:5000/sample/sdk@" + std::string(64, 'a')),
               Catch::Contains("has no algorithm"));
    CHECK_THAT(message("localhost:99999/sample/sdk:1"), Catch::Contains("port \"99999\""));
    CHECK_THAT(message("localhost:5000//sdk:1"), Catch::Contains("empty path component"));
    CHECK_THAT(message("localhost:5000/"), Catch::Contains("repository name is empty"));
    CHECK_THAT(message("host.example/a b:1"), Catch::Contains("white space"));
    CHECK_THAT(message("bad_host.example/x:1"), Catch::Contains("not a host name"));
    CHECK_THAT(message("a@b@sha256:1"), Catch::Contains("more than one '@'"));
}

TEST_CASE("registry addresses: loopback and TWOLITER_INSECURE_REGISTRIES speak http") {
    RegistrySettings none;
    CHECK(registryBaseUrl("localhost:5000", none) == "http://localhost:5000");
    CHECK(registryBaseUrl("127.0.0.1:41000", none) == "http://127.0.0.1:41000");
    CHECK(registryBaseUrl("[::1]:5000", none) == "http://[::1]:5000");
    CHECK(registryBaseUrl("public.ecr.aws", none) == "https://public.ecr.aws");
    CHECK(registryBaseUrl("docker.io", none) == "https://registry-1.docker.io");
    CHECK(registryBaseUrl("registry.lan:5000", none) == "https://registry.lan:5000");

    ::setenv("TWOLITER_INSECURE_REGISTRIES", "registry.lan:5000, mirror.lan", 1);
    RegistrySettings env = RegistrySettings::fromEnvironment();
    ::unsetenv("TWOLITER_INSECURE_REGISTRIES");
    CHECK(env.insecureRegistries == std::vector<std::string>{"registry.lan:5000", "mirror.lan"});
    CHECK(registryBaseUrl("registry.lan:5000", env) == "http://registry.lan:5000");
    CHECK(registryBaseUrl("registry.lan:6000", env) == "https://registry.lan:6000");
    CHECK(registryBaseUrl("mirror.lan:443", env) == "http://mirror.lan:443");
}

TEST_CASE_METHOD(RegistryFixture, "push a layout, resolve its tag, pull it by digest") {
    ImageReference tagged = ref(":v0.1.0");
    CHECK(client.pushImage(source, tagged) == sourceDigest);
    CHECK(client.resolveDigest(tagged) == sourceDigest);
    // Pushing again finds every blob present and gives the same manifest.
    CHECK(client.pushImage(source, tagged) == sourceDigest);

    ImageReference pinned = ref("@" + sourceDigest);
    CHECK(client.resolveDigest(pinned) == sourceDigest);
    std::string pulled = dir.path() + "/pulled/layout";
    CHECK(client.pullImage(pinned, pulled, hostOciArch()) == sourceDigest);
    auto blobs = blobsOf(pulled);
    CHECK(blobs.size() == 4);  // manifest, config, two layers
    CHECK(blobs == blobsOf(source));
    CHECK(leftovers(dir.path() + "/pulled", {"layout"}).empty());

    // The SDK reader takes the pulled layout as it is.
    ResolvedImage image = resolveImage(pulled, dir.path() + "/scratch");
    CHECK(image.manifestDigest == sourceDigest);
    REQUIRE(image.layers.size() == 2);
    for (const auto& layer : image.layers)
        CHECK_NOTHROW(verifyBlob(layer.blob, layer.digest, pulled, layer.name));

    // By tag, written as localhost, over an existing layout.
    auto localhost = parseImageReference("localhost:" + std::to_string(registry.port()) +
                                         "/sample/sample-sdk:v0.1.0");
    CHECK(client.pullImage(localhost, pulled, hostOciArch()) == sourceDigest);
    CHECK(blobsOf(pulled) == blobsOf(source));
    CHECK(leftovers(dir.path() + "/pulled", {"layout"}).empty());

    RegistryManifest manifest = client.fetchManifest(tagged);
    CHECK(manifest.digest == sourceDigest);
    CHECK(manifest.mediaType == oci::kManifest);
    CHECK_FALSE(manifest.isIndex());
}

TEST_CASE_METHOD(RegistryFixture, "a digest the registry lacks fails clearly and leaves nothing") {
    client.pushImage(source, ref(":v1"));
    std::string wrong = "sha256:" + sha256Hex("not this image");
    std::string message =
        testing::errorText([&] { client.pullImage(ref("@" + wrong), dir.path() + "/out", "amd64"); });
    CHECK_THAT(message, Catch::StartsWith(ref("@" + wrong).str() + ": cannot fetch manifest " +
                                          wrong + ": " + registry.host() + " answered HTTP 404"));
    CHECK_THAT(message, Catch::Contains("MANIFEST_UNKNOWN"));
    CHECK_THAT(testing::errorText([&] { client.resolveDigest(ref("@" + wrong)); }),
               Catch::Contains("no manifest " + wrong));
    CHECK_THAT(testing::errorText([&] { client.resolveDigest(ref(":no-such-tag")); }),
               Catch::Contains("HTTP 404"));
    CHECK(leftovers(dir.path(), {"source", "scratch"}).empty());
}

TEST_CASE_METHOD(RegistryFixture, "a manifest not matching the pinned digest is refused") {
    client.pushImage(source, ref(":v1"));
    // Damage the stored manifest: the registry serves it under the old digest.
    std::string stored = registry.blobDataPath(sourceDigest);
    std::string bytes = readFile(stored);
    bytes.insert(1, " ");  // still valid JSON, another digest
    writeFileAtomic(stored, bytes);
    std::string message =
        testing::errorText([&] { client.pullImage(ref("@" + sourceDigest), dir.path() + "/out", "amd64"); });
    CHECK_THAT(message, Catch::Contains("the manifest the registry returned for " +
                                        sourceDigest.substr(0, 19) + "… does not match"));
    CHECK_THAT(message, Catch::Contains("tampered"));
    CHECK(leftovers(dir.path(), {"source", "scratch"}).empty());
}

TEST_CASE_METHOD(RegistryFixture, "a tampered layer is named, and nothing half-written stays") {
    client.pushImage(source, ref(":v1"));
    std::string out = dir.path() + "/out";
    client.pullImage(ref(":v1"), out, hostOciArch());
    auto good = blobsOf(out);

    ResolvedImage image = resolveImage(source, dir.path() + "/scratch");
    std::string layer = image.layers[1].digest;
    std::string stored = registry.blobDataPath(layer);
    std::string bytes = readFile(stored);
    bytes[bytes.size() / 2] ^= 1;  // same size, other content
    writeFileAtomic(stored, bytes);

    std::string message = testing::errorText([&] { client.pullImage(ref(":v1"), out, hostOciArch()); });
    CHECK_THAT(message, Catch::StartsWith(ref(":v1").str() + ": blobs/sha256/" + layer.substr(7) +
                                          ": layer 2 of 2 " + layer.substr(0, 19) +
                                          "…: content does not match its digest"));
    // The earlier good pull is untouched; no temporary folder remains.
    CHECK(blobsOf(out) == good);
    CHECK(leftovers(dir.path(), {"source", "scratch", "out"}).empty());

    // A blob longer than its descriptor says is cut off.
    writeFileAtomic(stored, readFile(source + "/blobs/sha256/" + layer.substr(7)) + "extra");
    message = testing::errorText([&] { client.pullImage(ref(":v1"), dir.path() + "/out2", "amd64"); });
    CHECK_THAT(message, Catch::Contains("more than the"));
    CHECK(leftovers(dir.path(), {"source", "scratch", "out"}).empty());
}

TEST_CASE_METHOD(RegistryFixture, "an unreachable registry is a clear error") {
    client.pushImage(source, ref(":v1"));
    registry.stop();
    std::string message = testing::errorText([&] { client.resolveDigest(ref(":v1")); });
    CHECK_THAT(message, Catch::StartsWith(ref(":v1").str() + ": cannot reach registry " +
                                          registry.host() + " (http://" + registry.host() + "): "));
    CHECK_THAT(message, Catch::Contains("hint: check that the registry is running"));
    message = testing::errorText([&] { client.pullImage(ref(":v1"), dir.path() + "/out", "amd64"); });
    CHECK_THAT(message, Catch::Contains("cannot reach registry " + registry.host()));
    CHECK(leftovers(dir.path(), {"source", "scratch"}).empty());
    message = testing::errorText([&] { client.pushImage(source, ref(":v2")); });
    CHECK_THAT(message, Catch::Contains("cannot reach registry " + registry.host()));
}

TEST_CASE_METHOD(RegistryFixture, "a multi-arch index: each architecture pulls its image") {
    std::string scratch = dir.path() + "/scratch";
    auto amdLayers = sampleLayers(scratch, 2);
    auto armLayers = sampleLayers(scratch, 3);
    std::string amd = dir.path() + "/amd64";
    std::string arm = dir.path() + "/arm64";
    std::string amdDigest = testing::writeTestLayout(amd, amdLayers, configFor("amd64", amdLayers));
    std::string armDigest = testing::writeTestLayout(arm, armLayers, configFor("arm64", armLayers));

    ImageReference kit = ref(":v3.1.1");
    std::string indexDigest = client.pushIndex({{amd, ""}, {arm, ""}}, kit);
    CHECK(client.resolveDigest(kit) == indexDigest);
    RegistryManifest index = client.fetchManifest(ref("@" + indexDigest));
    CHECK(index.isIndex());
    CHECK(index.digest == indexDigest);

    CHECK(client.pullImage(ref("@" + indexDigest), dir.path() + "/pull-arm", "arm64") == armDigest);
    CHECK(blobsOf(dir.path() + "/pull-arm") == blobsOf(arm));
    CHECK(client.pullImage(kit, dir.path() + "/pull-amd", "x86_64") == amdDigest);
    CHECK(blobsOf(dir.path() + "/pull-amd") == blobsOf(amd));
    CHECK_THAT(readFile(dir.path() + "/pull-amd/index.json"),
               Catch::Contains("\"architecture\": \"amd64\""));

    CHECK_THAT(testing::errorText([&] { client.pullImage(kit, dir.path() + "/none", "s390x"); }),
               Catch::Contains("the index has no image for linux/s390x (it has linux/amd64, "
                               "linux/arm64)"));
    // A single-arch image for another architecture is refused too.
    client.pushImage(arm, ref(":arm-only"));
    CHECK_THAT(testing::errorText([&] { client.pullImage(ref(":arm-only"), dir.path() + "/none", "amd64"); }),
               Catch::Contains("the image is for linux/arm64, not linux/amd64"));
    CHECK_FALSE(pathExists(dir.path() + "/none"));
    CHECK_THAT(testing::errorText([&] {
                   client.pushIndex({{amd, ""}, {amd, ""}}, kit);
               }),
               Catch::Contains("two images for linux/amd64"));
}

TEST_CASE("anonymous Bearer tokens: the challenge, the token service, the retry") {
    LoopbackRegistry registry(LoopbackRegistry::Options{true});
    TempDir dir;
    fs::create_directories(dir.path() + "/scratch");
    std::string source = dir.path() + "/source";
    std::string digest = testing::writeTestLayout(source, sampleLayers(dir.path() + "/scratch"));
    RegistryClient client{RegistrySettings{}};
    auto ref = parseImageReference(registry.host() + "/sample/sample-sdk:v1");
    CHECK(client.pushImage(source, ref) == digest);
    RegistryClient reader{RegistrySettings{}};
    CHECK(reader.resolveDigest(ref) == digest);
    CHECK(reader.pullImage(ref, dir.path() + "/pulled", hostOciArch()) == digest);
    CHECK(blobsOf(dir.path() + "/pulled") == blobsOf(source));
    // One token per client and access, reused for every later request.
    std::string tokens = registry.tokensIssued();
    CHECK(tokens ==
          "repository:sample/sample-sdk:pull,push\n"
          "repository:sample/sample-sdk:pull\n");
}
