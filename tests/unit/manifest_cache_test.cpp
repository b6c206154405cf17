#include <catch2/catch.hpp>

#include "project/manifest_cache.h"
#include "support/temp_tree.h"
#include "util/files.h"

using namespace twoliter;
using twoliter::testing::TempDir;
using twoliter::testing::writeTreeFile;

namespace {
const char* kVariant = R"(
[package]
name = "vmware-k8s-1_31"
[package.metadata.build-variant]
image-format = "vmdk"
supported-arches = ["x86_64"]
kernel-parameters = ["console=tty1"]
included-packages = ["release", "kubelet-1.31"]
image-layout = { os-image-size-gib = 4, partition-plan = "unified" }
image-features = { fips = true }
[build-dependencies]
release = { path = "../../packages/release" }
)";
const char* kPackage = R"(
[package]
name = "kernel-6_1"
[package.metadata.build-package]
package-name = "kernel-6.1"
source-groups = ["kernel"]
[[package.metadata.build-package.external-files]]
url = "https://example.invalid/v6.1.tar.gz"
sha512 = ")";
}  // namespace

TEST_CASE("manifests round-trip through the cache encoding") {
    TempDir dir;
    writeTreeFile(dir.path(), "variants/vmware-k8s-1.31/Cargo.toml", kVariant);
    writeTreeFile(dir.path(), "packages/kernel-6.1/Cargo.toml",
                  kPackage + std::string(128, 'a') +
                      "\"\nforce-upstream = true\n[dependencies]\nx = { path = \"../x\" }\n");
    for (const char* path :
         {"variants/vmware-k8s-1.31/Cargo.toml", "packages/kernel-6.1/Cargo.toml"}) {
        CargoManifest parsed = readCargoManifest(dir.path() + "/" + path, path);
        std::string encoded = encodeCargoManifest(parsed);
        CHECK(encodeCargoManifest(decodeCargoManifest(encoded)) == encoded);
    }
    CargoManifest variant = decodeCargoManifest(encodeCargoManifest(
        readCargoManifest(dir.path() + "/variants/vmware-k8s-1.31/Cargo.toml", "v")));
    REQUIRE(variant.variant);
    CHECK(variant.variant->imageLayout.osImageSizeGib == 4);
    CHECK(variant.variant->imageLayout.partitionPlan == PartitionPlan::Unified);
    CHECK(variant.variant->enabledFeatures.count("fips"));
    CHECK(variant.variant->supportedArches == std::vector<Arch>{Arch::X86_64});
    CHECK(variant.variant->buildDependencies.at(0).location.line == 12);
    CHECK_THROWS_AS(decodeCargoManifest("\x01"), Error);
}

TEST_CASE("the manifest cache serves unchanged files and re-reads changed ones") {
    TempDir dir;
    std::string manifest = dir.path() + "/variants/vmware-k8s-1.31/Cargo.toml";
    writeTreeFile(dir.path(), "variants/vmware-k8s-1.31/Cargo.toml", kVariant);
    {
        ManifestCache cache(dir.path() + "/cache");
        CHECK(cache.read(manifest, "m").variant->includedPackages.size() == 2);
        cache.save();
    }
    {
        ManifestCache cache(dir.path() + "/cache");
        CHECK(cache.read(manifest, "m").variant->includedPackages.size() == 2);
        CHECK(cache.hits() == 1);
        cache.save();
    }
    std::string text = readFile(manifest);
    text.replace(text.find("\"release\", "), 11, "");
    writeFileAtomic(manifest, text);
    ManifestCache cache(dir.path() + "/cache");
    CHECK(cache.read(manifest, "m").variant->includedPackages ==
          std::vector<std::string>{"kubelet-1.31"});
    CHECK(cache.hits() == 0);
    writeFileAtomic(manifest, text + "bogus = [\n");
    CHECK_THROWS_AS(cache.read(manifest, "m"), Error);
}
