#pragma once

// upstream's policy files: the repository expiration policy
// (tools/pubsys/policies/repo-expiration/*.toml) and the update wave
// policies (twoliter/embedded/waves/*.toml). They are read with a reader of
// the small TOML subset they use (comments, `key = 'text'`, `key = 123`,
// `[[waves]]`); anything else is an error naming file and line.

#include <cstdint>
#include <string>
#include <vector>

#include "util/error.h"

namespace twoliter {

// How long each non-root role's metadata stays valid after the release
// start time (seconds), e.g. 2w-2w-1w.toml.
struct ExpirationPolicy {
    std::string path;
    int64_t snapshotSeconds = 0;
    int64_t targetsSeconds = 0;
    int64_t timestampSeconds = 0;
};

// One [[waves]] entry: from start_after after the release start time, hosts
// up to fleet_percentage of the fleet may update.
struct UpdateWave {
    std::string startAfter;
    int64_t startAfterSeconds = 0;
    int fleetPercentage = 0;
    Location location;
};

struct WavePolicy {
    std::string path;
    std::vector<UpdateWave> waves;
};

// text is the file's content; path names it in errors. Throw Error naming
// file, line and key for an unknown or missing key or a bad value.
ExpirationPolicy parseExpirationPolicy(const std::string& text, const std::string& path);
WavePolicy parseWavePolicy(const std::string& text, const std::string& path);
ExpirationPolicy readExpirationPolicy(const std::string& path);
WavePolicy readWavePolicy(const std::string& path);

// upstream's defaults, as its twoliter embeds them: 2w-2w-1w.toml and
// default-waves.toml.
const std::string& defaultExpirationPolicyText();
const std::string& defaultWavePolicyText();

}  // namespace twoliter
