// manifest.json (tuf/update_manifest.h): upstream's update-metadata rules
// for seeds, waves, max_version and migrations.
#include <catch2/catch.hpp>

#include "support/error_text.h"
#include "tuf/tuf_time.h"
#include "tuf/update_manifest.h"

using namespace twoliter;
using twoliter::testing::errorText;

namespace {

ManifestUpdate update(const std::string& variant, const std::string& version,
                      const std::string& arch = "x86_64") {
    ManifestUpdate entry;
    entry.variant = variant;
    entry.arch = arch;
    entry.version = SemVer::parse(version, "test");
    entry.images = {"boot-" + version, "root-" + version, "hash-" + version};
    return entry;
}

}  // namespace

TEST_CASE("tuf manifest: wave seeds are floor(percentage / 100 * 2048)", "[tuf]") {
    // The seeds upstream's default, accelerated and ohno policies give.
    CHECK(waveEndSeed(1) == 20);
    CHECK(waveEndSeed(3) == 61);
    CHECK(waveEndSeed(5) == 102);
    CHECK(waveEndSeed(12) == 245);
    CHECK(waveEndSeed(15) == 307);
    CHECK(waveEndSeed(25) == 512);
    CHECK(waveEndSeed(40) == 819);
    CHECK(waveEndSeed(60) == 1228);
    CHECK(waveEndSeed(80) == 1638);
    CHECK(waveEndSeed(90) == 1843);
    CHECK(waveEndSeed(100) == kMaxWaveSeed);
    for (int percentage = 1; percentage <= 100; ++percentage) {
        double exact = percentage / 100.0 * 2048;
        CHECK(waveEndSeed(percentage) == static_cast<uint32_t>(exact + 1e-9));
    }
}

TEST_CASE("tuf manifest: waves from the default policy", "[tuf]") {
    UpdateManifest manifest;
    addUpdate(manifest, update("metal-dev", "1.0.0"));
    int64_t start = *parseRfc3339("2024-01-01T00:00:00Z");
    WavePolicy policy = parseWavePolicy(defaultWavePolicyText(), "default-waves.toml");
    setWaves(manifest, "metal-dev", "x86_64", SemVer::parse("1.0.0", "t"), start, policy);
    std::map<uint32_t, std::string> waves;
    for (const auto& [seed, time] : manifest.updates[0].waves)
        waves[seed] = formatRfc3339(time);
    CHECK(waves == std::map<uint32_t, std::string>{{0, "2024-01-01T01:00:00Z"},
                                                   {20, "2024-01-01T04:00:00Z"},
                                                   {102, "2024-01-02T00:00:00Z"},
                                                   {307, "2024-01-03T00:00:00Z"},
                                                   {819, "2024-01-05T00:00:00Z"},
                                                   {1228, "2024-01-06T00:00:00Z"},
                                                   {1843, "2024-01-07T00:00:00Z"}});
    WavePolicy backwards = parseWavePolicy(
        "[[waves]]\nstart_after = '1 hour'\nfleet_percentage = 50\n[[waves]]\nstart_after = "
        "'2 hours'\nfleet_percentage = 10\n",
        "w.toml");
    CHECK(errorText([&] {
              setWaves(manifest, "metal-dev", "x86_64", SemVer::parse("1.0.0", "t"), start,
                       backwards);
          }) == "w.toml:6: fleet_percentage: fleet percentages must increase from wave to wave");
    WavePolicy sameTime = parseWavePolicy(
        "[[waves]]\nstart_after = '1 day'\nfleet_percentage = 10\n[[waves]]\nstart_after = "
        "'24 hours'\nfleet_percentage = 20\n",
        "w.toml");
    CHECK(errorText([&] {
              setWaves(manifest, "metal-dev", "x86_64", SemVer::parse("1.0.0", "t"), start,
                       sameTime);
          }).find("not in increasing order") != std::string::npos);
}

TEST_CASE("tuf manifest: max_version follows upstream's add_update", "[tuf]") {
    UpdateManifest manifest;
    addUpdate(manifest, update("a", "1.0.0"));
    addUpdate(manifest, update("a", "1.2.0"));
    addUpdate(manifest, update("b", "1.1.0"));  // first update's max is 1.2.0
    addUpdate(manifest, update("a", "1.1.0"));
    REQUIRE(manifest.updates.size() == 4);
    CHECK(manifest.updates[0].maxVersion.text == "1.2.0");
    CHECK(manifest.updates[1].maxVersion.text == "1.2.0");
    CHECK(manifest.updates[2].maxVersion.text == "1.2.0");
    CHECK(manifest.updates[3].maxVersion.text == "1.2.0");
    // The same variant, arch and version again replaces the entry.
    addUpdate(manifest, update("a", "1.2.0"));
    CHECK(manifest.updates.size() == 4);
    CHECK(manifest.updates.back().version.text == "1.2.0");
}

TEST_CASE("tuf manifest: semantic versions order as semver does", "[tuf]") {
    auto less = [](const char* a, const char* b) {
        return compareSemVer(SemVer::parse(a, "t"), SemVer::parse(b, "t")) < 0;
    };
    CHECK(less("1.0.0", "1.0.1"));
    CHECK(less("1.9.0", "1.10.0"));
    CHECK(less("1.0.0-rc.1", "1.0.0"));
    CHECK(less("1.0.0-alpha", "1.0.0-alpha.1"));
    CHECK(less("1.0.0-2", "1.0.0-10"));
    CHECK(less("1.0.0-10", "1.0.0-a"));
    CHECK(compareSemVer(SemVer::parse("v1.2.3", "t"), SemVer::parse("1.2.3+b", "t")) == 0);
    CHECK(errorText([] { SemVer::parse("1.2", "Release.toml"); }) ==
          "Release.toml: '1.2' is not a semantic version (MAJOR.MINOR.PATCH)");
}

TEST_CASE("tuf manifest: written as upstream's serde model and read back", "[tuf]") {
    UpdateManifest manifest;
    ManifestUpdate entry = update("metal-dev", "1.0.0");
    entry.waves[0] = *parseRfc3339("2024-01-01T01:00:00Z");
    entry.waves[2048] = *parseRfc3339("2024-01-02T00:00:00Z");
    addUpdate(manifest, entry);
    manifest.migrations = manifestMigrations(
        {{"0.9.0", "1.0.0", {}}, {"1.0.0", "1.0.1", {"migrate_a.lz4", "migrate_b.lz4"}}},
        "Release.toml");
    std::string text = writeUpdateManifest(manifest);
    CHECK(text == R"json({
  "updates": [
    {
      "variant": "metal-dev",
      "arch": "x86_64",
      "version": "1.0.0",
      "max_version": "1.0.0",
      "waves": {
        "0": "2024-01-01T01:00:00Z",
        "2048": "2024-01-02T00:00:00Z"
      },
      "images": {
        "boot": "boot-1.0.0",
        "root": "root-1.0.0",
        "hash": "hash-1.0.0"
      }
    }
  ],
  "migrations": {
    "(0.9.0, 1.0.0)": [],
    "(1.0.0, 1.0.1)": [
      "migrate_a.lz4",
      "migrate_b.lz4"
    ]
  }
})json");
    UpdateManifest read = parseUpdateManifest(text, "manifest.json");
    CHECK(writeUpdateManifest(read) == text);
    CHECK(errorText([] {
              parseUpdateManifest(R"({"updates": [{}], "migrations": {}})", "m.json");
          }).find("m.json: updates[0].variant: missing") != std::string::npos);
}
