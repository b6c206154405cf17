#pragma once

// What a TUF client does (specification §5, "Detailed client workflow"),
// starting from a trusted root.json: the root chain (<N+1>.root.json, ...
// each signed by the previous root's threshold and its own), timestamp.json,
// <version>.snapshot.json and <version>.targets.json (consistent
// snapshots), each checked for its signatures and threshold, the length
// and hashes its parent lists, its version, expiry and, against the
// metadata an earlier run trusted, rollback; then every target's length
// and hashes. The first problem is an Error naming the file (or URL) and
// the key.

#include <cstdint>
#include <string>
#include <vector>

#include "tuf/repository_source.h"
#include "tuf/tuf_metadata.h"

namespace twoliter {

struct VerifyOptions {
    int64_t now = 0;  // Unix seconds
    // False reports expired roles in VerifiedRepository::expired instead of
    // failing (check-repo-expirations, refresh-repo --unsafe-refresh).
    bool enforceExpiration = true;
    bool checkTargets = true;
    // A client's local metadata: timestamp.json and snapshot.json of an
    // earlier successful run, checked against for rollback and replaced
    // after this one succeeds. "" keeps no state.
    std::string stateDirectory;
    // Where targets read from URLs are downloaded to.
    std::string scratchDirectory;
};

struct VerifiedRepository {
    RootRole root;  // the newest root of the chain
    std::string rootBytes;
    // Every root file of the chain by version, the trusted one first.
    std::vector<std::pair<int64_t, std::string>> rootChain;
    TimestampRole timestamp;
    std::string timestampBytes;
    SnapshotRole snapshot;
    std::string snapshotBytes;
    TargetsRole targets;
    std::string targetsBytes;
    std::vector<std::string> expired;  // roles past expiry (enforceExpiration false)
    int64_t targetBytesChecked = 0;
};

// trustedRoot: the bytes of root.json the caller trusts; rootWhere names
// it in messages.
VerifiedRepository verifyRepository(const std::string& trustedRoot, const std::string& rootWhere,
                                    RepositorySource& source, const VerifyOptions& options);

// "<sha256>.<name>" (the folder part of name kept in front), the file name
// of a target under consistent snapshots.
std::string consistentTargetName(const std::string& name, const TargetFile& target);

// Throws Error naming where when the file at path does not have the
// target's length and hashes.
void checkTargetFile(const std::string& path, const TargetFile& target, const std::string& where);

// A target's bytes (small targets such as manifest.json), verified.
std::string readVerifiedTarget(RepositorySource& source, const VerifiedRepository& repository,
                               const std::string& name, const std::string& scratchDirectory);

}  // namespace twoliter
