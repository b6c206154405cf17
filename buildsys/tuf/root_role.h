#pragma once

// A repository's root role and keys, where upstream's Makefile keeps them:
// <project>/roles/<repo>.root.json (PUBLISH_REPO_ROOT_JSON, also what the
// image installs at /usr/share/updog/root.json) and, for a key generated
// for development, <project>/keys/<repo>.pem (PUBLISH_REPO_KEY). Nothing
// here generates a key unless asked to.

#include <cstdint>
#include <string>
#include <vector>

#include "project/project.h"
#include "tuf/tuf_keys.h"

namespace twoliter {

std::string rootRolePath(const std::string& projectRoot, const std::string& repo);
std::string generatedKeyPath(const std::string& projectRoot, const std::string& repo);

// The repo's Infra.toml entry, or upstream's defaults (no keys, no URLs)
// when Infra.toml or the entry is absent.
RepoConfig repoConfig(const Project& project, const std::string& repo);

// The key file a key source of Infra.toml names (relative paths against
// Infra.toml's folder). kms and ssm sources are an Error ("not supported
// yet") naming Infra.toml and key.
std::string keySourcePath(const SigningKeySource& source, const std::string& infraPath,
                          const std::string& key);

// The keys that sign a repository's metadata: the files given (command
// line), else Infra.toml's signing_keys, else keys/<repo>.pem when it
// exists. Throws Error with a hint when there is none.
std::vector<SigningKey> loadRepoSigningKeys(const Project& project, const std::string& repo,
                                            const std::vector<std::string>& keyFiles);

// A new root role, as upstream's pubsys-setup makes one with tuftool:
// consistent snapshots, spec_version 1.0.0, version 1, the root keys for
// the root role, the signing keys for targets, snapshot and timestamp,
// signed by every root key.
struct RootRoleSpec {
    std::vector<const SigningKey*> rootKeys;
    std::vector<const SigningKey*> signingKeys;
    int64_t rootThreshold = 1;
    int64_t signingThreshold = 1;
    int64_t expires = 0;  // Unix seconds
};
// Throws Error when a threshold is below 1 or above its number of keys.
std::string createRootRole(const RootRoleSpec& spec);

// What `twoliter repo init` does.
struct RootInitOptions {
    std::string repo = "default";
    std::vector<std::string> rootKeyFiles;     // command line, else Infra.toml root_keys
    std::vector<std::string> signingKeyFiles;  // command line, else Infra.toml signing_keys
    bool generateKey = false;                  // make keys/<repo>.pem when there is no key
    TufKeyType generatedKeyType = TufKeyType::Rsa;
    int64_t now = 0;
};
struct RootInitResult {
    std::string rootPath;
    std::string generatedKey;  // "" when none was made
    bool downloaded = false;   // from Infra.toml's root_role_url
    bool existed = false;      // the root role was there already (nothing written)
};
// roles/<repo>.root.json from Infra.toml's root_role_url (checked against
// root_role_sha512), else a new root role (expiring in 52 weeks, thresholds
// root_key_threshold / pub_key_threshold, default 1) over the given keys;
// an existing root role is checked and kept. Throws Error when there is no
// key and generateKey is false.
RootInitResult initRootRole(const Project& project, const RootInitOptions& options);

// The bytes to install at /usr/share/updog/root.json for repository repo:
// roles/<repo>.root.json, checked (a TUF root signed by its own threshold,
// and matching Infra.toml's root_role_sha512 when given). "" when the
// project has no root role for repo (none is ever generated here). Throws
// Error naming the file when it is not a valid root role.
std::string rootJsonForImage(const Project& project, const std::string& repo = "default");

}  // namespace twoliter
