#include "tuf/update_repository.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "image/artifacts.h"
#include "util/digest.h"
#include "util/error.h"
#include "util/files.h"
#include "util/strings.h"

namespace twoliter {

namespace {

struct SignedRoles {
    int64_t version = 0;
    std::string targets;
    std::string snapshot;
    std::string timestamp;
};

std::string baseName(const std::string& path) {
    return path.substr(path.rfind('/') + 1);
}

// The given keys the root trusts for role; Error unless they reach its
// threshold.
std::vector<const SigningKey*> keysFor(const RootRole& root, const std::string& role,
                                       const std::vector<const SigningKey*>& keys,
                                       const std::string& rootWhere) {
    const RoleKeys& roleKeys = root.roles.at(role);
    std::vector<const SigningKey*> chosen;
    std::vector<std::string> given;
    for (const SigningKey* key : keys) {
        given.push_back(key->keyId() + " (" + key->path() + ")");
        bool trusted = std::find(roleKeys.keyIds.begin(), roleKeys.keyIds.end(), key->keyId()) !=
                       roleKeys.keyIds.end();
        if (trusted)
            chosen.push_back(key);
    }
    if (static_cast<int64_t>(chosen.size()) < roleKeys.threshold) {
        throw Error("the signing keys hold " + std::to_string(chosen.size()) + " of the " +
                        std::to_string(roleKeys.threshold) + " keys the " + role +
                        " role needs; it trusts " + joinStrings(roleKeys.keyIds, ", "),
                    {rootWhere, 0, "signed.roles." + role},
                    "given: " + (given.empty() ? std::string("none") : joinStrings(given, ", ")));
    }
    return chosen;
}

SignedRoles signRoles(const RootRole& root, TargetsRole targets, const ExpirationPolicy& policy,
                      int64_t startTime, int64_t version,
                      const std::vector<const SigningKey*>& keys, const std::string& rootWhere) {
    SignedRoles out;
    out.version = version;
    targets.version = version;
    targets.expires = startTime + policy.targetsSeconds;
    out.targets = signMetadata(toJson(targets), keysFor(root, "targets", keys, rootWhere));
    SnapshotRole snapshot;
    snapshot.version = version;
    snapshot.expires = startTime + policy.snapshotSeconds;
    snapshot.meta["targets.json"] = describeMetadata(out.targets, version);
    out.snapshot = signMetadata(toJson(snapshot), keysFor(root, "snapshot", keys, rootWhere));
    TimestampRole timestamp;
    timestamp.version = version;
    timestamp.expires = startTime + policy.timestampSeconds;
    timestamp.snapshot = describeMetadata(out.snapshot, version);
    out.timestamp = signMetadata(toJson(timestamp), keysFor(root, "timestamp", keys, rootWhere));
    return out;
}

TargetFile describeTarget(const std::string& path) {
    struct stat info {};
    if (stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode))
        throw Error("the target file is missing", {path});
    TargetFile target;
    target.length = info.st_size;
    target.hashes["sha256"] = sha256FileHex(path);
    return target;
}

// Copies from into targetsDirectory/fileName (a temporary name, renamed),
// unless a file of that content-addressed name and size is there already.
void copyTarget(const std::string& from, const std::string& targetsDirectory,
                const std::string& fileName) {
    std::string destination = targetsDirectory + "/" + fileName;
    std::error_code error;
    if (std::filesystem::is_regular_file(destination, error) &&
        std::filesystem::file_size(destination, error) == std::filesystem::file_size(from, error)) {
        return;
    }
    std::string temporary = destination + ".tmp-" + uniqueSuffix();
    std::filesystem::copy_file(from, temporary, error);
    if (!error)
        std::filesystem::rename(temporary, destination, error);
    if (error) {
        std::filesystem::remove(temporary);
        throw Error("cannot copy " + from + ": " + error.message(), {destination});
    }
}

std::string metadataFolder(const std::string& output, const std::string& variant,
                           const std::string& arch) {
    return output + "/" + variant + "/" + arch;
}

void refuseExisting(const std::string& folder) {
    if (pathExists(folder)) {
        throw Error("the repository metadata folder exists already", {folder},
                    "remove it and try again");
    }
}

// <output>/<variant>/<arch>/, written in a temporary folder and renamed.
void writeMetadataFolder(const std::string& folder,
                         const std::vector<std::pair<int64_t, std::string>>& rootChain,
                         const SignedRoles& roles) {
    refuseExisting(folder);
    std::string parent = folder.substr(0, folder.rfind('/'));
    std::string temporary = parent + "/." + baseName(folder) + ".tmp-" + uniqueSuffix();
    std::string version = std::to_string(roles.version);
    try {
        for (const auto& [rootVersion, bytes] : rootChain)
            writeFileAtomic(temporary + "/" + std::to_string(rootVersion) + ".root.json", bytes);
        writeFileAtomic(temporary + "/" + version + ".targets.json", roles.targets);
        writeFileAtomic(temporary + "/" + version + ".snapshot.json", roles.snapshot);
        writeFileAtomic(temporary + "/timestamp.json", roles.timestamp);
        std::filesystem::rename(temporary, folder);
    } catch (const std::filesystem::filesystem_error& error) {
        std::filesystem::remove_all(temporary);
        throw Error(std::string("cannot write the metadata: ") + error.what(), {folder});
    } catch (...) {
        std::filesystem::remove_all(temporary);
        throw;
    }
}

// The root a new repository starts from: the trusted root, self-signed.
VerifiedRepository freshRepository(const std::string& bytes, const std::string& where) {
    SignedDocument document = parseSignedDocument(bytes, where);
    VerifiedRepository repository;
    repository.root = rootFromDocument(document);
    checkThreshold(document, repository.root, "root");
    repository.rootBytes = bytes;
    repository.rootChain.emplace_back(repository.root.version, bytes);
    return repository;
}

UpdateManifest existingManifest(RepositorySource& source, const VerifiedRepository& repository,
                                const std::string& scratch) {
    if (!repository.targets.targets.count("manifest.json")) {
        throw Error("the repository to extend has no manifest.json target",
                    {source.metadataLocation("timestamp.json")});
    }
    std::string bytes = readVerifiedTarget(source, repository, "manifest.json", scratch);
    return parseUpdateManifest(bytes, source.targetLocation("manifest.json"));
}

std::string writeManifest(const RepoCreateOptions& options, UpdateManifest manifest) {
    SemVer version = SemVer::parse(options.version, "the update version");
    ManifestUpdate update;
    update.variant = options.variant;
    update.arch = options.arch;
    update.version = version;
    update.images = {baseName(options.bootImage), baseName(options.rootImage),
                     baseName(options.hashImage)};
    addUpdate(manifest, update);
    manifest.migrations = options.migrations;
    setWaves(manifest, options.variant, options.arch, version, options.startTime, options.waves);
    std::string path = options.scratchDirectory + "/manifest.json";
    writeFileAtomic(path, writeUpdateManifest(manifest));
    return path;
}

}  // namespace

