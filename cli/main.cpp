// The twoliter command line. Thin: every command parses its arguments, calls
// the library, prints the result. The only translation unit with CLI11.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <thread>

#include "build/planner.h"
#include "build/report.h"
#include "project/project.h"
#include "util/error.h"
#include "util/files.h"
#include "util/strings.h"

namespace twoliter {
namespace {

struct GlobalOptions {
    std::string projectPath;
    std::string arch = "x86_64";
    std::string sdk;
    std::vector<std::string> kitSources;
    int jobs = 0;
};

Project openProject(const GlobalOptions& options) {
    std::string start = options.projectPath.empty() ? "." : options.projectPath;
    if (!options.projectPath.empty() && endsWith(start, "Twoliter.toml")) {
        start = start.substr(0, start.size() - std::string("Twoliter.toml").size());
        if (start.empty())
            start = ".";
    }
    return loadProject(findProjectRoot(start));
}

PlannerOptions plannerOptions(const GlobalOptions& options, const Project& project) {
    PlannerOptions planner;
    planner.arch = parseArch(options.arch, {"--arch"});
    const char* fromEnvironment = std::getenv("TWOLITER_SDK");
    planner.sdkPath = !options.sdk.empty()                       ? options.sdk
                      : fromEnvironment && *fromEnvironment != 0 ? fromEnvironment
                                                                 : project.root + "/sdk";
    planner.sdkPath = absolutePath(planner.sdkPath, std::filesystem::current_path().string());
    if (!pathExists(planner.sdkPath)) {
        throw Error(
            "no SDK at " + planner.sdkPath, {},
            "pass --sdk PATH or set TWOLITER_SDK (an SDK root, SDK source tree or macros file)");
    }
    for (const auto& source : options.kitSources) {
        size_t equals = source.find('=');
        if (equals == std::string::npos || equals == 0) {
            throw Error("expected NAME=PATH, found '" + source + "'", {"--kit-source"});
        }
        planner.kitSources.emplace_back(
            source.substr(0, equals),
            absolutePath(source.substr(equals + 1), std::filesystem::current_path().string()));
    }
    if (::isatty(STDERR_FILENO)) {
        planner.specProgress = [](size_t parsed, size_t total) {
            std::cerr << "\r\033[Kparsing specs [" << parsed << "/" << total << "]"
                      << (parsed == total ? "\r\033[K" : "") << std::flush;
        };
    }
    unsigned cores = std::thread::hardware_concurrency();
    planner.jobs = options.jobs > 0 ? options.jobs : static_cast<int>(cores ? cores : 2);
    return planner;
}

void printWarnings(const Project& project, const Planner& planner) {
    for (const auto& warning : project.warnings)
        std::cerr << "twoliter: warning: " << warning << "\n";
    for (const auto& warning : planner.warnings())
        std::cerr << "twoliter: warning: " << warning << "\n";
    for (const auto& line : describeDisagreements(planner)) {
        std::cerr << "twoliter: warning: " << line << "\n";
    }
}

// --- commands ---------------------------------------------------------------

void addBuildCommand(CLI::App& app, GlobalOptions& options) {
    CLI::App* build = app.add_subcommand(
        "build",
        "Build a variant image, a package or a kit. Building is not supported yet: the "
        "command prints the build plan (use --dry-run to print it without failing).");
    build->require_subcommand(1);
    struct Target {
        const char* kind;
        const char* help;
    };
    static const Target targets[] = {
        {"variant", "Build the packages of a variant and its image"},
        {"package", "Build one package and the packages its build needs"},
        {"kit", "Build the packages of a kit and its repository"},
    };
    for (const auto& target : targets) {
        CLI::App* sub = build->add_subcommand(target.kind, target.help);
        auto name = std::make_shared<std::string>();
        auto dryRun = std::make_shared<bool>(false);
        auto json = std::make_shared<bool>(false);
        sub->add_option("name", *name, std::string("Name of the ") + target.kind)->required();
        sub->add_flag("--dry-run", *dryRun, "Print the plan and stop (exit 0)");
        sub->add_flag("--json", *json, "Print the plan as JSON");
        std::string kind = target.kind;
        sub->callback([&options, name, dryRun, json, kind] {
            Project project = openProject(options);
            Planner planner(project, plannerOptions(options, project));
            planner.load();
            printWarnings(project, planner);
            BuildPlan plan = kind == "variant"   ? planner.planVariant(*name)
                             : kind == "package" ? planner.planPackage(*name)
                                                 : planner.planKit(*name);
            std::cout << (*json ? formatPlanJson(planner, plan) : formatPlanText(planner, plan));
            if (!*dryRun) {
                throw Error("building " + kind +
                                "s is not supported yet; the plan above is what "
                                "a build will do",
                            {}, "use --dry-run to print the plan only");
            }
        });
    }
}

void addGraphCommand(CLI::App& app, GlobalOptions& options) {
    CLI::App* graph = app.add_subcommand(
        "graph",
        "Print the package build graph: every package, the RPMs it makes and the "
        "packages its build needs (derived from BuildRequires)");
    auto format = std::make_shared<std::string>("text");
    auto variant = std::make_shared<std::string>();
    auto package = std::make_shared<std::string>();
    auto kit = std::make_shared<std::string>();
    graph->add_option("--format", *format, "text, json or dot")
        ->check(CLI::IsMember({"text", "json", "dot"}));
    graph->add_option("--variant", *variant, "Only what this variant needs");
    graph->add_option("--package", *package, "Only this package and what its build needs");
    graph->add_option("--kit", *kit, "Only the packages of this kit");
    graph->callback([&options, format, variant, package, kit] {
        Project project = openProject(options);
        Planner planner(project, plannerOptions(options, project));
        planner.load();
        printWarnings(project, planner);
        BuildPlan plan = !variant->empty()   ? planner.planVariant(*variant)
                         : !package->empty() ? planner.planPackage(*package)
                         : !kit->empty()     ? planner.planKit(*kit)
                                             : planner.planAll();
        GraphFormat chosen = *format == "json"  ? GraphFormat::Json
                             : *format == "dot" ? GraphFormat::Dot
                                                : GraphFormat::Text;
        std::cout << formatGraph(planner, plan, chosen);
    });
}

void addWhyCommand(CLI::App& app, GlobalOptions& options) {
    CLI::App* why = app.add_subcommand(
        "why",
        "Show the chain of Requires that pulls PACKAGE (an RPM name, with or without the "
        "OS prefix) into VARIANT's image");
    auto variant = std::make_shared<std::string>();
    auto package = std::make_shared<std::string>();
    why->add_option("variant", *variant, "Variant name")->required();
    why->add_option("package", *package, "RPM name")->required();
    why->callback([&options, variant, package] {
        Project project = openProject(options);
        Planner planner(project, plannerOptions(options, project));
        planner.load();
        std::cout << formatExplanation(planner.explain(*variant, *package));
    });
}

void addCheckCommand(CLI::App& app, GlobalOptions& options) {
    CLI::App* check = app.add_subcommand(
        "check",
        "Validate the whole project: every manifest and spec, every build root, and "
        "every variant for the architecture; Cargo/spec dependency disagreements are "
        "warnings (errors with --strict)");
    auto strict = std::make_shared<bool>(false);
    check->add_flag("--strict", *strict, "Treat Cargo/spec dependency disagreements as errors");
    check->callback([&options, strict] {
        Project project = openProject(options);
        Planner planner(project, plannerOptions(options, project));
        planner.load();
        printWarnings(project, planner);
        std::vector<Error> errors;
        size_t variants = 0;
        for (const auto& variant : project.variants) {
            if (!variant.supports(planner.arch()))
                continue;
            try {
                planner.resolveVariant(variant.name);
                ++variants;
            } catch (const Error& e) {
                errors.push_back(e);
            }
        }
        throwIfAny(errors);
        size_t rpms = 0;
        size_t edges = 0;
        for (size_t i = 0; i < planner.specs().size(); ++i) {
            rpms += planner.specs()[i].builtBinaries().size();
            edges += planner.packages()[i].buildDependencies.size();
        }
        std::cout << "ok: " << project.packages.size() << " packages (" << rpms << " RPMs, "
                  << edges << " build edges), " << variants << " variants, " << project.kits.size()
                  << " local and " << project.config.kits.size() << " external kits checked for "
                  << archName(planner.arch()) << "\n";
        if (*strict && !planner.disagreements().empty()) {
            throw Error(std::to_string(planner.disagreements().size()) +
                        " Cargo/spec dependency disagreements (see warnings above)");
        }
    });
}

struct CommandEntry {
    const char* name;
    void (*add)(CLI::App&, GlobalOptions&);
};

// Every top-level command, in the order --help lists them.
const CommandEntry kCommands[] = {
    {"build", addBuildCommand},
    {"graph", addGraphCommand},
    {"why", addWhyCommand},
    {"check", addCheckCommand},
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

}  // namespace
}  // namespace twoliter

int main(int argc, char** argv) {
    using namespace twoliter;
    CLI::App app{
        "twoliter builds Bottlerocket-style OS projects: it reads Twoliter.toml, the packages, "
        "variants and kits of the project, resolves every variant's RPM closure and builds the "
        "packages in order."};
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
                   "SDK to take RPM macros and host provides from: an SDK root filesystem, an "
                   "SDK source tree or a macros file (default: $TWOLITER_SDK, else <project>/sdk)");
    app.add_option("--kit-source", options.kitSources,
                   "NAME=PATH: resolve kit NAME from the kit project's source tree at PATH "
                   "instead of its fetched repository (repeatable)");
    app.add_option("-j,--jobs", options.jobs, "Parallel jobs (default: number of CPUs)");
    for (const auto& command : kCommands)
        command.add(app, options);

    if (argc > 1 && argv[1][0] != '-') {
        bool known = false;
        for (const auto& command : kCommands)
            known = known || std::string(argv[1]) == command.name;
        if (!known)
            return suggestCommand(argv[1]);
    }
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
    return 0;
}
