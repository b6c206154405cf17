// Writes the seed inputs of the fuzz targets whose formats the library
// itself writes (so they follow its encodings as they change):
//   fuzz_seeds <dir>  ->  <dir>/<target>/<name>
// The project's TOML files are seeds as they are (ci/fuzz.sh collects them).

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "cache/content_store.h"
#include "kit/kit_metadata.h"
#include "kit/layout_archive.h"
#include "project/lock_writer.h"
#include "sdk/oci_layout.h"
#include "sdk/tar.h"
#include "spec/package_spec.h"
#include "tuf/policy_files.h"
#include "tuf/root_role.h"
#include "tuf/tuf_metadata.h"
#include "tuf/update_manifest.h"
#include "util/digest.h"
#include "util/error.h"

namespace fs = std::filesystem;

namespace twoliter {
namespace {

std::string seedRoot;

void seed(const std::string& target, const std::string& name, const std::string& bytes) {
    fs::create_directories(seedRoot + "/" + target);
    std::ofstream(seedRoot + "/" + target + "/" + name, std::ios::binary) << bytes;
}

std::string joinParts(const std::vector<std::string>& parts) {
    std::string joined;
    for (size_t i = 0; i < parts.size(); ++i)
        joined += (i ? "\n--\n" : "") + parts[i];
    return joined;
}

void projectFileSeeds() {
    TwoliterLock lock;
    lock.sdk =
        LockedImage{"sample-sdk", "0.1.0", "sample", "localhost:5000/sample/sample-sdk:v0.1.0",
                    base64FromHex(sha256Hex("sdk"))};
    lock.kits.push_back({"core-kit", "1.0.0", "sample", "localhost:5000/sample/core-kit:v1.0.0",
                         base64FromHex(sha256Hex("kit"))});
    seed("twoliter_lock_fuzzer", "Twoliter.lock", formatTwoliterLock(lock));
    seed("infra_toml_fuzzer", "Infra.toml", R"([repo.default]
signing_keys = { file = { path = "keys/default.pem" } }
root_keys = { kms = { key_id = "abc", available_keys = { "abc" = "us-west-2" } } }
metadata_base_url = "https://example.invalid/metadata/"
targets_url = "https://example.invalid/targets/"
root_role_url = "https://example.invalid/root.json"
root_role_sha512 = "00"
root_key_threshold = 1
[aws]
regions = ["us-west-2"]
[vendor.sample]
registry = "localhost:5000"
)");
}

void actionRecordSeeds(const std::string& scratch) {
    ActionRecord record;
    record.outputs = {{"bottlerocket-runc-1.1.12-1.x86_64.rpm", sha256Hex("rpm"), 123456}};
    record.seconds = 12.5;
    record.inputsDigest = sha256Hex("inputs");
    record.inputs = {{"file:runc.spec", sha256Hex("spec")}, {"sdk", sha256Hex("sdk")}};
    std::string key(64, 'a');
    ActionCache(scratch + "/actions").store(key, record);
    std::ifstream in(scratch + "/actions/actions/aa/" + key, std::ios::binary);
    seed("cache_records_fuzzer", "action", std::string(std::istreambuf_iterator<char>(in), {}));
}

void packageSpecSeeds() {
    PackageSpec spec;
    spec.name = "runc";
    spec.version = "1.1.12";
    spec.release = "1";
    BinaryPackage main{"bottlerocket-runc", "", "1.1.12", "1", "x86_64", true};
    main.provides = {{"bottlerocket-runc", kSenseEqual, "1.1.12-1"}};
    main.runtimeRequires = {{"bottlerocket-libseccomp", kSenseGreater | kSenseEqual, "2.5"},
                            {"(bottlerocket-glibc if bottlerocket-kernel)", 0, ""}};
    BinaryPackage devel{"bottlerocket-runc-devel", "1", "1.1.12", "1", "noarch", false};
    devel.conflicts = {{"old-runc", kSenseLess, "1:1.0"}};
    devel.obsoletes = {{"runc-legacy", 0, ""}};
    spec.binaries = {main, devel};
    spec.buildRequires = {{"bottlerocket-libseccomp-devel", 0, ""}, {"git", 0, ""}};
    spec.buildConflicts = {{"bottlerocket-runc", kSenseLess, "1.0"}};
    spec.sources = {"runc-1.1.12.tar.gz", "https://example.invalid/runc.tar.gz"};
    spec.patches = {"0001-fix.patch"};
    spec.parseOutput = {"warning: something printed"};
    seed("package_spec_fuzzer", "runc", encodePackageSpec(spec));
    seed("package_spec_fuzzer", "empty", encodePackageSpec(PackageSpec{}));
}

KitMetadata sampleKit() {
    KitMetadata kit;
    kit.name = "core-kit";
    kit.version = "1.0.0";
    kit.sdk = {"sample-sdk", "0.1.0", "sample", "localhost:5000/sample/sample-sdk:v0.1.0",
               base64FromHex(sha256Hex("sdk"))};
    kit.kits = {{"base-kit", "2.0.0", "sample"}};
    return kit;
}

void kitSeeds() {
    std::string label = encodeKitLabel(sampleKit());
    std::string json;
    base64Decode(label, json);
    seed("kit_label_fuzzer", "label", label);
    seed("kit_label_fuzzer", "json", json);
    std::string config = "{\"architecture\":\"amd64\",\"config\":{\"Labels\":{\"" +
                         std::string(kKitLabel) + "\":\"" + label +
                         "\"}},\"os\":\"linux\",\"rootfs\":{\"diff_ids\":[],\"type\":\"layers\"}}";
    seed("oci_json_fuzzer", "kit-config", config);
}

// The placeholder form oci_layout_fuzzer expects.
void ociLayoutSeeds() {
    std::string index =
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
        "\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
        "\"digest\":\"@MANIFEST_DIGEST@\",\"size\":@MANIFEST_SIZE@,"
        "\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}}]}";
    std::string manifest =
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
        "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
        "\"digest\":\"@CONFIG_DIGEST@\",\"size\":@CONFIG_SIZE@},"
        "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
        "\"digest\":\"@LAYER_DIGEST@\",\"size\":@LAYER_SIZE@}]}";
    std::string label = encodeKitLabel(sampleKit());
    std::string config =
        "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Labels\":{\"" +
        std::string(kKitLabel) + "\":\"" + label +
        "\"}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"@LAYER_DIFF_ID@\"]}}";
    std::string layer = TarBuilder().directory("etc").file("etc/os-release", "ID=x\n").finish();
    seed("oci_layout_fuzzer", "layout", joinParts({index, manifest, config, layer}));
    seed("oci_json_fuzzer", "index", index);
    seed("oci_json_fuzzer", "manifest", manifest);
    seed("layer_fuzzer", "two-layers",
         joinParts({layer, TarBuilder()
                               .file("etc/.wh.os-release", "")
                               .symlink("etc/link", "../usr/lib/os-release")
                               .hardlink("etc/hard", "etc/link")
                               .finish()}));
}

// An OCI layout written by the library, as a tar, and a docker save archive.
void archiveSeeds(const std::string& scratch) {
    std::string layer = TarBuilder().file("usr/bin/tool", "#!/bin/sh\n", 0755).finish();
    std::string layerDigest = "sha256:" + sha256Hex(layer);
    std::string config =
        "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":"
        "\"layers\",\"diff_ids\":[\"" +
        layerDigest + "\"]}}";
    OciLayoutWriter writer(scratch + "/layout");
    OciDescriptor layerBlob = writer.addBlob(layer, oci::kLayerTar);
    OciDescriptor configBlob = writer.addBlob(config, oci::kConfig);
    std::string manifest = "{\"schemaVersion\":2,\"mediaType\":\"" + std::string(oci::kManifest) +
                           "\",\"config\":{\"mediaType\":\"" + oci::kConfig + "\",\"digest\":\"" +
                           configBlob.digest + "\",\"size\":" + std::to_string(config.size()) +
                           "},\"layers\":[{\"mediaType\":\"" + oci::kLayerTar + "\",\"digest\":\"" +
                           layerBlob.digest + "\",\"size\":" + std::to_string(layer.size()) + "}]}";
    writer.writeIndex(writer.addBlob(manifest, oci::kManifest), "amd64", "sample");
    writeLayoutTar(scratch + "/layout", scratch + "/layout.tar", 0);
    std::ifstream in(scratch + "/layout.tar", std::ios::binary);
    seed("oci_archive_fuzzer", "oci-layout.tar",
         std::string(std::istreambuf_iterator<char>(in), {}));

    std::string hex = sha256Hex(config);
    std::string dockerManifest =
        "[{\"Config\":\"" + hex +
        ".json\",\"RepoTags\":[\"sample:1\"],\"Layers\":[\"abc/layer.tar\"]}]";
    seed("oci_archive_fuzzer", "docker-save.tar",
         TarBuilder()
             .file("manifest.json", dockerManifest)
             .file(hex + ".json", config)
             .directory("abc")
             .file("abc/layer.tar", layer)
             .symlink("abc/link.tar", "layer.tar")
             .finish());
    seed("oci_json_fuzzer", "docker-manifest", dockerManifest);
}

// repomd.xml, primary.xml and filelists.xml as createrepo_c writes them,
// uncompressed, at the names repodata_fuzzer stores them under.
void repodataSeeds() {
    std::string repomd = R"xml(<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">
  <revision>1700000000</revision>
  <data type="primary">
    <checksum type="sha256">1d3c7051dcbfd7708e89244ecb5e234e8957b239d781ff8b127d565d1149134b</checksum>
    <location href="repodata/primary.xml"/>
    <timestamp>1700000000</timestamp>
    <size>2000</size>
  </data>
  <data type="filelists">
    <checksum type="sha256">9beb5d8677fd384cb39d2bafe65bb425bff4c5e47b848bb15e4f3e2bd46ff3f9</checksum>
    <location href="repodata/filelists.xml"/>
    <timestamp>1700000000</timestamp>
    <size>600</size>
  </data>
</repomd>
)xml";
    std::string primary = R"xml(<?xml version="1.0" encoding="UTF-8"?>
<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="2">
<package type="rpm">
  <name>bottlerocket-glibc</name>
  <arch>x86_64</arch>
  <version epoch="0" ver="2.38" rel="14"/>
  <checksum type="sha256" pkgid="YES">641adc0b03ec8baa6e8cb8b592c07722d299ac1d1b9ec13ad4f9a93a3f5a157a</checksum>
  <summary>glibc</summary>
  <time file="1714130677" build="1714127077"/>
  <size package="349268" installed="1047804" archive="1048828"/>
  <location href="Packages/b/bottlerocket-glibc-2.38-14.x86_64.rpm"/>
  <format>
    <rpm:license>GPL-2.0-or-later</rpm:license>
    <rpm:sourcerpm>bottlerocket-glibc-2.38-14.src.rpm</rpm:sourcerpm>
    <rpm:header-range start="4504" end="12633"/>
    <rpm:provides>
      <rpm:entry name="bottlerocket-glibc" flags="EQ" epoch="0" ver="2.38" rel="14"/>
      <rpm:entry name="libc.so.6()(64bit)"/>
    </rpm:provides>
    <rpm:requires>
      <rpm:entry name="/bin/sh" pre="1"/>
      <rpm:entry name="(bottlerocket-filesystem if bottlerocket-release)"/>
    </rpm:requires>
    <rpm:conflicts>
      <rpm:entry name="bottlerocket-musl" flags="LT" epoch="0" ver="1.2"/>
    </rpm:conflicts>
    <file>/usr/sbin/ldconfig</file>
  </format>
</package>
<package type="rpm">
  <name>bottlerocket-glibc-devel</name>
  <arch>noarch</arch>
  <version epoch="1" ver="2.38" rel="14"/>
  <checksum type="sha256" pkgid="YES">02d0cdbfd892715c6f3fe1cefc2ae6f3d35e0334127a44e3ffdebc53ae996ee9</checksum>
  <location href="Packages/b/bottlerocket-glibc-devel-2.38-14.noarch.rpm"/>
  <format>
    <rpm:requires>
      <rpm:entry name="bottlerocket-glibc" flags="GE" epoch="0" ver="2.38"/>
      <rpm:entry name="/usr/lib64/libc.so.6"/>
    </rpm:requires>
  </format>
</package>
</metadata>
)xml";
    std::string filelists = R"xml(<?xml version="1.0" encoding="UTF-8"?>
<filelists xmlns="http://linux.duke.edu/metadata/filelists" packages="1">
<package pkgid="641adc0b03ec8baa6e8cb8b592c07722d299ac1d1b9ec13ad4f9a93a3f5a157a" name="bottlerocket-glibc" arch="x86_64">
  <version epoch="0" ver="2.38" rel="14"/>
  <file>/usr/lib64/libc.so.6</file>
  <file type="dir">/usr/lib64</file>
</package>
</filelists>
)xml";
    seed("repodata_fuzzer", "repository", joinParts({repomd, primary, filelists}));
    seed("repodata_fuzzer", "primary-only", joinParts({repomd, primary, ""}));
}

