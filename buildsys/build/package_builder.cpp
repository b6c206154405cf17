#include "build/package_builder.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <tuple>

#include "repo/rpm_repository.h"
#include "util/files.h"
#include "util/strings.h"

namespace fs = std::filesystem;

namespace twoliter {

std::vector<std::string> rpmbuildCommand(const std::string& macrosPath, const std::string& arch,
                                         const std::string& specPath) {
    return {"rpmbuild",
            "-bb",
            "--nodeps",
            "--load",
            macrosPath,
            "--undefine",
            "_auto_set_build_flags",
            "--define",
            "_topdir /build/rpmbuild",
            "--define",
            "_sourcedir /build/SOURCES",
            "--define",
            "_target_cpu " + arch,
            "--define",
            "_buildhost builder",
            "--define",
            "use_source_date_epoch_as_buildtime 1",
            "--define",
            "clamp_mtime_to_source_date_epoch 1",
            "--define",
            "_build_id_links none",
            specPath};
}

SandboxSpec rpmbuildSandbox(const std::string& sdkRootfs, const std::string& work,
                            const std::string& sourceDateEpoch) {
    SandboxSpec spec;
    spec.rootfs = sdkRootfs;
    spec.mounts.push_back({work, "/build", true});
    spec.tmpfs = {"/tmp", "/var/tmp"};
    spec.environment = {{"PATH", "/usr/bin:/usr/sbin:/bin:/sbin"},
                        {"HOME", "/build"},
                        {"LANG", "C.UTF-8"},
                        {"TZ", "UTC"},
                        {"SOURCE_DATE_EPOCH", sourceDateEpoch}};
    spec.workingDirectory = "/build";
    return spec;
}

std::string rpmFileName(const std::string& name, const std::string& evr, const std::string& arch) {
    size_t colon = evr.find(':');
    return name + "-" + (colon == std::string::npos ? evr : evr.substr(colon + 1)) + "." + arch +
           ".rpm";
}

PackageBuilder::PackageBuilder(const Planner& planner, std::vector<ActionInputs> baseInputs,
                               PackageBuildSettings settings, ContentStore& store,
                               ActionCache& actions, ExternalFileStore& externalFiles,
                               BuildRootCache& buildRoots, SandboxRunner& sandbox,
                               BuildState& state)
    : planner_(planner),
      baseInputs_(std::move(baseInputs)),
      settings_(std::move(settings)),
      store_(store),
      actions_(actions),
      externalFiles_(externalFiles),
      buildRoots_(buildRoots),
      sandbox_(sandbox),
      state_(state) {}

namespace {

double secondsSince(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Copies the package folder's visible files into sources (rpm's %_sourcedir).
void copyPackageFiles(const std::string& packageDirectory, const std::string& sources) {
    for (const auto& entry : fs::directory_iterator(packageDirectory)) {
        std::string name = entry.path().filename();
        if (name.empty() || name[0] == '.')
            continue;
        fs::copy(entry.path(), sources + "/" + name,
                 fs::copy_options::recursive | fs::copy_options::copy_symlinks);
    }
}

size_t filesIn(const std::string& directory) {
    std::error_code error;
    size_t count = 0;
    for (fs::directory_iterator it(directory, error), end; !error && it != end;
         it.increment(error)) {
        ++count;
    }
    return count;
}

// Hard-links, or copies across file systems.
void linkOrCopy(const std::string& from, const std::string& to) {
    std::error_code error;
    fs::create_hard_link(from, to, error);
    if (error)
        fs::copy_file(from, to, fs::copy_options::overwrite_existing);
}

// A build-root RPM of a kit: its file in the kit's repository and the SHA-256
// the repository's metadata lists (verified when the kit was fetched).
std::tuple<std::string, std::string, std::string> kitRpm(const ResolvedPackage& resolved) {
    if (resolved.rpmPath.empty()) {
        throw Error("the build root needs " + resolved.name + " from kit " + resolved.repository +
                        ", which is given as a source tree; build roots take kit packages only "
                        "from kit repositories",
                    {}, "fetch the kit ('twoliter fetch') instead of passing --kit-source");
    }
    if (resolved.sha256.empty()) {
        throw Error("the repository metadata of kit " + resolved.repository +
                        " lists no SHA-256 for " + resolved.name,
                    {resolved.rpmPath});
    }
    if (!isRegularFile(resolved.rpmPath)) {
        throw Error("kit " + resolved.repository + " lacks " + resolved.name, {resolved.rpmPath},
                    "run 'twoliter fetch' again");
    }
    return {fs::path(resolved.rpmPath).filename().string(), resolved.rpmPath, resolved.sha256};
}

}  // namespace

std::vector<std::tuple<std::string, std::string, std::string>> PackageBuilder::buildRootRpms(
    size_t package) const {
    std::vector<std::tuple<std::string, std::string, std::string>> rpms;
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& resolved : planner_.packages()[package].buildRoot) {
        if (resolved.origin != PackageOrigin::Local) {
            rpms.emplace_back(kitRpm(resolved));
            continue;
        }
        std::string file = rpmFileName(resolved.name, resolved.evr, resolved.arch);
        const std::string& producer = planner_.project().packages[resolved.specIndex].packageName;
        auto outputs = outputs_.find(resolved.specIndex);
        if (outputs == outputs_.end() || !outputs->second.count(file)) {
            throw Error("the build root needs " + file + ", which " + producer +
                        " did not produce");
        }
        const std::string& digest = outputs->second.at(file);
        // The published copy: present whenever the producer's job succeeded,
        // even if the cache entry was pruned since.
        rpms.emplace_back(file, settings_.rpmDirectory + "/" + producer + "/" + file, digest);
    }
    return rpms;
}

