#include "build/planner.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "build/kit_trust.h"
#include "spec/sdk.h"
#include "spec/spec_cache.h"
#include "spec/spec_parser.h"
#include "util/binary_codec.h"
#include "util/digest.h"
#include "util/files.h"
#include "util/strings.h"

namespace twoliter {

size_t BuildPlan::packageCount() const {
    size_t count = 0;
    for (const auto& level : levels)
        count += level.size();
    return count;
}

Planner::Planner(const Project& project, PlannerOptions options)
    : project_(project), options_(std::move(options)) {}

Planner::~Planner() = default;

void Planner::load() {
    loadSpecs();
    loadResolver();
    loadBuildRoots();
    checkCargoEdges();
    cache_->save();
}

namespace {

MacroContext macroContextFor(const Sdk& sdk, Arch arch) {
    MacroContext context;
    context.arch = arch;
    context.macroFiles = sdk.macroFiles(arch);
    return context;
}

std::string specCachePath(const Project& project, Arch arch) {
    return project.buildDirectory() + "/state/" + archName(arch) + "/spec-cache";
}

// Kit repositories in libsolv's solv format: <kit>-<SHA-256 of repomd.xml>.solv.
std::string solvCacheDirectory(const Project& project, Arch arch) {
    return project.buildDirectory() + "/state/" + archName(arch) + "/solv";
}

// The kit's solv caches for other repomd.xml digests (earlier fetches).
void removeStaleSolvCaches(const std::string& directory, const std::string& kit,
                           const std::string& repomdDigest) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(directory, ec)) {
        std::string name = entry.path().filename().string();
        std::string prefix = kit + "-";
        if (startsWith(name, prefix) && name.size() == prefix.size() + 64 + 5 &&
            name.compare(name.size() - 5, 5, ".solv") == 0 &&
            isSha256Hex(name.substr(prefix.size(), 64)) &&
            name.substr(prefix.size(), 64) != repomdDigest) {
            std::filesystem::remove(entry.path(), ec);
        }
    }
}

}  // namespace

void Planner::loadSpecs() {
    context_ = macroContextFor(Sdk{options_.sdkPath}, options_.arch);
    contextDigest_ = context_.digest();
    const MacroContext& context = context_;
    cache_ = std::make_unique<SpecCache>(specCachePath(project_, options_.arch));
    SpecCache& cache = *cache_;
    std::string prefixKey = SpecCache::keyFor(contextDigest_, "%{?_cross_os}");
    if (auto cached = cache.findText(prefixKey)) {
        osPrefix_ = *cached;
    } else {
        osPrefix_ = expandMacros(context, "%{?_cross_os}");
        if (osPrefix_.empty())
            osPrefix_ = "bottlerocket-";
        cache.storeText(prefixKey, osPrefix_);
    }
    std::vector<Error> errors;
    specs_ = loadProjectSpecs(project_, context, cache, options_.jobs, errors,
                              options_.specProgress, &poolInputs_);
    poolInputs_.push_back(osPrefix_);
    for (const auto& package : project_.packages)
        poolInputs_.push_back(package.directory);
    cacheHits_ = cache.hits();
    throwIfAny(errors);
    for (const auto& spec : specs_) {
        if (spec.parseOutput.empty())
            continue;
        warnings_.push_back(
            project_.display(spec.specPath) +
            ": shell macros printed: " + spec.parseOutput.front() +
            (spec.parseOutput.size() > 1
                 ? " (and " + std::to_string(spec.parseOutput.size() - 1) + " more lines)"
                 : ""));
    }
}

// A kit of a vendor with a signing-key must carry the stamp fetch writes
// after verifying it against that key.
void Planner::requireVerifiedKit(const ImageRef& kit, const std::string& directory) const {
    auto key = project_.config.vendorSigningKeys.find(kit.vendor);
    if (key == project_.config.vendorSigningKeys.end())
        return;
    std::string lockDigest;
    if (project_.lock) {
        for (const auto& locked : project_.lock->kits) {
            if (locked.name == kit.name && locked.vendor == kit.vendor)
                lockDigest = locked.digest;
        }
    }
    if (lockDigest.empty() || !kitVerified(directory, key->second, lockDigest)) {
        throw Error("kit '" + kit.name +
                        "' has not been verified with the signing key of vendor '" + kit.vendor +
                        "'",
                    kit.location, "run 'twoliter fetch', which verifies what it fetches");
    }
}

