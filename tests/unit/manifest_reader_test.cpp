#include <catch2/catch.hpp>

#include <filesystem>

#include "project/lock_writer.h"
#include "project/manifest_reader.h"
#include "support/error_text.h"
#include "support/temp_tree.h"

using namespace twoliter;
using twoliter::testing::TempDir;
using twoliter::testing::writeTreeFile;

namespace {}  // namespace

TEST_CASE("every variant default is upstream's") {
    TempDir dir;
    writeTreeFile(dir.path(), "variants/aws-dev/Cargo.toml", R"(
[package]
name = "aws-dev"
version = "0.1.0"
[package.metadata.build-variant]
included-packages = ["release"]
)");
    CargoManifest manifest =
        readCargoManifest(dir.path() + "/variants/aws-dev/Cargo.toml", "Cargo.toml");
    REQUIRE(manifest.variant);
    const VariantManifest& variant = *manifest.variant;
    CHECK(variant.name == "aws-dev");
    CHECK(variant.imageFormat == ImageFormat::Raw);
    CHECK(variant.imageLayout.osImageSizeGib == 2);
    CHECK(variant.imageLayout.dataImageSizeGib == 1);
    CHECK(variant.imageLayout.publishImageSizeHintGib == 22);
    CHECK(variant.imageLayout.partitionPlan == PartitionPlan::Split);
    CHECK(variant.enabledFeatures == std::set<std::string>{"host-containers", "in-place-updates"});
    CHECK(variant.supportedArches.empty());
    CHECK(variant.supports(Arch::Aarch64));
    CHECK(variant.kernelParameters.empty());
}

TEST_CASE("variant metadata as upstream writes it") {
    TempDir dir;
    writeTreeFile(dir.path(), "variants/vmware-k8s-1.31/Cargo.toml", R"(
[package]
name = "vmware-k8s-1_31"
version = "0.1.0"
[package.metadata.build-variant]
image-format = "vmdk"
supported-arches = ["x86_64"]
kernel-parameters = ["console=tty1", "quiet"]
included-packages = [
  # comments inside arrays are fine
  "release",
  "kubelet-1.31",
]
[package.metadata.build-variant.image-layout]
os-image-size-gib = 4
partition-plan = "unified"
[package.metadata.build-variant.image-features]
uefi-secure-boot = true
in-place-updates = false
)");
    auto variant =
        *readCargoManifest(dir.path() + "/variants/vmware-k8s-1.31/Cargo.toml", "x").variant;
    CHECK(variant.name == "vmware-k8s-1.31");
    CHECK(variant.cargoName == "vmware-k8s-1_31");
    CHECK(variant.imageFormat == ImageFormat::Vmdk);
    CHECK(variant.imageLayout.osImageSizeGib == 4);
    CHECK(variant.imageLayout.partitionPlan == PartitionPlan::Unified);
    CHECK(variant.includedPackages == std::vector<std::string>{"release", "kubelet-1.31"});
    CHECK(variant.enabledFeatures == std::set<std::string>{"host-containers", "uefi-secure-boot"});
    CHECK_FALSE(variant.supports(Arch::Aarch64));
}

TEST_CASE("package metadata: name override, external files, dependencies by path") {
    TempDir dir;
    writeTreeFile(dir.path(), "packages/kernel-6.1/Cargo.toml", R"(
[package]
name = "kernel-6_1"
version = "0.1.0"
[package.metadata.build-package]
package-name = "kernel-6.1"
source-groups = ["kernel"]
[[package.metadata.build-package.external-files]]
url = "https://example.invalid/archive/v6.1.tar.gz"
path = "kernel-6.1.tar.gz"
sha512 = ")" + std::string(128, 'a') + R"("
force-upstream = true
[[package.metadata.build-package.external-files]]
url = "https://example.invalid/libz-1.3.tar.gz?download=1"
sha512 = ")" + std::string(128, 'b') + R"("
[build-dependencies]
glibc = { path = "../glibc" }
serde = "1"
[dependencies]
microcode = { path = "../../packages/microcode" }
)");
    auto package = *readCargoManifest(dir.path() + "/packages/kernel-6.1/Cargo.toml", "x").package;
    CHECK(package.packageName == "kernel-6.1");
    CHECK(package.cargoName == "kernel-6_1");
    REQUIRE(package.externalFiles.size() == 2);
    CHECK(package.externalFiles[0].fileName() == "kernel-6.1.tar.gz");
    CHECK(package.externalFiles[0].forceUpstream);
    CHECK(package.externalFiles[1].fileName() == "libz-1.3.tar.gz");
    REQUIRE(package.buildDependencies.size() == 1);
    CHECK(package.buildDependencies[0].directory == dir.path() + "/packages/glibc");
    REQUIRE(package.dependencies.size() == 1);
    CHECK(package.dependencies[0].directory == dir.path() + "/packages/microcode");
    CHECK(package.sourceGroups == std::vector<std::string>{"kernel"});
    CHECK(package.specPath() == dir.path() + "/packages/kernel-6.1/kernel-6.1.spec");
}

