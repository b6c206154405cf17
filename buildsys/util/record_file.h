#pragma once

#include <map>
#include <optional>
#include <string>

namespace twoliter {

// A file of (key, record) pairs that a run loads whole and writes back with
// only the records it used, so stale entries drop out. The content carries a
// magic line and a SHA-256 of the payload: a missing, foreign, truncated or
// damaged file loads as empty, never as an error.
class RecordFile {
  public:
    RecordFile(std::string path, std::string magic);

    // The record stored under key, which then counts as used.
    std::optional<std::string> find(const std::string& key);
    void store(const std::string& key, std::string record);
    // Atomically rewrites the file when the set of used records differs from
    // what was loaded.
    void save();

    size_t hits() const { return hits_; }
    size_t misses() const { return misses_; }

  private:
    std::string path_;
    std::string magic_;
    std::map<std::string, std::string> loaded_;
    std::map<std::string, std::string> used_;
    bool dirty_ = false;
    size_t hits_ = 0;
    size_t misses_ = 0;
};

}  // namespace twoliter
