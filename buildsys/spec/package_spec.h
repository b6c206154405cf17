#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace twoliter {

// Comparison bits of a versioned dependency, numerically equal to rpm's
// RPMSENSE_LESS/GREATER/EQUAL so they pass through unchanged.
enum DependencySense : uint32_t {
    kSenseLess = 1u << 1,
    kSenseGreater = 1u << 2,
    kSenseEqual = 1u << 3,
};

// One dependency as rpm parsed it: "name", "name >= evr", or a rich
// (boolean) dependency whose whole text is in name and starts with "(".
struct Dependency {
    std::string name;
    uint32_t sense = 0;
    std::string evr;

    bool isRich() const { return !name.empty() && name.front() == '('; }
    std::string text() const;
    bool operator==(const Dependency& other) const {
        return name == other.name && sense == other.sense && evr == other.evr;
    }
};

// A binary package declared by a spec (the main package or a %package).
// Only those with a %files section produce an RPM.
struct BinaryPackage {
    std::string name;
    std::string epoch;  // empty when none
    std::string version;
    std::string release;
    std::string arch;  // "noarch" or the build arch
    bool producesRpm = false;
    std::vector<Dependency> provides;
    std::vector<Dependency> runtimeRequires;
    std::vector<Dependency> conflicts;
    std::vector<Dependency> obsoletes;

    // [epoch:]version-release
    std::string evr() const;
};

// What a parsed spec tells the build: identity, the binaries it makes, what
// its build needs, and which files it reads.
struct PackageSpec {
    std::string specPath;
    std::string name;  // source package name
    std::string epoch;
    std::string version;
    std::string release;
    std::vector<BinaryPackage> binaries;
    std::vector<Dependency> buildRequires;
    std::vector<Dependency> buildConflicts;
    std::vector<std::string> sources;  // Source file names or URLs, in spec order
    std::vector<std::string> patches;
    // What the spec's shell macros printed while it was parsed (rpm runs
    // %(...) through /bin/sh): usually a sign that the spec expands
    // differently here than in its SDK.
    std::vector<std::string> parseOutput;

    // Binaries that produce an RPM.
    std::vector<const BinaryPackage*> builtBinaries() const;
};

// Byte encoding of a PackageSpec for the parse cache and for the pipe from a
// parser process. specPath is not encoded: the cache is keyed by content.
std::string encodePackageSpec(const PackageSpec& spec);
// Throws Error on a truncated or malformed record.
PackageSpec decodePackageSpec(const std::string& bytes);

}  // namespace twoliter
