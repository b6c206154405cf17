// Kits through a real registry (docker-registry on loopback): publish
// (kit/kit_publish.h), `twoliter update` (kit/kit_lock.h) and `twoliter
// fetch` (kit/kit_fetch.h), and every way they fail, each a clear error
// that leaves nothing half-written.
#include <catch2/catch.hpp>

#include <filesystem>
#include <map>

#include "kit/kit_fetch.h"
#include "kit/kit_image.h"
#include "kit/kit_lock.h"
#include "kit/kit_publish.h"
#include "kit/layout_archive.h"
#include "kit/lock_digest.h"
#include "project/lock_writer.h"
#include "support/error_text.h"
#include "support/loopback_registry.h"
#include "support/oci_test_image.h"
#include "support/temp_tree.h"
#include "util/digest.h"
#include "util/files.h"
#include "util/json_writer.h"

namespace fs = std::filesystem;
using namespace twoliter;
using twoliter::testing::LoopbackRegistry;
using twoliter::testing::TempDir;

namespace twoliter::kit_testing {
// Defined in kit_image_test.cpp.
void makeKitRepository(const std::string& dir);
KitMetadata testKitMetadata(const std::string& name, const std::string& version,
                            const LockedImage& sdk, std::vector<KitDependency> kits);
}  // namespace twoliter::kit_testing

using namespace twoliter::kit_testing;

namespace {

constexpr const char* kRpm = "Packages/hello/kit-hello-1.0-1.x86_64.rpm";

struct KitRegistryFixture {
    LoopbackRegistry registry;
    TempDir dir;
    RegistryClient client{RegistrySettings{}};
    std::string repository = dir.path() + "/repo/x86_64";
    std::string buildDir = dir.path() + "/project/build";
    LockedImage sdk;
    TwoliterConfig config;

    KitRegistryFixture() {
        makeKitRepository(repository);
        std::string layer = TarBuilder().file("etc/os-release", "ID=sample-sdk\n").finish();
        std::string sdkLayout = dir.path() + "/sdk-layout";
        testing::writeTestLayout(sdkLayout, {{layer, layer}});
        sdk = {"sample-sdk", "0.1.0", "test", registry.host() + "/sample-sdk:v0.1.0", ""};
        client.pushImage(sdkLayout, parseImageReference(sdk.source));
        sdk.digest = lockDigest(client.fetchManifest(parseImageReference(sdk.source)).bytes, "sdk");
        config.path = dir.path() + "/project/Twoliter.toml";
        config.vendorRegistries["test"] = registry.host();
        config.sdk = ImageRef{"sample-sdk", "0.1.0", "test", {"Twoliter.toml", 6, "sdk"}};
    }

    // Builds the kit's image for each arch and publishes them.
    PublishedKit publish(const KitMetadata& metadata,
                         std::map<std::string, KitMetadata> perArch = {}) {
        std::string kitDir = dir.path() + "/kits/" + metadata.name;
        for (const char* arch : {"x86_64", "aarch64"}) {
            KitImageInput input;
            input.repositoryDir = repository;
            input.metadata = perArch.count(arch) ? perArch[arch] : metadata;
            input.arch = arch;
            input.sourceDateEpoch = 1700000000;
            input.outputTar =
                kitDir + "/" + kitImageFileName(metadata.name, metadata.version, "abc", arch);
            writeKitImage(input);
        }
        return publishKit(findKitImageTars(kitDir, metadata.name, metadata.version, "abc"),
                          registry.host(), metadata.name, metadata.version, "abc", client);
    }

    PublishedKit publish(const std::string& name, const std::string& version,
                         std::vector<KitDependency> kits = {}) {
        return publish(testKitMetadata(name, version, sdk, std::move(kits)));
    }

    // An image that is not a kit image (or has the config given) as an index.
    void pushPlainIndex(const std::string& repository, const std::string& configJson = "") {
        std::string layer = TarBuilder().file("hello.txt", "plain\n").finish();
        std::string layout = dir.path() + "/plain-" + repository;
        testing::writeTestLayout(layout, {{layer, layer}}, configJson);
        client.pushIndex({{layout, ""}},
                         parseImageReference(registry.host() + "/" + repository + ":v1.0.0"));
    }

