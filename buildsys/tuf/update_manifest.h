#pragma once

// manifest.json, the update list Bottlerocket's updog reads (upstream's
// update-metadata crate):
//   {"updates": [{"variant", "arch", "version", "max_version",
//                 "waves": {"<seed>": "<RFC 3339>", ...},
//                 "images": {"boot", "root", "hash"}}, ...],
//    "migrations": {"(<from>, <to>)": ["<migration>", ...], ...}}
// written as serde_json's pretty printer writes that model (fields in that
// order, migrations sorted by their key text).

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "project/model.h"
#include "tuf/policy_files.h"

namespace twoliter {

// A semantic version (semver 2.0: MAJOR.MINOR.PATCH[-PRE][+BUILD]) ordered
// as the semver crate orders them (build metadata ignored).
struct SemVer {
    uint64_t major = 0, minor = 0, patch = 0;
    std::vector<std::string> prerelease;
    std::string text;  // as given

    // Throws Error naming where for text that is not a version. A leading
    // "v" is accepted, as upstream's friendly_version accepts it.
    static SemVer parse(const std::string& text, const std::string& where);
};
int compareSemVer(const SemVer& a, const SemVer& b);

// The number of wave seeds updog draws from.
constexpr uint32_t kMaxWaveSeed = 2048;
// The first seed after a wave of fleetPercentage: floor(pct / 100 * 2048).
uint32_t waveEndSeed(int fleetPercentage);

struct UpdateImages {
    std::string boot;
    std::string root;
    std::string hash;
};

struct ManifestUpdate {
    std::string variant;
    std::string arch;
    SemVer version;
    SemVer maxVersion;
    std::map<uint32_t, int64_t> waves;  // starting seed -> start time (Unix seconds)
    UpdateImages images;
};

struct UpdateManifest {
    std::vector<ManifestUpdate> updates;
    std::map<std::string, std::vector<std::string>> migrations;  // "(from, to)" -> names
};

// Throws Error naming where for JSON that is not a manifest.
UpdateManifest parseUpdateManifest(const std::string& bytes, const std::string& where);
std::string writeUpdateManifest(const UpdateManifest& manifest);

// Adds an update as upstream's add_update does: max_version becomes the
// greater of its version and the first update's max_version, and every
// update of the same variant and arch gets that max_version. An update of
// the same variant, arch and version is replaced instead of listed twice.
void addUpdate(UpdateManifest& manifest, ManifestUpdate update);

// Sets the waves of the update of variant, arch and version: the first wave
// starts at seed 0, each next one at the end seed of the one before, at
// startTime plus the wave's start_after. Throws Error naming the policy file
// when percentages do not increase or times are not strictly increasing.
void setWaves(UpdateManifest& manifest, const std::string& variant, const std::string& arch,
              const SemVer& version, int64_t startTime, const WavePolicy& policy);

// The migrations of Release.toml (releasePath names it in errors) as
// manifest keys; throws Error for a version that is not semver.
std::map<std::string, std::vector<std::string>> manifestMigrations(
    const std::vector<Migration>& migrations, const std::string& releasePath);

}  // namespace twoliter
