// Kits: `build kit` (after its packages are built), `publish kit`, `update`
// and `fetch`.
#include <filesystem>
#include <iostream>

#include "build/kit_builder.h"
#include "build/kit_trust.h"
#include "build/source_date.h"
#include "command_support.h"
#include "kit/kit_fetch.h"
#include "kit/kit_lock.h"
#include "kit/kit_publish.h"
#include "oci/registry_client.h"
#include "project/lock_writer.h"
#include "util/file_lock.h"
#include "util/files.h"

namespace fs = std::filesystem;

namespace twoliter::cli {

namespace {

void say(const std::string& message) {
    std::cerr << "twoliter: " << message << "\n";
}

// Kits of this project the kit depends on ([build-dependencies] naming a
// kit folder), at this project's version and the kit's vendor.
std::vector<LockedImage> localKitDependencies(const Project& project, const KitManifest& kit) {
    std::vector<LockedImage> kits;
    for (const auto& dependency : kit.buildDependencies) {
        for (const auto& other : project.kits) {
            if (other.directory == dependency.directory)
                kits.push_back({other.name, project.config.releaseVersion, other.vendor, "", ""});
        }
    }
    return kits;
}

// The registry a vendor publishes to: Infra.toml's [vendor.<id>] as upstream
// reads it, else Twoliter.toml's.
std::string vendorRegistry(const Project& project, const std::string& vendor) {
    if (project.infra) {
        auto registry = project.infra->vendorRegistries.find(vendor);
        if (registry != project.infra->vendorRegistries.end())
            return registry->second;
    }
    auto registry = project.config.vendorRegistries.find(vendor);
    if (registry == project.config.vendorRegistries.end()) {
        throw Error(
            "vendor '" + vendor + "' has no registry", {"Twoliter.toml"},
            "add [vendor." + vendor + "] registry = \"...\" to Twoliter.toml or Infra.toml");
    }
    return registry->second;
}

const LockedImage* lockedKit(const Project& project, const ImageRef& kit) {
    if (!project.lock)
        return nullptr;
    for (const auto& locked : project.lock->kits) {
        if (locked.name == kit.name && locked.vendor == kit.vendor)
            return &locked;
    }
    return nullptr;
}

bool givenAsSource(const GlobalOptions& options, const std::string& kit) {
    for (const auto& source : options.kitSources) {
        if (source.rfind(kit + "=", 0) == 0)
            return true;
    }
    return false;
}

// Verifies each fetched kit whose vendor has a signing-key and that has not
// been verified for its locked digest yet.
void verifyKits(const Project& project, const std::string& arch) {
    for (const auto& locked : project.lock->kits) {
        auto key = project.config.vendorSigningKeys.find(locked.vendor);
        if (key == project.config.vendorSigningKeys.end())
            continue;
        std::string directory = externalKitDir(project.buildDirectory(), locked, arch);
        if (kitVerified(directory, key->second, locked.digest))
            continue;
        verifyFetchedKit(directory, key->second, locked.digest);
        say("verified kit " + locked.name + " against vendor " + locked.vendor + "'s key");
    }
}

int fetchLockedKits(const Project& project, const std::string& arch) {
    RegistryClient client;
    FetchSummary summary = fetchKits(project.buildDirectory(), *project.lock, arch, client, say);
    verifyKits(project, arch);
    return summary.fetched;
}

}  // namespace

void prepareKits(const GlobalOptions& options, const Project& project) {
    bool needed = false;
    for (const auto& kit : project.config.kits)
        needed = needed || !givenAsSource(options, kit.name);
    if (!needed)
        return;
    if (!project.lock) {
        throw Error("Twoliter.toml names kits but there is no Twoliter.lock", {"Twoliter.toml"},
                    "run 'twoliter update' to resolve them");
    }
    for (const auto& kit : project.config.kits) {
        if (!givenAsSource(options, kit.name) && !lockedKit(project, kit)) {
            throw Error("Twoliter.lock does not pin kit '" + kit.name + "'", kit.location,
                        "run 'twoliter update'");
        }
    }
    fetchLockedKits(project, options.arch);
}

int finishKitBuild(const GlobalOptions& options, const Project& project, const BuildPlan& plan,
                   const BuildReport& report) {
    const KitManifest* kit = project.findKit(plan.target);
    KitAssembly assembly;
    assembly.kitName = kit->name;
    assembly.vendor = kit->vendor;
    assembly.version = project.config.releaseVersion;
    assembly.buildId = buildId(project.root);
    assembly.arch = parseArch(options.arch, {"--arch"});
    assembly.sourceDateEpoch = std::stoll(sourceDateEpoch(project.root));
    assembly.rpmDirectory = project.buildDirectory() + "/rpms";
    assembly.kitsDirectory = project.buildDirectory() + "/kits";
    assembly.signing = effectiveSigning(project.config);
    if (project.lock) {
        assembly.sdk = project.lock->sdk;
        assembly.dependentKits = localKitDependencies(project, *kit);
        for (const auto& external : project.lock->kits)
            assembly.dependentKits.push_back(external);
    }
    std::vector<KitPackage> packages;
    for (const auto& [package, rpms] : report.outputs)
        packages.push_back({project.packages[package].packageName, rpms});
    // build/kits/ is written under the project lock, as build/rpms/ is: two
    // runs syncing one kit's folder at once would remove each other's files.
    FileLock lock(project.buildDirectory() + "/state/lock", [](const std::string& holder) {
        say("waiting for " + holder + ", which is building this project");
    });
    KitOutputs outputs = assembleKit(assembly, packages);
    say("kit " + kit->name + ": " + std::to_string(outputs.rpms) + " RPMs in " +
        project.display(outputs.repository) + " (" + std::to_string(outputs.rpmsRead) +
        " read, the rest unchanged)" + (outputs.signedRepository ? ", signed" : ", not signed"));
    std::cout << outputs.imageTar << "\n";
    return 0;
}

int runPublishKit(const GlobalOptions& options, const std::string& kitName,
                  const std::string& vendor) {
    Project project = openProject(options);
    const KitManifest* kit = project.findKit(kitName);
    if (!kit)
        throw Error("no kit named '" + kitName + "'", {"kits/"});
    std::string version = project.config.releaseVersion;
    std::string build = buildId(project.root);
    auto tars = findKitImageTars(project.buildDirectory() + "/kits/" + kit->name, kit->name,
                                 version, build);
    if (tars.empty()) {
        throw Error("no image of kit '" + kit->name + "' v" + version + "-" + build + " in " +
                        project.display(project.buildDirectory() + "/kits/" + kit->name),
                    {}, "run 'twoliter build kit " + kit->name + "' first");
    }
    RegistryClient client;
    PublishedKit published =
        publishKit(tars, vendorRegistry(project, vendor), kit->name, version, build, client, say);
    say("published " + published.reference + " (" + std::to_string(tars.size()) + " arch" +
        (tars.size() == 1 ? "" : "es") + ")");
    std::cout << published.reference << "@" << published.indexDigest << "\n";
    return 0;
}

int runUpdate(const GlobalOptions& options) {
    Project project = openProject(options);
    RegistryClient client;
    TwoliterLock lock = resolveLock(project.config, client, say);
    std::string path = project.root + "/Twoliter.lock";
    writeFileAtomic(path, formatTwoliterLock(lock));
    say("Twoliter.lock: " + (lock.sdk ? lock.sdk->name + " " + lock.sdk->version : "no SDK") +
        ", " + std::to_string(lock.kits.size()) + " kit" + (lock.kits.size() == 1 ? "" : "s"));
    return 0;
}

int runFetch(const GlobalOptions& options) {
    Project project = openProject(options);
    if (!project.lock) {
        throw Error("there is no Twoliter.lock to fetch kits from", {"Twoliter.toml"},
                    "run 'twoliter update' first");
    }
    int fetched = fetchLockedKits(project, options.arch);
    say(std::to_string(fetched) + " of " + std::to_string(project.lock->kits.size()) +
        " kits fetched, the rest were up to date");
    return 0;
}

}  // namespace twoliter::cli