    void wantKit(const std::string& name, const std::string& version,
                 const std::string& vendor = "test") {
        config.kits.push_back({name, version, vendor, {"Twoliter.toml", 9, "kit"}});
    }

    std::string updateError() {
        return testing::errorText([&] { resolveLock(config, client); });
    }

    std::string kitDir(const std::string& name, const std::string& arch = "x86_64") const {
        return buildDir + "/external-kits/test/" + name + "/" + arch;
    }
};

std::string configWithLabel(const std::string& key, const std::string& value) {
    JsonWriter config(false);
    config.beginObject().key("architecture").value(hostOciArch()).key("os").value("linux");
    config.key("config").beginObject().key("Labels").beginObject().key(key).value(value);
    config.endObject().endObject();
    config.key("rootfs").beginObject().key("type").value("layers").key("diff_ids").beginArray();
    config.value("sha256:" + sha256Hex(TarBuilder().file("hello.txt", "plain\n").finish()));
    config.endArray().endObject().endObject();
    return config.str();
}

std::vector<std::string> namesIn(const std::string& dir) {
    std::vector<std::string> names;
    if (!fs::exists(dir))
        return names;
    for (const auto& entry : fs::directory_iterator(dir))
        names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

std::string lockedJson(const LockedImage& image) {
    return R"({"digest":")" + image.digest + R"(","name":")" + image.name + R"(","source":")" +
           image.source + R"(","vendor":")" + image.vendor + R"(","version":")" + image.version +
           R"("})";
}

}  // namespace

TEST_CASE_METHOD(KitRegistryFixture, "kits: publish, update and fetch, then fetch offline",
                 "[kit]") {
    PublishedKit base = publish("base-kit", "1.0.0");
    PublishedKit mine = publish("my-kit", "1.2.3", {{"base-kit", "1.0.0", "test"}});
    CHECK(mine.reference == registry.host() + "/my-kit:v1.2.3");
    // The unpacked copies next to the tars are gone.
    CHECK(
        namesIn(dir.path() + "/kits/my-kit") ==
        std::vector<std::string>{"my-kit-v1.2.3-abc-aarch64.tar", "my-kit-v1.2.3-abc-x86_64.tar"});

    // The index as served is canonical JSON: its OCI digest and its lock
    // digest share the SHA-256.
    RegistryManifest index = client.fetchManifest(parseImageReference(mine.reference));
    CHECK(index.digest == mine.indexDigest);
    CHECK(canonicalizeJson(index.bytes, "index") == index.bytes);
    CHECK(lockDigest(index.bytes, "index") == mine.lockDigest);
    CHECK(mine.lockDigest == base64FromHex(mine.indexDigest.substr(7)));
    // Each arch under its own tag.
    REQUIRE(mine.imageDigests.size() == 2);
    CHECK(client.resolveDigest(parseImageReference(mine.reference + "-abc-x86_64")) ==
          mine.imageDigests["x86_64"]);
    CHECK(client.resolveDigest(parseImageReference(mine.reference + "-abc-aarch64")) ==
          mine.imageDigests["aarch64"]);

    // twoliter update: my-kit, then base-kit through my-kit's label.
    wantKit("my-kit", "1.2.3");
    TwoliterLock lock = resolveLock(config, client);
    CHECK(lock.path == dir.path() + "/project/Twoliter.lock");
    REQUIRE(lock.kits.size() == 2);
    CHECK(lock.kits[0].name == "my-kit");
    CHECK(lock.kits[0].source == mine.reference);
    CHECK(lock.kits[0].digest == mine.lockDigest);
    CHECK(lock.kits[1].name == "base-kit");
    CHECK(lock.kits[1].digest == base.lockDigest);
    REQUIRE(lock.sdk);
    CHECK(lock.sdk->source == sdk.source);
    CHECK(lock.sdk->digest == sdk.digest);
    // The SDK manifest was pushed with keys unsorted: its lock digest is
    // not the base64 of its OCI digest.
    std::string sdkOci = client.resolveDigest(parseImageReference(sdk.source));
    CHECK(sdk.digest != base64FromHex(sdkOci.substr(7)));
    CHECK_THAT(formatTwoliterLock(lock), Catch::Contains("digest = \"" + mine.lockDigest + "\""));

    // twoliter fetch.
    std::vector<std::string> messages;
    FetchSummary summary = fetchKits(buildDir, lock, "x86_64", client,
                                     [&](const std::string& line) { messages.push_back(line); });
    CHECK(summary.fetched == 2);
    CHECK(summary.upToDate == 0);
    CHECK(summary.metadataWritten);
    CHECK(messages.size() == 2);
    std::string kit = kitDir("my-kit");
    CHECK(readFile(kit + "/" + kRpm) == readFile(repository + "/" + kRpm));
    CHECK(readFile(kit + "/repodata/repomd.xml") == readFile(repository + "/repodata/repomd.xml"));
    CHECK(namesIn(kit + "/Packages") == std::vector<std::string>{"hello", "world"});
    CHECK(readFile(kit + "/digest") == mine.imageDigests["x86_64"]);
    CHECK(readFile(kit + "/.lock-digest") == mine.reference + "\n" + mine.lockDigest + "\n");
    CHECK(readFile(kitDir("base-kit") + "/" + kRpm) == readFile(repository + "/" + kRpm));
    CHECK(namesIn(buildDir + "/external-kits/test/my-kit") == std::vector<std::string>{"x86_64"});
    CHECK(isRegularFile(buildDir + "/external-kits/cache/sha256-" +
                        mine.imageDigests["x86_64"].substr(7) + "/index.json"));
    std::string metadata = readFile(buildDir + "/external-kits/external-kit-metadata.json");
    CHECK(metadata == R"({"kit":[)" + lockedJson(lock.kits[0]) + "," + lockedJson(lock.kits[1]) +
                          R"(],"sdk":)" + lockedJson(*lock.sdk) + "}");

    // Again with the registry gone: everything is in place, no network.
    registry.stop();
    summary = fetchKits(buildDir, lock, "x86_64", client);
    CHECK(summary.fetched == 0);
    CHECK(summary.upToDate == 2);
    CHECK_FALSE(summary.metadataWritten);
    fs::remove(buildDir + "/external-kits/external-kit-metadata.json");
    CHECK(fetchKits(buildDir, lock, "x86_64", client).metadataWritten);
    CHECK(readFile(buildDir + "/external-kits/external-kit-metadata.json") == metadata);

    // Another arch needs the registry, and fails without leaving anything.
    CHECK_THAT(testing::errorText([&] { fetchKits(buildDir, lock, "aarch64", client); }),
               Catch::StartsWith(mine.reference + ": cannot reach registry"));
    CHECK_FALSE(fs::exists(kitDir("my-kit", "aarch64")));
    CHECK(namesIn(buildDir + "/external-kits/test/my-kit") == std::vector<std::string>{"x86_64"});
}

