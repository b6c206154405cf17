// Kit images (kit/kit_image.h) from a real repository: RPMs built by
// rpmbuild, metadata by createrepo_c. Also defines the test repository the
// registry tests (kit_registry_test.cpp) publish.
#include <catch2/catch.hpp>

#include <filesystem>
#include <map>

#include "kit/kit_image.h"
#include "kit/layout_archive.h"
#include "kit/lock_digest.h"
#include "sdk/byte_stream.h"
#include "sdk/json_reader.h"
#include "sdk/tar.h"
#include "support/error_text.h"
#include "support/temp_tree.h"
#include "support/test_packages.h"
#include "util/digest.h"
#include "util/files.h"

namespace fs = std::filesystem;
using namespace twoliter;
using twoliter::testing::TempDir;

namespace twoliter::kit_testing {

// A folder for the whole test run (build logs, the RPMs).
const TempDir& runScratch() {
    static TempDir scratch;
    return scratch;
}

// Two RPMs (kit-hello, kit-hello-world), built once per test run.
const std::string& testRpmDir() {
    static std::string rpms = [] {
        const std::string& top = runScratch().path();
        testing::TestRpm rpm{"kit-hello"};
        rpm.arch = "x86_64";
        rpm.files = {{"/usr/share/kit-hello/hello.txt", "hello\n"}};
        rpm.subpackages = {{"world", {}, {{"/usr/share/kit-hello/world.txt", "world\n"}}}};
        testing::buildTestRpm(top, rpm, top + "/RPMS");
        return top + "/RPMS/x86_64";
    }();
    return rpms;
}

// A kit repository at dir: Packages/hello/, Packages/world/, repodata/.
void makeKitRepository(const std::string& dir) {
    fs::create_directories(dir + "/Packages/hello");
    fs::create_directories(dir + "/Packages/world");
    fs::copy_file(testRpmDir() + "/kit-hello-1.0-1.x86_64.rpm",
                  dir + "/Packages/hello/kit-hello-1.0-1.x86_64.rpm");
    fs::copy_file(testRpmDir() + "/kit-hello-world-1.0-1.x86_64.rpm",
                  dir + "/Packages/world/kit-hello-world-1.0-1.x86_64.rpm");
    runLogged({"createrepo_c", "--quiet", dir}, {}, runScratch().path() + "/createrepo.log");
}

KitMetadata testKitMetadata(const std::string& name, const std::string& version,
                            const LockedImage& sdk, std::vector<KitDependency> kits) {
    KitMetadata metadata;
    metadata.name = name;
    metadata.version = version;
    metadata.sdk = sdk;
    metadata.kits = std::move(kits);
    return metadata;
}

}  // namespace twoliter::kit_testing

using namespace twoliter::kit_testing;

namespace {

const LockedImage kSdk{"sample-sdk", "0.1.0", "test", "127.0.0.1:1/sample-sdk:v0.1.0",
                       "Wxlz6y5Y6RewzOffK28m8vZGEJtnhQO1fym/nHm6qWU="};

struct KitImageFixture {
    TempDir dir;
    std::string repository = dir.path() + "/build/kits/my-kit/x86_64";
    KitImageInput input;

    KitImageFixture() {
        makeKitRepository(repository);
        input.repositoryDir = repository;
        input.metadata = testKitMetadata("my-kit", "1.2.3", kSdk, {{"base-kit", "1.0.0", "test"}});
        input.arch = "x86_64";
        input.sourceDateEpoch = 1700000000;
        input.outputTar = dir.path() + "/build/kits/my-kit/" +
                          kitImageFileName("my-kit", "1.2.3", "abc", "x86_64");
    }
};

std::vector<TarEntry> entriesOf(const std::string& tarPath) {
    FileRangeSource source(tarPath);
    TarReader reader(source, tarPath);
    std::vector<TarEntry> entries;
    TarEntry entry;
    while (reader.next(entry))
        entries.push_back(entry);
    return entries;
}

std::vector<std::string> pathsOf(const std::vector<TarEntry>& entries) {
    std::vector<std::string> paths;
    for (const auto& entry : entries)
        paths.push_back(entry.path);
    return paths;
}

}  // namespace

