#include "project/manifest_cache.h"

#include "util/binary_codec.h"
#include "util/digest.h"
#include "util/files.h"

namespace twoliter {

namespace {

void putLocation(BinaryWriter& out, const Location& location) {
    out.putString(location.file);
    out.putVarint(static_cast<uint64_t>(location.line));
    out.putString(location.key);
}

Location getLocation(BinaryReader& in) {
    Location location;
    location.file = in.getString();
    location.line = static_cast<int>(in.getVarint());
    location.key = in.getString();
    return location;
}

void putDependencies(BinaryWriter& out, const std::vector<PathDependency>& dependencies) {
    out.putVarint(dependencies.size());
    for (const auto& dependency : dependencies) {
        out.putString(dependency.key);
        out.putString(dependency.directory);
        putLocation(out, dependency.location);
    }
}

std::vector<PathDependency> getDependencies(BinaryReader& in) {
    std::vector<PathDependency> dependencies(in.getCount());
    for (auto& dependency : dependencies) {
        dependency.key = in.getString();
        dependency.directory = in.getString();
        dependency.location = getLocation(in);
    }
    return dependencies;
}

void putPackage(BinaryWriter& out, const PackageManifest& package) {
    out.putStrings({package.directory, package.manifestPath, package.cargoName, package.packageName,
                    package.releasesUrl, package.metadataDigest});
    out.putVarint(package.externalFiles.size());
    for (const auto& file : package.externalFiles) {
        out.putStrings(
            {file.url, file.sha512, file.path, file.bundleRootPath, file.bundleOutputPath});
        out.putVarint(file.forceUpstream ? 1 : 0);
        out.putStrings(file.bundleModules);
        putLocation(out, file.location);
    }
    out.putStrings(package.sourceGroups);
    putDependencies(out, package.buildDependencies);
    putDependencies(out, package.dependencies);
}

PackageManifest getPackage(BinaryReader& in) {
    PackageManifest package;
    auto fields = in.getStrings();
    if (fields.size() != 6)
        throw Error("malformed manifest record");
    package.directory = fields[0];
    package.manifestPath = fields[1];
    package.cargoName = fields[2];
    package.packageName = fields[3];
    package.releasesUrl = fields[4];
    package.metadataDigest = fields[5];
    package.externalFiles.resize(in.getCount());
    for (auto& file : package.externalFiles) {
        auto strings = in.getStrings();
        if (strings.size() != 5)
            throw Error("malformed manifest record");
        file.url = strings[0];
        file.sha512 = strings[1];
        file.path = strings[2];
        file.bundleRootPath = strings[3];
        file.bundleOutputPath = strings[4];
        file.forceUpstream = in.getVarint() != 0;
        file.bundleModules = in.getStrings();
        file.location = getLocation(in);
    }
    package.sourceGroups = in.getStrings();
    package.buildDependencies = getDependencies(in);
    package.dependencies = getDependencies(in);
    return package;
}

void putVariant(BinaryWriter& out, const VariantManifest& variant) {
    out.putStrings({variant.name, variant.directory, variant.manifestPath, variant.cargoName,
                    variant.metadataDigest});
    out.putStrings(variant.includedPackages);
    putLocation(out, variant.includedPackagesLocation);
    out.putStrings(variant.kernelParameters);
    out.putVarint(static_cast<uint64_t>(variant.imageFormat));
    const ImageLayout& layout = variant.imageLayout;
    for (int size :
         {layout.osImageSizeGib, layout.dataImageSizeGib, layout.publishImageSizeHintGib}) {
        out.putVarint(static_cast<uint64_t>(size));
    }
    out.putVarint(static_cast<uint64_t>(layout.partitionPlan));
    out.putStrings({variant.enabledFeatures.begin(), variant.enabledFeatures.end()});
    out.putVarint(variant.supportedArches.size());
    for (Arch arch : variant.supportedArches)
        out.putVarint(static_cast<uint64_t>(arch));
    putDependencies(out, variant.buildDependencies);
}

VariantManifest getVariant(BinaryReader& in) {
    VariantManifest variant;
    auto fields = in.getStrings();
    if (fields.size() != 5)
        throw Error("malformed manifest record");
    variant.name = fields[0];
    variant.directory = fields[1];
    variant.manifestPath = fields[2];
    variant.cargoName = fields[3];
    variant.metadataDigest = fields[4];
    variant.includedPackages = in.getStrings();
    variant.includedPackagesLocation = getLocation(in);
    variant.kernelParameters = in.getStrings();
    variant.imageFormat = static_cast<ImageFormat>(in.getVarint());
    variant.imageLayout.osImageSizeGib = static_cast<int>(in.getVarint());
    variant.imageLayout.dataImageSizeGib = static_cast<int>(in.getVarint());
    variant.imageLayout.publishImageSizeHintGib = static_cast<int>(in.getVarint());
    variant.imageLayout.partitionPlan = static_cast<PartitionPlan>(in.getVarint());
    auto features = in.getStrings();
    variant.enabledFeatures = {features.begin(), features.end()};
    variant.supportedArches.resize(in.getCount());
    for (auto& arch : variant.supportedArches)
        arch = static_cast<Arch>(in.getVarint());
    variant.buildDependencies = getDependencies(in);
    return variant;
}

void putKit(BinaryWriter& out, const KitManifest& kit) {
    out.putStrings({kit.name, kit.directory, kit.manifestPath, kit.cargoName, kit.vendor});
    putDependencies(out, kit.buildDependencies);
}

KitManifest getKit(BinaryReader& in) {
    KitManifest kit;
    auto fields = in.getStrings();
    if (fields.size() != 5)
        throw Error("malformed manifest record");
    kit.name = fields[0];
    kit.directory = fields[1];
    kit.manifestPath = fields[2];
    kit.cargoName = fields[3];
    kit.vendor = fields[4];
    kit.buildDependencies = getDependencies(in);
    return kit;
}

}  // namespace

std::string encodeCargoManifest(const CargoManifest& manifest) {
    BinaryWriter out;
    out.putString(manifest.cargoName);
    out.putVarint((manifest.package ? 1 : 0) | (manifest.variant ? 2 : 0) | (manifest.kit ? 4 : 0));
    if (manifest.package)
        putPackage(out, *manifest.package);
    if (manifest.variant)
        putVariant(out, *manifest.variant);
    if (manifest.kit)
        putKit(out, *manifest.kit);
    return out.bytes();
}

CargoManifest decodeCargoManifest(const std::string& bytes) {
    BinaryReader in(bytes);
    CargoManifest manifest;
    manifest.cargoName = in.getString();
    uint64_t present = in.getVarint();
    if (present & 1)
        manifest.package = getPackage(in);
    if (present & 2)
        manifest.variant = getVariant(in);
    if (present & 4)
        manifest.kit = getKit(in);
    if (!in.atEnd())
        throw Error("malformed manifest record");
    return manifest;
}

ManifestCache::ManifestCache(std::string path)
    : records_(std::move(path), "twoliter-manifest-cache-v1\n") {}

CargoManifest ManifestCache::read(const std::string& path, const std::string& displayName) {
    std::string key = Sha256()
                          .addField("manifest-v1")
                          .addField(path)
                          .addField(displayName)
                          .addField(readFile(path))
                          .hex();
    if (auto record = records_.find(key)) {
        try {
            return decodeCargoManifest(*record);
        } catch (const Error&) {
        }
    }
    CargoManifest manifest = readCargoManifest(path, displayName);
    records_.store(key, encodeCargoManifest(manifest));
    return manifest;
}

}  // namespace twoliter