TEST_CASE_METHOD(KitRegistryFixture, "kits: fetch replaces a stale folder and a damaged cache",
                 "[kit]") {
    PublishedKit mine = publish("my-kit", "1.2.3");
    wantKit("my-kit", "1.2.3");
    TwoliterLock lock = resolveLock(config, client);
    fetchKits(buildDir, lock, "x86_64", client);

    // A folder from another lock entry is replaced whole.
    std::string kit = kitDir("my-kit");
    writeFileAtomic(kit + "/.lock-digest", "something else\n");
    writeFileAtomic(kit + "/stray.txt", "stray");
    std::string cache =
        buildDir + "/external-kits/cache/sha256-" + mine.imageDigests["x86_64"].substr(7);
    LayoutImage cached = readLayoutImage(cache);
    std::string layer = cache + "/blobs/sha256/" + cached.layers[0].digest.substr(7);
    fs::permissions(layer, fs::perms::owner_write, fs::perm_options::add);
    writeFileAtomic(layer, "damaged");
    FetchSummary summary = fetchKits(buildDir, lock, "x86_64", client);
    CHECK(summary.fetched == 1);
    CHECK_FALSE(fs::exists(kit + "/stray.txt"));
    CHECK(readFile(kit + "/" + kRpm) == readFile(repository + "/" + kRpm));
    CHECK("sha256:" + sha256FileHex(layer) == cached.layers[0].digest);  // pulled again
    CHECK(namesIn(buildDir + "/external-kits/test/my-kit") == std::vector<std::string>{"x86_64"});
}

