#include "tuf/repository_verify.h"

#include <sys/stat.h>

#include <optional>

#include "tuf/tuf_time.h"
#include "util/digest.h"
#include "util/error.h"
#include "util/files.h"

namespace twoliter {

namespace {

constexpr int64_t kRootMaxLength = 512 * 1024;
constexpr int64_t kTimestampMaxLength = 64 * 1024;
constexpr int64_t kSnapshotMaxLength = 2 * 1024 * 1024;
constexpr int64_t kTargetsMaxLength = 64 * 1024 * 1024;
constexpr int64_t kMaxRootRotations = 1024;

class ClientWorkflow {
  public:
    ClientWorkflow(RepositorySource& source, const VerifyOptions& options)
        : source_(source), options_(options) {}

    VerifiedRepository run(const std::string& trustedRoot, const std::string& rootWhere) {
        loadTrustedRoot(trustedRoot, rootWhere);
        updateRoot();
        loadState();
        updateTimestamp();
        updateSnapshot();
        updateTargets();
        if (options_.checkTargets)
            checkTargets();
        saveState();
        return std::move(result_);
    }

  private:
    std::string fetch(const std::string& name, int64_t maxLength) {
        auto bytes = source_.metadata(name, maxLength);
        if (!bytes)
            throw Error("missing from the repository", {source_.metadataLocation(name)});
        return *bytes;
    }

    void checkExpiry(const std::string& role, int64_t expires, const std::string& where) {
        if (options_.now < expires)
            return;
        if (options_.enforceExpiration) {
            throw Error(role + " metadata expired at " + formatRfc3339(expires),
                        {where, 0, "signed.expires"},
                        "refresh the repository (twoliter repo refresh) or check the clock");
        }
        result_.expired.push_back(role);
    }

    void loadTrustedRoot(const std::string& bytes, const std::string& where) {
        SignedDocument document = parseSignedDocument(bytes, where);
        result_.root = rootFromDocument(document);
        checkThreshold(document, result_.root, "root");
        result_.rootBytes = bytes;
        result_.rootChain.emplace_back(result_.root.version, bytes);
        rootWhere_ = where;
    }

    // §5.3: every newer root, signed by the old root's threshold and its own.
    void updateRoot() {
        for (int64_t i = 0; i < kMaxRootRotations; ++i) {
            int64_t version = result_.root.version + 1;
            std::string name = std::to_string(version) + ".root.json";
            auto bytes = source_.metadata(name, kRootMaxLength);
            if (!bytes)
                break;
            SignedDocument document = parseSignedDocument(*bytes, source_.metadataLocation(name));
            checkThreshold(document, result_.root, "root");
            RootRole next = rootFromDocument(document);
            checkThreshold(document, next, "root");
            if (next.version != version) {
                throw Error("root version " + std::to_string(next.version) + " where version " +
                                std::to_string(version) + " was expected",
                            {document.where, 0, "signed.version"});
            }
            result_.root = next;
            result_.rootBytes = *bytes;
            result_.rootChain.emplace_back(version, *bytes);
            rootWhere_ = document.where;
        }
        checkExpiry("root", result_.root.expires, rootWhere_);
    }

    // The trusted timestamp and snapshot of an earlier run, if they still
    // verify with the current root (a key rotation discards them, §5.3.11).
    void loadState() {
        if (options_.stateDirectory.empty())
            return;
        try {
            std::string path = options_.stateDirectory + "/timestamp.json";
            if (auto bytes = readFileIfExists(path)) {
                SignedDocument document = parseSignedDocument(*bytes, path);
                checkThreshold(document, result_.root, "timestamp");
                trustedTimestamp_ = timestampFromDocument(document);
            }
            path = options_.stateDirectory + "/snapshot.json";
            if (auto bytes = readFileIfExists(path)) {
                SignedDocument document = parseSignedDocument(*bytes, path);
                checkThreshold(document, result_.root, "snapshot");
                trustedSnapshot_ = snapshotFromDocument(document);
            }
        } catch (const Error&) {
            trustedTimestamp_.reset();
            trustedSnapshot_.reset();
        }
    }