TEST_CASE_METHOD(KitImageFixture, "kit image: one layer per package folder plus repodata",
                 "[kit]") {
    KitImage image = writeKitImage(input);
    CHECK(fs::path(image.tarPath).filename() == "my-kit-v1.2.3-abc-x86_64.tar");
    // Only the tar is left next to it.
    std::vector<std::string> left;
    for (const auto& entry : fs::directory_iterator(fs::path(input.outputTar).parent_path()))
        left.push_back(entry.path().filename().string());
    std::sort(left.begin(), left.end());
    CHECK(left == std::vector<std::string>{"my-kit-v1.2.3-abc-x86_64.tar", "x86_64"});

    // The outer tar: the layout, sorted, deterministic metadata.
    auto outer = entriesOf(image.tarPath);
    // blobs/, blobs/sha256/, 3 layers + config + manifest, index.json, oci-layout
    REQUIRE(outer.size() == 2 + 5 + 2);
    CHECK(outer[0].path == "blobs");
    CHECK(outer[1].path == "blobs/sha256");
    CHECK(outer[7].path == "index.json");
    CHECK(outer[8].path == "oci-layout");
    for (const auto& entry : outer) {
        CHECK(entry.uid == 0);
        CHECK(entry.mtime == 1700000000);
        CHECK(entry.mode == (entry.type == TarType::Directory ? 0755u : 0644u));
    }

    std::string layout = dir.path() + "/layout";
    unpackLayoutTar(image.tarPath, layout);
    LayoutImage read = readLayoutImage(layout);
    CHECK(read.manifest.digest == image.manifestDigest);
    CHECK(read.architecture == "amd64");
    CHECK(read.os == "linux");
    REQUIRE(read.layers.size() == 3);

    // The manifest is canonical JSON: its OCI digest is its lock digest.
    CHECK(canonicalizeJson(read.manifestBytes, "manifest") == read.manifestBytes);
    CHECK(canonicalizeJson(read.configBytes, "config") == read.configBytes);
    CHECK(lockDigest(read.manifestBytes, "manifest") ==
          base64FromHex(image.manifestDigest.substr(7)));

    // Layers: Packages/hello, Packages/world, repodata; paths as rpm2kit's
    // `tar -C <repo> Packages/<pkg>` writes them.
    std::vector<std::string> expected[] = {
        {"Packages/hello", "Packages/hello/kit-hello-1.0-1.x86_64.rpm"},
        {"Packages/world", "Packages/world/kit-hello-world-1.0-1.x86_64.rpm"},
    };
    for (int i = 0; i < 3; ++i) {
        CHECK(read.layers[i].mediaType == "application/vnd.oci.image.layer.v1.tar");
        CHECK(read.layers[i].digest == image.layerDigests[i]);
        std::string blob = layout + "/blobs/sha256/" + read.layers[i].digest.substr(7);
        CHECK("sha256:" + sha256FileHex(blob) == read.layers[i].digest);
        auto entries = entriesOf(blob);
        for (const auto& entry : entries) {
            CHECK(entry.mtime == 1700000000);
            CHECK(entry.uid == 0);
            CHECK(entry.gid == 0);
        }
        if (i < 2) {
            CHECK(pathsOf(entries) == expected[i]);
            CHECK(entries[0].mode == 0755);
            CHECK(entries[1].mode == 0644);
        } else {
            REQUIRE(entries.size() > 2);
            CHECK(entries[0].path == "repodata");
            CHECK(std::is_sorted(entries.begin(), entries.end(),
                                 [](const auto& a, const auto& b) { return a.path < b.path; }));
        }
    }
    // The RPM's bytes are in its layer.
    {
        std::string blob = layout + "/blobs/sha256/" + read.layers[0].digest.substr(7);
        FileRangeSource source(blob);
        TarReader reader(source, blob);
        TarEntry entry;
        reader.next(entry);
        reader.next(entry);
        CHECK(reader.readAllData() ==
              readFile(repository + "/Packages/hello/kit-hello-1.0-1.x86_64.rpm"));
    }

    // Config: rpm2kit's fields, time from SOURCE_DATE_EPOCH, the label.
    JsonValue config = parseJson(read.configBytes, "config");
    CHECK(config.find("created")->text() == "2023-11-14T22:13:20Z");
    const auto& diffIds = config.find("rootfs")->find("diff_ids")->items();
    REQUIRE(diffIds.size() == 3);
    CHECK(diffIds[2].text() == image.layerDigests[2]);
    CHECK(config.find("config")->find("WorkingDir")->text() == "/");
    KitImageInfo info = readKitImage(image.tarPath);
    CHECK(info.architecture == "amd64");
    CHECK(info.manifestDigest == image.manifestDigest);
    CHECK(info.metadata.name == "my-kit");
    CHECK(info.metadata.sdk.digest == kSdk.digest);
    REQUIRE(info.metadata.kits.size() == 1);
    CHECK(info.metadata.kits[0].name == "base-kit");
    CHECK(readKitImage(layout).manifestDigest == image.manifestDigest);

    // index.json: platform and creation time.
    JsonValue index = parseJson(readFile(layout + "/index.json"), "index.json");
    const JsonValue& entry = index.find("manifests")->items().at(0);
    CHECK(entry.find("platform")->find("architecture")->text() == "amd64");
    CHECK(entry.find("annotations")->find("org.opencontainers.image.created")->text() ==
          "2023-11-14T22:13:20Z");
    CHECK(readFile(layout + "/oci-layout") == R"({"imageLayoutVersion":"1.0.0"})");
}

