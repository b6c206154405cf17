#pragma once

#include <cstdint>
#include <string>

namespace twoliter {

// What the cache folder holds, by kind, in bytes (file sizes).
struct CacheUsage {
    uint64_t contentBytes = 0;       // cas/: build outputs
    uint64_t buildRootBytes = 0;     // build-roots/
    uint64_t externalFileBytes = 0;  // external-files/
    uint64_t actionBytes = 0;        // actions/
    uint64_t sdkBytes = 0;           // sdk/: unpacked SDK images (never pruned)
    uint64_t prunable() const {
        return contentBytes + buildRootBytes + externalFileBytes + actionBytes;
    }
};

CacheUsage measureCache(const std::string& root);

struct PruneResult {
    uint64_t removedBytes = 0;
    size_t removedEntries = 0;
    // Half-written files and folders of killed runs, removed whatever their
    // age (counted apart from the entries above).
    size_t removedTemporaries = 0;
    CacheUsage after;
};

// Removes the least recently used entries (build outputs, build roots,
// external files, action records; entries are touched when a build uses
// them) until what can be pruned fits in maxBytes. SDK images stay. First it
// removes every temporary (util/files.h isTemporaryName) that killed runs
// left. Call it while holding the cache lock exclusively (see
// cacheLockPath): builds hold it shared, so nothing in use disappears and no
// temporary belongs to a running build.
PruneResult pruneCache(const std::string& root, uint64_t maxBytes);

std::string cacheLockPath(const std::string& root);

// "10G", "500M", "2048K", "123" (bytes) -> bytes; throws Error otherwise.
uint64_t parseSize(const std::string& text);

}  // namespace twoliter
