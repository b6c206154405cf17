#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "util/error.h"

namespace twoliter {

enum class Arch { X86_64, Aarch64 };

const char* archName(Arch arch);
// Throws Error at location for anything but "x86_64" or "aarch64".
Arch parseArch(const std::string& name, const Location& location = {});
std::vector<Arch> allArches();

// A versioned image named in Twoliter.toml ([sdk] or [[kit]]).
struct ImageRef {
    std::string name;
    std::string version;
    std::string vendor;
    Location location;
};

// A public OpenPGP key (armored file) that must have signed the repository
// metadata of a vendor's kits: [vendor.<id>] signing-key.
struct VendorSigningKey {
    std::string path;  // absolute
    Location location;
};

// [signing]: how this project signs the repositories (and RPMs) of the kits
// it builds. TWOLITER_SIGNING_KEY, when set, names the key file instead.
struct RepoSigning {
    std::string secretKeyPath;  // armored OpenPGP secret key without passphrase; absolute
    bool signRpms = false;
    Location location;
};

// How image artifacts are compressed: zstd (multi-threaded, the default) or
// lz4 (what upstream writes). [image] compression in Twoliter.toml.
enum class ImageCompression { Zstd, Lz4 };

// Twoliter.toml.
struct TwoliterConfig {
    std::string path;
    int schemaVersion = 1;
    std::string releaseVersion;
    std::map<std::string, std::string> vendorRegistries;  // vendor id -> registry
    std::map<std::string, VendorSigningKey> vendorSigningKeys;
    std::optional<RepoSigning> signing;
    ImageCompression imageCompression = ImageCompression::Zstd;
    std::optional<ImageRef> sdk;
    std::vector<ImageRef> kits;
};

// One entry of Twoliter.lock: the image plus where it came from and upstream's
// digest (base64 SHA-256 of the canonical-JSON manifest).
struct LockedImage {
    std::string name;
    std::string version;
    std::string vendor;
    std::string source;
    std::string digest;
};

struct TwoliterLock {
    std::string path;
    int schemaVersion = 1;
    std::optional<LockedImage> sdk;
    std::vector<LockedImage> kits;
};

// [[package.metadata.build-package.external-files]]
struct ExternalFile {
    std::string url;
    std::string sha512;
    std::string path;  // local file name; empty means the last URL segment
    bool forceUpstream = false;
    std::vector<std::string> bundleModules;
    std::string bundleRootPath;
    std::string bundleOutputPath;
    Location location;

    std::string fileName() const;
};

// A Cargo dependency given by path; the key is only informative because
// upstream keys are Cargo names (dots replaced), so edges resolve by path.
struct PathDependency {
    std::string key;
    std::string directory;  // absolute, lexically normal
    Location location;
};

// packages/<dir>/Cargo.toml with [package.metadata.build-package].
struct PackageManifest {
    std::string directory;
    std::string manifestPath;
    std::string cargoName;
    std::string packageName;  // package-name override, else the Cargo name
    std::vector<ExternalFile> externalFiles;
    std::vector<std::string> sourceGroups;
    std::string releasesUrl;
    std::vector<PathDependency> buildDependencies;
    std::vector<PathDependency> dependencies;
    // Digest of the metadata table only, so comments and unrelated keys of
    // Cargo.toml do not change it.
    std::string metadataDigest;

    std::string specPath() const { return directory + "/" + packageName + ".spec"; }
};

enum class ImageFormat { Raw, Qcow2, Vmdk };
enum class PartitionPlan { Split, Unified };
const char* imageFormatName(ImageFormat format);
const char* partitionPlanName(PartitionPlan plan);

struct ImageLayout {
    int osImageSizeGib = 2;
    int dataImageSizeGib = 1;
    int publishImageSizeHintGib = 22;
    PartitionPlan partitionPlan = PartitionPlan::Split;
};

// The eight image features upstream knows, in upstream's order.
const std::vector<std::string>& knownImageFeatures();

// platform-runtime[-version][-flavor], as upstream splits variant names.
struct VariantName {
    std::string platform;
    std::string runtime;
    std::string version = "0";
    std::string flavor = "none";
    std::string family() const { return platform + "-" + runtime; }
};
VariantName parseVariantName(const std::string& name, const Location& location = {});

// variants/<name>/Cargo.toml with [package.metadata.build-variant].
struct VariantManifest {
    std::string name;  // the directory name, as upstream's BUILDSYS_VARIANT
    std::string directory;
    std::string manifestPath;
    std::string cargoName;
    std::vector<std::string> includedPackages;
    Location includedPackagesLocation;
    std::vector<std::string> kernelParameters;
    ImageFormat imageFormat = ImageFormat::Raw;
    ImageLayout imageLayout;
    std::set<std::string> enabledFeatures;  // defaults applied
    std::vector<Arch> supportedArches;      // empty: every arch
    std::vector<PathDependency> buildDependencies;
    std::string metadataDigest;

    bool supports(Arch arch) const;
};

// kits/<name>/Cargo.toml with [package.metadata.build-kit].
struct KitManifest {
    std::string name;  // kit-name, else the Cargo name
    std::string directory;
    std::string manifestPath;
    std::string cargoName;
    std::string vendor;
    std::vector<PathDependency> buildDependencies;
};

struct Migration {
    std::string fromVersion;
    std::string toVersion;
    std::vector<std::string> names;
};

// Release.toml (deprecated upstream, still used by Bottlerocket).
struct ReleaseConfig {
    std::string path;
    std::string version;
    std::vector<Migration> migrations;
};

// A key source in Infra.toml: { file = { path } } | { kms = {...} } | { ssm = {...} }.
struct SigningKeySource {
    std::string kind;                           // "file", "kms" or "ssm"
    std::map<std::string, std::string> fields;  // scalar fields of that table
};

struct RepoConfig {
    std::string rootRoleUrl;
    std::string rootRoleSha512;
    std::optional<SigningKeySource> signingKeys;
    std::optional<SigningKeySource> rootKeys;
    std::string metadataBaseUrl;
    std::string targetsUrl;
    std::string fileHostingConfigName;
    int rootKeyThreshold = 0;
    int pubKeyThreshold = 0;
};

// Infra.toml: publishing infrastructure. Only the keys upstream knows.
struct InfraConfig {
    std::string path;
    std::map<std::string, RepoConfig> repos;
    std::vector<std::string> awsRegions;
    std::string awsProfile;
    std::string awsRole;
    std::string awsSsmPrefix;
    std::vector<std::string> vmwareDatacenters;
    std::map<std::string, std::string> vendorRegistries;
};

}  // namespace twoliter
