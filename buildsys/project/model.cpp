#include "project/model.h"

#include <algorithm>

#include "util/strings.h"

namespace twoliter {

const char* archName(Arch arch) {
    return arch == Arch::X86_64 ? "x86_64" : "aarch64";
}

Arch parseArch(const std::string& name, const Location& location) {
    if (name == "x86_64")
        return Arch::X86_64;
    if (name == "aarch64")
        return Arch::Aarch64;
    throw Error("unknown architecture '" + name + "'", location, "use x86_64 or aarch64");
}

std::vector<Arch> allArches() {
    return {Arch::X86_64, Arch::Aarch64};
}

std::string ExternalFile::fileName() const {
    if (!path.empty())
        return path;
    std::string withoutQuery = url.substr(0, url.find_first_of("?#"));
    return withoutQuery.substr(withoutQuery.find_last_of('/') + 1);
}

const char* imageFormatName(ImageFormat format) {
    switch (format) {
        case ImageFormat::Raw:
            return "raw";
        case ImageFormat::Qcow2:
            return "qcow2";
        case ImageFormat::Vmdk:
            return "vmdk";
    }
    return "raw";
}

const char* partitionPlanName(PartitionPlan plan) {
    return plan == PartitionPlan::Split ? "split" : "unified";
}

const std::vector<std::string>& knownImageFeatures() {
    static const std::vector<std::string> features = {"grub-set-private-var", "uefi-secure-boot",
                                                      "xfs-data-partition",   "systemd-networkd",
                                                      "erofs-root-partition", "fips",
                                                      "in-place-updates",     "host-containers"};
    return features;
}

VariantName parseVariantName(const std::string& name, const Location& location) {
    std::vector<std::string> fields = splitString(name, '-');
    bool emptyField = std::any_of(fields.begin(), fields.end(),
                                  [](const std::string& field) { return field.empty(); });
    if (fields.size() < 2 || fields.size() > 4 || emptyField) {
        throw Error("variant name '" + name + "' is not platform-runtime[-version][-flavor]",
                    location);
    }
    VariantName parsed;
    parsed.platform = fields[0];
    parsed.runtime = fields[1];
    if (fields.size() > 2)
        parsed.version = fields[2];
    if (fields.size() > 3)
        parsed.flavor = fields[3];
    return parsed;
}

bool VariantManifest::supports(Arch arch) const {
    return supportedArches.empty() ||
           std::find(supportedArches.begin(), supportedArches.end(), arch) != supportedArches.end();
}

}  // namespace twoliter
