#pragma once

#include <memory>
#include <string>
#include <vector>

#include "project/model.h"
#include "spec/package_spec.h"

namespace twoliter {

// Where a resolved package comes from.
enum class PackageOrigin {
    Local,     // built by this project from specs[specIndex]
    Kit,       // an RPM of a kit repository (or a kit's source tree)
    Metadata,  // the generated <os>metadata package of a variant
};

struct ResolvedPackage {
    std::string name;
    std::string evr;
    std::string arch;
    PackageOrigin origin = PackageOrigin::Local;
    std::string repository;  // "local", the kit's name, or "metadata"
    size_t specIndex = 0;    // for Local: index into the specs given to addLocalSpecs
    // For a Kit package from a repository: the RPM file (absolute) and the
    // SHA-256 (hex) its repodata lists. Empty for a kit given as specs.
    std::string rpmPath;
    std::string sha256;
};

// What addKitRepository did with its solv cache.
enum class SolvCacheUse {
    None,     // no cache path given: the XML was parsed
    Loaded,   // the repository came from the cache file
    Written,  // the XML was parsed and the cache file (re)written
};

// One step of a dependency path: `from` needs `dependency`, which `to` satisfies.
struct DependencyStep {
    std::string from;
    std::string dependency;
    std::string to;
};

// The generated <os>metadata package of a variant: version-release, and
// the capabilities it provides (variant(...), variant-platform(...), …,
// image-feature(...) or image-feature(no-...) for every known feature).
inline constexpr const char* kVariantMetadataVersion = "1.0";
inline constexpr const char* kVariantMetadataRelease = "1";
std::vector<std::string> variantMetadataProvides(const VariantManifest& variant,
                                                 const std::string& osPrefix);

// One libsolv pool holding every package the project can use: local specs
// (as to-be-built packages, highest priority), kit repositories in declared
// order, the SDK's provides (treated as installed) and one generated metadata
// package per variant carrying its virtual provides (variant(...),
// image-feature(...)). Solving never touches the disk.
class Resolver {
  public:
    // osPrefix is %{_cross_os}, the prefix of every OS package name.
    Resolver(Arch arch, std::string osPrefix);
    ~Resolver();
    Resolver(const Resolver&) = delete;
    Resolver& operator=(const Resolver&) = delete;

    void addLocalSpecs(const std::vector<PackageSpec>& specs);
    // A kit given as parsed specs (a kit project's source tree). Kits added
    // earlier take priority over kits added later.
    void addKitSpecs(const std::string& kitName, const std::vector<PackageSpec>& specs);
    // A kit given as an RPM repository (repodata/repomd.xml under directory).
    // With a solvCache path, the repository is read from that file
    // (solve/kit_repository.h) when it is there and intact; otherwise its XML
    // is parsed and the file written (atomically, best effort). The caller
    // names the file after the digest of repomd.xml: the file is trusted to
    // hold that metadata. A missing, damaged or foreign (other libsolv
    // version) file is ignored and replaced. A file read from disk has no file
    // lists: when the pool turns out to need a file dependency it was not
    // written for, the first solve reads the XML again and rewrites the file.
    SolvCacheUse addKitRepository(const std::string& kitName, const std::string& directory,
                                  const std::string& solvCache = "");
    void addSdkProvides(const std::vector<std::string>& capabilities);
    void addVariant(const VariantManifest& variant);

    // Everything the variant's image installs: its metadata package, the
    // included packages and their Requires closure. Throws Error listing every
    // problem (unknown package, unsatisfiable or conflicting requirement).
    std::vector<ResolvedPackage> resolveVariant(const VariantManifest& variant);

    // The build root of specs[specIndex]: the closure of its BuildRequires.
    // SDK-provided capabilities are satisfied without packages.
    std::vector<ResolvedPackage> resolveBuildRoot(size_t specIndex);

    // The shortest chain of Requires from the variant's roots to the package
    // (an RPM name, with or without the OS prefix). Throws Error when the
    // package is not part of the variant.
    std::vector<DependencyStep> explain(const VariantManifest& variant, const std::string& package);

    const std::string& osPrefix() const { return osPrefix_; }

  private:
    struct State;
    std::unique_ptr<State> state_;
    std::string osPrefix_;
};

}  // namespace twoliter
