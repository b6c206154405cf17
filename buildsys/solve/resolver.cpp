#include "solve/resolver.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include <solv/pool.h>
#include <solv/poolarch.h>
#include <solv/repo.h>
#include <solv/selection.h>
#include <solv/solver.h>
// This libsolvext header lacks extern "C".
extern "C" {
#include <solv/pool_parserpmrichdep.h>
}

#include "solve/kit_repository.h"
#include "util/files.h"
#include "util/strings.h"

namespace twoliter {

namespace {
// Repository priorities: local packages beat every kit, earlier kits beat later ones.
constexpr int kLocalPriority = 1000;
constexpr int kFirstKitPriority = 900;
}  // namespace

struct Resolver::State {
    Pool* pool = nullptr;
    Repo* local = nullptr;
    Repo* sdk = nullptr;
    Repo* metadata = nullptr;
    int nextKitPriority = kFirstKitPriority;
    std::unordered_map<Id, size_t> localSpecIndex;
    std::vector<std::vector<Id>> buildRequires;  // per local spec
    std::vector<std::vector<Id>> buildConflicts;
    std::vector<std::string> specNames;  // per local spec, for messages
    std::map<std::string, Id> variantMetadata;
    std::map<Repo*, std::string> kitNames;
    std::map<Repo*, std::string> kitDirectories;  // kits given as repositories
    // Kit repositories with a solv cache: the file, the file dependencies the
    // file on disk answers for (none: it must be written), and whether the
    // repo was read from XML (file lists in memory) rather than from the file.
    struct KitCache {
        std::string path;
        std::optional<std::vector<Id>> answers;
        bool hasFileLists = false;
    };
    std::map<Repo*, KitCache> kitCaches;
    bool whatprovidesStale = true;

    ~State() {
        if (pool)
            pool_free(pool);
    }

    Id str(const std::string& text) { return pool_str2id(pool, text.c_str(), 1); }

    Id dependencyId(const Dependency& dependency, const std::string& owner) {
        if (dependency.isRich()) {
            Id id = pool_parserpmrichdep(pool, dependency.name.c_str());
            if (!id)
                throw Error("cannot parse rich dependency " + dependency.name, {owner});
            return id;
        }
        Id name = str(dependency.name);
        if (dependency.sense == 0 || dependency.evr.empty())
            return name;
        int flags = 0;
        if (dependency.sense & kSenseLess)
            flags |= REL_LT;
        if (dependency.sense & kSenseGreater)
            flags |= REL_GT;
        if (dependency.sense & kSenseEqual)
            flags |= REL_EQ;
        return pool_rel2id(pool, name, str(dependency.evr), flags, 1);
    }

    Offset addDependencies(Repo* repo, Offset list, const std::vector<Dependency>& dependencies,
                           const std::string& owner) {
        for (const auto& dependency : dependencies) {
            list = repo_addid_dep(repo, list, dependencyId(dependency, owner), 0);
        }
        return list;
    }

    Id addSolvable(Repo* repo, const BinaryPackage& binary, const std::string& owner) {
        Id id = repo_add_solvable(repo);
        Solvable* solvable = pool_id2solvable(pool, id);
        solvable->name = str(binary.name);
        solvable->evr = str(binary.evr());
        solvable->arch = binary.arch == "noarch" ? ARCH_NOARCH : str(binary.arch);
        solvable->provides =
            repo_addid_dep(repo, solvable->provides,
                           pool_rel2id(pool, solvable->name, solvable->evr, REL_EQ, 1), 0);
        solvable->provides = addDependencies(repo, solvable->provides, binary.provides, owner);
        solvable->requires =
            addDependencies(repo, solvable->requires, binary.runtimeRequires, owner);
        solvable->conflicts = addDependencies(repo, solvable->conflicts, binary.conflicts, owner);
        solvable->obsoletes = addDependencies(repo, solvable->obsoletes, binary.obsoletes, owner);
        return id;
    }

    Repo* newKitRepo(const std::string& kitName) {
        Repo* repo = repo_create(pool, ("kit:" + kitName).c_str());
        repo->priority = nextKitPriority--;
        kitNames[repo] = kitName;
        whatprovidesStale = true;
        return repo;
    }

