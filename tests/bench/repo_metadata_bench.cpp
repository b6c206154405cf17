// Writes (and optionally verifies) the repository metadata of a folder of
// RPMs with twoliter's writer, for bench_repo.sh; prints what it did and how
// long it took on one line:
//   packages=N reused=N read=N write_ms=X [verify_ms=Y]
//
// usage: repo_metadata_bench DIRECTORY [--jobs N] [--epoch N] [--from-scratch]
//                            [--sign SECRET_KEY] [--verify PUBLIC_KEY]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "repo/repo_verify.h"
#include "repo/rpm_repository.h"
#include "util/error.h"

using namespace twoliter;

namespace {

struct BenchOptions {
    std::string directory;
    RepositoryOptions repository;
    std::string verifyKey;
};

[[noreturn]] void usage() {
    std::fprintf(stderr,
                 "usage: repo_metadata_bench DIRECTORY [--jobs N] [--epoch N] [--from-scratch]\n"
                 "                           [--sign SECRET_KEY] [--verify PUBLIC_KEY]\n");
    std::exit(2);
}

BenchOptions parse(int argc, char** argv) {
    BenchOptions options;
    options.repository.epoch = 1704067200;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc)
                usage();
            return argv[++i];
        };
        if (arg == "--jobs")
            options.repository.jobs = static_cast<unsigned>(std::stoul(value()));
        else if (arg == "--epoch")
            options.repository.epoch = std::stoll(value());
        else if (arg == "--from-scratch")
            options.repository.incremental = false;
        else if (arg == "--sign")
            options.repository.signingKey = value();
        else if (arg == "--verify")
            options.verifyKey = value();
        else if (arg.empty() || arg[0] == '-' || !options.directory.empty())
            usage();
        else
            options.directory = arg;
    }
    if (options.directory.empty())
        usage();
    return options;
}

double millisecondsSince(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
        .count();
}

}  // namespace

int main(int argc, char** argv) {
    BenchOptions options = parse(argc, argv);
    try {
        auto start = std::chrono::steady_clock::now();
        RepositoryStats stats = writeRpmRepository(options.directory, options.repository);
        double writeMs = millisecondsSince(start);
        std::printf("packages=%zu reused=%zu read=%zu write_ms=%.1f", stats.packages, stats.reused,
                    stats.read, writeMs);
        if (!options.verifyKey.empty()) {
            start = std::chrono::steady_clock::now();
            verifyRepository(options.directory, options.verifyKey);
            std::printf(" verify_ms=%.1f", millisecondsSince(start));
        }
        std::printf("\n");
    } catch (const Error& error) {
        std::fprintf(stderr, "repo_metadata_bench: %s\n", error.describe().c_str());
        return 1;
    }
    return 0;
}