TEST_CASE("metadata digest ignores comments and [package] fields") {
    TempDir dir;
    std::string body = R"(
[package.metadata.build-package]
releases-url = "https://example.invalid"
[build-dependencies]
glibc = { path = "../glibc" }
)";
    writeTreeFile(dir.path(), "a/Cargo.toml", "[package]\nname = \"a\"\n" + body);
    writeTreeFile(dir.path(), "b/Cargo.toml",
                  "# a comment\n[package]\nname = \"a\"\nedition = \"2018\"\n" + body);
    writeTreeFile(dir.path(), "c/Cargo.toml",
                  "[package]\nname = \"a\"\n" + body + "libz = { path = \"../libz\" }\n");
    auto digest = [&](const char* name) {
        return readCargoManifest(dir.path() + "/" + name + "/Cargo.toml", "x")
            .package->metadataDigest;
    };
    CHECK(digest("a") == digest("b"));
    CHECK(digest("a") != digest("c"));
}

TEST_CASE("Twoliter.toml, Twoliter.lock and Release.toml") {
    TempDir dir;
    writeTreeFile(dir.path(), "Twoliter.toml", R"(
schema-version = 1
release-version = "1.26.1"
[vendor.bottlerocket]
registry = "public.ecr.aws/bottlerocket"
[sdk]
name = "bottlerocket-sdk"
version = "0.46.0"
vendor = "bottlerocket"
[[kit]]
name = "bottlerocket-core-kit"
version = "3.1.1"
vendor = "bottlerocket"
)");
    auto config = readTwoliterConfig(dir.path() + "/Twoliter.toml", "Twoliter.toml");
    CHECK(config.releaseVersion == "1.26.1");
    CHECK(config.vendorRegistries.at("bottlerocket") == "public.ecr.aws/bottlerocket");
    REQUIRE(config.sdk);
    CHECK(config.sdk->version == "0.46.0");
    REQUIRE(config.kits.size() == 1);
    CHECK(config.kits[0].name == "bottlerocket-core-kit");

    writeTreeFile(dir.path(), "Twoliter.lock", R"(
schema-version = 1
kit = []
[sdk]
name = "bottlerocket-sdk"
version = "0.46.0"
vendor = "bottlerocket"
source = "public.ecr.aws/bottlerocket/bottlerocket-sdk:v0.46.0"
digest = "V2lUX6Rs9rZLg8POxV7P785Mr5nallfyxor0Scrvh3Y="
)");
    auto lock = readTwoliterLock(dir.path() + "/Twoliter.lock", "Twoliter.lock");
    REQUIRE(lock.sdk);
    CHECK(lock.sdk->source == "public.ecr.aws/bottlerocket/bottlerocket-sdk:v0.46.0");
    CHECK(lock.kits.empty());

    writeTreeFile(dir.path(), "Release.toml", R"toml(
version = "1.26.1"
[migrations]
"(1.26.0, 1.26.1)" = []
"(1.19.5,1.20.0)" = ["migrate_v1.20.0_a.lz4", "migrate_v1.20.0_b.lz4"]
)toml");
    auto release = readReleaseConfig(dir.path() + "/Release.toml", "Release.toml");
    REQUIRE(release.migrations.size() == 2);
    CHECK(release.migrations[0].fromVersion == "1.19.5");
    CHECK(release.migrations[0].toVersion == "1.20.0");
    CHECK(release.migrations[0].names.size() == 2);
}

TEST_CASE("Infra.toml repos and key sources") {
    TempDir dir;
    writeTreeFile(dir.path(), "Infra.toml", R"(
[repo.default]
signing_keys = { file = { path = "keys/default.pem" } }
metadata_base_url = "https://example.invalid/metadata/"
targets_url = "https://example.invalid/targets/"
root_key_threshold = 1
[aws]
regions = ["us-west-2"]
[vendor.sample]
registry = "localhost:5000"
)");
    auto infra = readInfraConfig(dir.path() + "/Infra.toml", "Infra.toml");
    const RepoConfig& repo = infra.repos.at("default");
    REQUIRE(repo.signingKeys);
    CHECK(repo.signingKeys->kind == "file");
    CHECK(repo.signingKeys->fields.at("path") == "keys/default.pem");
    CHECK(repo.rootKeyThreshold == 1);
    CHECK(infra.awsRegions == std::vector<std::string>{"us-west-2"});
    writeTreeFile(dir.path(), "Bad.toml",
                  "[repo.default]\nroot_role_url = \"file:///root.json\"\n");
    CHECK(testing::errorText([&] { readInfraConfig(dir.path() + "/Bad.toml", "Infra.toml"); }) ==
          "Infra.toml:1: repo.default.root_role_sha512: root_role_url and root_role_sha512 must "
          "be given together");
}

