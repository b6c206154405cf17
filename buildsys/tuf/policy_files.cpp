#include "tuf/policy_files.h"

#include <map>
#include <optional>

#include "tuf/tuf_time.h"
#include "util/files.h"
#include "util/strings.h"

namespace twoliter {

namespace {

struct PolicyValue {
    std::string text;
    bool isString = false;
    int line = 0;
};

// One table: the top level or one [[name]] entry.
struct PolicyTable {
    std::map<std::string, PolicyValue> values;
    int line = 0;
};

struct PolicyDocument {
    std::string path;
    PolicyTable top;
    std::map<std::string, std::vector<PolicyTable>> arrays;
};

std::string withoutComment(const std::string& line) {
    char quote = 0;
    for (size_t i = 0; i < line.size(); ++i) {
        char c = line[i];
        if (quote) {
            if (c == quote)
                quote = 0;
        } else if (c == '\'' || c == '"') {
            quote = c;
        } else if (c == '#') {
            return line.substr(0, i);
        }
    }
    return line;
}

bool isBareKey(const std::string& key) {
    return !key.empty() && key.find_first_not_of(
                               "abcdefghijklmnopqrstuvwxyz"
                               "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == std::string::npos;
}

PolicyValue parseValue(const std::string& text, const Location& where) {
    PolicyValue value;
    value.line = where.line;
    if (text.size() >= 2 && (text[0] == '\'' || text[0] == '"') && text.back() == text[0]) {
        value.text = text.substr(1, text.size() - 2);
        value.isString = true;
        if (value.text.find(text[0]) != std::string::npos ||
            (text[0] == '"' && value.text.find('\\') != std::string::npos)) {
            throw Error("escapes and nested quotes are not supported in policy files", where);
        }
        return value;
    }
    std::string digits = text.substr(!text.empty() && (text[0] == '-' || text[0] == '+') ? 1 : 0);
    if (digits.empty() || digits.size() > 18 ||
        digits.find_first_not_of("0123456789") != std::string::npos) {
        throw Error("expected a quoted string or an integer, found '" + text + "'", where);
    }
    value.text = text[0] == '+' ? digits : text;
    return value;
}

PolicyDocument parsePolicyDocument(const std::string& text, const std::string& path) {
    PolicyDocument document;
    document.path = path;
    PolicyTable* table = &document.top;
    int lineNumber = 0;
    for (const auto& rawLine : splitString(text, '\n')) {
        ++lineNumber;
        std::string line = trimString(withoutComment(rawLine));
        Location where{path, lineNumber, ""};
        if (line.empty())
            continue;
        if (startsWith(line, "[[") && endsWith(line, "]]")) {
            std::string name = trimString(line.substr(2, line.size() - 4));
            if (!isBareKey(name))
                throw Error("unsupported table header " + line, where);
            auto& entries = document.arrays[name];
            entries.push_back({{}, lineNumber});
            table = &entries.back();
            continue;
        }
        size_t equals = line.find('=');
        if (line[0] == '[' || equals == std::string::npos) {
            throw Error("unsupported TOML in a policy file: " + line, where);
        }
        std::string key = trimString(line.substr(0, equals));
        where.key = key;
        if (!isBareKey(key))
            throw Error("unsupported key " + key, where);
        if (table->values.count(key))
            throw Error("duplicate key", where);
        table->values[key] = parseValue(trimString(line.substr(equals + 1)), where);
    }
    return document;
}

// Throws for a key of table not in allowed.
void allowOnly(const PolicyTable& table, const std::vector<std::string>& allowed,
               const std::string& path) {
    for (const auto& [key, value] : table.values) {
        bool known = false;
        for (const auto& name : allowed)
            known = known || name == key;
        if (!known) {
            std::string suggestion = closestMatch(key, allowed);
            throw Error("unknown key", {path, value.line, key},
                        suggestion.empty() ? "" : "did you mean '" + suggestion + "'?");
        }
    }
}

const PolicyValue& required(const PolicyTable& table, const std::string& key, bool isString,
                            const std::string& path) {
    auto found = table.values.find(key);
    if (found == table.values.end())
        throw Error("missing key", {path, table.line, key});
    if (found->second.isString != isString) {
        throw Error(isString ? "expected a quoted string" : "expected an integer",
                    {path, found->second.line, key});
    }
    return found->second;
}

int64_t offsetOf(const PolicyTable& table, const std::string& key, const std::string& path) {
    const PolicyValue& value = required(table, key, true, path);
    return parseTimeOffset(value.text, {path, value.line, key});
}

}  // namespace

ExpirationPolicy parseExpirationPolicy(const std::string& text, const std::string& path) {
    PolicyDocument document = parsePolicyDocument(text, path);
    if (!document.arrays.empty()) {
        const auto& [name, entries] = *document.arrays.begin();
        throw Error("unknown table", {path, entries.front().line, name});
    }
    allowOnly(document.top, {"snapshot_expiration", "targets_expiration", "timestamp_expiration"},
              path);
    ExpirationPolicy policy;
    policy.path = path;
    policy.snapshotSeconds = offsetOf(document.top, "snapshot_expiration", path);
    policy.targetsSeconds = offsetOf(document.top, "targets_expiration", path);
    policy.timestampSeconds = offsetOf(document.top, "timestamp_expiration", path);
    return policy;
}

WavePolicy parseWavePolicy(const std::string& text, const std::string& path) {
    PolicyDocument document = parsePolicyDocument(text, path);
    allowOnly(document.top, {}, path);
    WavePolicy policy;
    policy.path = path;
    for (const auto& [name, entries] : document.arrays) {
        if (name != "waves")
            throw Error("unknown table", {path, entries.front().line, name}, "expected [[waves]]");
    }
    for (const auto& entry : document.arrays["waves"]) {
        allowOnly(entry, {"start_after", "fleet_percentage"}, path);
        UpdateWave wave;
        wave.startAfter = required(entry, "start_after", true, path).text;
        wave.startAfterSeconds = offsetOf(entry, "start_after", path);
        const PolicyValue& percentage = required(entry, "fleet_percentage", false, path);
        int64_t value = std::stoll(percentage.text);
        wave.location = {path, percentage.line, "fleet_percentage"};
        if (value <= 0 || value > 100)
            throw Error("fleet_percentage must be from 1 to 100", wave.location);
        wave.fleetPercentage = static_cast<int>(value);
        policy.waves.push_back(wave);
    }
    return policy;
}

ExpirationPolicy readExpirationPolicy(const std::string& path) {
    return parseExpirationPolicy(readFile(path), path);
}

WavePolicy readWavePolicy(const std::string& path) {
    return parseWavePolicy(readFile(path), path);
}

const std::string& defaultExpirationPolicyText() {
    static const std::string text =
        "snapshot_expiration = '2 weeks'\n"
        "targets_expiration = '2 weeks'\n"
        "timestamp_expiration = '1 week'\n";
    return text;
}

const std::string& defaultWavePolicyText() {
    static const std::string text = [] {
        std::string waves;
        const std::pair<const char*, int> entries[] = {
            {"1 hour", 1},  {"4 hours", 5}, {"1 day", 15},   {"2 days", 40},
            {"4 days", 60}, {"5 days", 90}, {"6 days", 100},
        };
        for (const auto& [after, percentage] : entries) {
            waves += "[[waves]]\nstart_after = '" + std::string(after) +
                     "'\nfleet_percentage = " + std::to_string(percentage) + "\n\n";
        }
        return waves;
    }();
    return text;
}

}  // namespace twoliter
