// upstream's policy files and times (tuf/policy_files.h, tuf/tuf_time.h).
#include <catch2/catch.hpp>

#include "support/error_text.h"
#include "support/temp_tree.h"
#include "tuf/policy_files.h"
#include "tuf/tuf_time.h"

using namespace twoliter;
using twoliter::testing::errorText;

TEST_CASE("tuf policy: offsets in upstream's parse-datetime form", "[tuf]") {
    Location here{"p.toml", 1, "k"};
    CHECK(parseTimeOffset("2 weeks", here) == 14 * 86400);
    CHECK(parseTimeOffset("in 1 week", here) == 7 * 86400);
    CHECK(parseTimeOffset("1 day", here) == 86400);
    CHECK(parseTimeOffset("in 0 hours", here) == 0);
    CHECK(parseTimeOffset("4 hours", here) == 4 * 3600);
    CHECK(parseTimeOffset("30 minutes", here) == 1800);  // upstream's ohno.toml
    CHECK(errorText([&] { parseTimeOffset("2 fortnights", here); }) ==
          "p.toml:1: k: '2 fortnights': the unit must be minutes, hours, days or weeks");
    CHECK(errorText([&] { parseTimeOffset("soon 2 days", here); }).find("not a time offset") !=
          std::string::npos);
    CHECK(errorText([&] { parseTimeOffset("-1 days", here); }).find("not a time offset") !=
          std::string::npos);
}

TEST_CASE("tuf policy: RFC 3339 times", "[tuf]") {
    CHECK(parseRfc3339("1970-01-01T00:00:00Z") == 0);
    CHECK(parseRfc3339("2024-01-01T00:00:00Z") == 1704067200);
    CHECK(parseRfc3339("2024-01-01T01:00:00.999+01:00") == 1704067200);
    CHECK(parseRfc3339("2023-12-31T19:00:00-05:00") == 1704067200);
    CHECK_FALSE(parseRfc3339("2024-01-01 00:00:00"));
    CHECK_FALSE(parseRfc3339("2024-13-01T00:00:00Z"));
    CHECK(formatRfc3339(1704067200) == "2024-01-01T00:00:00Z");
    CHECK(parseStartTime("in 2 days", 1000, {}) == 1000 + 2 * 86400);
    CHECK(parseStartTime("2024-01-01T00:00:00Z", 1000, {}) == 1704067200);
}

TEST_CASE("tuf policy: the expiration policy", "[tuf]") {
    ExpirationPolicy policy = parseExpirationPolicy(defaultExpirationPolicyText(), "2w-2w-1w.toml");
    CHECK(policy.snapshotSeconds == 14 * 86400);
    CHECK(policy.targetsSeconds == 14 * 86400);
    CHECK(policy.timestampSeconds == 7 * 86400);
    CHECK(errorText([] {
              parseExpirationPolicy(
                  "# c\nsnapshot_expiration = '1 day'\ntargets_expiration = "
                  "'1 day'\ntimestamp_expiraton = '1 day'\n",
                  "e.toml");
          }) ==
          "e.toml:4: timestamp_expiraton: unknown key (hint: did you mean "
          "'timestamp_expiration'?)");
    CHECK(errorText([] {
              parseExpirationPolicy("snapshot_expiration = '1 day'\n", "e.toml");
          }).find("targets_expiration: missing key") != std::string::npos);
    CHECK(errorText([] { parseExpirationPolicy("snapshot_expiration = 3\n", "e.toml"); }) ==
          "e.toml:1: snapshot_expiration: expected a quoted string");
    CHECK(errorText([] { parseExpirationPolicy("[table]\n", "e.toml"); }) ==
          "e.toml:1: unsupported TOML in a policy file: [table]");
}

TEST_CASE("tuf policy: wave policies", "[tuf]") {
    WavePolicy policy = parseWavePolicy(defaultWavePolicyText(), "default-waves.toml");
    REQUIRE(policy.waves.size() == 7);
    CHECK(policy.waves[0].startAfterSeconds == 3600);
    CHECK(policy.waves[0].fleetPercentage == 1);
    CHECK(policy.waves[6].startAfterSeconds == 6 * 86400);
    CHECK(policy.waves[6].fleetPercentage == 100);
    WavePolicy ohno = parseWavePolicy(
        "# emergency\n[[waves]]\nstart_after = '30 minutes' # first\nfleet_percentage = 5\n\n"
        "[[waves]]\nstart_after = \"180 minutes\"\nfleet_percentage = 100\n",
        "ohno.toml");
    REQUIRE(ohno.waves.size() == 2);
    CHECK(ohno.waves[1].startAfterSeconds == 3 * 3600);
    CHECK(errorText([] {
              parseWavePolicy("[[waves]]\nstart_after = '1 hour'\nfleet_percentage = 0\n",
                              "w.toml");
          }) == "w.toml:3: fleet_percentage: fleet_percentage must be from 1 to 100");
    CHECK(errorText([] { parseWavePolicy("[[wave]]\n", "w.toml"); }) ==
          "w.toml:1: wave: unknown table (hint: expected [[waves]])");
    CHECK(errorText([] { parseWavePolicy("[[waves]]\nfleet_percentage = 5\n", "w.toml"); }) ==
          "w.toml:1: start_after: missing key");
}

TEST_CASE("tuf policy: the policy files the sample project ships", "[tuf]") {
    std::string policies = twoliter::testing::sourceDir() + "/policies";
    WavePolicy builtIn = parseWavePolicy(defaultWavePolicyText(), "built in");
    WavePolicy shipped = readWavePolicy(policies + "/waves/default-waves.toml");
    REQUIRE(shipped.waves.size() == builtIn.waves.size());
    for (size_t i = 0; i < shipped.waves.size(); ++i) {
        CHECK(shipped.waves[i].startAfterSeconds == builtIn.waves[i].startAfterSeconds);
        CHECK(shipped.waves[i].fleetPercentage == builtIn.waves[i].fleetPercentage);
    }
    CHECK(
        readWavePolicy(policies + "/waves/accelerated-waves.toml").waves.back().startAfterSeconds ==
        86400);
    CHECK(readWavePolicy(policies + "/waves/slow-roll.toml").waves.back().startAfterSeconds ==
          13 * 86400);
    CHECK(readWavePolicy(policies + "/waves/ohno.toml").waves.back().startAfterSeconds == 3 * 3600);
    ExpirationPolicy expiration = readExpirationPolicy(policies + "/repo-expiration/2w-2w-1w.toml");
    CHECK(expiration.timestampSeconds == 7 * 86400);
    CHECK(expiration.targetsSeconds == 14 * 86400);
}