TEST_CASE("malformed manifests name file, line and key") {
    TempDir dir;
    writeTreeFile(dir.path(), "Cargo.toml",
                  "[package]\nname = \"x\"\n[package.metadata.build-kit]\n");
    CHECK(testing::errorText([&] {
              readCargoManifest(dir.path() + "/Cargo.toml", "kits/x/Cargo.toml");
          }) == "kits/x/Cargo.toml:3: package.metadata.build-kit.vendor: missing required key");
    writeTreeFile(dir.path(), "Cargo.toml", "[package]\nname = 3\n");
    CHECK(testing::errorText([&] { readCargoManifest(dir.path() + "/Cargo.toml", "C"); }) ==
          "C:2: package.name: expected a string, found an integer");
}

TEST_CASE("a written Twoliter.lock reads back the same") {
    TempDir dir;
    TwoliterConfig config;
    config.vendorRegistries["sample"] = "localhost:5000/sample";
    ImageRef sdk{"sample-sdk", "0.1.0", "sample", {}};
    TwoliterLock lock;
    lock.sdk = lockedImageFor(config, sdk, std::string(64, 'a'));
    CHECK(lock.sdk->source == "localhost:5000/sample/sample-sdk:v0.1.0");
    writeTreeFile(dir.path(), "Twoliter.lock", formatTwoliterLock(lock));
    auto read = readTwoliterLock(dir.path() + "/Twoliter.lock", "Twoliter.lock");
    REQUIRE(read.sdk);
    CHECK(read.sdk->digest == lock.sdk->digest);
    CHECK(read.kits.empty());
    ImageRef unknown{"sdk", "1", "nobody", {"Twoliter.toml", 5, "sdk"}};
    CHECK_THROWS_WITH(lockedImageFor(config, unknown, ""), Catch::Contains("vendor 'nobody'"));
}

TEST_CASE("signing keys: a vendor's public key and the project's own key") {
    TempDir dir;
    std::string base = R"(schema-version = 1
release-version = "1.0.0"
[vendor.acme]
registry = "localhost:5000/acme"
signing-key = "keys/acme.pub.asc"
)";
    writeTreeFile(dir.path(), "Twoliter.toml", base);
    auto config = readTwoliterConfig(dir.path() + "/Twoliter.toml", "Twoliter.toml");
    CHECK_FALSE(config.signing);
    REQUIRE(config.vendorSigningKeys.count("acme"));
    CHECK(config.vendorSigningKeys.at("acme").path == dir.path() + "/keys/acme.pub.asc");
    CHECK(config.vendorSigningKeys.at("acme").location.line == 5);

    writeTreeFile(dir.path(), "Twoliter.toml",
                  base + "[signing]\nkey = \"../secret/kit.asc\"\nsign-rpms = true\n");
    config = readTwoliterConfig(dir.path() + "/Twoliter.toml", "Twoliter.toml");
    REQUIRE(config.signing);
    CHECK(config.signing->secretKeyPath ==
          std::filesystem::path(dir.path()).parent_path().string() + "/secret/kit.asc");
    CHECK(config.signing->signRpms);

    writeTreeFile(dir.path(), "Twoliter.toml", base + "[signing]\nkey = \"k\"\nsign-rpm = true\n");
    CHECK(testing::errorText([&] {
              readTwoliterConfig(dir.path() + "/Twoliter.toml", "Twoliter.toml");
          }) == "Twoliter.toml:8: signing.sign-rpm: unknown key (hint: did you mean 'sign-rpms'?)");
}

TEST_CASE("image compression: zstd by default, lz4 on request, nothing else") {
    TempDir dir;
    std::string base = "schema-version = 1\nrelease-version = \"1.0.0\"\n";
    writeTreeFile(dir.path(), "Twoliter.toml", base);
    CHECK(readTwoliterConfig(dir.path() + "/Twoliter.toml", "Twoliter.toml").imageCompression ==
          ImageCompression::Zstd);
    writeTreeFile(dir.path(), "Twoliter.toml", base + "[image]\ncompression = \"lz4\"\n");
    CHECK(readTwoliterConfig(dir.path() + "/Twoliter.toml", "Twoliter.toml").imageCompression ==
          ImageCompression::Lz4);
    writeTreeFile(dir.path(), "Twoliter.toml", base + "[image]\ncompression = \"xz\"\n");
    CHECK(testing::errorText([&] {
              readTwoliterConfig(dir.path() + "/Twoliter.toml", "Twoliter.toml");
          }) == "Twoliter.toml:4: image.compression: expected \"zstd\" or \"lz4\"");
}