void Planner::loadResolver() {
    resolver_ = std::make_unique<Resolver>(options_.arch, osPrefix_);
    resolver_->addLocalSpecs(specs_);
    std::map<std::string, std::string> sources(options_.kitSources.begin(),
                                               options_.kitSources.end());
    const MacroContext& context = context_;
    auto addKitSource = [&](const std::string& kit, const std::string& root) {
        Project kitProject = loadProject(root);
        SpecCache cache(specCachePath(project_, options_.arch) + "-kit-" + kit);
        std::vector<Error> errors;
        std::vector<PackageSpec> specs =
            loadProjectSpecs(kitProject, context, cache, options_.jobs, errors, {}, &poolInputs_);
        poolInputs_.push_back("kit-source:" + kit);
        cache.save();
        throwIfAny(errors);
        resolver_->addKitSpecs(kit, specs);
    };
    for (const auto& kit : project_.config.kits) {
        if (sources.count(kit.name)) {
            addKitSource(kit.name, sources[kit.name]);
            sources.erase(kit.name);
            continue;
        }
        std::string directory = project_.buildDirectory() + "/external-kits/" + kit.vendor + "/" +
                                kit.name + "/" + archName(options_.arch);
        if (!isRegularFile(directory + "/repodata/repomd.xml")) {
            throw Error("kit '" + kit.name + "' is not available for " + archName(options_.arch) +
                            ": " + project_.display(directory) + " has no repodata",
                        kit.location,
                        "run 'twoliter fetch', or pass --kit-source " + kit.name +
                            "=PATH to use the kit's source tree");
        }
        requireVerifiedKit(kit, directory);
        std::string repomdDigest = sha256FileHex(directory + "/repodata/repomd.xml");
        std::string solvDirectory = solvCacheDirectory(project_, options_.arch);
        if (resolver_->addKitRepository(kit.name, directory,
                                        solvDirectory + "/" + kit.name + "-" + repomdDigest +
                                            ".solv") == SolvCacheUse::Written) {
            removeStaleSolvCaches(solvDirectory, kit.name, repomdDigest);
        }
        poolInputs_.push_back("kit:" + kit.name + ":" + repomdDigest);
    }
    for (const auto& [kit, root] : sources)
        addKitSource(kit, root);
    std::vector<std::string> provides = Sdk{options_.sdkPath}.provides();
    resolver_->addSdkProvides(provides);
    poolInputs_.push_back("sdk-provides:" + joinStrings(provides, "\n"));
    for (const auto& variant : project_.variants) {
        if (variant.supports(options_.arch))
            resolver_->addVariant(variant);
    }
}

namespace {

// The line of the first BuildRequires mentioning name (without the OS prefix).
int buildRequiresLine(const std::string& specPath, const std::string& name) {
    std::istringstream lines(readFile(specPath));
    int number = 0;
    for (std::string line; std::getline(lines, line);) {
        ++number;
        if (startsWith(lowercase(trimString(line)), "buildrequires") &&
            line.find(name) != std::string::npos) {
            return number;
        }
    }
    return 0;
}

// The capability libsolv could not satisfy in "nothing provides X needed by ...".
std::string missingCapability(const std::string& message) {
    const std::string marker = "nothing provides ";
    size_t at = message.find(marker);
    if (at == std::string::npos)
        return {};
    std::string rest = message.substr(at + marker.size());
    if (startsWith(rest, "requested "))
        rest = rest.substr(std::string("requested ").size());
    return rest.substr(0, rest.find_first_of(" ;"));
}

}  // namespace

// Build roots solved by an earlier run of the same pool, if any: stored in
// the spec cache under a digest of everything the pool holds.
bool Planner::loadCachedBuildRoots(const std::string& key) {
    auto record = cache_->findText(key);
    if (!record)
        return false;
    try {
        BinaryReader in(*record);
        std::vector<PlannedPackage> packages(specs_.size());
        for (auto& package : packages) {
            package.buildRoot.resize(in.getCount());
            for (auto& resolved : package.buildRoot) {
                resolved.name = in.getString();
                resolved.evr = in.getString();
                resolved.arch = in.getString();
                resolved.origin = static_cast<PackageOrigin>(in.getVarint());
                resolved.repository = in.getString();
                resolved.specIndex = in.getVarint();
                resolved.rpmPath = in.getString();
                resolved.sha256 = in.getString();
                if (resolved.origin == PackageOrigin::Local &&
                    resolved.specIndex >= specs_.size()) {
                    return false;
                }
            }
        }
        if (!in.atEnd())
            return false;
        packages_ = std::move(packages);
        return true;
    } catch (const Error&) {
        return false;
    }
}

void Planner::storeBuildRoots(const std::string& key) {
    BinaryWriter out;
    for (const auto& package : packages_) {
        out.putVarint(package.buildRoot.size());
        for (const auto& resolved : package.buildRoot) {
            // The fields one by one, as loadCachedBuildRoots reads them.
            for (const std::string* field : {&resolved.name, &resolved.evr, &resolved.arch})
                out.putString(*field);
            out.putVarint(static_cast<uint64_t>(resolved.origin));
            out.putString(resolved.repository);
            out.putVarint(resolved.specIndex);
            out.putString(resolved.rpmPath);
            out.putString(resolved.sha256);
        }
    }
    cache_->storeText(key, out.bytes());
}