    // Adds the file provides of every file dependency of the pool (searching
    // the file lists) and returns those dependencies, sorted.
    std::vector<Id> fileDependencies() {
        Queue ids;
        queue_init(&ids);
        pool_addfileprovides_queue(pool, &ids, nullptr);
        std::vector<Id> dependencies(ids.elements, ids.elements + ids.count);
        queue_free(&ids);
        std::sort(dependencies.begin(), dependencies.end());
        return dependencies;
    }

    static bool covers(const std::vector<Id>& cached, const std::vector<Id>& needed) {
        return std::all_of(needed.begin(), needed.end(), [&](Id id) {
            return std::find(cached.begin(), cached.end(), id) != cached.end();
        });
    }

    // A cache read from disk has no file lists: when the pool needs a file
    // dependency it does not answer for, its repository is read from XML.
    bool rereadIncompleteKitCaches(const std::vector<Id>& needed) {
        bool reread = false;
        for (auto& [repo, cache] : kitCaches) {
            if (cache.hasFileLists || covers(*cache.answers, needed))
                continue;
            repo_empty(repo, 1);
            addRepositoryXml(repo, kitDirectories.at(repo));
            repo_internalize(repo);
            cache.hasFileLists = true;
            cache.answers.reset();
            reread = true;
        }
        return reread;
    }

    void writeKitCaches(const std::vector<Id>& needed) {
        for (auto& [repo, cache] : kitCaches) {
            if (!cache.hasFileLists || (cache.answers && covers(*cache.answers, needed)))
                continue;
            writeSolvCache(repo, cache.path, needed);
            cache.answers = needed;
        }
    }

    void prepare() {
        if (!whatprovidesStale)
            return;
        std::vector<Id> needed = fileDependencies();
        if (rereadIncompleteKitCaches(needed))
            needed = fileDependencies();
        writeKitCaches(needed);
        pool_createwhatprovides(pool);
        whatprovidesStale = false;
    }

    std::vector<Id> solve(Queue& job, const std::string& what, const Location& location) {
        prepare();
        Solver* solver = solver_create(pool);
        solver_set_flag(solver, SOLVER_FLAG_IGNORE_RECOMMENDED, 1);
        int problems = solver_solve(solver, &job);
        if (problems > 0) {
            std::vector<std::string> texts;
            for (Id problem = 1; problem <= problems; ++problem) {
                texts.push_back(solver_problem2str(solver, problem));
                appendRuleDetails(solver, problem, texts);
            }
            solver_free(solver);
            throw Error(what + ": " + joinStrings(texts, "; "), location);
        }
        std::vector<Id> chosen;
        for (Id id = 2; id < pool->nsolvables; ++id) {
            Solvable* solvable = pool_id2solvable(pool, id);
            if (!solvable->repo || solvable->repo == sdk)
                continue;
            if (solver_get_decisionlevel(solver, id) > 0)
                chosen.push_back(id);
        }
        solver_free(solver);
        return chosen;
    }

    // The first problem line often names only the top of the chain ("release
    // requires early-boot-config"); the problem's rules name the real cause.
    void appendRuleDetails(Solver* solver, Id problem, std::vector<std::string>& texts) {
        Queue rules;
        queue_init(&rules);
        solver_findallproblemrules(solver, problem, &rules);
        for (int i = 0; i < rules.count; ++i) {
            Id source = 0, target = 0, dependency = 0;
            SolverRuleinfo type =
                solver_ruleinfo(solver, rules.elements[i], &source, &target, &dependency);
            if (type == SOLVER_RULE_JOB || type == SOLVER_RULE_PKG_SAME_NAME)
                continue;
            std::string text = solver_problemruleinfo2str(solver, type, source, target, dependency);
            if (std::find(texts.begin(), texts.end(), text) == texts.end())
                texts.push_back(text);
        }
        queue_free(&rules);
    }

