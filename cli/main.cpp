// The twoliter command line: the table of commands and their options (CLI11,
// in this translation unit only). What each command does is in commands.cpp.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "commands.h"
#include "util/error.h"
#include "util/strings.h"

namespace twoliter::cli {
namespace {

// What the command that ran returned.
int exitCode = 0;

void addBuildCommand(CLI::App& app, GlobalOptions& options) {
    CLI::App* build = app.add_subcommand(
        "build",
        "Build packages in hermetic sandboxes, in parallel, reusing cached results, and the "
        "variant images and kits made from them. 'build variant --packages-only' builds a "
        "variant's packages only, '--dry-run' prints any plan.");
    build->require_subcommand(1);
    struct Target {
        const char* kind;
        const char* help;
    };
    static const Target targets[] = {
        {"variant",
         "Build the packages of a variant and its disk images "
         "(build/images/<arch>-<variant>/)"},
        {"package", "Build one package and the packages its build needs"},
        {"kit",
         "Build the packages of a kit, its RPM repository (build/kits/<kit>/<arch>/, signed "
         "with [signing] key or $TWOLITER_SIGNING_KEY) and its OCI image tar"},
    };
    for (const auto& target : targets) {
        CLI::App* sub = build->add_subcommand(target.kind, target.help);
        auto command = std::make_shared<BuildCommand>();
        command->kind = target.kind;
        sub->add_option("name", command->name, std::string("Name of the ") + target.kind)
            ->required();
        sub->add_flag("--dry-run", command->dryRun, "Print the plan and stop");
        sub->add_flag("--json", command->json, "With --dry-run: print the plan as JSON");
        sub->add_flag("--keep-going", command->keepGoing,
                      "After a failure, still build what does not depend on it");
        sub->add_flag("--explain", command->explain,
                      "Say why each package is rebuilt (which input changed) or reused");
        sub->add_option(
            "--lookaside", command->lookasideCaches,
            "Lookaside cache for external files: a folder or URL laid out as "
            "<cache>/<name>/<sha512>/<name> (repeatable; default: <project>/lookaside)");
        sub->add_flag("--upstream-source-fallback", command->upstreamSourceFallback,
                      "Fetch external files from their upstream URL when no lookaside cache has "
                      "them");
        if (std::string(target.kind) == "variant") {
            sub->add_flag("--packages-only", command->packagesOnly,
                          "Build the variant's packages and stop before the image");
        }
        sub->callback([&options, command] { exitCode = runBuild(options, *command); });
    }
}

void addGraphCommand(CLI::App& app, GlobalOptions& options) {
    CLI::App* graph = app.add_subcommand(
        "graph",
        "Print the package build graph: every package, the RPMs it makes and the packages its "
        "build needs (derived from BuildRequires)");
    auto command = std::make_shared<GraphCommand>();
    graph->add_option("--format", command->format, "text, json or dot")
        ->check(CLI::IsMember({"text", "json", "dot"}));
    graph->add_option("--variant", command->variant, "Only what this variant needs");
    graph->add_option("--package", command->package, "Only this package and what its build needs");
    graph->add_option("--kit", command->kit, "Only the packages of this kit");
    graph->callback([&options, command] { exitCode = runGraph(options, *command); });
}

void addWhyCommand(CLI::App& app, GlobalOptions& options) {
    CLI::App* why = app.add_subcommand(
        "why",
        "Show the chain of Requires that pulls PACKAGE (an RPM name, with or without the OS "
        "prefix, or a source package) into VARIANT's image");
    auto variant = std::make_shared<std::string>();
    auto package = std::make_shared<std::string>();
    why->add_option("variant", *variant, "Variant name")->required();
    why->add_option("package", *package, "RPM or package name")->required();
    why->callback([&options, variant, package] { exitCode = runWhy(options, *variant, *package); });
}

void addCheckCommand(CLI::App& app, GlobalOptions& options) {
    CLI::App* check = app.add_subcommand(
        "check",
        "Validate the whole project: every manifest and spec, every build root, and every "
        "variant for the architecture; Cargo/spec dependency disagreements are warnings "
        "(errors with --strict)");
    auto strict = std::make_shared<bool>(false);
    check->add_flag("--strict", *strict, "Treat Cargo/spec dependency disagreements as errors");
    check->callback([&options, strict] { exitCode = runCheck(options, *strict); });
}

void addCleanCommand(CLI::App& app, GlobalOptions& options) {
    CLI::App* clean = app.add_subcommand(
        "clean",
        "Remove the project's build outputs (build/rpms, build/state, build/logs); the "
        "shared cache is kept");
    clean->callback([&options] { exitCode = runClean(options); });
}

void addSdkCommand(CLI::App& app, GlobalOptions& options) {
    CLI::App* sdk = app.add_subcommand(
        "sdk", "Make the SDK image builds run in available, and pin it in Twoliter.lock");
    sdk->require_subcommand(1);
    CLI::App* create = sdk->add_subcommand(
        "create",
        "Create the SDK image from a recipe of Debian packages (needs the Debian mirror)");
    auto recipe = std::make_shared<std::string>();
    auto output = std::make_shared<std::string>();
    create->add_option("--recipe", *recipe, "Recipe file (default: <project>/sdk/recipe)");
    create->add_option("--output", *output,
                       "Where to write the OCI image layout (default: <project>/build/sdk/oci)");
    create->callback(
        [&options, recipe, output] { exitCode = runSdkCreate(options, *recipe, *output); });
    CLI::App* importCommand = sdk->add_subcommand(
        "import",
        "Import an SDK image: an OCI image layout (folder or tar) or a docker save archive");
    auto source = std::make_shared<std::string>();
    importCommand->add_option("source", *source, "The image to import")->required();
    importCommand->callback([&options, source] { exitCode = runSdkImport(options, *source); });
    CLI::App* pull = sdk->add_subcommand(
        "pull",
        "Pull an SDK image from an OCI registry (by default the one Twoliter.lock pins, "
        "by digest)");
    auto reference = std::make_shared<std::string>();
    pull->add_option("reference", *reference, "<registry>/<repository>[:<tag>][@sha256:<digest>]");
    pull->callback([&options, reference] { exitCode = runSdkPull(options, *reference); });
    CLI::App* push = sdk->add_subcommand("push", "Push the SDK image to an OCI registry");
    auto target = std::make_shared<std::string>();
    auto layout = std::make_shared<std::string>();
    push->add_option("reference", *target, "<registry>/<repository>:<tag>")->required();
    push->add_option("--layout", *layout,
                     "The OCI image layout to push (default: <project>/build/sdk/oci)");
    push->callback(
        [&options, target, layout] { exitCode = runSdkPush(options, *target, *layout); });
}

void addPublishCommand(CLI::App& app, GlobalOptions& options) {
    CLI::App* publish = app.add_subcommand("publish", "Publish build results");
    publish->require_subcommand(1);
    CLI::App* kit = publish->add_subcommand(
        "kit",
        "Push a built kit's images (build/kits/<kit>/) to the vendor's registry "
        "(Infra.toml's [vendor.<vendor>] registry, else Twoliter.toml's): one image per arch "
        "tagged v<version>-<build>-<arch> and an index tagged v<version>");
    auto name = std::make_shared<std::string>();
    auto vendor = std::make_shared<std::string>();
    kit->add_option("kit", *name, "Kit name")->required();
    kit->add_option("vendor", *vendor, "Vendor whose registry receives it")->required();
    kit->callback([&options, name, vendor] { exitCode = runPublishKit(options, *name, *vendor); });
}

void addUpdateCommand(CLI::App& app, GlobalOptions& options) {
    app.add_subcommand("update",
                       "Resolve the SDK and kits of Twoliter.toml (and the kits they depend on) "
                       "against their registries and write Twoliter.lock")
        ->callback([&options] { exitCode = runUpdate(options); });
}

void addFetchCommand(CLI::App& app, GlobalOptions& options) {
    app.add_subcommand("fetch",
                       "Fetch the kits Twoliter.lock pins into build/external-kits/ (verifying "
                       "every blob, and the repository signature where the vendor has a "
                       "signing-key); kits already there need no registry")
        ->callback([&options] { exitCode = runFetch(options); });
}

void addCacheCommand(CLI::App& app, GlobalOptions& options) {
    CLI::App* cache = app.add_subcommand(
        "cache", "Inspect or bound the shared cache (build outputs, build roots, external files)");
    cache->require_subcommand(1);
    cache->add_subcommand("info", "Show what the cache holds")->callback([&options] {
        exitCode = runCacheInfo(options);
    });
    CLI::App* prune = cache->add_subcommand(
        "prune", "Remove the least recently used entries until the cache fits a size");
    auto maxSize = std::make_shared<std::string>();
    prune->add_option("--max-size", *maxSize, "Size to fit in, e.g. 500M or 10G")->required();
    prune->callback([&options, maxSize] { exitCode = runCachePrune(options, *maxSize); });
}

// --signing-key, --generate-root-key, --key-type, --root-key where the action signs.
void addRepoKeyOptions(CLI::App* sub, RepoCommand& command) {
    const std::string& action = command.action;
    if (action == "init" || action == "create" || action == "refresh") {
        sub->add_option("--signing-key", command.signingKeys,
                        "PEM private key (ed25519, RSA or ECDSA P-256) signing targets, snapshot "
                        "and timestamp, instead of Infra.toml's signing_keys (repeatable)");
    }
    if (action == "init" || action == "create") {
        sub->add_flag("--generate-root-key", command.generateRootKey,
                      "When the repository has no root role and no key: create a development "
                      "key keys/<repo>.pem and a root role over it");
        sub->add_option("--key-type", command.keyType,
                        "Type of a generated key: rsa, ed25519 or ecdsa")
            ->capture_default_str();
    }
    if (action == "init") {
        sub->add_option("--root-key", command.rootKeys,
                        "PEM private key of the root role, instead of Infra.toml's root_keys "
                        "(repeatable; default: the signing keys)");
    }
}

// What create and refresh write: policies, start time, sources of targets.
void addRepoReleaseOptions(CLI::App* sub, RepoCommand& command) {
    const std::string& action = command.action;
    if (action == "create" || action == "refresh") {
        sub->add_option("--expiration-policy", command.expirationPolicy,
                        "Expiration policy file (default: upstream's 2w-2w-1w)");
        sub->add_option("--release-start-time", command.releaseStartTime,
                        "When waves and expirations start: RFC 3339 or 'in N hours/days/weeks' "
                        "(default: now)");
        sub->add_option(
            "--outdir", command.outdir,
            action == "create"
                ? "Output folder (default: build/repos/<repo>/<name>-<version>-<build>, "
                  "linked as latest)"
                : "Write the new metadata to <outdir>/<variant>/<arch>/ instead of "
                  "into the repository");
    }
    if (action == "create") {
        sub->add_option("--wave-policy", command.wavePolicy,
                        "Wave policy file (default: upstream's default-waves)");
        sub->add_option("--extend", command.extend,
                        "Repository to add the update to (a folder or URL holding "
                        "<variant>/<arch>/ and targets/; default: Infra.toml's metadata_base_url "
                        "and targets_url when both are set)");
        sub->add_option("--migrations-dir", command.migrationsDir,
                        "Folder whose files are added as targets (the migrations)");
    }
}

// What validate, check-expirations and refresh read and how.
void addRepoReadOptions(CLI::App* sub, RepoCommand& command) {
    const std::string& action = command.action;
    if (action == "init" || action == "create")
        return;
    sub->add_option("--from", command.from,
                    "The repository: a folder or URL holding <variant>/<arch>/ and targets/ "
                    "(default: Infra.toml's URLs, else build/repos/<repo>/latest)");
    if (action == "validate") {
        sub->add_option("--state-dir", command.stateDir,
                        "Folder keeping the metadata this command trusted last time, as a client "
                        "does: a lower version later is refused as a rollback");
        sub->add_flag("--metadata-only", command.metadataOnly, "Do not read the targets");
    }
    if (action == "check-expirations") {
        sub->add_option("--expiration-limit", command.within,
                        "Report roles expiring before this: 'N hours/days/weeks' or RFC 3339")
            ->capture_default_str();
    }
    if (action == "refresh") {
        sub->add_flag("--unsafe-refresh", command.unsafeRefresh,
                      "Refresh a repository whose metadata has expired");
    }
}

void addRepoCommand(CLI::App& app, GlobalOptions& options) {
    CLI::App* repo = app.add_subcommand(
        "repo",
        "TUF update repositories: signed metadata over a variant's update parts and "
        "manifest.json (build/repos/<repo>/<name>-<version>-<build>/)");
    repo->require_subcommand(1);
    struct Action {
        const char* name;
        const char* help;
    };
    static const Action actions[] = {
        {"init",
         "Set up the repository's root role roles/<repo>.root.json: downloaded from Infra.toml's "
         "root_role_url, else made over Infra.toml's (or the given) keys; a development key "
         "keys/<repo>.pem is made only with --generate-root-key"},
        {"create",
         "Create or extend the update repository with VARIANT's update parts of this commit: "
         "targets, manifest.json with waves and Release.toml's migrations, signed metadata"},
        {"validate",
         "Verify a repository from the trusted root role as a TUF client does: signatures, "
         "thresholds, versions, expirations, and every target's length and hashes"},
        {"check-expirations",
         "List when the repository's roles expire; exit 1 when one expires within the limit or "
         "has expired"},
        {"refresh",
         "Re-sign the repository's targets, snapshot and timestamp with new versions and "
         "expirations"},
    };
    for (const auto& action : actions) {
        CLI::App* sub = repo->add_subcommand(action.name, action.help);
        auto command = std::make_shared<RepoCommand>();
        command->action = action.name;
        if (command->action != "init") {
            sub->add_option("variant", command->variant, "Variant name")->required();
            sub->add_option("--root-role", command->rootRole,
                            "Trusted root.json (default: roles/<repo>.root.json)");
        }
        sub->add_option("--repo", command->repo, "Repository of Infra.toml ([repo.<name>])")
            ->capture_default_str();
        addRepoKeyOptions(sub, *command);
        addRepoReleaseOptions(sub, *command);
        addRepoReadOptions(sub, *command);
        sub->callback([&options, command] { exitCode = runRepo(options, *command); });
    }
}

struct CommandEntry {
    const char* name;
    void (*add)(CLI::App&, GlobalOptions&);
};

// Every top-level command, in the order --help lists them.
const CommandEntry kCommands[] = {
    {"build", addBuildCommand},     {"graph", addGraphCommand},   {"why", addWhyCommand},
    {"check", addCheckCommand},     {"update", addUpdateCommand}, {"fetch", addFetchCommand},
    {"publish", addPublishCommand}, {"repo", addRepoCommand},     {"sdk", addSdkCommand},
    {"cache", addCacheCommand},     {"clean", addCleanCommand},
};

int suggestCommand(const std::string& word) {
    std::vector<std::string> names;
    for (const auto& command : kCommands)
        names.emplace_back(command.name);
    std::string suggestion = closestMatch(word, names);
    std::cerr << "twoliter: error: unknown command '" << word << "'";
    if (!suggestion.empty())
        std::cerr << " (did you mean '" << suggestion << "'?)";
    std::cerr << "\nRun 'twoliter --help' for the list of commands.\n";
    return 2;
}

bool isCommand(const std::string& word) {
    for (const auto& command : kCommands) {
        if (word == command.name)
            return true;
    }
    return false;
}

}  // namespace
}  // namespace twoliter::cli