TEST_CASE_METHOD(KitRegistryFixture, "kits: failed fetches leave nothing half-written", "[kit]") {
    PublishedKit mine = publish("my-kit", "1.2.3");
    wantKit("my-kit", "1.2.3");
    TwoliterLock lock = resolveLock(config, client);
    auto fetchError = [&](const TwoliterLock& lock) {
        return testing::errorText([&] { fetchKits(buildDir, lock, "x86_64", client); });
    };
    auto nothingWritten = [&] {
        CHECK(namesIn(buildDir + "/external-kits/cache").empty());
        CHECK(namesIn(buildDir + "/external-kits/test/my-kit").empty());
        CHECK_FALSE(fs::exists(buildDir + "/external-kits/external-kit-metadata.json"));
    };

    // The lock's digest is not what the registry holds now.
    TwoliterLock stale = lock;
    stale.kits[0].digest = base64FromHex(std::string(64, 'a'));
    CHECK(fetchError(stale) ==
          mine.reference +
              ": the kit changed in the registry since Twoliter.lock was written (locked " +
              stale.kits[0].digest + ", now " + mine.lockDigest +
              ") (hint: run `twoliter update` if the new image is expected, then fetch again)");
    nothingWritten();

    CHECK_THAT(testing::errorText([&] { fetchKits(buildDir, lock, "s390x", client); }),
               Catch::Contains("unknown architecture 's390x'"));
    TwoliterLock noSdk = lock;
    noSdk.sdk.reset();
    CHECK_THAT(testing::errorText([&] { fetchKits(buildDir, noSdk, "x86_64", client); }),
               Catch::EndsWith("Twoliter.lock: Twoliter.lock has no [sdk] (hint: run `twoliter "
                               "update` to write the lock again)"));

    // A layer damaged in the registry's storage.
    LayoutImage image = readLayoutImage(dir.path() + "/kits/my-kit/" +
                                        kitImageFileName("my-kit", "1.2.3", "abc", "x86_64"));
    std::string stored = registry.blobDataPath(image.layers[1].digest);
    std::string original = readFile(stored);
    std::string damaged = original;
    damaged[damaged.size() / 2] ^= 1;
    writeFileAtomic(stored, damaged);
    std::string message = fetchError(lock);
    CHECK_THAT(message, Catch::StartsWith(mine.reference));
    CHECK_THAT(message, Catch::Contains("does not match its digest"));
    nothingWritten();
    writeFileAtomic(stored, original);

    // The registry is down.
    registry.stop();
    CHECK_THAT(fetchError(lock),
               Catch::StartsWith(mine.reference + ": cannot reach registry " + registry.host()));
    nothingWritten();
}