// Unchanged since the last run: same key, and build/rpms/<pkg>/ still holds
// its outputs. A few stats, no cache lookup.
bool PackageBuilder::unchanged(size_t package, const std::string& key) {
    auto entry = state_.find(planner_.project().packages[package].packageName);
    if (!entry || entry->key != key || !published(package, entry->outputs))
        return false;
    actions_.touch(key);  // a use, for pruning
    std::lock_guard<std::mutex> lock(mutex_);
    outputs_[package] = entry->outputs;
    return true;
}

std::string PackageBuilder::explain(size_t package, const ActionInputs& inputs) const {
    auto entry = state_.find(planner_.project().packages[package].packageName);
    if (!entry)
        return "not built before";
    auto previous = actions_.find(entry->key);
    if (!previous)
        return "the previous build's record is gone";
    auto changes = explainDifference({previous->inputs}, inputs);
    return changes.empty() ? "outputs missing" : joinStrings(changes, ", ");
}

ActionInputs PackageBuilder::inputsOf(size_t package) const {
    ActionInputs inputs = baseInputs_.at(package);
    for (const auto& [name, path, digest] : buildRootRpms(package)) {
        inputs.add("build-root:" + name, digest);
    }
    std::sort(inputs.items.begin(), inputs.items.end());
    return inputs;
}

std::optional<JobResult> PackageBuilder::runIfUpToDate(size_t package) {
    auto start = std::chrono::steady_clock::now();
    try {
        if (unchanged(package, inputsOf(package).key())) {
            return JobResult{JobState::Cached, secondsSince(start), "inputs unchanged", ""};
        }
    } catch (const Error&) {
        // run() reports it
    }
    return std::nullopt;
}

JobResult PackageBuilder::run(size_t package) {
    auto start = std::chrono::steady_clock::now();
    const PackageManifest& manifest = planner_.project().packages[package];
    std::string log = settings_.logDirectory + "/" + manifest.packageName + ".log";
    try {
        ActionInputs inputs = inputsOf(package);
        std::string key = inputs.key();
        if (unchanged(package, key)) {
            return {JobState::Cached, secondsSince(start), "inputs unchanged", ""};
        }
        auto record = actions_.find(key);
        std::vector<std::string> corrupt;
        if (record && outputsIntact(store_, record->outputs, corrupt)) {
            publish(package, key, *record);
            return {JobState::Cached, secondsSince(start), "inputs unchanged", ""};
        }
        std::string why = explain(package, inputs);
        if (!corrupt.empty()) {
            why = "corrupt cache entry " + joinStrings(corrupt, ", ");
            std::lock_guard<std::mutex> lock(mutex_);
            for (const auto& path : corrupt)
                warnings_.push_back("cache entry " + path + " of " + manifest.packageName +
                                    " does not match its digest: discarded, rebuilding " +
                                    manifest.packageName);
        }
        JobResult result = build(package, inputs, key);
        result.seconds = secondsSince(start);
        if (result.state == JobState::Built)
            result.detail = why;
        return result;
    } catch (const Error& e) {
        return {JobState::Failed, secondsSince(start), e.describe(), log};
    } catch (const fs::filesystem_error& e) {
        return {JobState::Failed, secondsSince(start), fileSystemError(e).describe(), log};
    } catch (const std::exception& e) {
        return {JobState::Failed, secondsSince(start), e.what(), log};
    }
}