int main(int argc, char** argv) {
    using namespace twoliter;
    using namespace twoliter::cli;
    CLI::App app{
        "twoliter builds Bottlerocket-style OS projects: it reads Twoliter.toml, the packages, "
        "variants and kits of the project, resolves every variant's RPM closure and builds the "
        "packages in hermetic sandboxes, reusing every result whose inputs did not change."};
    app.name("twoliter");
    app.set_version_flag("--version", TWOLITER_VERSION);
    app.require_subcommand(1);
    GlobalOptions options;
    app.add_option("--project-path", options.projectPath,
                   "Project directory or its Twoliter.toml (default: the nearest Twoliter.toml "
                   "at or above the current directory)");
    app.add_option("--arch", options.arch, "Target architecture: x86_64 or aarch64")
        ->capture_default_str();
    app.add_option("--sdk", options.sdk,
                   "SDK to take RPM macros and host provides from: an SDK root filesystem, an SDK "
                   "source tree or a macros file (default: $TWOLITER_SDK, else the SDK image "
                   "Twoliter.lock pins, else <project>/sdk)");
    app.add_option("--kit-source", options.kitSources,
                   "NAME=PATH: resolve kit NAME from the kit project's source tree at PATH "
                   "instead of its fetched repository (repeatable)");
    app.add_option("-j,--jobs", options.jobs, "Parallel jobs (default: number of CPUs)");
    app.add_option("--cache-dir", options.cacheDirectory,
                   "Cache of build results, build roots, SDK images and external files "
                   "(default: $TWOLITER_CACHE_DIR, else $XDG_CACHE_HOME/twoliter, else "
                   "~/.cache/twoliter)");
    for (const auto& command : kCommands)
        command.add(app, options);

    if (argc > 1 && argv[1][0] != '-' && !isCommand(argv[1]))
        return suggestCommand(argv[1]);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    } catch (const ErrorList& list) {
        for (const auto& error : list.errors()) {
            std::cerr << "twoliter: error: " << error.describe() << "\n";
        }
        return 1;
    } catch (const Error& error) {
        std::cerr << "twoliter: error: " << error.describe() << "\n";
        return 1;
    }
    return exitCode;
}