void Planner::addBuildEdges(size_t i, std::vector<Error>& errors) {
    std::set<size_t> dependencies;
    for (const auto& package : packages_[i].buildRoot) {
        if (package.origin == PackageOrigin::Local)
            dependencies.insert(package.specIndex);
    }
    if (dependencies.count(i)) {
        errors.emplace_back("dependency cycle: the build root of " +
                                project_.packages[i].packageName + " includes its own RPMs",
                            Location{project_.display(specs_[i].specPath), 0, "BuildRequires"},
                            "a BuildRequires of the package requires the package itself");
        dependencies.erase(i);
    }
    packages_[i].buildDependencies.assign(dependencies.begin(), dependencies.end());
    for (size_t dependency : dependencies)
        graph_.addEdge(i, dependency);
}

void Planner::loadBuildRoots() {
    std::vector<Error> errors;
    for (size_t i = 0; i < specs_.size(); ++i) {
        graph_.addNode(project_.packages[i].packageName);
    }
    Sha256 pool;
    pool.addField("build-roots-v3");
    for (const auto& input : poolInputs_)
        pool.addField(input);
    std::string key = SpecCache::keyFor(contextDigest_, pool.hex());
    bool cached = loadCachedBuildRoots(key);
    buildRootsReused_ = cached;
    if (!cached)
        packages_.assign(specs_.size(), {});
    for (size_t i = 0; i < specs_.size() && !cached; ++i) {
        try {
            packages_[i].buildRoot = resolver_->resolveBuildRoot(i);
        } catch (const Error& e) {
            std::string missing = missingCapability(e.what());
            std::string shortName =
                startsWith(missing, osPrefix_) ? missing.substr(osPrefix_.size()) : missing;
            int line = missing.empty() ? 0 : buildRequiresLine(specs_[i].specPath, shortName);
            errors.emplace_back(
                e.what(), Location{project_.display(specs_[i].specPath), line, "BuildRequires"});
        }
    }
    for (size_t i = 0; i < specs_.size(); ++i)
        addBuildEdges(i, errors);
    try {
        graph_.checkAcyclic();
    } catch (const Error& e) {
        errors.push_back(e);
    }
    throwIfAny(errors);
    if (!cached)
        storeBuildRoots(key);
}

namespace {

// Whether any BuildRequires line of the spec's text, in any conditional
// branch, names one of other's RPMs (with or without the OS prefix macro).
bool mentionedInBuildRequires(const std::string& specPath, const PackageSpec& other,
                              const std::string& osPrefix) {
    for (const BinaryPackage* binary : other.builtBinaries()) {
        std::string shortName = startsWith(binary->name, osPrefix)
                                    ? binary->name.substr(osPrefix.size())
                                    : binary->name;
        if (buildRequiresLine(specPath, shortName) > 0)
            return true;
    }
    return false;
}

}  // namespace

void Planner::checkCargoEdges() {
    std::map<std::string, size_t> byDirectory;
    for (size_t i = 0; i < project_.packages.size(); ++i)
        byDirectory[project_.packages[i].directory] = i;
    // Cargo's view: direct build-dependencies, then both kinds transitively.
    BuildGraph cargo;
    for (const auto& package : project_.packages)
        cargo.addNode(package.packageName);
    for (size_t i = 0; i < project_.packages.size(); ++i) {
        for (const auto* list :
             {&project_.packages[i].buildDependencies, &project_.packages[i].dependencies}) {
            for (const auto& dependency : *list)
                cargo.addEdge(i, byDirectory.at(dependency.directory));
        }
    }
    for (size_t i = 0; i < project_.packages.size(); ++i) {
        std::set<size_t> declaredClosure;
        std::set<size_t> declaredDirect;
        for (const auto& dependency : project_.packages[i].buildDependencies) {
            size_t target = byDirectory.at(dependency.directory);
            declaredDirect.insert(target);
            for (size_t reached : cargo.closure({target}))
                declaredClosure.insert(reached);
        }
        const auto& derived = packages_[i].buildDependencies;
        for (size_t dependency : derived) {
            if (!declaredClosure.count(dependency))
                disagreements_.push_back({i, dependency, true});
        }
        for (size_t dependency : declaredDirect) {
            // A BuildRequires inside an arch conditional (%if) is absent from
            // this arch's parse, yet Cargo.toml cannot be conditional.
            if (!std::binary_search(derived.begin(), derived.end(), dependency) &&
                !mentionedInBuildRequires(specs_[i].specPath, specs_[dependency], osPrefix_)) {
                disagreements_.push_back({i, dependency, false});
            }
        }
    }
}

