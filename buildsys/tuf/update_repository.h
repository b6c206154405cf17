#pragma once

// Writing TUF update repositories, as upstream's `pubsys repo` and
// `refresh-repo` do with tough: targets named <sha256>.<name> and metadata
// <version>.<role>.json (consistent snapshots), timestamp.json; snapshot,
// targets and timestamp get the same version, the current Unix time or one
// more than the repository had, whichever is greater; expirations are the
// release start time plus the expiration policy's offsets.
//
// Layout (a folder per OS version):
//   <output>/<variant>/<arch>/   <N>.root.json (and earlier roots),
//                                <V>.targets.json, <V>.snapshot.json,
//                                timestamp.json
//   <output>/targets/            <sha256>.<name> for every target

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tuf/policy_files.h"
#include "tuf/repository_source.h"
#include "tuf/repository_verify.h"
#include "tuf/tuf_keys.h"
#include "tuf/update_manifest.h"

namespace twoliter {

struct RepoCreateOptions {
    std::string variant;
    std::string arch;
    std::string version;  // the update's version (Release.toml's)
    // The update parts; their file names become target names and the
    // manifest's images.
    std::string bootImage;
    std::string rootImage;
    std::string hashImage;
    std::vector<std::string> extraTargets;  // more files (migrations), by file name
    std::map<std::string, std::vector<std::string>> migrations;  // replace the manifest's
    WavePolicy waves;
    ExpirationPolicy expiration;
    int64_t startTime = 0;  // waves and expirations count from it
    int64_t now = 0;
    std::string trustedRoot;  // root.json bytes
    std::string trustedRootPath;
    std::vector<const SigningKey*> keys;
    // The repository to extend (verified from trustedRoot first; its targets
    // and updates are kept), or null for a new one. Target files of a local
    // repository are verified and copied; those of a remote one stay where
    // they are (only their metadata is kept).
    RepositorySource* existing = nullptr;
    std::string outputDirectory;
    std::string scratchDirectory;
};

struct RepoWriteResult {
    std::string metadataDirectory;
    std::string targetsDirectory;
    int64_t version = 0;
    size_t targetCount = 0;
    size_t keptTargets = 0;  // from the extended repository
    size_t updateCount = 0;  // entries of manifest.json
    std::vector<std::string> warnings;
};

// Throws Error when <output>/<variant>/<arch> exists already (as upstream
// does), when the keys cannot meet a role's threshold, or when the existing
// repository does not verify.
RepoWriteResult createUpdateRepository(const RepoCreateOptions& options);

struct RepoRefreshOptions {
    std::string variant;
    std::string arch;
    ExpirationPolicy expiration;
    int64_t startTime = 0;
    int64_t now = 0;
    std::string trustedRoot;
    std::string trustedRootPath;
    std::vector<const SigningKey*> keys;
    RepositorySource* source = nullptr;
    // Accept a repository whose metadata has expired (--unsafe-refresh).
    bool allowExpired = false;
    // Where to write: "" writes the new files into the source's own
    // metadata folder (a local repository; timestamp.json replaced last);
    // else <outputDirectory>/<variant>/<arch>/ must not exist.
    std::string outputDirectory;
    std::string sourceMetadataDirectory;  // the local source's metadata folder
};

// Re-signs targets, snapshot and timestamp with new versions and
// expirations; targets are unchanged.
RepoWriteResult refreshUpdateRepository(const RepoRefreshOptions& options);

// The version new metadata of a repository gets: now, or one more than any
// of its targets, snapshot and timestamp versions, whichever is greater.
int64_t nextMetadataVersion(int64_t now, const VerifiedRepository* existing);

// build/repos/<repo>/latest -> versionDirectory, replaced atomically.
void linkLatestRepository(const std::string& repoDirectory, const std::string& versionDirectory);

}  // namespace twoliter
