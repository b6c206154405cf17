#include "build/image_session.h"

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "build/image_builder.h"
#include "build/package_builder.h"
#include "build/variant_metadata.h"
#include "cache/cache_pruning.h"
#include "cache/content_store.h"
#include "util/digest.h"
#include "util/file_lock.h"
#include "util/files.h"

namespace fs = std::filesystem;

namespace twoliter {

namespace {

// The key file in a version folder: which action's artifacts it holds.
constexpr const char* kKeyFile = ".image-key";

struct ImageRpm {
    std::string fileName;
    std::string path;
    std::string sha256;
};

std::string sdkMacrosInside(Arch arch) {
    return std::string("/usr/lib/rpm/platform/") + archName(arch) + "-bottlerocket/macros";
}

// Every RPM the image installs, with its digest. Corrupt cache entries met
// on the way are appended to warnings.
std::vector<ImageRpm> imageRpms(const Planner& planner, const BuildPlan& plan,
                                const BuildReport& report, const ImageBuildOptions& options,
                                const VariantManifest& variant, const std::string& stateDirectory,
                                SandboxRunner& sandbox, std::vector<std::string>& warnings) {
    const Project& project = planner.project();
    std::vector<ImageRpm> rpms;
    for (const auto& package : plan.imagePackages) {
        std::string file = rpmFileName(package.name, package.evr, package.arch);
        if (package.origin == PackageOrigin::Kit) {
            rpms.push_back(
                {fs::path(package.rpmPath).filename().string(), package.rpmPath, package.sha256});
            if (package.rpmPath.empty())
                throw Error("the image needs " + package.name + " from kit " + package.repository +
                            ", which is given as a source tree");
            continue;
        }
        if (package.origin == PackageOrigin::Metadata) {
            MetadataRpmSettings settings{planner.osPrefix(),
                                         options.sdkRootfs,
                                         options.sdkDigest,
                                         sdkMacrosInside(planner.arch()),
                                         archName(planner.arch()),
                                         std::to_string(options.sourceDateEpoch),
                                         stateDirectory + "/metadata-work",
                                         stateDirectory + "/metadata-rpm.log"};
            ContentStore store(options.cacheDirectory);
            ActionCache actions(options.cacheDirectory);
            StoredRpm stored = buildVariantMetadataRpm(variant, settings, store, actions, sandbox);
            rpms.push_back({stored.fileName, store.pathOf(stored.sha256), stored.sha256});
            warnings.insert(warnings.end(), stored.warnings.begin(), stored.warnings.end());
            continue;
        }
        const std::string& producer = project.packages[package.specIndex].packageName;
        auto outputs = report.outputs.find(package.specIndex);
        if (outputs == report.outputs.end() || !outputs->second.count(file)) {
            throw Error("the image needs " + file + ", which " + producer + " did not produce");
        }
        rpms.push_back({file, project.buildDirectory() + "/rpms/" + producer + "/" + file,
                        outputs->second.at(file)});
    }
    std::sort(rpms.begin(), rpms.end(),
              [](const ImageRpm& a, const ImageRpm& b) { return a.fileName < b.fileName; });
    return rpms;
}

std::string imageKey(const VariantManifest& variant, const ImageIdentity& identity,
                     const ImageBuildOptions& options, const std::vector<ImageRpm>& rpms) {
    Sha256 key;
    key.addField("variant-image-v1");
    for (const auto& field :
         {options.sdkDigest, std::string(archName(identity.arch)), identity.name,
          identity.prettyName, identity.variant, identity.versionId, identity.buildId,
          std::to_string(options.sourceDateEpoch),
          std::string(options.compression == ImageCompression::Lz4 ? "lz4" : "zstd"),
          variant.metadataDigest}) {
        key.addField(field);
    }
    std::string ovf = variant.directory + "/template.ovf";
    key.addField(isRegularFile(ovf) ? sha256FileHex(ovf) : "no template.ovf");
    key.addField("root.json:" + sha256Hex(options.updogRootJson));
    for (const char* certificate : {"/PK.crt", "/KEK.crt", "/db.crt"}) {
        std::string path = options.secureBootKeysDirectory + certificate;
        key.addField(isRegularFile(path) ? sha256FileHex(path) : "none");
    }
    for (const auto& rpm : rpms) {
        key.addField(rpm.fileName);
        key.addField(rpm.sha256);
    }
    return key.hex();
}

bool holdsBuild(const std::string& directory, const std::string& key,
                const std::vector<Artifact>& artifacts) {
    std::string keyFile = directory + "/" + kKeyFile;
    if (!isRegularFile(keyFile) || readFile(keyFile) != key + "\n")
        return false;
    return std::all_of(artifacts.begin(), artifacts.end(), [&](const Artifact& artifact) {
        return isRegularFile(directory + "/" + artifact.fileName);
    });
}

// Copies (never links: images get written to, and the cache must not
// change with them) each artifact out of the store into a fresh folder.
void copyFromStore(const ContentStore& store, const ActionRecord& record,
                   const std::string& directory) {
    for (const auto& output : record.outputs) {
        fs::copy_file(store.pathOf(output.digest), directory + "/" + output.name);
        fs::permissions(directory + "/" + output.name, fs::perms::owner_write,
                        fs::perm_options::add);
    }
}

// Replaces the version folder by fresh (a sibling), then makes the links.
void publish(const std::string& fresh, const std::string& directory, const std::string& key,
             const ImageIdentity& identity, const std::vector<Artifact>& artifacts) {
    writeFileAtomic(fresh + "/" + kKeyFile, key + "\n");
    linkArtifacts(fresh, identity, artifacts);
    std::string old = directory + ".old-" + uniqueSuffix();
    std::error_code ignored;
    fs::rename(directory, old, ignored);
    fs::rename(fresh, directory);
    fs::remove_all(old, ignored);
    linkLatest(fs::path(directory).parent_path().string(), identity.versionDirectory());
}

}  // namespace

ImageBuildOutcome buildVariantImage(const Planner& planner, const BuildPlan& plan,
                                    const BuildReport& report, const ImageBuildOptions& options,
                                    SandboxRunner& sandbox) {
    const Project& project = planner.project();
    const VariantManifest& variant = *project.findVariant(plan.target);
    std::string stateDirectory =
        project.buildDirectory() + "/state/" + archName(planner.arch()) + "/images/" + variant.name;
    fs::create_directories(stateDirectory);
    FileLock lock(project.buildDirectory() + "/state/lock", [&](const std::string& holder) {
        if (options.progress)
            options.progress("waiting for " + holder + ", which is building this project");
    });
    // Shared, as runBuild holds it: a prune must not remove the metadata RPM
    // or the artifacts between their insertion and their use.
    FileLock cacheLock(
        cacheLockPath(options.cacheDirectory),
        [&](const std::string& holder) {
            if (options.progress)
                options.progress("waiting for " + holder + ", which is pruning the cache");
        },
        FileLock::Mode::Shared);

    ImageIdentity identity;
    identity.variant = variant.name;
    identity.arch = planner.arch();
    identity.versionId = options.versionId;
    identity.buildId = options.buildId;
    ImageBuildOutcome outcome;
    outcome.artifacts = variantArtifacts(identity, variant.imageFormat,
                                         variant.imageLayout.partitionPlan, options.compression);
    outcome.directory = project.buildDirectory() + "/images/" + identity.variantDirectory() + "/" +
                        identity.versionDirectory();
    // Version folders and links a killed run was writing.
    removeAbandonedTemporaries(fs::path(outcome.directory).parent_path().string());
    outcome.logPath = project.buildDirectory() + "/logs/" + archName(planner.arch()) + "/image-" +
                      variant.name + ".log";
    std::vector<ImageRpm> rpms = imageRpms(planner, plan, report, options, variant, stateDirectory,
                                           sandbox, outcome.warnings);
    std::string key = imageKey(variant, identity, options, rpms);
    if (holdsBuild(outcome.directory, key, outcome.artifacts)) {
        outcome.upToDate = true;
        return outcome;
    }

    ContentStore store(options.cacheDirectory);
    ActionCache actions(options.cacheDirectory);
    std::string fresh = outcome.directory + ".tmp-" + uniqueSuffix();
    fs::create_directories(fresh);
    try {
        auto record = actions.find(key);
        std::vector<std::string> corrupt;
        bool cached = record && outputsIntact(store, record->outputs, corrupt);
        for (const auto& path : corrupt)
            outcome.warnings.push_back(
                "cache entry " + path + " of image " + variant.name +
                " does not match its digest: discarded, rebuilding the image");
        if (cached) {
            copyFromStore(store, *record, fresh);
            outcome.fromCache = true;
        } else {
            fs::create_directories(fs::path(outcome.logPath).parent_path());
            writeFileAtomic(outcome.logPath, "");
            ImageRequest request;
            request.variant = &variant;
            request.identity = identity;
            for (const auto& rpm : rpms)
                request.rpmFiles.push_back(rpm.path);
            request.toolsRootfs = options.sdkRootfs;
            request.workDirectory = stateDirectory + "/work";
            request.logPath = outcome.logPath;
            request.outputDirectory = fresh;
            request.secureBootKeysDirectory = options.secureBootKeysDirectory;
            request.updogRootJson = options.updogRootJson;
            request.seed = key;
            request.epoch = options.sourceDateEpoch;
            request.compression = options.compression;
            request.compressionWorkers = std::max(1, options.jobs);
            request.progress = options.progress;
            auto start = std::chrono::steady_clock::now();
            ImageArtifacts built = assembleVariantImage(sandbox, request);
            outcome.warnings.insert(outcome.warnings.end(), built.warnings.begin(),
                                    built.warnings.end());
            ActionRecord stored;
            for (const auto& artifact : built.artifacts) {
                std::string path = fresh + "/" + artifact.fileName;
                stored.outputs.push_back({artifact.fileName, store.put(path),
                                          static_cast<uint64_t>(fs::file_size(path))});
            }
            stored.seconds =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            actions.store(key, stored);
        }
        publish(fresh, outcome.directory, key, identity, outcome.artifacts);
    } catch (...) {
        std::error_code ignored;
        fs::remove_all(fresh, ignored);
        throw;
    }
    return outcome;
}

}  // namespace twoliter
