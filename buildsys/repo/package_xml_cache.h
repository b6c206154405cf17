#pragma once

#include <sys/stat.h>

#include <optional>
#include <string>

#include "util/record_file.h"

namespace twoliter {

// The three XML chunks (primary, filelists, other) createrepo_c writes for
// one RPM, as they appear in the metadata files.
struct PackageXml {
    std::string primary;
    std::string filelists;
    std::string other;
};

// The chunks of the RPMs of one repository from its last write, kept in
// <directory>/.repodata-cache (beside repodata/, which is replaced whole on
// every write). The file is a RecordFile: written atomically, versioned by
// its magic line (which names the createrepo_c version and the writer's
// settings, so chunks from another writer are never mixed in), checksummed;
// a missing, foreign, truncated or damaged file loads as empty and is
// rewritten, never an error. Only the records of the last write are kept.
//
// An RPM counts as unchanged when its stat identity is: the path relative to
// the repository, size, mtime and ctime (nanoseconds), inode and device. Why not a
// content digest: the digest createrepo_c lists is a SHA-256 of the whole
// file, so hashing every RPM again would cost most of what reading it costs
// and the cache would save little. Why this is safe: the chunks embed the
// path, size and mtime, which are in the key anyway; ctime cannot be set by
// user space, and every write, in-place rewrite (rpmsign re-signs in place
// at the same size), rename into place or chmod moves it to the present, so
// restoring size and mtime with `touch -d` does not hide a change. The cost
// of a false change (a copied repository has new inodes; a new hard link
// to an RPM moves its ctime) is one more read of that RPM.
// The limit, shared with make and ninja: an RPM rewritten at the same size
// within one tick of the file system's clock (a few ms on ext4) after it
// was read is not noticed. The writer stats each RPM before and after
// reading it and refuses one that changed meanwhile.
class PackageXmlCache {
  public:
    // A disabled cache finds nothing and never writes its file.
    PackageXmlCache(const std::string& directory, bool enabled);

    std::optional<PackageXml> find(const std::string& relative, const struct stat& info);
    void store(const std::string& relative, const struct stat& info, const PackageXml& xml);
    // Rewrites the file when its records changed.
    void save();

  private:
    std::optional<RecordFile> records_;
};

// Whether two stats describe the same file state (the cache key's fields).
bool sameFileState(const struct stat& a, const struct stat& b);

// The cache's name in the repository directory.
extern const char* const kRepodataCacheName;

}  // namespace twoliter
