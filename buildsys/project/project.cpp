#include "project/project.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <unordered_set>

#include "project/manifest_cache.h"
#include "project/manifest_reader.h"
#include "util/files.h"
#include "util/strings.h"

namespace fs = std::filesystem;

namespace twoliter {

const PackageManifest* Project::findPackage(const std::string& name) const {
    for (const auto& package : packages) {
        if (package.packageName == name || package.cargoName == name ||
            fs::path(package.directory).filename() == name) {
            return &package;
        }
    }
    return nullptr;
}

const VariantManifest* Project::findVariant(const std::string& name) const {
    for (const auto& variant : variants) {
        if (variant.name == name || variant.cargoName == name)
            return &variant;
    }
    return nullptr;
}

const KitManifest* Project::findKit(const std::string& name) const {
    for (const auto& kit : kits) {
        if (kit.name == name || kit.cargoName == name ||
            fs::path(kit.directory).filename() == name) {
            return &kit;
        }
    }
    return nullptr;
}

std::string Project::display(const std::string& path) const {
    return relativePath(path, root);
}

std::string findProjectRoot(const std::string& start) {
    fs::path directory = fs::absolute(start).lexically_normal();
    while (true) {
        if (isRegularFile((directory / "Twoliter.toml").string()))
            return directory.string();
        if (!directory.has_parent_path() || directory.parent_path() == directory)
            break;
        directory = directory.parent_path();
    }
    throw Error("no Twoliter.toml found in " + fs::absolute(start).string() + " or above", {},
                "run inside a project or pass --project-path");
}

namespace {

// Cargo.toml files of the direct subdirectories of <root>/<folder>.
std::vector<std::string> memberManifests(const std::string& root, const std::string& folder) {
    std::vector<std::string> manifests;
    for (const auto& name : listSubdirectories(root + "/" + folder)) {
        std::string manifest = root + "/" + folder + "/" + name + "/Cargo.toml";
        if (isRegularFile(manifest))
            manifests.push_back(manifest);
    }
    return manifests;
}

void loadMembers(Project& project, ManifestCache& cache) {
    for (const auto& path : memberManifests(project.root, "packages")) {
        CargoManifest manifest = cache.read(path, project.display(path));
        if (!manifest.package) {
            project.warnings.push_back(
                project.display(path) +
                ": no [package.metadata.build-package]; treated as a package");
            PackageManifest package;
            package.directory = fs::path(path).parent_path().string();
            package.manifestPath = path;
            package.cargoName = package.packageName = manifest.cargoName;
            manifest.package = package;
        }
        project.packages.push_back(*manifest.package);
    }
    for (const auto& path : memberManifests(project.root, "variants")) {
        CargoManifest manifest = cache.read(path, project.display(path));
        if (!manifest.variant) {
            throw Error("missing [package.metadata.build-variant]", {project.display(path)});
        }
        parseVariantName(manifest.variant->name, {project.display(path)});
        project.variants.push_back(*manifest.variant);
    }
    for (const auto& path : memberManifests(project.root, "kits")) {
        CargoManifest manifest = cache.read(path, project.display(path));
        if (!manifest.kit)
            throw Error("missing [package.metadata.build-kit]", {project.display(path)});
        project.kits.push_back(*manifest.kit);
    }
}

void checkPackages(const Project& project) {
    std::map<std::string, std::string> owners;
    for (const auto& package : project.packages) {
        std::string manifest = project.display(package.manifestPath);
        auto [it, inserted] = owners.emplace(package.packageName, manifest);
        if (!inserted) {
            throw Error("package name '" + package.packageName + "' is also used by " + it->second,
                        {manifest, 0, "package.metadata.build-package.package-name"});
        }
        if (!isRegularFile(package.specPath())) {
            throw Error("missing spec file " + project.display(package.specPath()),
                        {manifest, 0, "package.name"},
                        "the spec must be named after the package (package-name overrides it)");
        }
    }
}

// The directories of a project's packages and kits, for looking path
// dependencies up in constant time.
struct MemberDirectories {
    std::unordered_set<std::string> packages;
    std::unordered_set<std::string> kits;
};

MemberDirectories memberDirectories(const Project& project) {
    MemberDirectories directories;
    for (const auto& package : project.packages)
        directories.packages.insert(package.directory);
    for (const auto& kit : project.kits)
        directories.kits.insert(kit.directory);
    return directories;
}

void checkDependencies(const Project& project, const MemberDirectories& members,
                       const std::vector<PathDependency>& dependencies, bool kitsAllowed) {
    for (const auto& dependency : dependencies) {
        if (members.packages.count(dependency.directory))
            continue;
        if (kitsAllowed && members.kits.count(dependency.directory))
            continue;
        throw Error("path " + project.display(dependency.directory) + " is not a package" +
                        (kitsAllowed ? " or kit" : "") + " of this project",
                    dependency.location);
    }
}

void checkLock(const Project& project) {
    if (!project.lock)
        return;
    std::string lockName = project.display(project.lock->path);
    auto same = [](const ImageRef& wanted, const LockedImage& locked) {
        return wanted.name == locked.name && wanted.version == locked.version &&
               wanted.vendor == locked.vendor;
    };
    bool sdkMatches =
        !project.config.sdk || (project.lock->sdk && same(*project.config.sdk, *project.lock->sdk));
    bool kitsMatch = project.config.kits.size() <= project.lock->kits.size();
    for (const auto& kit : project.config.kits) {
        kitsMatch =
            kitsMatch && std::any_of(project.lock->kits.begin(), project.lock->kits.end(),
                                     [&](const LockedImage& locked) { return same(kit, locked); });
    }
    if (!sdkMatches || !kitsMatch) {
        throw Error("Twoliter.lock does not match the sdk and kits of Twoliter.toml", {lockName},
                    "run 'twoliter update' after changing [sdk] or [[kit]]");
    }
}

}  // namespace

Project loadProject(const std::string& rootPath) {
    Project project;
    project.root = fs::absolute(rootPath).lexically_normal().string();
    if (project.root.size() > 1 && project.root.back() == '/')
        project.root.pop_back();
    std::string configPath = project.root + "/Twoliter.toml";
    project.config = readTwoliterConfig(configPath, project.display(configPath));
    for (const char* name : {"Twoliter.lock", "Release.toml", "Infra.toml"}) {
        std::string path = project.root + "/" + name;
        if (!isRegularFile(path))
            continue;
        std::string shown = project.display(path);
        if (std::string(name) == "Twoliter.lock")
            project.lock = readTwoliterLock(path, shown);
        if (std::string(name) == "Release.toml")
            project.release = readReleaseConfig(path, shown);
        if (std::string(name) == "Infra.toml")
            project.infra = readInfraConfig(path, shown);
    }
    if (project.release && project.release->version != project.config.releaseVersion) {
        throw Error("version '" + project.release->version +
                        "' differs from Twoliter.toml's release-version '" +
                        project.config.releaseVersion + "'",
                    {"Release.toml", 0, "version"});
    }
    ManifestCache cache(project.buildDirectory() + "/state/manifest-cache");
    loadMembers(project, cache);
    checkPackages(project);
    MemberDirectories members = memberDirectories(project);
    for (const auto& package : project.packages) {
        checkDependencies(project, members, package.buildDependencies, false);
        checkDependencies(project, members, package.dependencies, false);
    }
    for (const auto& variant : project.variants)
        checkDependencies(project, members, variant.buildDependencies, true);
    for (const auto& kit : project.kits)
        checkDependencies(project, members, kit.buildDependencies, true);
    checkLock(project);
    cache.save();
    return project;
}

}  // namespace twoliter