int64_t nextMetadataVersion(int64_t now, const VerifiedRepository* existing) {
    int64_t version = std::max<int64_t>(now, 1);
    if (existing) {
        version = std::max({version, existing->targets.version + 1, existing->snapshot.version + 1,
                            existing->timestamp.version + 1});
    }
    return version;
}

RepoWriteResult createUpdateRepository(const RepoCreateOptions& options) {
    RepoWriteResult result;
    result.metadataDirectory =
        metadataFolder(options.outputDirectory, options.variant, options.arch);
    result.targetsDirectory = options.outputDirectory + "/targets";
    refuseExisting(result.metadataDirectory);

    VerifiedRepository repository;
    UpdateManifest manifest;
    if (options.existing) {
        VerifyOptions verify;
        verify.now = options.now;
        verify.checkTargets = options.existing->isLocal();
        verify.scratchDirectory = options.scratchDirectory;
        repository = verifyRepository(options.trustedRoot, options.trustedRootPath,
                                      *options.existing, verify);
        manifest = existingManifest(*options.existing, repository, options.scratchDirectory);
    } else {
        repository = freshRepository(options.trustedRoot, options.trustedRootPath);
    }
    if (repository.root.expires <= options.now) {
        result.warnings.push_back("the root role expired at " +
                                  utcTimestamp(repository.root.expires));
    }

    TargetsRole targets;
    std::map<std::string, TargetFile> kept = repository.targets.targets;
    kept.erase("manifest.json");
    targets.targets = kept;
    std::vector<std::pair<std::string, std::string>> files = {
        {baseName(options.bootImage), options.bootImage},
        {baseName(options.rootImage), options.rootImage},
        {baseName(options.hashImage), options.hashImage}};
    for (const auto& path : options.extraTargets)
        files.emplace_back(baseName(path), path);
    files.emplace_back("manifest.json", writeManifest(options, manifest));
    for (const auto& [name, path] : files) {
        targets.targets[name] = describeTarget(path);
        kept.erase(name);
    }
    result.updateCount = manifest.updates.size() + 1;

    int64_t version = nextMetadataVersion(options.now, options.existing ? &repository : nullptr);
    SignedRoles roles = signRoles(repository.root, targets, options.expiration, options.startTime,
                                  version, options.keys, options.trustedRootPath);

    // Targets first, so metadata never names a file that is not there.
    std::filesystem::create_directories(result.targetsDirectory);
    for (const auto& [name, path] : files)
        copyTarget(path, result.targetsDirectory,
                   consistentTargetName(name, targets.targets[name]));
    if (options.existing && options.existing->isLocal()) {
        for (const auto& [name, target] : kept) {
            std::string fileName = consistentTargetName(name, target);
            copyTarget(*options.existing->targetFile(fileName, target.length, ""),
                       result.targetsDirectory, fileName);
        }
    }
    writeMetadataFolder(result.metadataDirectory, repository.rootChain, roles);
    result.version = version;
    result.targetCount = targets.targets.size();
    result.keptTargets = kept.size();
    return result;
}

