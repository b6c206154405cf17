#include "spec/package_spec.h"

#include "util/binary_codec.h"
#include "util/error.h"

namespace twoliter {

std::string Dependency::text() const {
    if (sense == 0 || evr.empty())
        return name;
    std::string op;
    if (sense & kSenseLess)
        op += "<";
    if (sense & kSenseGreater)
        op += ">";
    if (sense & kSenseEqual)
        op += "=";
    return name + " " + op + " " + evr;
}

std::string BinaryPackage::evr() const {
    return (epoch.empty() ? "" : epoch + ":") + version + "-" + release;
}

std::vector<const BinaryPackage*> PackageSpec::builtBinaries() const {
    std::vector<const BinaryPackage*> built;
    for (const auto& binary : binaries) {
        if (binary.producesRpm)
            built.push_back(&binary);
    }
    return built;
}

namespace {

void putDependencies(BinaryWriter& out, const std::vector<Dependency>& dependencies) {
    out.putVarint(dependencies.size());
    for (const auto& dependency : dependencies) {
        out.putString(dependency.name);
        out.putVarint(dependency.sense);
        out.putString(dependency.evr);
    }
}

std::vector<Dependency> getDependencies(BinaryReader& in) {
    std::vector<Dependency> dependencies(in.getCount(3));
    for (auto& dependency : dependencies) {
        dependency.name = in.getString();
        dependency.sense = static_cast<uint32_t>(in.getVarint());
        dependency.evr = in.getString();
    }
    return dependencies;
}

}  // namespace

std::string encodePackageSpec(const PackageSpec& spec) {
    BinaryWriter out;
    out.putStrings({spec.name, spec.epoch, spec.version, spec.release});
    out.putVarint(spec.binaries.size());
    for (const auto& binary : spec.binaries) {
        out.putStrings({binary.name, binary.epoch, binary.version, binary.release, binary.arch});
        out.putVarint(binary.producesRpm ? 1 : 0);
        putDependencies(out, binary.provides);
        putDependencies(out, binary.runtimeRequires);
        putDependencies(out, binary.conflicts);
        putDependencies(out, binary.obsoletes);
    }
    putDependencies(out, spec.buildRequires);
    putDependencies(out, spec.buildConflicts);
    out.putStrings(spec.sources);
    out.putStrings(spec.patches);
    out.putStrings(spec.parseOutput);
    return out.bytes();
}

PackageSpec decodePackageSpec(const std::string& bytes) {
    BinaryReader in(bytes);
    PackageSpec spec;
    std::vector<std::string> identity = in.getStrings();
    if (identity.size() != 4)
        throw Error("malformed spec record");
    spec.name = identity[0];
    spec.epoch = identity[1];
    spec.version = identity[2];
    spec.release = identity[3];
    uint64_t count = in.getVarint();
    if (count > bytes.size())
        throw Error("malformed spec record");
    for (uint64_t i = 0; i < count; ++i) {
        BinaryPackage binary;
        std::vector<std::string> fields = in.getStrings();
        if (fields.size() != 5)
            throw Error("malformed spec record");
        binary.name = fields[0];
        binary.epoch = fields[1];
        binary.version = fields[2];
        binary.release = fields[3];
        binary.arch = fields[4];
        binary.producesRpm = in.getVarint() != 0;
        binary.provides = getDependencies(in);
        binary.runtimeRequires = getDependencies(in);
        binary.conflicts = getDependencies(in);
        binary.obsoletes = getDependencies(in);
        spec.binaries.push_back(std::move(binary));
    }
    spec.buildRequires = getDependencies(in);
    spec.buildConflicts = getDependencies(in);
    spec.sources = in.getStrings();
    spec.patches = in.getStrings();
    spec.parseOutput = in.getStrings();
    if (!in.atEnd())
        throw Error("malformed spec record");
    return spec;
}

}  // namespace twoliter
