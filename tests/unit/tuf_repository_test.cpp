// TUF update repositories written (tuf/update_repository.h) and verified as
// a client does (tuf/repository_verify.h): the layout, extending, refresh,
// versions, and each tampering a client must refuse.
#include <catch2/catch.hpp>
#include <filesystem>

#include "support/error_text.h"
#include "support/temp_tree.h"
#include "tuf/policy_files.h"
#include "tuf/repository_verify.h"
#include "tuf/root_role.h"
#include "tuf/tuf_time.h"
#include "tuf/update_repository.h"
#include "util/files.h"

using namespace twoliter;
using twoliter::testing::errorText;
using twoliter::testing::TempDir;
using twoliter::testing::writeTreeFile;

namespace {

constexpr int64_t kNow = 1800000000;
const std::string kPrefix = "bottlerocket-metal-dev-x86_64-1.0.0-abc";

class RepositoryFixture {
  public:
    explicit RepositoryFixture(int64_t signingThreshold = 1) {
        for (const char* name : {"a", "b"})
            keys_.push_back(SigningKey::generate(TufKeyType::Ed25519, dir_.path() + "/" + name));
        RootRoleSpec spec;
        spec.rootKeys = {&keys_[0]};
        spec.signingKeys = {&keys_[0], &keys_[1]};
        spec.signingThreshold = signingThreshold;
        spec.expires = kNow + 365 * 86400;
        rootPath_ = dir_.path() + "/root.json";
        writeFileAtomic(rootPath_, createRootRole(spec));
        writeParts("1.0.0", "first");
    }

    void writeParts(const std::string& version, const std::string& content) {
        std::string prefix = "bottlerocket-metal-dev-x86_64-" + version + "-abc";
        for (const char* part : {"-boot.ext4.lz4", "-root.ext4.lz4", "-root.verity.lz4"})
            writeTreeFile(dir_.path(), "images/" + prefix + part, content + part);
        version_ = version;
    }

    RepoCreateOptions options(const std::string& output, int64_t now, int64_t start) const {
        RepoCreateOptions options;
        options.variant = "metal-dev";
        options.arch = "x86_64";
        options.version = version_;
        std::string prefix =
            dir_.path() + "/images/bottlerocket-metal-dev-x86_64-" + version_ + "-abc";
        options.bootImage = prefix + "-boot.ext4.lz4";
        options.rootImage = prefix + "-root.ext4.lz4";
        options.hashImage = prefix + "-root.verity.lz4";
        options.migrations = {{"(0.9.0, 1.0.0)", {}}};
        options.waves = parseWavePolicy(defaultWavePolicyText(), "waves.toml");
        options.expiration = parseExpirationPolicy(defaultExpirationPolicyText(), "exp.toml");
        options.now = now;
        options.startTime = start;
        options.trustedRootPath = rootPath_;
        options.trustedRoot = readFile(rootPath_);
        for (const auto& key : keys_)
            options.keys.push_back(&key);
        options.outputDirectory = dir_.path() + "/" + output;
        std::filesystem::create_directories(dir_.path() + "/scratch");
        options.scratchDirectory = dir_.path() + "/scratch";
        return options;
    }

    RepoWriteResult create(const std::string& output, int64_t now = kNow,
                           RepositorySource* existing = nullptr) {
        RepoCreateOptions create = options(output, now, now);
        create.existing = existing;
        return createUpdateRepository(create);
    }

    VerifiedRepository verify(const std::string& output, int64_t now = kNow,
                              const std::string& state = "") {
        auto source = repositoryAt(dir_.path() + "/" + output, "metal-dev", "x86_64");
        VerifyOptions options;
        options.now = now;
        options.stateDirectory = state.empty() ? "" : dir_.path() + "/" + state;
        return verifyRepository(readFile(rootPath_), rootPath_, *source, options);
    }

    std::string path(const std::string& relative) const { return dir_.path() + "/" + relative; }
    std::string metadata(const std::string& output) const {
        return path(output + "/metal-dev/x86_64");
    }
    const std::vector<SigningKey>& keys() const { return keys_; }