RepoWriteResult refreshUpdateRepository(const RepoRefreshOptions& options) {
    RepoWriteResult result;
    bool inPlace = options.outputDirectory.empty();
    result.metadataDirectory =
        inPlace ? options.sourceMetadataDirectory
                : metadataFolder(options.outputDirectory, options.variant, options.arch);
    if (!inPlace)
        refuseExisting(result.metadataDirectory);
    VerifyOptions verify;
    verify.now = options.now;
    verify.enforceExpiration = !options.allowExpired;
    verify.checkTargets = false;
    VerifiedRepository repository =
        verifyRepository(options.trustedRoot, options.trustedRootPath, *options.source, verify);
    int64_t version = nextMetadataVersion(options.now, &repository);
    SignedRoles roles =
        signRoles(repository.root, repository.targets, options.expiration, options.startTime,
                  version, options.keys, options.trustedRootPath);
    if (inPlace) {
        std::string prefix = result.metadataDirectory + "/" + std::to_string(version);
        writeFileAtomic(prefix + ".targets.json", roles.targets);
        writeFileAtomic(prefix + ".snapshot.json", roles.snapshot);
        writeFileAtomic(result.metadataDirectory + "/timestamp.json", roles.timestamp);
    } else {
        writeMetadataFolder(result.metadataDirectory, repository.rootChain, roles);
    }
    for (const auto& role : repository.expired)
        result.warnings.push_back(role + " metadata had expired");
    result.version = version;
    result.targetCount = repository.targets.targets.size();
    return result;
}

void linkLatestRepository(const std::string& repoDirectory, const std::string& versionDirectory) {
    replaceSymlink(versionDirectory, repoDirectory + "/latest");
}

}  // namespace twoliter