void tufSeeds(const std::string& scratch) {
    std::vector<SigningKey> keys;
    keys.push_back(SigningKey::generate(TufKeyType::Ed25519, scratch + "/keys/ed25519.pem"));
    keys.push_back(SigningKey::generate(TufKeyType::Ecdsa, scratch + "/keys/ecdsa.pem"));
    keys.push_back(SigningKey::generate(TufKeyType::Rsa, scratch + "/keys/rsa.pem"));
    RootRoleSpec spec;
    spec.rootKeys = {&keys[0], &keys[1], &keys[2]};
    spec.signingKeys = {&keys[0]};
    spec.rootThreshold = 2;
    spec.expires = 1893456000;
    std::string root = createRootRole(spec);
    seed("tuf_metadata_fuzzer", "root.json", root);
    std::vector<const SigningKey*> signer = {&keys[0]};
    TargetsRole targets;
    targets.expires = 1893456000;
    targets.targets["manifest.json"] = {123, {{"sha256", sha256Hex("m")}}, std::nullopt};
    std::string targetsFile = signMetadata(toJson(targets), signer);
    seed("tuf_metadata_fuzzer", "targets.json", targetsFile);
    SnapshotRole snapshot;
    snapshot.expires = 1893456000;
    snapshot.meta["targets.json"] = describeMetadata(targetsFile, 1);
    std::string snapshotFile = signMetadata(toJson(snapshot), signer);
    seed("tuf_metadata_fuzzer", "snapshot.json", snapshotFile);
    TimestampRole timestamp;
    timestamp.expires = 1893456000;
    timestamp.snapshot = describeMetadata(snapshotFile, 1);
    seed("tuf_metadata_fuzzer", "timestamp.json", signMetadata(toJson(timestamp), signer));

    UpdateManifest manifest;
    ManifestUpdate update;
    update.variant = "metal-dev";
    update.arch = "x86_64";
    update.version = SemVer::parse("1.2.0-rc.1", "seed");
    update.maxVersion = SemVer::parse("1.2.0", "seed");
    update.waves = {{0, 1700000000}, {512, 1700086400}};
    update.images = {"boot.ext4.lz4", "root.ext4.lz4", "root.verity.lz4"};
    manifest.updates.push_back(update);
    manifest.migrations["(1.1.0, 1.2.0)"] = {"migrate_v1.2.0_x.lz4"};
    seed("tuf_update_fuzzer", "manifest.json", writeUpdateManifest(manifest));
    seed("tuf_update_fuzzer", "expiration.toml", defaultExpirationPolicyText());
    seed("tuf_update_fuzzer", "waves.toml", defaultWavePolicyText());
    seed("tuf_update_fuzzer", "time", "2024-01-01T01:00:00.5+01:00");
    seed("tuf_update_fuzzer", "offset", "in 2 weeks");
}

}  // namespace
}  // namespace twoliter

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: fuzz_seeds DIR\n");
        return 2;
    }
    using namespace twoliter;
    seedRoot = argv[1];
    std::string scratch = seedRoot + "/.scratch";
    try {
        projectFileSeeds();
        packageSpecSeeds();
        actionRecordSeeds(scratch);
        kitSeeds();
        ociLayoutSeeds();
        repodataSeeds();
        archiveSeeds(scratch);
        tufSeeds(scratch);
    } catch (const Error& e) {
        std::fprintf(stderr, "fuzz_seeds: %s\n", e.describe().c_str());
        return 1;
    }
    fs::remove_all(scratch);
    return 0;
}