  private:
    TempDir dir_;
    std::vector<SigningKey> keys_;
    std::string rootPath_;
    std::string version_;
};

std::string targetFile(const std::string& targets, const std::string& suffix) {
    for (const auto& entry : std::filesystem::directory_iterator(targets)) {
        std::string name = entry.path().filename().string();
        if (name.size() > suffix.size() &&
            name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
            return entry.path().string();
    }
    return "";
}

}  // namespace

TEST_CASE("tuf repository: a new repository has upstream's layout and verifies", "[tuf]") {
    RepositoryFixture fixture;
    RepoWriteResult result = fixture.create("repo");
    CHECK(result.version == kNow);
    CHECK(result.targetCount == 4);
    std::string metadata = fixture.metadata("repo");
    std::string version = std::to_string(kNow);
    CHECK(isRegularFile(metadata + "/1.root.json"));
    CHECK(isRegularFile(metadata + "/" + version + ".targets.json"));
    CHECK(isRegularFile(metadata + "/" + version + ".snapshot.json"));
    CHECK(isRegularFile(metadata + "/timestamp.json"));
    VerifiedRepository repository = fixture.verify("repo");
    CHECK(repository.timestamp.expires == kNow + 7 * 86400);
    CHECK(repository.snapshot.expires == kNow + 14 * 86400);
    CHECK(repository.targets.expires == kNow + 14 * 86400);
    const TargetFile& boot = repository.targets.targets.at(kPrefix + "-boot.ext4.lz4");
    CHECK(isRegularFile(fixture.path("repo/targets/") + boot.hashes.at("sha256") + "." + kPrefix +
                        "-boot.ext4.lz4"));
    auto source = repositoryAt(fixture.path("repo"), "metal-dev", "x86_64");
    UpdateManifest manifest = parseUpdateManifest(
        readVerifiedTarget(*source, repository, "manifest.json", ""), "manifest.json");
    REQUIRE(manifest.updates.size() == 1);
    CHECK(manifest.updates[0].images.root == kPrefix + "-root.ext4.lz4");
    CHECK(manifest.updates[0].waves.at(0) == kNow + 3600);
    CHECK(manifest.migrations.count("(0.9.0, 1.0.0)") == 1);
    // upstream refuses to write over an existing repository's metadata.
    CHECK(errorText([&] {
              fixture.create("repo");
          }).find("metal-dev/x86_64: the repository metadata folder exists already") !=
          std::string::npos);
}

TEST_CASE("tuf repository: extending keeps older targets and updates, versions increase", "[tuf]") {
    RepositoryFixture fixture;
    fixture.create("v1");
    fixture.writeParts("1.1.0", "second");
    auto previous = repositoryAt(fixture.path("v1"), "metal-dev", "x86_64");
    // A clock behind the repository's versions still gives a higher version.
    RepoWriteResult result = fixture.create("v2", kNow - 100, previous.get());
    CHECK(result.version == kNow + 1);
    CHECK(result.keptTargets == 3);
    CHECK(result.targetCount == 7);
    VerifiedRepository repository = fixture.verify("v2", kNow);
    auto source = repositoryAt(fixture.path("v2"), "metal-dev", "x86_64");
    UpdateManifest manifest = parseUpdateManifest(
        readVerifiedTarget(*source, repository, "manifest.json", ""), "manifest.json");
    REQUIRE(manifest.updates.size() == 2);
    CHECK(manifest.updates[0].version.text == "1.0.0");
    CHECK(manifest.updates[0].maxVersion.text == "1.1.0");
    CHECK(manifest.updates[1].maxVersion.text == "1.1.0");
    CHECK(nextMetadataVersion(kNow + 500, &repository) == kNow + 500);
    CHECK(nextMetadataVersion(kNow, &repository) == kNow + 2);
}

TEST_CASE("tuf repository: refresh re-signs with new versions and expirations", "[tuf]") {
    RepositoryFixture fixture;
    fixture.create("repo");
    auto source = repositoryAt(fixture.path("repo"), "metal-dev", "x86_64");
    RepoRefreshOptions options;
    options.variant = "metal-dev";
    options.arch = "x86_64";
    options.expiration = parseExpirationPolicy(defaultExpirationPolicyText(), "e.toml");
    options.now = options.startTime = kNow + 10 * 86400;
    options.trustedRootPath = fixture.path("root.json");
    options.trustedRoot = readFile(options.trustedRootPath);
    for (const auto& key : fixture.keys())
        options.keys.push_back(&key);
    options.source = source.get();
    options.sourceMetadataDirectory = fixture.metadata("repo");
    // The timestamp expired after a week: refused unless unsafe.
    CHECK(errorText([&] {
              refreshUpdateRepository(options);
          }).find("timestamp.json: signed.expires: timestamp metadata expired") !=
          std::string::npos);
    options.allowExpired = true;
    RepoWriteResult result = refreshUpdateRepository(options);
    CHECK(result.version == kNow + 10 * 86400);
    VerifiedRepository repository = fixture.verify("repo", kNow + 10 * 86400);
    CHECK(repository.timestamp.version == kNow + 10 * 86400);
    CHECK(repository.timestamp.expires == kNow + 17 * 86400);
    CHECK(repository.targets.targets.size() == 4);
}

TEST_CASE("tuf repository: the keys must meet each role's threshold", "[tuf]") {
    RepositoryFixture fixture(2);
    RepoCreateOptions options = fixture.options("repo", kNow, kNow);
    options.keys.pop_back();
    CHECK(errorText([&] {
              createUpdateRepository(options);
          }).find("root.json: signed.roles.targets: the signing keys hold 1 of the 2 keys") !=
          std::string::npos);
    CHECK_NOTHROW(fixture.create("repo"));
    CHECK_NOTHROW(fixture.verify("repo"));
}

TEST_CASE("tuf repository: a target whose bytes changed is refused", "[tuf]") {
    RepositoryFixture fixture;
    fixture.create("repo");
    std::string boot = targetFile(fixture.path("repo/targets"), "-boot.ext4.lz4");
    std::string bytes = readFile(boot);
    bytes[0] ^= 1;
    writeFileAtomic(boot, bytes);
    CHECK(errorText([&] { fixture.verify("repo"); }).find("-boot.ext4.lz4: sha256 ") !=
          std::string::npos);
}

TEST_CASE("tuf repository: metadata signed by a wrong key is refused", "[tuf]") {
    RepositoryFixture fixture;
    fixture.create("repo");
    std::string path = fixture.metadata("repo") + "/timestamp.json";
    SignedDocument document = parseSignedDocument(readFile(path), path);
    SigningKey stranger = SigningKey::generate(TufKeyType::Ed25519, fixture.path("stranger.pem"));
    writeFileAtomic(path, signMetadata(toJson(timestampFromDocument(document)), {&stranger}));
    CHECK(errorText([&] {
              fixture.verify("repo");
          }).find("timestamp.json: signatures: timestamp metadata has 0 valid signature(s)") !=
          std::string::npos);
}

TEST_CASE("tuf repository: signatures below the threshold are refused", "[tuf]") {
    RepositoryFixture fixture(2);
    fixture.create("repo");
    CHECK_NOTHROW(fixture.verify("repo"));
    std::string path = fixture.metadata("repo") + "/timestamp.json";
    SignedDocument document = parseSignedDocument(readFile(path), path);
    writeFileAtomic(path,
                    signMetadata(toJson(timestampFromDocument(document)), {&fixture.keys()[0]}));
    CHECK(errorText([&] {
              fixture.verify("repo");
          }).find("has 1 valid signature(s) of the timestamp role's keys, its threshold is 2") !=
          std::string::npos);
}

TEST_CASE("tuf repository: an expired timestamp is refused", "[tuf]") {
    RepositoryFixture fixture;
    RepoCreateOptions options = fixture.options("repo", kNow, kNow - 8 * 86400);
    createUpdateRepository(options);
    CHECK(errorText([&] {
              fixture.verify("repo");
          }).find("timestamp.json: signed.expires: timestamp metadata expired at") !=
          std::string::npos);
    auto source = repositoryAt(fixture.path("repo"), "metal-dev", "x86_64");
    VerifyOptions lenient;
    lenient.now = kNow;
    lenient.enforceExpiration = false;
    VerifiedRepository repository =
        verifyRepository(readFile(fixture.path("root.json")), "root.json", *source, lenient);
    CHECK(repository.expired == std::vector<std::string>{"timestamp"});
}

TEST_CASE("tuf repository: a rolled-back version is refused", "[tuf]") {
    RepositoryFixture fixture;
    fixture.create("repo");
    std::string timestamp = fixture.metadata("repo") + "/timestamp.json";
    std::string old = readFile(timestamp);
    CHECK_NOTHROW(fixture.verify("repo", kNow, "state"));
    // A newer timestamp is trusted, then the old one comes back.
    std::string snapshotPath =
        fixture.metadata("repo") + "/" + std::to_string(kNow) + ".snapshot.json";
    TimestampRole newer;
    newer.version = kNow + 60;
    newer.expires = kNow + 86400;
    newer.snapshot = describeMetadata(readFile(snapshotPath), kNow);
    writeFileAtomic(timestamp, signMetadata(toJson(newer), {&fixture.keys()[0]}));
    CHECK_NOTHROW(fixture.verify("repo", kNow, "state"));
    writeFileAtomic(timestamp, old);
    CHECK_NOTHROW(fixture.verify("repo", kNow));  // no state: nothing to compare with
    CHECK(errorText([&] { fixture.verify("repo", kNow, "state"); })
              .find("timestamp.json: signed.version: timestamp version " + std::to_string(kNow) +
                    " is lower than the version " + std::to_string(kNow + 60) +
                    " trusted before") != std::string::npos);
}

TEST_CASE("tuf repository: a newer root is followed only with both signatures", "[tuf]") {
    RepositoryFixture fixture;
    fixture.create("repo");
    SignedDocument first = parseSignedDocument(readFile(fixture.path("root.json")), "root.json");
    RootRole next = rootFromDocument(first);
    next.version = 2;
    std::string rootTwo = fixture.metadata("repo") + "/2.root.json";
    // Signed by a key the first root does not trust for root: refused.
    writeFileAtomic(rootTwo, signMetadata(toJson(next), {&fixture.keys()[1]}));
    CHECK(errorText([&] {
              fixture.verify("repo");
          }).find("2.root.json: signatures: root metadata has 0 valid") != std::string::npos);
    writeFileAtomic(rootTwo, signMetadata(toJson(next), {&fixture.keys()[0]}));
    CHECK(fixture.verify("repo").root.version == 2);
}
