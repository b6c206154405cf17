#pragma once

// Times as TUF metadata, manifest.json and upstream's policy files write
// them: RFC 3339 in UTC to the second, and offsets in upstream's
// parse-datetime form ("in 2 weeks", "1 day").

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/error.h"

namespace twoliter {

// Seconds of an offset "[in] <count> <unit>", unit one of hour(s), day(s),
// week(s) as upstream's parse_offset accepts, plus minute(s), which
// upstream's own ohno wave policy uses. Throws Error at where otherwise.
int64_t parseTimeOffset(std::string_view text, const Location& where);

// Unix seconds of an RFC 3339 time ("2024-01-01T00:00:00Z",
// "2024-01-01T01:00:00.5+01:00"); a fraction of a second is dropped.
// nullopt when text is not one.
std::optional<int64_t> parseRfc3339(std::string_view text);

// upstream's --release-start-time: an RFC 3339 time, or an offset from now.
int64_t parseStartTime(std::string_view text, int64_t now, const Location& where);

// "2024-01-01T00:00:00Z".
std::string formatRfc3339(int64_t seconds);

// The current Unix time in seconds.
int64_t unixNow();

}  // namespace twoliter
