#include "cache/cache_pruning.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <vector>

#include "util/error.h"
#include "util/files.h"

namespace fs = std::filesystem;

namespace twoliter {

namespace {

// One prunable thing: a file, or a folder removed whole (a build root).
struct Entry {
    std::string path;
    uint64_t bytes = 0;
    int64_t lastUse = 0;  // mtime, nanoseconds
};

uint64_t treeBytes(const std::string& path) {
    uint64_t bytes = 0;
    std::error_code error;
    if (fs::is_regular_file(fs::symlink_status(path, error)))
        return fs::file_size(path, error);
    for (fs::recursive_directory_iterator it(path, error), end; !error && it != end;
         it.increment(error)) {
        if (it->is_regular_file(error) && !it->is_symlink(error))
            bytes += it->file_size(error);
    }
    return bytes;
}

int64_t modified(const std::string& path) {
    struct stat info {};
    if (::lstat(path.c_str(), &info) != 0)
        return 0;
    return static_cast<int64_t>(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec;
}

// Entries of a two-level folder (cas/xx/digest, external-files/sha/name,
// actions/xx/key) or, with wholeChildren, its direct children.
std::vector<Entry> entriesOf(const std::string& folder, bool wholeChildren) {
    std::vector<Entry> entries;
    std::error_code error;
    for (fs::directory_iterator it(folder, error), end; !error && it != end; it.increment(error)) {
        if (wholeChildren) {
            entries.push_back({it->path(), treeBytes(it->path()), modified(it->path())});
            continue;
        }
        for (fs::directory_iterator inner(it->path(), error), last; !error && inner != last;
             inner.increment(error)) {
            entries.push_back({inner->path(), treeBytes(inner->path()), modified(inner->path())});
        }
    }
    return entries;
}

// Moves the entries named like temporaries out of entries and removes them;
// returns how many went.
size_t removeTemporaries(std::vector<Entry>& entries) {
    auto temporaries = std::stable_partition(entries.begin(), entries.end(), [](const Entry& e) {
        return !isTemporaryName(fs::path(e.path).filename().string());
    });
    size_t removed = 0;
    for (auto it = temporaries; it != entries.end(); ++it) {
        std::error_code error;
        fs::remove_all(it->path, error);
        if (!error)
            ++removed;
    }
    entries.erase(temporaries, entries.end());
    return removed;
}

uint64_t total(const std::vector<Entry>& entries) {
    uint64_t bytes = 0;
    for (const auto& entry : entries)
        bytes += entry.bytes;
    return bytes;
}

}  // namespace

CacheUsage measureCache(const std::string& root) {
    CacheUsage usage;
    usage.contentBytes = total(entriesOf(root + "/cas", false));
    usage.buildRootBytes = total(entriesOf(root + "/build-roots", true));
    usage.externalFileBytes = total(entriesOf(root + "/external-files", false));
    usage.actionBytes = total(entriesOf(root + "/actions", false));
    usage.sdkBytes = treeBytes(root + "/sdk");
    return usage;
}

PruneResult pruneCache(const std::string& root, uint64_t maxBytes) {
    std::vector<Entry> entries;
    for (auto [folder, whole] : {std::pair{"cas", false},
                                 {"build-roots", true},
                                 {"external-files", false},
                                 {"actions", false}}) {
        auto found = entriesOf(root + "/" + folder, whole);
        entries.insert(entries.end(), found.begin(), found.end());
    }
    PruneResult result;
    result.removedTemporaries = removeTemporaries(entries);
    std::sort(entries.begin(), entries.end(),
              [](const Entry& a, const Entry& b) { return a.lastUse < b.lastUse; });
    uint64_t size = total(entries);
    for (const auto& entry : entries) {
        if (size <= maxBytes)
            break;
        std::error_code error;
        fs::remove_all(entry.path, error);
        if (error)
            continue;
        size -= entry.bytes;
        result.removedBytes += entry.bytes;
        ++result.removedEntries;
    }
    result.after = measureCache(root);
    return result;
}

std::string cacheLockPath(const std::string& root) {
    return root + "/lock";
}

uint64_t parseSize(const std::string& text) {
    size_t digits = 0;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])))
        ++digits;
    std::string unit = text.substr(digits);
    std::transform(unit.begin(), unit.end(), unit.begin(), ::toupper);
    if (!unit.empty() && unit.back() == 'B' && unit.size() > 1)
        unit.pop_back();  // "10GB"
    uint64_t scale = unit.empty()  ? 1
                     : unit == "K" ? 1ull << 10
                     : unit == "M" ? 1ull << 20
                     : unit == "G" ? 1ull << 30
                     : unit == "T" ? 1ull << 40
                                   : 0;
    if (digits == 0 || scale == 0) {
        throw Error("expected a size such as 500M or 10G, found '" + text + "'");
    }
    return std::stoull(text.substr(0, digits)) * scale;
}

}  // namespace twoliter
