#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace twoliter {

std::vector<std::string> splitString(std::string_view text, char separator);
std::string joinStrings(const std::vector<std::string>& parts, std::string_view separator);
std::string trimString(std::string_view text);
std::string lowercase(std::string text);  // ASCII letters only
bool startsWith(std::string_view text, std::string_view prefix);
bool endsWith(std::string_view text, std::string_view suffix);
// epochSeconds as an RFC 3339 time in UTC, to the second:
// "2020-01-01T00:00:00Z" (strftime's "%Y-%m-%dT%H:%M:%SZ").
std::string utcTimestamp(int64_t epochSeconds);
// Lowercase hex of bytes.
std::string hexEncode(std::string_view bytes);
// The value of one hex digit (either case), or -1.
int hexDigitValue(char c);
// The candidate closest to word by edit distance, or "" when none is close
// enough to be a plausible typo.
std::string closestMatch(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace twoliter
