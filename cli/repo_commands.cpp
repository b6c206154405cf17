// `twoliter repo ...`: TUF update repositories (upstream's pubsys-setup,
// repo, validate-repo, check-repo-expirations and refresh-repo).
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "build/source_date.h"
#include "command_support.h"
#include "commands.h"
#include "image/artifacts.h"
#include "tuf/policy_files.h"
#include "tuf/repository_verify.h"
#include "tuf/root_role.h"
#include "tuf/tuf_time.h"
#include "tuf/update_manifest.h"
#include "tuf/update_repository.h"
#include "util/error.h"
#include "util/files.h"
#include "util/strings.h"

namespace fs = std::filesystem;

namespace twoliter::cli {

namespace {

// A temporary folder for downloads and the new manifest, removed on exit.
class ScratchFolder {
  public:
    ScratchFolder() {
        const char* base = std::getenv("TMPDIR");
        std::string pattern = std::string(base && *base ? base : "/tmp") + "/twoliter-repo-XXXXXX";
        if (!mkdtemp(pattern.data()))
            throw Error("cannot create a temporary folder", {pattern});
        path_ = pattern;
    }
    ~ScratchFolder() {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

std::vector<std::string> absolutePaths(const std::vector<std::string>& paths) {
    std::vector<std::string> out;
    for (const auto& path : paths)
        out.push_back(fromCurrentDirectory(path));
    return out;
}

std::string trustedRootPath(const Project& project, const RepoCommand& command) {
    return command.rootRole.empty() ? rootRolePath(project.root, command.repo)
                                    : fromCurrentDirectory(command.rootRole);
}

std::string readTrustedRoot(const std::string& path) {
    auto bytes = readFileIfExists(path);
    if (!bytes) {
        throw Error("the repository has no root role", {path},
                    "run 'twoliter repo init' (add --generate-root-key for a development key)");
    }
    return *bytes;
}

// build/repos/<repo>/
std::string repoDirectory(const Project& project, const std::string& repo) {
    return project.buildDirectory() + "/repos/" + repo;
}

// Where validate, check-expirations and refresh read the repository:
// --from, else Infra.toml's metadata_base_url and targets_url, else the
// latest repository built here.
struct RepositoryLocation {
    std::unique_ptr<RepositorySource> source;
    std::string description;
    std::string localMetadata;  // "" for URLs
};

RepositoryLocation locateRepository(const Project& project, const RepoCommand& command,
                                    const std::string& arch) {
    RepositoryLocation location;
    RepoConfig config = repoConfig(project, command.repo);
    std::string from = command.from;
    if (from.empty() && !config.metadataBaseUrl.empty() && !config.targetsUrl.empty()) {
        std::string base = config.metadataBaseUrl;
        base += endsWith(base, "/") ? "" : "/";
        location.source = urlSource(base + command.variant + "/" + arch, config.targetsUrl);
        location.description = base + command.variant + "/" + arch;
        return location;
    }
    if (from.empty())
        from = repoDirectory(project, command.repo) + "/latest";
    if (!isUrl(from)) {
        from = fromCurrentDirectory(from);
        location.localMetadata = from + "/" + command.variant + "/" + arch;
        if (!isDirectory(location.localMetadata))
            throw Error("no repository metadata for " + command.variant + " " + arch,
                        {location.localMetadata}, "build one with 'twoliter repo create'");
    }
    location.source = repositoryAt(from, command.variant, arch);
    location.description = from;
    return location;
}

ExpirationPolicy expirationPolicy(const RepoCommand& command) {
    if (command.expirationPolicy.empty())
        return parseExpirationPolicy(defaultExpirationPolicyText(), "<default 2w-2w-1w.toml>");
    return readExpirationPolicy(fromCurrentDirectory(command.expirationPolicy));
}

WavePolicy wavePolicy(const RepoCommand& command) {
    if (command.wavePolicy.empty())
        return parseWavePolicy(defaultWavePolicyText(), "<default default-waves.toml>");
    return readWavePolicy(fromCurrentDirectory(command.wavePolicy));
}

int64_t startTime(const RepoCommand& command, int64_t now) {
    if (command.releaseStartTime.empty())
        return now;
    return parseStartTime(command.releaseStartTime, now, {"--release-start-time"});
}

std::vector<const SigningKey*> pointers(const std::vector<SigningKey>& keys) {
    std::vector<const SigningKey*> out;
    for (const auto& key : keys)
        out.push_back(&key);
    return out;
}

int runInit(const Project& project, const RepoCommand& command) {
    RootInitOptions options;
    options.repo = command.repo;
    options.rootKeyFiles = absolutePaths(command.rootKeys);
    options.signingKeyFiles = absolutePaths(command.signingKeys);
    options.generateKey = command.generateRootKey;
    options.generatedKeyType = parseTufKeyType(command.keyType, "--key-type");
    options.now = unixNow();
    RootInitResult result = initRootRole(project, options);
    if (!result.generatedKey.empty()) {
        std::cerr << "twoliter: warning: created a development key at " << result.generatedKey
                  << "; for production use keys kept outside the project\n";
    }
    std::cerr << "twoliter: root role " << project.display(result.rootPath) << ": "
              << (result.existed      ? "present and valid"
                  : result.downloaded ? "downloaded from Infra.toml's root_role_url"
                                      : "created (expires in 52 weeks)")
              << "\n";
    std::cout << result.rootPath << "\n";
    return 0;
}

// The update parts of the variant's build for this commit.
ImageIdentity variantIdentity(const Project& project, const RepoCommand& command,
                              const std::string& arch) {
    if (!project.findVariant(command.variant))
        throw Error("unknown variant '" + command.variant + "'", {project.root + "/variants"});
    ImageIdentity identity;
    identity.variant = command.variant;
    identity.arch = parseArch(arch, {"--arch"});
    identity.versionId = project.release ? project.release->version : project.config.releaseVersion;
    identity.buildId = buildId(project.root);
    return identity;
}

std::string updatePart(const std::string& directory, const ImageIdentity& identity,
                       ArtifactRole role, ImageCompression compression) {
    for (const auto& artifact :
         variantArtifacts(identity, ImageFormat::Raw, PartitionPlan::Split, compression)) {
        if (artifact.role == role)
            return directory + "/" + artifact.fileName;
    }
    return "";
}

std::vector<std::string> migrationFiles(const RepoCommand& command) {
    std::vector<std::string> files;
    if (command.migrationsDir.empty())
        return files;
    std::string directory = fromCurrentDirectory(command.migrationsDir);
    if (!isDirectory(directory))
        throw Error("not a folder", {directory, 0, "--migrations-dir"});
    for (const auto& entry : fs::directory_iterator(directory)) {
        if (entry.is_regular_file())
            files.push_back(entry.path().string());
    }
    std::sort(files.begin(), files.end());
    return files;
}

void ensureRootRole(const Project& project, const RepoCommand& command) {
    if (!command.rootRole.empty() || pathExists(rootRolePath(project.root, command.repo)))
        return;
    if (!command.generateRootKey)
        return;  // readTrustedRoot explains what to do
    RepoCommand init = command;
    runInit(project, init);
}

int runCreate(const Project& project, const GlobalOptions& global, const RepoCommand& command) {
    ensureRootRole(project, command);
    ImageIdentity identity = variantIdentity(project, command, global.arch);
    std::string images = project.buildDirectory() + "/images/" + identity.variantDirectory() + "/" +
                         identity.versionDirectory();
    ImageCompression compression = project.config.imageCompression;
    RepoCreateOptions options;
    options.variant = identity.variant;
    options.arch = global.arch;
    options.version = identity.versionId;
    options.bootImage = updatePart(images, identity, ArtifactRole::BootImage, compression);
    options.rootImage = updatePart(images, identity, ArtifactRole::RootImage, compression);
    options.hashImage = updatePart(images, identity, ArtifactRole::VerityImage, compression);
    for (const auto& part : {options.bootImage, options.rootImage, options.hashImage}) {
        if (!isRegularFile(part))
            throw Error("the variant's update part is missing", {part},
                        "build the variant first: twoliter build variant " + command.variant);
    }
    options.extraTargets = migrationFiles(command);
    if (project.release) {
        options.migrations = manifestMigrations(project.release->migrations, project.release->path);
    }
    options.waves = wavePolicy(command);
    options.expiration = expirationPolicy(command);
    options.now = unixNow();
    options.startTime = startTime(command, options.now);
    options.trustedRootPath = trustedRootPath(project, command);
    options.trustedRoot = readTrustedRoot(options.trustedRootPath);
    std::vector<SigningKey> keys =
        loadRepoSigningKeys(project, command.repo, absolutePaths(command.signingKeys));
    options.keys = pointers(keys);
    std::unique_ptr<RepositorySource> existing;
    RepoConfig config = repoConfig(project, command.repo);
    if (!command.extend.empty()) {
        std::string from =
            isUrl(command.extend) ? command.extend : fromCurrentDirectory(command.extend);
        existing = repositoryAt(from, identity.variant, global.arch);
    } else if (!config.metadataBaseUrl.empty() && !config.targetsUrl.empty()) {
        existing =
            urlSource(config.metadataBaseUrl + (endsWith(config.metadataBaseUrl, "/") ? "" : "/") +
                          identity.variant + "/" + global.arch,
                      config.targetsUrl);
        if (!existing->metadata("timestamp.json", 64 * 1024)) {
            std::cerr << "twoliter: warning: no repository at " << config.metadataBaseUrl
                      << " yet, starting a new one\n";
            existing.reset();
        }
    }
    options.existing = existing.get();
    std::string versionName = identity.name + "-" + identity.versionId + "-" + identity.buildId;
    std::string base = repoDirectory(project, command.repo);
    options.outputDirectory =
        command.outdir.empty() ? base + "/" + versionName : fromCurrentDirectory(command.outdir);
    ScratchFolder scratch;
    options.scratchDirectory = scratch.path();
    RepoWriteResult result = createUpdateRepository(options);
    if (command.outdir.empty())
        linkLatestRepository(base, versionName);
    for (const auto& warning : result.warnings)
        std::cerr << "twoliter: warning: " << warning << "\n";
    std::cerr << "twoliter: repository " << command.repo << ": " << result.targetCount
              << " targets (" << result.keptTargets << " kept), " << result.updateCount
              << " update(s) in manifest.json, metadata version " << result.version << "\n";
    std::cout << result.metadataDirectory << "\n" << result.targetsDirectory << "\n";
    return 0;
}

std::vector<std::pair<std::string, int64_t>> roleExpirations(const VerifiedRepository& repository) {
    return {{"root", repository.root.expires},
            {"targets", repository.targets.expires},
            {"snapshot", repository.snapshot.expires},
            {"timestamp", repository.timestamp.expires}};
}

void printExpirations(const VerifiedRepository& repository, int64_t now) {
    for (const auto& [role, expires] : roleExpirations(repository)) {
        std::cout << role << "\texpires " << formatRfc3339(expires)
                  << (expires <= now ? "\tEXPIRED" : "") << "\n";
    }
}

int runValidate(const Project& project, const GlobalOptions& global, const RepoCommand& command) {
    std::string rootPath = trustedRootPath(project, command);
    RepositoryLocation location = locateRepository(project, command, global.arch);
    ScratchFolder scratch;
    VerifyOptions options;
    options.now = unixNow();
    options.checkTargets = !command.metadataOnly;
    options.stateDirectory = command.stateDir.empty() ? "" : fromCurrentDirectory(command.stateDir);
    options.scratchDirectory = scratch.path();
    VerifiedRepository repository =
        verifyRepository(readTrustedRoot(rootPath), rootPath, *location.source, options);
    std::cerr << "twoliter: repository " << location.description << " is valid: root version "
              << repository.root.version << ", metadata version " << repository.timestamp.version
              << ", " << repository.targets.targets.size() << " targets"
              << (options.checkTargets
                      ? " (" + std::to_string(repository.targetBytesChecked) + " bytes checked)"
                      : " (not checked)")
              << "\n";
    printExpirations(repository, options.now);
    return 0;
}

int runCheckExpirations(const Project& project, const GlobalOptions& global,
                        const RepoCommand& command) {
    std::string rootPath = trustedRootPath(project, command);
    RepositoryLocation location = locateRepository(project, command, global.arch);
    VerifyOptions options;
    options.now = unixNow();
    options.enforceExpiration = false;
    options.checkTargets = false;
    VerifiedRepository repository =
        verifyRepository(readTrustedRoot(rootPath), rootPath, *location.source, options);
    int64_t limit = parseStartTime(command.within, options.now, {"--expiration-limit"});
    printExpirations(repository, options.now);
    int found = 0;
    for (const auto& [role, expires] : roleExpirations(repository)) {
        if (expires > limit)
            continue;
        ++found;
        std::cerr << "twoliter: " << (expires <= options.now ? "error" : "warning") << ": "
                  << location.description << ": " << role
                  << (expires <= options.now ? " expired at " : " expires at ")
                  << formatRfc3339(expires) << "\n";
    }
    return found == 0 ? 0 : 1;
}

int runRefresh(const Project& project, const GlobalOptions& global, const RepoCommand& command) {
    std::string rootPath = trustedRootPath(project, command);
    RepositoryLocation location = locateRepository(project, command, global.arch);
    if (location.localMetadata.empty() && command.outdir.empty()) {
        throw Error("a repository read from a URL is refreshed into a folder",
                    {location.description}, "pass --outdir");
    }
    RepoRefreshOptions options;
    options.variant = command.variant;
    options.arch = global.arch;
    options.expiration = expirationPolicy(command);
    options.now = unixNow();
    options.startTime = startTime(command, options.now);
    options.trustedRootPath = rootPath;
    options.trustedRoot = readTrustedRoot(rootPath);
    std::vector<SigningKey> keys =
        loadRepoSigningKeys(project, command.repo, absolutePaths(command.signingKeys));
    options.keys = pointers(keys);
    options.source = location.source.get();
    options.allowExpired = command.unsafeRefresh;
    options.outputDirectory = command.outdir.empty() ? "" : fromCurrentDirectory(command.outdir);
    options.sourceMetadataDirectory = location.localMetadata;
    RepoWriteResult result = refreshUpdateRepository(options);
    for (const auto& warning : result.warnings)
        std::cerr << "twoliter: warning: " << warning << "\n";
    std::cerr << "twoliter: repository " << location.description << " refreshed: metadata version "
              << result.version << "\n";
    std::cout << result.metadataDirectory << "\n";
    return 0;
}

}  // namespace

int runRepo(const GlobalOptions& options, const RepoCommand& command) {
    Project project = openProject(options);
    if (command.action == "init")
        return runInit(project, command);
    if (command.action == "create")
        return runCreate(project, options, command);
    if (command.action == "validate")
        return runValidate(project, options, command);
    if (command.action == "check-expirations")
        return runCheckExpirations(project, options, command);
    return runRefresh(project, options, command);
}

}  // namespace twoliter::cli
