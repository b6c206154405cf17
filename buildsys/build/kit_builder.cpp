#include "build/kit_builder.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>
#include <sstream>

#include "kit/kit_image.h"
#include "repo/repo_signing.h"
#include "repo/rpm_repository.h"
#include "util/digest.h"
#include "util/files.h"
#include "util/strings.h"

namespace fs = std::filesystem;

namespace twoliter {

namespace {

constexpr const char* kSourcesFile = ".kit-sources";

// Upstream leaves debug packages out of kits.
bool belongsInKit(const std::string& file, Arch arch) {
    if (file.find("-debuginfo-") != std::string::npos ||
        file.find("-debugsource-") != std::string::npos) {
        return false;
    }
    return endsWith(file, std::string(".") + archName(arch) + ".rpm") ||
           endsWith(file, ".noarch.rpm");
}

// Packages/<package>/<file> -> the SHA-256 of the build output it is a copy of.
using SourceMap = std::map<std::string, std::string>;

// The record of the last assembly. Its first line says how RPMs were
// signed; a different signing setup invalidates every entry.
SourceMap readSources(const std::string& path, const std::string& signingLine) {
    SourceMap sources;
    if (!isRegularFile(path))
        return sources;
    std::istringstream in(readFile(path));
    std::string line;
    if (!std::getline(in, line) || line != signingLine)
        return sources;
    while (std::getline(in, line)) {
        size_t space = line.rfind(' ');
        if (space != std::string::npos)
            sources[line.substr(0, space)] = line.substr(space + 1);
    }
    return sources;
}

void writeSources(const std::string& path, const std::string& signingLine,
                  const SourceMap& sources) {
    std::string text = signingLine + "\n";
    for (const auto& [file, digest] : sources)
        text += file + " " + digest + "\n";
    writeFileAtomic(path, text);
}

// Copies from to to through a temporary name (a copy, not a link: signing
// must not touch the build output, which shares its inode with the cache).
void copyInto(const std::string& from, const std::string& to) {
    std::string temporary = to + ".tmp-" + uniqueSuffix();
    fs::copy_file(from, temporary);
    fs::rename(temporary, to);
}

// Removes what the kit no longer holds: files, then empty package folders.
void removeStale(const std::string& packagesDirectory, const SourceMap& wanted) {
    if (!isDirectory(packagesDirectory))
        return;
    for (const auto& folder : fs::directory_iterator(packagesDirectory)) {
        std::string package = folder.path().filename().string();
        if (!folder.is_directory()) {
            fs::remove(folder.path());
            continue;
        }
        for (const auto& file : fs::directory_iterator(folder.path())) {
            if (!wanted.count(package + "/" + file.path().filename().string()))
                fs::remove(file.path());
        }
        if (fs::is_empty(folder.path()))
            fs::remove(folder.path());
    }
}

void setFileTime(const std::string& path, int64_t epoch) {
    struct timespec times[2] = {{static_cast<time_t>(epoch), 0}, {static_cast<time_t>(epoch), 0}};
    if (::utimensat(AT_FDCWD, path.c_str(), times, 0) != 0)
        throw Error(std::string("cannot set the file time: ") + std::strerror(errno), {path});
}

std::string signingLine(const KitAssembly& assembly) {
    if (!assembly.signing || !assembly.signing->signRpms)
        return "rpms: unsigned";
    return "rpms: signed by " + sha256FileHex(assembly.signing->secretKeyPath);
}

// Brings Packages/ to exactly the wanted RPMs; returns them, sorted.
SourceMap syncPackages(const KitAssembly& assembly, const std::vector<KitPackage>& packages,
                       const std::string& repository) {
    SourceMap wanted;
    std::map<std::string, std::string> origin;  // Packages-relative -> build output
    for (const auto& package : packages) {
        for (const auto& [file, digest] : package.rpms) {
            if (!belongsInKit(file, assembly.arch))
                continue;
            wanted[package.name + "/" + file] = digest;
            origin[package.name + "/" + file] =
                assembly.rpmDirectory + "/" + package.name + "/" + file;
        }
    }
    std::string line = signingLine(assembly);
    std::string recordPath = repository + "/" + kSourcesFile;
    SourceMap previous = readSources(recordPath, line);
    std::string packagesDirectory = repository + "/Packages";
    removeStale(packagesDirectory, wanted);
    std::vector<std::string> toSign;
    for (const auto& [file, digest] : wanted) {
        std::string target = packagesDirectory + "/" + file;
        auto known = previous.find(file);
        if (known != previous.end() && known->second == digest && isRegularFile(target))
            continue;
        fs::create_directories(fs::path(target).parent_path());
        copyInto(origin[file], target);
        toSign.push_back(target);
    }
    if (assembly.signing && assembly.signing->signRpms && !toSign.empty())
        signRpms(toSign, assembly.signing->secretKeyPath, assembly.sourceDateEpoch);
    // The repository lists each RPM's file time: the epoch, for the same
    // metadata on every machine.
    for (const auto& file : toSign)
        setFileTime(file, assembly.sourceDateEpoch);
    writeSources(recordPath, line, wanted);
    return wanted;
}

}  // namespace

std::optional<RepoSigning> effectiveSigning(const TwoliterConfig& config) {
    std::optional<RepoSigning> signing = config.signing;
    if (const char* key = std::getenv("TWOLITER_SIGNING_KEY"); key && *key) {
        if (!signing)
            signing = RepoSigning{};
        signing->secretKeyPath = absolutePath(key, fs::current_path().string());
        signing->location = {"TWOLITER_SIGNING_KEY"};
    }
    if (signing && !isRegularFile(signing->secretKeyPath)) {
        throw Error("no signing key at " + signing->secretKeyPath, signing->location);
    }
    return signing;
}

KitOutputs assembleKit(const KitAssembly& assembly, const std::vector<KitPackage>& packages) {
    KitOutputs outputs;
    std::string kitDirectory = assembly.kitsDirectory + "/" + assembly.kitName;
    outputs.repository = kitDirectory + "/" + archName(assembly.arch);
    fs::create_directories(outputs.repository);
    // A killed run's repodata.tmp-*, layout and archive temporaries.
    removeAbandonedTemporaries(kitDirectory);
    removeAbandonedTemporaries(outputs.repository);
    SourceMap rpms = syncPackages(assembly, packages, outputs.repository);
    if (rpms.empty()) {
        throw Error("kit '" + assembly.kitName + "' has no RPMs for " + archName(assembly.arch));
    }
    RepositoryOptions options;
    options.epoch = assembly.sourceDateEpoch;
    if (assembly.signing)
        options.signingKey = assembly.signing->secretKeyPath;
    RepositoryStats stats = writeRpmRepository(outputs.repository, options);
    outputs.rpms = stats.packages;
    outputs.rpmsRead = stats.read;
    outputs.signedRepository = assembly.signing.has_value();

    KitImageInput image;
    image.repositoryDir = outputs.repository;
    image.metadata.name = assembly.kitName;
    image.metadata.version = assembly.version;
    if (assembly.sdk)
        image.metadata.sdk = *assembly.sdk;
    for (const auto& kit : assembly.dependentKits)
        image.metadata.kits.push_back({kit.name, kit.version, kit.vendor});
    image.arch = archName(assembly.arch);
    image.sourceDateEpoch = assembly.sourceDateEpoch;
    image.outputTar = kitDirectory + "/" +
                      kitImageFileName(assembly.kitName, assembly.version, assembly.buildId,
                                       archName(assembly.arch));
    outputs.imageTar = writeKitImage(image).tarPath;
    return outputs;
}

}  // namespace twoliter
