// Times the resolver on a large kit repository, for bench_resolve.sh: one
// Resolver, the repository added as a kit (from its XML, or from a solv
// cache), one variant including the first N names of a roots file, resolved.
// Prints one line:
//   cache=none|loaded|written load_ms=X resolve_ms=Y total_ms=Z cpu_ms=C packages=K
// (wall times; cpu_ms is the process's CPU time over the same span, which a
// busy machine changes much less)
// and with --list the resolved packages (name-evr.arch), one per line, after it.
//
// usage: resolve_bench --repo DIR --roots FILE --count N [--cache FILE]
//                      [--prefix P] [--arch ARCH] [--list]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

#include "solve/resolver.h"
#include "util/error.h"

using namespace twoliter;

namespace {

struct BenchOptions {
    std::string repository;
    std::string rootsFile;
    size_t count = 0;
    std::string solvCache;
    std::string prefix = "bottlerocket-";
    Arch arch = Arch::X86_64;
    bool list = false;
};

[[noreturn]] void usage() {
    std::fprintf(stderr,
                 "usage: resolve_bench --repo DIR --roots FILE --count N [--cache FILE]\n"
                 "                     [--prefix P] [--arch x86_64|aarch64] [--list]\n");
    std::exit(2);
}

BenchOptions parse(int argc, char** argv) {
    BenchOptions options;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc)
                usage();
            return argv[++i];
        };
        if (arg == "--repo")
            options.repository = value();
        else if (arg == "--roots")
            options.rootsFile = value();
        else if (arg == "--count")
            options.count = std::stoul(value());
        else if (arg == "--cache")
            options.solvCache = value();
        else if (arg == "--prefix")
            options.prefix = value();
        else if (arg == "--arch")
            options.arch = value() == "aarch64" ? Arch::Aarch64 : Arch::X86_64;
        else if (arg == "--list")
            options.list = true;
        else
            usage();
    }
    if (options.repository.empty() || options.rootsFile.empty() || options.count == 0)
        usage();
    return options;
}

// The first count lines of the roots file (package names without the prefix).
std::vector<std::string> readRoots(const std::string& path, size_t count) {
    std::ifstream in(path);
    if (!in)
        throw Error("cannot read the roots file", {path});
    std::vector<std::string> roots;
    for (std::string line; roots.size() < count && std::getline(in, line);) {
        if (!line.empty())
            roots.push_back(line);
    }
    if (roots.size() < count)
        throw Error("the roots file has only " + std::to_string(roots.size()) + " names", {path});
    return roots;
}

double cpuMilliseconds() {
    timespec now{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    return now.tv_sec * 1e3 + now.tv_nsec / 1e6;
}

double millisecondsSince(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
        .count();
}

const char* cacheName(SolvCacheUse use) {
    switch (use) {
        case SolvCacheUse::Loaded:
            return "loaded";
        case SolvCacheUse::Written:
            return "written";
        case SolvCacheUse::None:
            break;
    }
    return "none";
}

}  // namespace

int main(int argc, char** argv) {
    BenchOptions options = parse(argc, argv);
    try {
        VariantManifest variant;
        variant.name = "metal-bench-1";
        variant.includedPackages = readRoots(options.rootsFile, options.count);
        variant.includedPackagesLocation = {options.rootsFile};
        double cpuStart = cpuMilliseconds();
        auto start = std::chrono::steady_clock::now();
        Resolver resolver(options.arch, options.prefix);
        SolvCacheUse cache =
            resolver.addKitRepository("bench-kit", options.repository, options.solvCache);
        resolver.addSdkProvides({});
        double loadMs = millisecondsSince(start);
        auto resolveStart = std::chrono::steady_clock::now();
        std::vector<ResolvedPackage> packages = resolver.resolveVariant(variant);
        double resolveMs = millisecondsSince(resolveStart);
        double totalMs = millisecondsSince(start);
        double cpuMs = cpuMilliseconds() - cpuStart;
        std::printf(
            "cache=%s load_ms=%.1f resolve_ms=%.1f total_ms=%.1f cpu_ms=%.1f packages=%zu\n",
            cacheName(cache), loadMs, resolveMs, totalMs, cpuMs, packages.size());
        if (options.list) {
            for (const auto& package : packages) {
                if (package.origin == PackageOrigin::Kit)
                    std::printf("%s-%s.%s\n", package.name.c_str(), package.evr.c_str(),
                                package.arch.c_str());
            }
        }
    } catch (const Error& error) {
        std::fprintf(stderr, "resolve_bench: %s\n", error.describe().c_str());
        return 1;
    }
    return 0;
}
