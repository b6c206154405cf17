#include "tuf/update_manifest.h"

#include <algorithm>

#include "sdk/json_reader.h"
#include "tuf/tuf_time.h"
#include "util/error.h"
#include "util/json_writer.h"
#include "util/strings.h"

namespace twoliter {

namespace {

bool isNumber(const std::string& text) {
    return !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
}

bool parseNumber(const std::string& text, uint64_t& value) {
    if (!isNumber(text) || text.size() > 19 || (text.size() > 1 && text[0] == '0'))
        return false;
    value = std::stoull(text);
    return true;
}

int compareIdentifiers(const std::string& a, const std::string& b) {
    bool numericA = isNumber(a), numericB = isNumber(b);
    if (numericA && numericB) {
        if (a.size() != b.size())
            return a.size() < b.size() ? -1 : 1;
        return a.compare(b) < 0 ? -1 : a == b ? 0 : 1;
    }
    if (numericA != numericB)
        return numericA ? -1 : 1;
    return a.compare(b) < 0 ? -1 : a == b ? 0 : 1;
}

const JsonValue& member(const JsonValue& object, const std::string& key, JsonValue::Kind kind,
                        const std::string& where, const std::string& path) {
    const JsonValue* value = object.find(key);
    if (!value || value->kind() != kind)
        throw Error("missing or of the wrong type", {where, 0, path + key});
    return *value;
}

std::string text(const JsonValue& object, const std::string& key, const std::string& where,
                 const std::string& path) {
    return member(object, key, JsonValue::Kind::String, where, path).text();
}

ManifestUpdate parseUpdate(const JsonValue& value, const std::string& where,
                           const std::string& path) {
    if (!value.isObject())
        throw Error("expected an object", {where, 0, path});
    ManifestUpdate update;
    std::string prefix = path + ".";
    update.variant = text(value, "variant", where, prefix);
    update.arch = text(value, "arch", where, prefix);
    update.version = SemVer::parse(text(value, "version", where, prefix), where);
    update.maxVersion = SemVer::parse(text(value, "max_version", where, prefix), where);
    for (const auto& [seed, time] :
         member(value, "waves", JsonValue::Kind::Object, where, prefix).members()) {
        uint64_t number = 0;
        auto parsed = time.isString() ? parseRfc3339(time.text()) : std::nullopt;
        if (!parseNumber(seed, number) || number > kMaxWaveSeed || !parsed)
            throw Error("a wave must map a seed to an RFC 3339 time", {where, 0, prefix + "waves"});
        update.waves[static_cast<uint32_t>(number)] = *parsed;
    }
    const JsonValue& images = member(value, "images", JsonValue::Kind::Object, where, prefix);
    update.images.boot = text(images, "boot", where, prefix + "images.");
    update.images.root = text(images, "root", where, prefix + "images.");
    update.images.hash = text(images, "hash", where, prefix + "images.");
    return update;
}

void writeUpdate(JsonWriter& writer, const ManifestUpdate& update) {
    writer.beginObject();
    writer.key("variant").value(update.variant);
    writer.key("arch").value(update.arch);
    writer.key("version").value(update.version.text);
    writer.key("max_version").value(update.maxVersion.text);
    writer.key("waves").beginObject();
    for (const auto& [seed, time] : update.waves)
        writer.key(std::to_string(seed)).value(formatRfc3339(time));
    writer.endObject();
    writer.key("images").beginObject();
    writer.key("boot").value(update.images.boot);
    writer.key("root").value(update.images.root);
    writer.key("hash").value(update.images.hash);
    writer.endObject();
    writer.endObject();
}

// upstream's validate_updates: within each update, later seeds start later.
void checkWaveOrder(const UpdateManifest& manifest, const std::string& policyPath) {
    for (const auto& update : manifest.updates) {
        int64_t previous = INT64_MIN;
        for (const auto& [seed, time] : update.waves) {
            if (time <= previous) {
                throw Error("wave start times of " + update.variant + " " + update.version.text +
                                " are not in increasing order of their fleet percentage",
                            {policyPath});
            }
            previous = time;
        }
    }
}

}  // namespace

SemVer SemVer::parse(const std::string& input, const std::string& where) {
    SemVer version;
    version.text = !input.empty() && input[0] == 'v' ? input.substr(1) : input;
    std::string core = version.text.substr(0, version.text.find('+'));
    size_t dash = core.find('-');
    if (dash != std::string::npos) {
        version.prerelease = splitString(core.substr(dash + 1), '.');
        core = core.substr(0, dash);
    }
    std::vector<std::string> parts = splitString(core, '.');
    bool valid = parts.size() == 3 && parseNumber(parts[0], version.major) &&
                 parseNumber(parts[1], version.minor) && parseNumber(parts[2], version.patch);
    for (const auto& identifier : version.prerelease)
        valid = valid && !identifier.empty();
    if (!valid)
        throw Error("'" + input + "' is not a semantic version (MAJOR.MINOR.PATCH)", {where});
    return version;
}

int compareSemVer(const SemVer& a, const SemVer& b) {
    for (auto [x, y] : {std::pair{a.major, b.major}, {a.minor, b.minor}, {a.patch, b.patch}}) {
        if (x != y)
            return x < y ? -1 : 1;
    }
    if (a.prerelease.empty() || b.prerelease.empty()) {
        if (a.prerelease.empty() == b.prerelease.empty())
            return 0;
        return a.prerelease.empty() ? 1 : -1;
    }
    for (size_t i = 0; i < std::min(a.prerelease.size(), b.prerelease.size()); ++i) {
        int order = compareIdentifiers(a.prerelease[i], b.prerelease[i]);
        if (order != 0)
            return order;
    }
    if (a.prerelease.size() == b.prerelease.size())
        return 0;
    return a.prerelease.size() < b.prerelease.size() ? -1 : 1;
}

uint32_t waveEndSeed(int fleetPercentage) {
    return static_cast<uint32_t>(static_cast<uint64_t>(fleetPercentage) * kMaxWaveSeed / 100);
}

UpdateManifest parseUpdateManifest(const std::string& bytes, const std::string& where) {
    JsonValue document = parseJson(bytes, where);
    UpdateManifest manifest;
    const JsonValue& updates = member(document, "updates", JsonValue::Kind::Array, where, "");
    for (size_t i = 0; i < updates.items().size(); ++i)
        manifest.updates.push_back(
            parseUpdate(updates.items()[i], where, "updates[" + std::to_string(i) + "]"));
    for (const auto& [key, names] :
         member(document, "migrations", JsonValue::Kind::Object, where, "").members()) {
        if (!names.isArray())
            throw Error("expected a list of migrations", {where, 0, "migrations." + key});
        auto& list = manifest.migrations[key];
        for (const auto& name : names.items())
            list.push_back(name.text());
    }
    return manifest;
}

std::string writeUpdateManifest(const UpdateManifest& manifest) {
    JsonWriter writer(true);
    writer.beginObject();
    writer.key("updates").beginArray();
    for (const auto& update : manifest.updates)
        writeUpdate(writer, update);
    writer.endArray();
    writer.key("migrations").beginObject();
    for (const auto& [key, names] : manifest.migrations)
        writer.key(key).stringArray(names);
    writer.endObject();
    writer.endObject();
    return writer.str();
}

void addUpdate(UpdateManifest& manifest, ManifestUpdate update) {
    auto& updates = manifest.updates;
    updates.erase(std::remove_if(updates.begin(), updates.end(),
                                 [&](const ManifestUpdate& existing) {
                                     return existing.variant == update.variant &&
                                            existing.arch == update.arch &&
                                            compareSemVer(existing.version, update.version) == 0;
                                 }),
                  updates.end());
    update.maxVersion = update.version;
    if (!updates.empty() && compareSemVer(updates.front().maxVersion, update.version) > 0)
        update.maxVersion = updates.front().maxVersion;
    for (auto& existing : updates) {
        if (existing.variant == update.variant && existing.arch == update.arch)
            existing.maxVersion = update.maxVersion;
    }
    updates.push_back(std::move(update));
}

void setWaves(UpdateManifest& manifest, const std::string& variant, const std::string& arch,
              const SemVer& version, int64_t startTime, const WavePolicy& policy) {
    int previousPercentage = 0;
    for (const auto& wave : policy.waves) {
        if (wave.fleetPercentage <= previousPercentage) {
            throw Error("fleet percentages must increase from wave to wave", wave.location);
        }
        previousPercentage = wave.fleetPercentage;
    }
    for (auto& update : manifest.updates) {
        if (update.variant != variant || update.arch != arch ||
            compareSemVer(update.version, version) != 0) {
            continue;
        }
        update.waves.clear();
        uint32_t seed = 0;
        for (const auto& wave : policy.waves) {
            update.waves[seed] = startTime + wave.startAfterSeconds;
            seed = waveEndSeed(wave.fleetPercentage);
        }
    }
    checkWaveOrder(manifest, policy.path);
}

std::map<std::string, std::vector<std::string>> manifestMigrations(
    const std::vector<Migration>& migrations, const std::string& releasePath) {
    std::map<std::string, std::vector<std::string>> out;
    for (const auto& migration : migrations) {
        SemVer from = SemVer::parse(migration.fromVersion, releasePath);
        SemVer to = SemVer::parse(migration.toVersion, releasePath);
        out["(" + from.text + ", " + to.text + ")"] = migration.names;
    }
    return out;
}

}  // namespace twoliter
