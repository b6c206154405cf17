#include "tuf/root_role.h"

#include <algorithm>

#include "fetch/external_files.h"
#include "tuf/tuf_metadata.h"
#include "util/error.h"
#include "util/files.h"

namespace twoliter {

namespace {

constexpr int64_t kRootLifetime = 52 * 7 * 86400;  // pubsys-setup's 'in 52 weeks'

std::string infraPath(const Project& project) {
    return project.infra ? project.infra->path : project.root + "/Infra.toml";
}

std::vector<SigningKey> loadKeys(const std::vector<std::string>& paths) {
    std::vector<SigningKey> keys;
    for (const auto& path : paths)
        keys.push_back(SigningKey::load(path));
    return keys;
}

std::vector<const SigningKey*> pointers(const std::vector<SigningKey>& keys) {
    std::vector<const SigningKey*> out;
    for (const auto& key : keys)
        out.push_back(&key);
    return out;
}

RoleKeys roleKeys(const std::vector<const SigningKey*>& keys, int64_t threshold) {
    RoleKeys role;
    role.threshold = threshold;
    for (const auto* key : keys) {
        if (std::find(role.keyIds.begin(), role.keyIds.end(), key->keyId()) == role.keyIds.end())
            role.keyIds.push_back(key->keyId());
    }
    return role;
}

// root_role_url's bytes, checked against root_role_sha512.
std::string downloadRootRole(const Project& project, const RepoConfig& config,
                             const std::string& repo) {
    std::string where = infraPath(project);
    std::string temporary = rootRolePath(project.root, repo) + ".download-" + uniqueSuffix();
    CurlDownloader downloader;
    downloader.download(config.rootRoleUrl, temporary);
    std::string bytes = readFile(temporary);
    std::remove(temporary.c_str());
    if (sha512Hex(bytes) != config.rootRoleSha512) {
        throw Error("the root role at " + config.rootRoleUrl + " has SHA-512 " + sha512Hex(bytes),
                    {where, 0, "repo." + repo + ".root_role_sha512"});
    }
    return bytes;
}

// Throws unless bytes are a root role signed by its own threshold.
void checkRootRole(const std::string& bytes, const std::string& where) {
    SignedDocument document = parseSignedDocument(bytes, where);
    RootRole root = rootFromDocument(document);
    checkThreshold(document, root, "root");
}

}  // namespace

std::string rootRolePath(const std::string& projectRoot, const std::string& repo) {
    return projectRoot + "/roles/" + repo + ".root.json";
}

std::string generatedKeyPath(const std::string& projectRoot, const std::string& repo) {
    return projectRoot + "/keys/" + repo + ".pem";
}

RepoConfig repoConfig(const Project& project, const std::string& repo) {
    if (project.infra) {
        auto found = project.infra->repos.find(repo);
        if (found != project.infra->repos.end())
            return found->second;
    }
    return {};
}

std::string keySourcePath(const SigningKeySource& source, const std::string& infraPath,
                          const std::string& key) {
    if (source.kind != "file") {
        throw Error(source.kind + " key sources are not supported yet", {infraPath, 0, key},
                    "use { file = { path = \"key.pem\" } } or --signing-key");
    }
    auto path = source.fields.find("path");
    if (path == source.fields.end() || path->second.empty())
        throw Error("a file key source needs a path", {infraPath, 0, key + ".file.path"});
    std::string base = infraPath.substr(0, infraPath.rfind('/'));
    return absolutePath(path->second, base);
}

std::vector<SigningKey> loadRepoSigningKeys(const Project& project, const std::string& repo,
                                            const std::vector<std::string>& keyFiles) {
    if (!keyFiles.empty())
        return loadKeys(keyFiles);
    RepoConfig config = repoConfig(project, repo);
    if (config.signingKeys) {
        return loadKeys({keySourcePath(*config.signingKeys, infraPath(project),
                                       "repo." + repo + ".signing_keys")});
    }
    std::string generated = generatedKeyPath(project.root, repo);
    if (pathExists(generated))
        return loadKeys({generated});
    throw Error("no key to sign repository '" + repo + "' with",
                {infraPath(project), 0, "repo." + repo + ".signing_keys"},
                "set signing_keys in Infra.toml, pass --signing-key, or create a development key "
                "with 'twoliter repo init --generate-root-key'");
}

std::string createRootRole(const RootRoleSpec& spec) {
    auto checkThreshold = [](size_t keys, int64_t threshold, const char* role) {
        if (threshold < 1 || threshold > static_cast<int64_t>(keys)) {
            throw Error(std::string("the ") + role + " threshold " + std::to_string(threshold) +
                        " needs from 1 to " + std::to_string(keys) + " (the number of keys)");
        }
    };
    checkThreshold(spec.rootKeys.size(), spec.rootThreshold, "root");
    checkThreshold(spec.signingKeys.size(), spec.signingThreshold, "signing");
    RootRole root;
    root.expires = spec.expires;
    for (const auto* key : spec.rootKeys)
        root.keys[key->keyId()] = key->publicKey();
    for (const auto* key : spec.signingKeys)
        root.keys[key->keyId()] = key->publicKey();
    root.roles["root"] = roleKeys(spec.rootKeys, spec.rootThreshold);
    for (const char* role : {"snapshot", "targets", "timestamp"})
        root.roles[role] = roleKeys(spec.signingKeys, spec.signingThreshold);
    return signMetadata(toJson(root), spec.rootKeys);
}

RootInitResult initRootRole(const Project& project, const RootInitOptions& options) {
    RootInitResult result;
    result.rootPath = rootRolePath(project.root, options.repo);
    RepoConfig config = repoConfig(project, options.repo);
    if (auto existing = readFileIfExists(result.rootPath)) {
        checkRootRole(*existing, result.rootPath);
        if (!config.rootRoleSha512.empty() && sha512Hex(*existing) != config.rootRoleSha512) {
            throw Error("differs from the root role Infra.toml's root_role_sha512 names",
                        {result.rootPath}, "remove it to download root_role_url again");
        }
        result.existed = true;
        return result;
    }
    if (!config.rootRoleUrl.empty()) {
        std::string bytes = downloadRootRole(project, config, options.repo);
        checkRootRole(bytes, config.rootRoleUrl);
        writeFileAtomic(result.rootPath, bytes);
        result.downloaded = true;
        return result;
    }
    std::vector<std::string> signingFiles = options.signingKeyFiles;
    if (signingFiles.empty() && config.signingKeys) {
        signingFiles.push_back(keySourcePath(*config.signingKeys, infraPath(project),
                                             "repo." + options.repo + ".signing_keys"));
    }
    std::vector<std::string> rootFiles = options.rootKeyFiles;
    if (rootFiles.empty() && config.rootKeys) {
        rootFiles.push_back(keySourcePath(*config.rootKeys, infraPath(project),
                                          "repo." + options.repo + ".root_keys"));
    }
    if (signingFiles.empty() && rootFiles.empty()) {
        std::string generated = generatedKeyPath(project.root, options.repo);
        if (!pathExists(generated) && !options.generateKey) {
            throw Error("repository '" + options.repo + "' has no root role and no key",
                        {result.rootPath},
                        "set root_role_url or signing_keys in Infra.toml, pass --signing-key, or "
                        "pass --generate-root-key for a development key");
        }
        if (!pathExists(generated)) {
            SigningKey::generate(options.generatedKeyType, generated);
            result.generatedKey = generated;
        }
        signingFiles.push_back(generated);
    }
    if (rootFiles.empty())
        rootFiles = signingFiles;
    if (signingFiles.empty())
        signingFiles = rootFiles;
    std::vector<SigningKey> rootKeys = loadKeys(rootFiles);
    std::vector<SigningKey> signingKeys = loadKeys(signingFiles);
    RootRoleSpec spec;
    spec.rootKeys = pointers(rootKeys);
    spec.signingKeys = pointers(signingKeys);
    spec.rootThreshold = config.rootKeyThreshold > 0 ? config.rootKeyThreshold : 1;
    spec.signingThreshold = config.pubKeyThreshold > 0 ? config.pubKeyThreshold : 1;
    spec.expires = options.now + kRootLifetime;
    writeFileAtomic(result.rootPath, createRootRole(spec));
    return result;
}

std::string rootJsonForImage(const Project& project, const std::string& repo) {
    std::string path = rootRolePath(project.root, repo);
    auto bytes = readFileIfExists(path);
    if (!bytes)
        return "";
    checkRootRole(*bytes, path);
    RepoConfig config = repoConfig(project, repo);
    if (!config.rootRoleSha512.empty() && sha512Hex(*bytes) != config.rootRoleSha512) {
        throw Error("differs from the root role Infra.toml's root_role_sha512 names", {path},
                    "remove it and run 'twoliter repo init' to download root_role_url");
    }
    return *bytes;
}

}  // namespace twoliter
