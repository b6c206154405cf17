#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "sdk/tar.h"

namespace twoliter {

// Applies OCI image layers, in order, to a directory. Every path is resolved
// inside the directory (openat2 RESOLVE_IN_ROOT), so neither ".." nor a
// symlink from an earlier layer can make a layer write outside it. Whiteouts
// follow the OCI image spec: ".wh.<name>" deletes <name> from the layers
// below, ".wh..wh..opq" empties its directory of what the layers below put
// there. Symlinks, hard links, modes (incl. set-id bits), owners (when run
// as root), mtimes, device nodes (when permitted, otherwise skipped) and
// security.capability-style xattrs of regular files are reproduced.
class RootfsUnpacker {
  public:
    explicit RootfsUnpacker(const std::string& root);
    ~RootfsUnpacker();
    RootfsUnpacker(const RootfsUnpacker&) = delete;
    RootfsUnpacker& operator=(const RootfsUnpacker&) = delete;

    // Throws Error naming what for an entry that escapes the root, a link
    // to a missing target or a filesystem failure.
    void applyLayer(TarReader& layer, const std::string& what);
    // Sets directory modes and mtimes, which are deferred so that read-only
    // directories can still be filled by later entries and layers.
    void finish();

    size_t entries() const { return entries_; }
    size_t skippedDevices() const { return skippedDevices_; }

  private:
    struct DirMeta {
        uint32_t mode;
        int64_t mtime;
    };
    int openDir(const std::string& relative, bool create, const std::string& what, int depth = 0);
    void applyEntry(TarEntry& entry, TarReader& layer, const std::string& what);
    void whiteout(const std::string& parent, const std::string& name, const std::string& what);
    void opaque(const std::string& dir, const std::string& what);

    std::string root_;
    int rootFd_ = -1;
    bool privileged_ = false;
    std::set<std::string> layerPaths_;  // paths written by the current layer
    std::map<std::string, DirMeta> dirs_;
    size_t entries_ = 0;
    size_t skippedDevices_ = 0;
};

// Deletes a tree without following symlinks, making directories writable
// first where needed. A missing path is not an error.
void removeTree(const std::string& path);

}  // namespace twoliter