    void saveState() {
        if (options_.stateDirectory.empty())
            return;
        writeFileAtomic(options_.stateDirectory + "/timestamp.json", result_.timestampBytes);
        writeFileAtomic(options_.stateDirectory + "/snapshot.json", result_.snapshotBytes);
    }

    // §5.4
    void updateTimestamp() {
        std::string bytes = fetch("timestamp.json", kTimestampMaxLength);
        SignedDocument document =
            parseSignedDocument(bytes, source_.metadataLocation("timestamp.json"));
        checkThreshold(document, result_.root, "timestamp");
        TimestampRole timestamp = timestampFromDocument(document);
        if (trustedTimestamp_) {
            rollback(document.where, "signed.version", "timestamp", timestamp.version,
                     trustedTimestamp_->version);
            rollback(document.where, "signed.meta.snapshot.json.version", "snapshot",
                     timestamp.snapshot.version, trustedTimestamp_->snapshot.version);
        }
        checkExpiry("timestamp", timestamp.expires, document.where);
        result_.timestamp = timestamp;
        result_.timestampBytes = bytes;
    }

    void rollback(const std::string& where, const std::string& key, const std::string& role,
                  int64_t version, int64_t trusted) {
        if (version < trusted) {
            throw Error(role + " version " + std::to_string(version) +
                            " is lower than the version " + std::to_string(trusted) +
                            " trusted before: a rollback",
                        {where, 0, key});
        }
    }

    std::string versionedName(int64_t version, const std::string& role) const {
        if (!result_.root.consistentSnapshot)
            return role + ".json";
        return std::to_string(version) + "." + role + ".json";
    }

    // A role file that meta lists (§5.5.1-5.5.3, §5.6.1-5.6.3): fetched
    // within its length, matching its hashes, signed by a threshold of the
    // role's keys.
    struct ListedRole {
        SignedDocument document;
        std::string bytes;
    };
    ListedRole fetchListed(const MetaFile& meta, const std::string& role, int64_t maxLength) {
        std::string name = versionedName(meta.version, role);
        ListedRole listed;
        listed.bytes = fetch(name, meta.length.value_or(maxLength));
        std::string where = source_.metadataLocation(name);
        checkMetaFile(meta, listed.bytes, where, false);
        listed.document = parseSignedDocument(listed.bytes, where);
        checkThreshold(listed.document, result_.root, role);
        return listed;
    }

    // §5.5.4, §5.6.4: the role's version is the one meta lists (listedBy
    // names the file that lists it).
    void checkListedVersion(const std::string& role, int64_t version, const MetaFile& meta,
                            const std::string& listedBy, const std::string& where) {
        if (version != meta.version) {
            throw Error(role + " version " + std::to_string(version) +
                            " differs from the version " + std::to_string(meta.version) + " " +
                            listedBy + " lists",
                        {where, 0, "signed.version"});
        }
    }

    // §5.5
    void updateSnapshot() {
        const MetaFile& meta = result_.timestamp.snapshot;
        ListedRole listed = fetchListed(meta, "snapshot", kSnapshotMaxLength);
        const std::string& where = listed.document.where;
        SnapshotRole snapshot = snapshotFromDocument(listed.document);
        checkListedVersion("snapshot", snapshot.version, meta, "timestamp.json", where);
        if (trustedSnapshot_) {
            for (const auto& [file, trusted] : trustedSnapshot_->meta) {
                auto found = snapshot.meta.find(file);
                if (found == snapshot.meta.end())
                    throw Error(file + " was removed from the snapshot", {where, 0, "signed.meta"});
                rollback(where, "signed.meta." + file + ".version", file, found->second.version,
                         trusted.version);
            }
        }
        checkExpiry("snapshot", snapshot.expires, where);
        result_.snapshot = snapshot;
        result_.snapshotBytes = std::move(listed.bytes);
    }

