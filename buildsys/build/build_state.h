#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace twoliter {

// What the last runs left for each package of one project and arch: the
// action key of its outputs in build/rpms/<package>/ and those outputs
// (file name -> SHA-256). It lets an unchanged package be confirmed with a
// few stats instead of cache lookups. One file, read once per run and
// written once at its end (atomically); a missing or damaged file only costs
// cache lookups. Thread-safe.
class BuildState {
  public:
    struct Entry {
        std::string key;
        std::map<std::string, std::string> outputs;
    };

    explicit BuildState(std::string path);

    std::optional<Entry> find(const std::string& package) const;
    void record(const std::string& package, Entry entry);
    void save();

  private:
    std::string path_;
    mutable std::mutex mutex_;
    std::map<std::string, Entry> entries_;
    bool dirty_ = false;
};

}  // namespace twoliter