TEST_CASE_METHOD(KitRegistryFixture, "kits: update errors name the image", "[kit]") {
    std::string host = registry.host();

    // An image without the kit label, and labels of other schemas.
    pushPlainIndex("plain");
    wantKit("plain", "1.0.0");
    CHECK(updateError() == host + "/plain:v1.0.0 (" + hostOciArch() +
                               "): the image is not a kit (its image config has no "
                               "dev.bottlerocket.kit.v2 label)");
    std::string label = encodeKitLabel(testKitMetadata("old", "1.0.0", sdk, {}));
    pushPlainIndex("old", configWithLabel("dev.bottlerocket.kit.v1", label));
    pushPlainIndex("new", configWithLabel("dev.bottlerocket.kit.v3", label));
    config.kits.clear();
    wantKit("old", "1.0.0");
    CHECK_THAT(updateError(), Catch::Contains("/old:v1.0.0 (" + hostOciArch() +
                                              "): the kit's metadata is schema v1 (label "
                                              "dev.bottlerocket.kit.v1)"));
    config.kits.clear();
    wantKit("new", "1.0.0");
    CHECK_THAT(updateError(), Catch::Contains("the kit's metadata is schema v3"));

    // A tag that holds another kit.
    pushPlainIndex("alias", configWithLabel("dev.bottlerocket.kit.v2", label));
    config.kits.clear();
    wantKit("alias", "1.0.0");
    CHECK(updateError() == host +
                               "/alias:v1.0.0: the image's kit metadata names kit old 1.0.0, not "
                               "alias 1.0.0 (hint: the tag points at another kit; publish the kit "
                               "again)");

    // Two SDKs across the project and a kit.
    KitMetadata other =
        testKitMetadata("other-kit", "1.0.0",
                        {"other-sdk", "0.2.0", "test", host + "/other-sdk:v0.2.0", sdk.digest}, {});
    publish(other);
    config.kits.clear();
    wantKit("other-kit", "1.0.0");
    CHECK(updateError() == config.path + ": more than one SDK: other-sdk-0.2.0@test (from kit " +
                               host +
                               "/other-kit:v1.0.0), sample-sdk-0.1.0@test (from "
                               "Twoliter.toml) (hint: a project and all its kits must use one "
                               "SDK; update the kits or [sdk])");

    // One kit at two versions: directly and through another kit.
    publish("base-kit", "1.0.0");
    publish("top-kit", "2.0.0", {{"base-kit", "1.1.0", "test"}});
    config.kits.clear();
    wantKit("base-kit", "1.0.0");
    wantKit("top-kit", "2.0.0");
    CHECK(updateError() == host +
                               "/top-kit:v2.0.0: two versions of kit base-kit from test: "
                               "base-kit-1.0.0@test (from Twoliter.toml) and base-kit-1.1.0@test "
                               "(from kit " +
                               host +
                               "/top-kit:v2.0.0) (hint: a project can use one version of "
                               "each kit)");

    // Images of one index with different labels.
    KitMetadata split = testKitMetadata("split-kit", "1.0.0", sdk, {});
    KitMetadata armSide = split;
    armSide.kits = {{"base-kit", "1.0.0", "test"}};
    publish(split, {{"aarch64", armSide}});
    config.kits.clear();
    wantKit("split-kit", "1.0.0");
    CHECK_THAT(updateError(), Catch::StartsWith(host + "/split-kit:v1.0.0: the kit metadata of "
                                                       "its amd64 image differs from that of its "
                                                       "arm64 image"));

    // A kit, a vendor or an SDK that does not exist.
    config.kits.clear();
    wantKit("missing-kit", "9.9.9");
    CHECK_THAT(updateError(), Catch::StartsWith(host + "/missing-kit:v9.9.9: cannot fetch "
                                                       "manifest v9.9.9"));
    config.kits.clear();
    wantKit("my-kit", "1.0.0", "nobody");
    CHECK(updateError() ==
          "Twoliter.toml:9: kit: vendor 'nobody' of my-kit 1.0.0 has no registry in Twoliter.toml "
          "(hint: add [vendor.nobody] registry = \"…\" to Twoliter.toml)");
    config.kits.clear();
    config.sdk.reset();
    CHECK_THAT(updateError(),
               Catch::StartsWith(config.path + ": no SDK: Twoliter.toml has no [sdk] "
                                               "and no kit names one"));

    // The registry is down.
    config.sdk = ImageRef{"sample-sdk", "0.1.0", "test", {}};
    registry.stop();
    CHECK_THAT(updateError(), Catch::StartsWith(sdk.source + ": cannot reach registry"));
}

TEST_CASE_METHOD(KitRegistryFixture, "kits: publish refuses images that are not the kit named",
                 "[kit]") {
    KitMetadata metadata = testKitMetadata("my-kit", "1.2.3", sdk, {});
    std::string tar = dir.path() + "/kits/my-kit/my-kit-v1.2.3-abc-x86_64.tar";
    writeKitImage({repository, metadata, "x86_64", 0, tar});
    CHECK(testing::errorText([&] {
              publishKit({{"x86_64", tar}}, registry.host(), "my-kit", "1.3.0", "abc", client);
          }) == tar + ": the image is kit my-kit 1.2.3, not my-kit 1.3.0");
    CHECK(testing::errorText([&] {
              publishKit({{"aarch64", tar}}, registry.host(), "my-kit", "1.2.3", "abc", client);
          }) == tar + ": the image is for amd64, not aarch64");
    CHECK_THAT(testing::errorText(
                   [&] { publishKit({}, registry.host(), "my-kit", "1.2.3", "abc", client); }),
               Catch::Contains("no kit image to publish"));
    CHECK(findKitImageTars(dir.path() + "/kits/my-kit", "my-kit", "1.2.3", "abc") ==
          std::map<std::string, std::string>{{"x86_64", tar}});
    // Nothing was pushed.
    CHECK_THAT(testing::errorText([&] {
                   client.resolveDigest(parseImageReference(registry.host() + "/my-kit:v1.2.3"));
               }),
               Catch::Contains("no manifest for tag v1.2.3"));
}