JobResult PackageBuilder::build(size_t package, const ActionInputs& inputs,
                                const std::string& key) {
    auto start = std::chrono::steady_clock::now();
    const PackageManifest& manifest = planner_.project().packages[package];
    std::string log = settings_.logDirectory + "/" + manifest.packageName + ".log";
    writeFileAtomic(log, "");
    std::string work = settings_.stateDirectory + "/work/" + manifest.packageName;
    fs::remove_all(work);
    fs::create_directories(work + "/SOURCES");
    fs::create_directories(work + "/rpmbuild");
    copyPackageFiles(manifest.directory, work + "/SOURCES");
    for (const auto& external : manifest.externalFiles) {
        linkOrCopy(externalFiles_.ensure(external), work + "/SOURCES/" + external.fileName());
    }
    std::string buildRoot = buildRoots_.ensure(buildRootRpms(package), log);

    std::call_once(sourceDateOnce_, [&] { sourceDate_ = settings_.sourceDateEpoch(); });
    SandboxSpec spec = rpmbuildSandbox(settings_.sdkRootfs, work, sourceDate_);
    // The build root first: mounts of the same depth are applied in order.
    std::vector<SandboxMount> rootMounts = buildRootMounts(buildRoot, settings_.sdkRootfs);
    spec.mounts.insert(spec.mounts.begin(), rootMounts.begin(), rootMounts.end());
    spec.logPath = log;
    spec.command =
        rpmbuildCommand(settings_.sdkMacrosPath, settings_.environment.archName,
                        "/build/SOURCES/" + fs::path(manifest.specPath()).filename().string());
    SandboxResult result = sandbox_.run(spec);
    if (!result.ok()) {
        std::string how = result.signal ? "was killed by signal " + std::to_string(result.signal)
                                        : "exited with " + std::to_string(result.exitCode);
        if (fileSystemFull(work))
            how += ": no space left on device for " + work;
        return {JobState::Failed, 0, "rpmbuild " + how, log};
    }
    std::string built = work + "/rpmbuild/RPMS";
    std::vector<std::string> rpms = rpmFilesBelow(built);
    if (rpms.empty())
        return {JobState::Failed, 0, "rpmbuild produced no RPMs", log};
    ActionRecord record;
    for (const auto& relative : rpms) {
        std::string path = built + "/" + relative;
        record.outputs.push_back(
            {fs::path(path).filename(), store_.put(path), fs::file_size(path)});
    }
    record.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    record.inputs = inputs.items;
    actions_.store(key, record);
    publish(package, key, record);
    fs::remove_all(work);
    return {JobState::Built, 0, "", log};
}

bool PackageBuilder::published(size_t package,
                               const std::map<std::string, std::string>& outputs) const {
    std::string directory =
        settings_.rpmDirectory + "/" + planner_.project().packages[package].packageName;
    if (!isDirectory(directory) || filesIn(directory) != outputs.size())
        return false;
    for (const auto& [name, digest] : outputs) {
        if (!isRegularFile(directory + "/" + name))
            return false;
    }
    return true;
}

void PackageBuilder::publish(size_t package, const std::string& key, const ActionRecord& record) {
    const std::string& name = planner_.project().packages[package].packageName;
    std::string directory = settings_.rpmDirectory + "/" + name;
    std::map<std::string, std::string> outputs;
    for (const auto& output : record.outputs)
        outputs[output.name] = output.digest;
    // build/rpms/<pkg>/ holds these outputs only if the last run recorded
    // the same digests: a rebuilt RPM usually keeps its file name.
    auto previous = state_.find(name);
    bool current = previous && previous->outputs == outputs && published(package, outputs);
    if (!current) {
        std::string fresh = directory + ".tmp-" + uniqueSuffix();
        fs::create_directories(fresh);
        for (const auto& [file, digest] : outputs)
            store_.materialize(digest, fresh + "/" + file);
        std::string old = directory + ".old-" + uniqueSuffix();
        std::error_code ignored;
        fs::rename(directory, old, ignored);
        fs::rename(fresh, directory);
        fs::remove_all(old, ignored);
    }
    state_.record(name, {key, outputs});
    std::lock_guard<std::mutex> lock(mutex_);
    outputs_[package] = std::move(outputs);
}

void PackageBuilder::cancel() {
    sandbox_.cancelAll();
}

std::vector<std::string> PackageBuilder::warnings() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return warnings_;
}

std::map<std::string, std::string> PackageBuilder::outputsOf(size_t package) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = outputs_.find(package);
    return it == outputs_.end() ? std::map<std::string, std::string>{} : it->second;
}

}  // namespace twoliter
