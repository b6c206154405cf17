#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace twoliter {

// A content-addressed store of files: <root>/cas/<first two hex>/<sha256>.
// Files enter by copy to a temporary name and rename, so a present entry is
// complete; entries are read-only and never modified in place.
class ContentStore {
  public:
    explicit ContentStore(std::string root);

    // Copies the file in (unless an intact entry with its digest exists; a
    // corrupt one is replaced) and returns its SHA-256 hex.
    std::string put(const std::string& path);
    std::string pathOf(const std::string& digest) const;
    bool contains(const std::string& digest) const;
    // Whether the entry exists and its content still hashes to its name. A
    // corrupt entry is removed.
    bool verify(const std::string& digest);

    // Hard-links (or copies, across file systems) the entry to destination,
    // replacing what is there.
    void materialize(const std::string& digest, const std::string& destination) const;

    const std::string& root() const { return root_; }

  private:
    std::string root_;
};

// One output of a cached action.
struct ActionOutput {
    std::string name;    // file name, e.g. an RPM's
    std::string digest;  // SHA-256 hex, an entry of the ContentStore
    uint64_t size = 0;
};

// What a finished action produced, stored under its action key.
struct ActionRecord {
    std::vector<ActionOutput> outputs;
    double seconds = 0;        // how long the action ran
    std::string inputsDigest;  // what the inputs summary hashed to, for --explain
    std::vector<std::pair<std::string, std::string>> inputs;  // (input name, digest)
};

// Whether every output is in the store and intact (ContentStore::verify):
// what a cache hit checks before it hands outputs out. Corrupt entries are
// removed and their paths appended to corrupt, for a warning; the caller
// then rebuilds, as for a miss.
bool outputsIntact(ContentStore& store, const std::vector<ActionOutput>& outputs,
                   std::vector<std::string>& corrupt);

// Action key -> ActionRecord, one small file per key under <root>/actions/.
class ActionCache {
  public:
    explicit ActionCache(std::string root);

    std::optional<ActionRecord> find(const std::string& key) const;
    // Marks the record as used now, for pruning, without reading it.
    void touch(const std::string& key) const;
    void store(const std::string& key, const ActionRecord& record);

  private:
    std::string pathOf(const std::string& key) const;
    std::string root_;
};

// The cache folder: $TWOLITER_CACHE_DIR, else $XDG_CACHE_HOME/twoliter,
// else ~/.cache/twoliter.
std::string defaultCacheDirectory();

}  // namespace twoliter
