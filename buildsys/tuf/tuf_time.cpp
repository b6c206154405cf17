#include "tuf/tuf_time.h"

#include <ctime>
#include <regex>

#include "util/strings.h"

namespace twoliter {

namespace {

int64_t unitSeconds(const std::string& unit) {
    if (unit == "minute" || unit == "minutes")
        return 60;
    if (unit == "hour" || unit == "hours")
        return 3600;
    if (unit == "day" || unit == "days")
        return 86400;
    if (unit == "week" || unit == "weeks")
        return 7 * 86400;
    return 0;
}

}  // namespace

int64_t parseTimeOffset(std::string_view text, const Location& where) {
    std::vector<std::string> words;
    for (const auto& word : splitString(trimString(text), ' ')) {
        if (!word.empty())
            words.push_back(word);
    }
    if (words.size() == 3 && words[0] == "in")
        words.erase(words.begin());
    const std::string expected = " (expected something like 'in 7 days' or '2 weeks')";
    if (words.size() != 2 || words[0].empty() || words[0].size() > 9 ||
        words[0].find_first_not_of("0123456789") != std::string::npos) {
        throw Error("'" + std::string(text) + "' is not a time offset" + expected, where);
    }
    int64_t unit = unitSeconds(words[1]);
    if (unit == 0) {
        throw Error("'" + std::string(text) + "': the unit must be minutes, hours, days or weeks",
                    where);
    }
    return std::stoll(words[0]) * unit;
}

std::optional<int64_t> parseRfc3339(std::string_view text) {
    static const std::regex pattern(
        R"((\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|([+-])(\d{2}):(\d{2})))");
    std::cmatch match;
    if (!std::regex_match(text.begin(), text.end(), match, pattern))
        return std::nullopt;
    auto field = [&](int i) { return std::stoi(match[i].str()); };
    std::tm time{};
    time.tm_year = field(1) - 1900;
    time.tm_mon = field(2) - 1;
    time.tm_mday = field(3);
    time.tm_hour = field(4);
    time.tm_min = field(5);
    time.tm_sec = field(6);
    if (time.tm_mon > 11 || time.tm_mday < 1 || time.tm_mday > 31 || time.tm_hour > 23 ||
        time.tm_min > 59 || time.tm_sec > 60) {
        return std::nullopt;
    }
    int64_t seconds = timegm(&time);
    if (match[9].matched) {
        int64_t offset = field(10) * 3600 + field(11) * 60;
        seconds += match[9].str() == "+" ? -offset : offset;
    }
    return seconds;
}

int64_t parseStartTime(std::string_view text, int64_t now, const Location& where) {
    if (auto time = parseRfc3339(text))
        return *time;
    return now + parseTimeOffset(text, where);
}

std::string formatRfc3339(int64_t seconds) {
    return utcTimestamp(seconds);
}

int64_t unixNow() {
    return static_cast<int64_t>(std::time(nullptr));
}

}  // namespace twoliter