const VariantManifest& Planner::variant(const std::string& name) const {
    const VariantManifest* found = project_.findVariant(name);
    if (!found) {
        std::vector<std::string> names;
        for (const auto& variant : project_.variants)
            names.push_back(variant.name);
        std::string suggestion = closestMatch(name, names);
        throw Error("no variant named '" + name + "'", {},
                    suggestion.empty() ? "variants: " + joinStrings(names, ", ")
                                       : "did you mean '" + suggestion + "'?");
    }
    if (!found->supports(options_.arch)) {
        throw Error(std::string("variant ") + name + " does not support " + archName(options_.arch),
                    {project_.display(found->manifestPath), 0, "supported-arches"});
    }
    return *found;
}

std::vector<ResolvedPackage> Planner::resolveVariant(const std::string& name) {
    const VariantManifest& manifest = variant(name);
    try {
        return resolver_->resolveVariant(manifest);
    } catch (const Error& e) {
        Location location = e.location();
        location.file = project_.display(manifest.manifestPath);
        if (location.key.empty())
            location.key = "included-packages";
        throw Error(e.what(), location, e.hint());
    }
}

std::vector<DependencyStep> Planner::explain(const std::string& variantName,
                                             const std::string& package) {
    resolveVariant(variantName);
    try {
        return resolver_->explain(variant(variantName), package);
    } catch (const Error&) {
        // A local source package name ("kubernetes-1.31"): explain the first
        // of its RPMs that the image holds.
        const PackageManifest* local = project_.findPackage(package);
        if (!local)
            throw;
        size_t index = static_cast<size_t>(local - project_.packages.data());
        for (const BinaryPackage* binary : specs_[index].builtBinaries()) {
            try {
                return resolver_->explain(variant(variantName), binary->name);
            } catch (const Error&) {
            }
        }
        throw;
    }
}

BuildPlan Planner::planFor(std::string kind, std::string target, const std::vector<size_t>& roots) {
    BuildPlan plan;
    plan.kind = std::move(kind);
    plan.target = std::move(target);
    std::vector<size_t> subset = graph_.closure(roots);
    if (subset.empty())
        return plan;
    plan.levels = graph_.levels(subset);
    plan.criticalPath = graph_.criticalPath(subset);
    return plan;
}

BuildPlan Planner::planVariant(const std::string& name) {
    std::vector<ResolvedPackage> image = resolveVariant(name);
    std::set<size_t> roots;
    for (const auto& package : image) {
        if (package.origin == PackageOrigin::Local)
            roots.insert(package.specIndex);
    }
    BuildPlan plan = planFor("variant", name, {roots.begin(), roots.end()});
    plan.imagePackages = std::move(image);
    return plan;
}

BuildPlan Planner::planPackage(const std::string& name) {
    const PackageManifest* package = project_.findPackage(name);
    if (!package) {
        std::vector<std::string> names;
        for (const auto& candidate : project_.packages)
            names.push_back(candidate.packageName);
        std::string suggestion = closestMatch(name, names);
        throw Error("no package named '" + name + "'", {},
                    suggestion.empty() ? "" : "did you mean '" + suggestion + "'?");
    }
    auto index = static_cast<size_t>(package - project_.packages.data());
    return planFor("package", package->packageName, {index});
}

BuildPlan Planner::planKit(const std::string& name) {
    const KitManifest* kit = project_.findKit(name);
    if (!kit)
        throw Error("no kit named '" + name + "'");
    // A kit holds its packages' Cargo closure, without crossing into other kits.
    std::map<std::string, size_t> byDirectory;
    for (size_t i = 0; i < project_.packages.size(); ++i)
        byDirectory[project_.packages[i].directory] = i;
    std::vector<size_t> roots;
    std::vector<std::string> pending;
    for (const auto& dependency : kit->buildDependencies)
        pending.push_back(dependency.directory);
    std::set<std::string> seen;
    while (!pending.empty()) {
        std::string directory = pending.back();
        pending.pop_back();
        if (!seen.insert(directory).second || !byDirectory.count(directory))
            continue;
        size_t index = byDirectory[directory];
        roots.push_back(index);
        for (const auto* list : {&project_.packages[index].buildDependencies,
                                 &project_.packages[index].dependencies}) {
            for (const auto& dependency : *list)
                pending.push_back(dependency.directory);
        }
    }
    return planFor("kit", kit->name, roots);
}

BuildPlan Planner::planAll() {
    std::vector<size_t> all(project_.packages.size());
    for (size_t i = 0; i < all.size(); ++i)
        all[i] = i;
    return planFor("project", project_.root, all);
}

}  // namespace twoliter