TEST_CASE_METHOD(KitImageFixture, "kit image: the same inputs give the same bytes", "[kit]") {
    KitImage first = writeKitImage(input);
    std::string bytes = readFile(first.tarPath);
    KitImageInput again = input;
    again.outputTar = dir.path() + "/again.tar";
    KitImage second = writeKitImage(again);
    CHECK(second.manifestDigest == first.manifestDigest);
    CHECK(readFile(again.outputTar) == bytes);
    // Rewriting in place gives the same file too.
    writeKitImage(input);
    CHECK(readFile(input.outputTar) == bytes);

    KitImageInput later = input;
    later.sourceDateEpoch += 1;
    later.outputTar = dir.path() + "/later.tar";
    CHECK(writeKitImage(later).manifestDigest != first.manifestDigest);

    KitImageInput arm = input;
    arm.arch = "aarch64";
    arm.outputTar = dir.path() + "/arm.tar";
    writeKitImage(arm);
    CHECK(readKitImage(arm.outputTar).architecture == "arm64");
    // Package layers do not depend on the arch or metadata: shared blobs.
    CHECK(readLayoutImage(arm.outputTar).layers[0].digest == first.layerDigests[0]);
}

TEST_CASE_METHOD(KitImageFixture, "kit image: bad repositories are errors that leave nothing",
                 "[kit]") {
    std::string out = fs::path(input.outputTar).parent_path().string();
    auto leftovers = [&] {
        std::vector<std::string> names;
        for (const auto& entry : fs::directory_iterator(out))
            if (entry.path().filename() != "x86_64")
                names.push_back(entry.path().filename().string());
        return names;
    };
    auto message = [&](const KitImageInput& bad) {
        return testing::errorText([&] { writeKitImage(bad); });
    };

    KitImageInput badArch = input;
    badArch.arch = "s390x";
    CHECK_THAT(message(badArch), Catch::Contains("unknown architecture 's390x'"));

    testing::writeTreeFile(repository, "Packages/stray.rpm", "x");
    CHECK(message(input) == repository +
                                "/Packages/stray.rpm: is not in a package folder; kits keep RPMs "
                                "in Packages/<package>/");
    fs::remove(repository + "/Packages/stray.rpm");

    fs::create_symlink("kit-hello-1.0-1.x86_64.rpm", repository + "/Packages/hello/link.rpm");
    CHECK_THAT(message(input), Catch::Contains("Packages/hello/link.rpm: is neither a regular "
                                               "file nor a folder"));
    CHECK(leftovers().empty());
    fs::remove(repository + "/Packages/hello/link.rpm");

    fs::remove_all(repository + "/repodata");
    CHECK(message(input) == repository +
                                ": the kit repository has no repodata/repomd.xml (hint: write the "
                                "repository metadata (createrepo_c) before packing the kit)");
    CHECK(leftovers().empty());

    CHECK_THAT(testing::errorText([&] { readKitImage(dir.path() + "/missing.tar"); }),
               Catch::Contains("missing.tar: no such kit image"));
}
