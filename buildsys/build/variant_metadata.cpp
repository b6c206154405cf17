#include "build/variant_metadata.h"

#include <filesystem>

#include "build/package_builder.h"
#include "repo/rpm_repository.h"
#include "solve/resolver.h"
#include "util/digest.h"
#include "util/files.h"

namespace fs = std::filesystem;

namespace twoliter {

std::string variantMetadataSpec(const VariantManifest& variant, const std::string& osPrefix) {
    std::string spec =
        "Name: %{_cross_os}metadata\nVersion: " + std::string(kVariantMetadataVersion) +
        "\nRelease: " + kVariantMetadataRelease + "\nSummary: Metadata of variant " + variant.name +
        "\nLicense: Apache-2.0 OR MIT\nBuildArch: noarch\n";
    for (const auto& capability : variantMetadataProvides(variant, osPrefix))
        spec += "Provides: " + capability + "\n";
    spec += "\n%description\n%{summary}.\n\n%files\n";
    return spec;
}

StoredRpm buildVariantMetadataRpm(const VariantManifest& variant,
                                  const MetadataRpmSettings& settings, ContentStore& store,
                                  ActionCache& actions, SandboxRunner& sandbox) {
    std::string spec = variantMetadataSpec(variant, settings.osPrefix);
    Sha256 key;
    for (const auto& field : {std::string("variant-metadata-rpm-v1"), spec, settings.sdkDigest,
                              settings.sdkMacrosPath, settings.archName, settings.sourceDateEpoch})
        key.addField(field);
    std::string actionKey = key.hex();
    std::vector<std::string> corrupt;
    if (auto record = actions.find(actionKey)) {
        if (record->outputs.size() == 1 && outputsIntact(store, record->outputs, corrupt)) {
            actions.touch(actionKey);
            return {record->outputs[0].name, record->outputs[0].digest, {}};
        }
    }
    std::string work = settings.workDirectory;
    fs::remove_all(work);
    fs::create_directories(work + "/SOURCES");
    fs::create_directories(work + "/rpmbuild");
    writeFileAtomic(work + "/SOURCES/metadata.spec", spec);
    SandboxSpec run = rpmbuildSandbox(settings.sdkRootfs, work, settings.sourceDateEpoch);
    run.logPath = settings.logPath;
    run.command =
        rpmbuildCommand(settings.sdkMacrosPath, settings.archName, "/build/SOURCES/metadata.spec");
    SandboxResult result = sandbox.run(run);
    std::vector<std::string> rpms = rpmFilesBelow(work + "/rpmbuild/RPMS");
    if (!result.ok() || rpms.size() != 1) {
        throw Error("cannot build the metadata RPM of variant " + variant.name, {settings.logPath});
    }
    std::string path = work + "/rpmbuild/RPMS/" + rpms[0];
    ActionRecord record;
    record.outputs.push_back({fs::path(path).filename().string(), store.put(path),
                              static_cast<uint64_t>(fs::file_size(path))});
    actions.store(actionKey, record);
    fs::remove_all(work);
    StoredRpm stored{record.outputs[0].name, record.outputs[0].digest, {}};
    for (const auto& path : corrupt)
        stored.warnings.push_back(
            "cache entry " + path + " of variant " + variant.name +
            "'s metadata RPM does not match its digest: discarded and rebuilt");
    return stored;
}

}  // namespace twoliter