    // §5.6 (top-level targets only)
    void updateTargets() {
        auto found = result_.snapshot.meta.find("targets.json");
        if (found == result_.snapshot.meta.end()) {
            throw Error(
                "the snapshot lists no targets.json",
                {source_.metadataLocation(versionedName(result_.snapshot.version, "snapshot")), 0,
                 "signed.meta"});
        }
        ListedRole listed = fetchListed(found->second, "targets", kTargetsMaxLength);
        TargetsRole targets = targetsFromDocument(listed.document);
        checkListedVersion("targets", targets.version, found->second, "the snapshot",
                           listed.document.where);
        checkExpiry("targets", targets.expires, listed.document.where);
        result_.targets = targets;
        result_.targetsBytes = std::move(listed.bytes);
    }

    // §5.7 for every target.
    void checkTargets() {
        for (const auto& [name, target] : result_.targets.targets) {
            std::string fileName =
                result_.root.consistentSnapshot ? consistentTargetName(name, target) : name;
            auto path = source_.targetFile(fileName, target.length, options_.scratchDirectory);
            if (!path)
                throw Error("target " + name + " is missing", {source_.targetLocation(fileName)});
            checkTargetFile(*path, target, source_.targetLocation(fileName));
            if (!source_.isLocal())
                std::remove(path->c_str());
            result_.targetBytesChecked += target.length;
        }
    }

    RepositorySource& source_;
    const VerifyOptions& options_;
    VerifiedRepository result_;
    std::optional<TimestampRole> trustedTimestamp_;
    std::optional<SnapshotRole> trustedSnapshot_;
    std::string rootWhere_;  // the file of the newest trusted root
};

}  // namespace

VerifiedRepository verifyRepository(const std::string& trustedRoot, const std::string& rootWhere,
                                    RepositorySource& source, const VerifyOptions& options) {
    return ClientWorkflow(source, options).run(trustedRoot, rootWhere);
}

std::string consistentTargetName(const std::string& name, const TargetFile& target) {
    auto hash = target.hashes.find("sha256");
    std::string prefix = hash != target.hashes.end() ? hash->second : target.hashes.begin()->second;
    size_t slash = name.rfind('/');
    if (slash == std::string::npos)
        return prefix + "." + name;
    return name.substr(0, slash + 1) + prefix + "." + name.substr(slash + 1);
}

void checkTargetFile(const std::string& path, const TargetFile& target, const std::string& where) {
    struct stat info {};
    if (stat(path.c_str(), &info) != 0)
        throw Error("cannot read the target", {where});
    if (info.st_size != target.length) {
        throw Error("length " + std::to_string(info.st_size) + " differs from the " +
                        std::to_string(target.length) + " targets.json lists",
                    {where}, "the target's bytes changed after it was signed");
    }
    bool checked = false;
    for (const auto& [algorithm, hex] : target.hashes) {
        std::string actual;
        if (algorithm == "sha256")
            actual = sha256FileHex(path);
        else if (algorithm == "sha512")
            actual = sha512FileHex(path);
        else
            continue;
        checked = true;
        if (actual != hex) {
            throw Error(
                algorithm + " " + actual + " differs from the " + hex + " targets.json lists",
                {where}, "the target's bytes changed after it was signed");
        }
    }
    if (!checked)
        throw Error("targets.json lists no sha256 or sha512 for it", {where});
}

std::string readVerifiedTarget(RepositorySource& source, const VerifiedRepository& repository,
                               const std::string& name, const std::string& scratchDirectory) {
    auto found = repository.targets.targets.find(name);
    if (found == repository.targets.targets.end())
        throw Error("the repository has no target " + name, {source.metadataLocation("targets")});
    std::string fileName =
        repository.root.consistentSnapshot ? consistentTargetName(name, found->second) : name;
    auto path = source.targetFile(fileName, found->second.length, scratchDirectory);
    if (!path)
        throw Error("target " + name + " is missing", {source.targetLocation(fileName)});
    checkTargetFile(*path, found->second, source.targetLocation(fileName));
    std::string bytes = readFile(*path);
    if (!source.isLocal())
        std::remove(path->c_str());
    return bytes;
}

}  // namespace twoliter