    ResolvedPackage describe(Id id) {
        Solvable* solvable = pool_id2solvable(pool, id);
        ResolvedPackage package;
        package.name = pool_id2str(pool, solvable->name);
        package.evr = pool_id2str(pool, solvable->evr);
        package.arch = pool_id2str(pool, solvable->arch);
        if (solvable->repo == local) {
            package.origin = PackageOrigin::Local;
            package.repository = "local";
            package.specIndex = localSpecIndex.at(id);
        } else if (solvable->repo == metadata) {
            package.origin = PackageOrigin::Metadata;
            package.repository = "metadata";
        } else {
            package.origin = PackageOrigin::Kit;
            package.repository = kitNames[solvable->repo];
            auto directory = kitDirectories.find(solvable->repo);
            if (directory != kitDirectories.end()) {
                package.rpmPath =
                    directory->second + "/" + solvable_get_location(solvable, nullptr);
                Id type = 0;
                const char* checksum = solvable_lookup_checksum(solvable, SOLVABLE_CHECKSUM, &type);
                if (checksum && type == REPOKEY_TYPE_SHA256)
                    package.sha256 = checksum;
            }
        }
        return package;
    }

    std::vector<ResolvedPackage> describeAll(const std::vector<Id>& ids) {
        std::vector<ResolvedPackage> packages;
        for (Id id : ids)
            packages.push_back(describe(id));
        std::sort(
            packages.begin(), packages.end(),
            [](const ResolvedPackage& a, const ResolvedPackage& b) { return a.name < b.name; });
        return packages;
    }

    void lockMetadata(Queue& job, const std::string& except) {
        for (const auto& [name, id] : variantMetadata) {
            if (name != except)
                queue_push2(&job, SOLVER_LOCK | SOLVER_SOLVABLE, id);
        }
    }

