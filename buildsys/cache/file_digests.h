#pragma once

#include <string>

#include "util/record_file.h"

namespace twoliter {

// SHA-256 of files, remembered by (path, size, mtime, inode, ctime) so an
// unchanged file is not read again. A changed stat means a re-hash, never a
// stale digest; the stored entries are only those used by the last run.
class FileDigests {
  public:
    explicit FileDigests(std::string statePath);

    // Throws Error when the file cannot be read.
    std::string digest(const std::string& path);
    void save() { records_.save(); }
    size_t hashed() const { return hashed_; }

  private:
    RecordFile records_;
    size_t hashed_ = 0;
};

}  // namespace twoliter
