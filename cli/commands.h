#pragma once

#include <string>
#include <vector>

namespace twoliter::cli {

// Options every command takes (see `twoliter --help`).
struct GlobalOptions {
    std::string projectPath;
    std::string arch = "x86_64";
    std::string sdk;
    std::vector<std::string> kitSources;
    int jobs = 0;
    std::string cacheDirectory;
};

struct BuildCommand {
    std::string kind;  // variant, package or kit
    std::string name;
    bool dryRun = false;
    bool json = false;
    bool packagesOnly = false;
    bool keepGoing = false;
    bool explain = false;
    std::vector<std::string> lookasideCaches;
    bool upstreamSourceFallback = false;
};

struct GraphCommand {
    std::string format = "text";
    std::string variant;
    std::string package;
    std::string kit;
};

// `twoliter repo <action> [VARIANT]`: TUF update repositories.
struct RepoCommand {
    std::string action;  // init, create, validate, check-expirations, refresh
    std::string variant;
    std::string repo = "default";
    std::vector<std::string> signingKeys;
    std::vector<std::string> rootKeys;
    bool generateRootKey = false;
    std::string keyType = "rsa";
    std::string rootRole;  // default roles/<repo>.root.json
    std::string wavePolicy;
    std::string expirationPolicy;
    std::string releaseStartTime;
    std::string extend;  // create: the repository to extend
    std::string from;    // validate, check-expirations, refresh: the repository
    std::string outdir;
    std::string migrationsDir;
    std::string stateDir;
    bool metadataOnly = false;
    std::string within = "3 days";
    bool unsafeRefresh = false;
};

// Each returns the process exit code or throws Error.
int runBuild(const GlobalOptions& options, const BuildCommand& command);
int runGraph(const GlobalOptions& options, const GraphCommand& command);
int runWhy(const GlobalOptions& options, const std::string& variant, const std::string& package);
int runCheck(const GlobalOptions& options, bool strict);
int runClean(const GlobalOptions& options);
// recipe: the recipe file (default <project>/sdk/recipe); output: the OCI
// image layout folder (default <project>/build/sdk/oci).
int runSdkCreate(const GlobalOptions& options, const std::string& recipe,
                 const std::string& output);
int runSdkImport(const GlobalOptions& options, const std::string& source);
// reference: an image reference; empty pulls what Twoliter.lock pins, by digest.
int runSdkPull(const GlobalOptions& options, const std::string& reference);
// layout: the OCI image layout to push (default <project>/build/sdk/oci).
int runSdkPush(const GlobalOptions& options, const std::string& reference,
               const std::string& layout);
int runCacheInfo(const GlobalOptions& options);
// Pushes the kit images build/kits/<kit>/ holds for this release and build
// to the vendor's registry, with an index per version.
int runPublishKit(const GlobalOptions& options, const std::string& kit, const std::string& vendor);
// Resolves Twoliter.toml's SDK and kits against their registries and writes
// Twoliter.lock.
int runUpdate(const GlobalOptions& options);
// Fetches the kits Twoliter.lock pins into build/external-kits/ (nothing
// when they are there already) and verifies them where a key is configured.
int runFetch(const GlobalOptions& options);
int runCachePrune(const GlobalOptions& options, const std::string& maxSize);
// Creates, extends, validates, checks or refreshes a TUF update repository.
int runRepo(const GlobalOptions& options, const RepoCommand& command);

}  // namespace twoliter::cli