    // Capabilities a (possibly rich) dependency can be satisfied through.
    void leafDependencies(Id dependency, std::vector<Id>& leaves) {
        if (!ISRELDEP(dependency)) {
            leaves.push_back(dependency);
            return;
        }
        Reldep* relation = GETRELDEP(pool, dependency);
        switch (relation->flags) {
            case REL_AND:
            case REL_OR:
            case REL_WITH:
            case REL_ELSE:
                leafDependencies(relation->name, leaves);
                leafDependencies(relation->evr, leaves);
                break;
            case REL_COND:
            case REL_UNLESS:
            case REL_WITHOUT:
                leafDependencies(relation->name, leaves);
                if (ISRELDEP(relation->evr) && GETRELDEP(pool, relation->evr)->flags == REL_ELSE) {
                    leafDependencies(GETRELDEP(pool, relation->evr)->evr, leaves);
                }
                break;
            default:
                leaves.push_back(dependency);
        }
    }
};

Resolver::Resolver(Arch arch, std::string osPrefix)
    : state_(std::make_unique<State>()), osPrefix_(std::move(osPrefix)) {
    state_->pool = pool_create();
    // Debian's libsolv defaults to Debian semantics; without this noarch and
    // EVR comparison behave wrongly.
    pool_setdisttype(state_->pool, DISTTYPE_RPM);
    pool_setarch(state_->pool, archName(arch));
    state_->local = repo_create(state_->pool, "local");
    state_->local->priority = kLocalPriority;
    state_->metadata = repo_create(state_->pool, "metadata");
    state_->metadata->priority = kLocalPriority;
    state_->sdk = repo_create(state_->pool, "sdk");
    pool_set_installed(state_->pool, state_->sdk);
}

Resolver::~Resolver() = default;

void Resolver::addLocalSpecs(const std::vector<PackageSpec>& specs) {
    State& s = *state_;
    for (const auto& spec : specs) {
        size_t index = s.buildRequires.size();
        for (const BinaryPackage* binary : spec.builtBinaries()) {
            s.localSpecIndex[s.addSolvable(s.local, *binary, spec.specPath)] = index;
        }
        std::vector<Id>
        requires, conflicts;
        for (const auto& dependency : spec.buildRequires) {
            requires.push_back(s.dependencyId(dependency, spec.specPath));
        }
        for (const auto& dependency : spec.buildConflicts) {
            conflicts.push_back(s.dependencyId(dependency, spec.specPath));
        }
        s.buildRequires.push_back(std::move(requires));
        s.buildConflicts.push_back(std::move(conflicts));
        s.specNames.push_back(spec.specPath);
    }
    repo_internalize(s.local);
    s.whatprovidesStale = true;
}

void Resolver::addKitSpecs(const std::string& kitName, const std::vector<PackageSpec>& specs) {
    Repo* repo = state_->newKitRepo(kitName);
    for (const auto& spec : specs) {
        for (const BinaryPackage* binary : spec.builtBinaries()) {
            state_->addSolvable(repo, *binary, spec.specPath);
        }
    }
    repo_internalize(repo);
}

SolvCacheUse Resolver::addKitRepository(const std::string& kitName, const std::string& directory,
                                        const std::string& solvCache) {
    State& s = *state_;
    Repo* repo = s.newKitRepo(kitName);
    s.kitDirectories[repo] = directory;
    if (solvCache.empty()) {
        addRepositoryXml(repo, directory);
        repo_internalize(repo);
        return SolvCacheUse::None;
    }
    State::KitCache& cache = s.kitCaches[repo];
    cache.path = solvCache;
    std::vector<Id> answers;
    if (loadSolvCache(repo, solvCache, answers)) {
        cache.answers = std::move(answers);
        return SolvCacheUse::Loaded;
    }
    addRepositoryXml(repo, directory);
    repo_internalize(repo);
    cache.hasFileLists = true;
    // Written now, so that a run that never solves leaves it too; prepare()
    // rewrites it when later repositories bring more file dependencies.
    s.writeKitCaches(s.fileDependencies());
    return SolvCacheUse::Written;
}

void Resolver::addSdkProvides(const std::vector<std::string>& capabilities) {
    State& s = *state_;
    BinaryPackage sdk;
    sdk.name = "sdk";
    sdk.version = "0";
    sdk.release = "0";
    sdk.arch = "noarch";
    for (const auto& capability : capabilities)
        sdk.provides.push_back({capability, 0, ""});
    s.addSolvable(s.sdk, sdk, "sdk");
    repo_internalize(s.sdk);
    s.whatprovidesStale = true;
}

std::vector<std::string> variantMetadataProvides(const VariantManifest& variant,
                                                 const std::string& osPrefix) {
    VariantName name = parseVariantName(variant.name, {variant.manifestPath});
    std::vector<std::string> provides;
    auto provide = [&](const std::string& capability, const std::string& value) {
        provides.push_back(osPrefix + capability + "(" + value + ")");
    };
    provide("variant", variant.name);
    provide("variant-platform", name.platform);
    provide("variant-runtime", name.runtime);
    provide("variant-family", name.family());
    provide("variant-flavor", name.flavor);
    for (const auto& feature : knownImageFeatures())
        provide("image-feature",
                variant.enabledFeatures.count(feature) ? feature : "no-" + feature);
    return provides;
}

void Resolver::addVariant(const VariantManifest& variant) {
    State& s = *state_;
    BinaryPackage metadata;
    metadata.name = osPrefix_ + "metadata";
    metadata.version = kVariantMetadataVersion;
    metadata.release = kVariantMetadataRelease;
    metadata.arch = "noarch";
    for (const auto& capability : variantMetadataProvides(variant, osPrefix_))
        metadata.provides.push_back({capability, 0, ""});
    s.variantMetadata[variant.name] = s.addSolvable(s.metadata, metadata, variant.manifestPath);
    repo_internalize(s.metadata);
    s.whatprovidesStale = true;
}

std::vector<ResolvedPackage> Resolver::resolveVariant(const VariantManifest& variant) {
    State& s = *state_;
    if (!s.variantMetadata.count(variant.name))
        addVariant(variant);
    s.prepare();
    Queue job;
    queue_init(&job);
    s.lockMetadata(job, variant.name);
    queue_push2(&job, SOLVER_INSTALL | SOLVER_SOLVABLE, s.variantMetadata[variant.name]);
    Location location = variant.includedPackagesLocation;
    for (const auto& included : variant.includedPackages) {
        std::string name = osPrefix_ + included;
        Id id = pool_str2id(s.pool, name.c_str(), 0);
        if (!id || !pool_whatprovides(s.pool, id)) {
            queue_free(&job);
            throw Error("variant includes '" + included + "' but no package provides " + name,
                        location, "check the name against the specs' %package names");
        }
        queue_push2(&job, SOLVER_INSTALL | SOLVER_SOLVABLE_PROVIDES, id);
    }
    std::vector<Id> chosen;
    try {
        chosen = s.solve(job, "cannot resolve variant " + variant.name, location);
    } catch (...) {
        queue_free(&job);
        throw;
    }
    queue_free(&job);
    return s.describeAll(chosen);
}

std::vector<ResolvedPackage> Resolver::resolveBuildRoot(size_t specIndex) {
    State& s = *state_;
    s.prepare();
    Queue job;
    queue_init(&job);
    s.lockMetadata(job, "");
    for (Id dependency : s.buildRequires.at(specIndex)) {
        queue_push2(&job, SOLVER_INSTALL | SOLVER_SOLVABLE_PROVIDES, dependency);
    }
    for (Id dependency : s.buildConflicts.at(specIndex)) {
        queue_push2(&job, SOLVER_ERASE | SOLVER_SOLVABLE_PROVIDES, dependency);
    }
    std::vector<Id> chosen;
    try {
        chosen = s.solve(job, "unsatisfiable BuildRequires", {s.specNames[specIndex]});
    } catch (...) {
        queue_free(&job);
        throw;
    }
    queue_free(&job);
    return s.describeAll(chosen);
}

std::vector<DependencyStep> Resolver::explain(const VariantManifest& variant,
                                              const std::string& package) {
    State& s = *state_;
    resolveVariant(variant);  // throws when the variant does not resolve
    Queue job;
    queue_init(&job);
    s.lockMetadata(job, variant.name);
    queue_push2(&job, SOLVER_INSTALL | SOLVER_SOLVABLE, s.variantMetadata[variant.name]);
    std::vector<std::pair<Id, std::string>> roots;
    for (const auto& included : variant.includedPackages) {
        Id id = pool_str2id(s.pool, (osPrefix_ + included).c_str(), 0);
        queue_push2(&job, SOLVER_INSTALL | SOLVER_SOLVABLE_PROVIDES, id);
        roots.emplace_back(id, osPrefix_ + included);
    }
    std::vector<Id> chosen = s.solve(job, "cannot resolve variant " + variant.name, {});
    queue_free(&job);
    std::unordered_set<Id> installed(chosen.begin(), chosen.end());

    // Breadth-first over Requires inside the installed set gives the shortest path.
    std::unordered_map<Id, DependencyStep> reachedBy;
    std::deque<Id> pending;
    auto reach = [&](Id id, DependencyStep step) {
        if (!installed.count(id) || reachedBy.count(id))
            return;
        step.to = pool_id2str(s.pool, pool_id2solvable(s.pool, id)->name);
        reachedBy.emplace(id, step);
        pending.push_back(id);
    };
    for (const auto& [capability, name] : roots) {
        for (Id* p = pool_whatprovides_ptr(s.pool, capability); *p; ++p) {
            reach(*p, {"variant " + variant.name, "included-packages: " + name, ""});
        }
    }
    reach(s.variantMetadata[variant.name], {"variant " + variant.name, "(generated)", ""});
    while (!pending.empty()) {
        Id current = pending.front();
        pending.pop_front();
        Solvable* solvable = pool_id2solvable(s.pool, current);
        if (!solvable->requires)
            continue;
        for (Id* dependency = solvable->repo->idarraydata + solvable->requires; *dependency;
             ++dependency) {
            std::vector<Id> leaves;
            s.leafDependencies(*dependency, leaves);
            for (Id leaf : leaves) {
                for (Id* p = pool_whatprovides_ptr(s.pool, leaf); *p; ++p) {
                    reach(*p, {pool_id2str(s.pool, solvable->name),
                               pool_dep2str(s.pool, *dependency), ""});
                }
            }
        }
    }
    for (const auto& [id, step] : reachedBy) {
        std::string name = pool_id2str(s.pool, pool_id2solvable(s.pool, id)->name);
        if (name != package && name != osPrefix_ + package)
            continue;
        std::vector<DependencyStep> path;
        for (Id at = id;;) {
            const DependencyStep& hop = reachedBy.at(at);
            path.insert(path.begin(), hop);
            if (startsWith(hop.from, "variant "))
                break;
            Id from = pool_str2id(s.pool, hop.from.c_str(), 0);
            auto previous = std::find_if(installed.begin(), installed.end(), [&](Id candidate) {
                return pool_id2solvable(s.pool, candidate)->name == from &&
                       reachedBy.count(candidate);
            });
            at = *previous;
        }
        return path;
    }
    throw Error(
        "package '" + package + "' is not part of variant " + variant.name, {},
        "'twoliter build variant " + variant.name + " --dry-run' lists the image's packages");
}

}  // namespace twoliter
