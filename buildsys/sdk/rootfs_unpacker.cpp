#include "sdk/rootfs_unpacker.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "util/error.h"
#include "util/strings.h"

namespace twoliter {

namespace {

std::string errnoText() {
    return std::strerror(errno);
}

// Closes a descriptor at scope exit.
struct Fd {
    int fd = -1;
    explicit Fd(int value = -1) : fd(value) {}
    ~Fd() {
        if (fd >= 0)
            ::close(fd);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
};

int openInRoot(int rootFd, const std::string& relative) {
    struct open_how how;
    std::memset(&how, 0, sizeof how);
    how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    for (;;) {
        long fd = ::syscall(SYS_openat2, rootFd, relative.c_str(), &how, sizeof how);
        if (fd < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        return static_cast<int>(fd);
    }
}

std::string joinPath(const std::string& parent, const std::string& name) {
    return parent.empty() ? name : parent + "/" + name;
}

void splitPath(const std::string& path, std::string& parent, std::string& base) {
    size_t slash = path.rfind('/');
    parent = slash == std::string::npos ? "" : path.substr(0, slash);
    base = slash == std::string::npos ? path : path.substr(slash + 1);
}

bool hasDotDot(const std::string& path) {
    for (const auto& part : splitString(path, '/'))
        if (part == "..")
            return true;
    return false;
}

void removeAt(int dirFd, const std::string& name) {
    struct stat st;
    if (::fstatat(dirFd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT)
            return;
        throw Error("cannot remove " + name + ": " + errnoText());
    }
    if (S_ISDIR(st.st_mode)) {
        int fd = ::openat(dirFd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno == EACCES) {
            ::fchmodat(dirFd, name.c_str(), 0700, 0);
            fd = ::openat(dirFd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        if (fd < 0)
            throw Error("cannot open directory " + name + ": " + errnoText());
        ::fchmod(fd, 0700);  // so that its entries can be unlinked by a non-root owner
        DIR* dir = ::fdopendir(fd);
        if (!dir) {
            ::close(fd);
            throw Error("cannot list directory " + name + ": " + errnoText());
        }
        std::vector<std::string> children;
        while (struct dirent* child = ::readdir(dir)) {
            std::string childName = child->d_name;
            if (childName != "." && childName != "..")
                children.push_back(childName);
        }
        try {
            for (const auto& child : children)
                removeAt(::dirfd(dir), child);
        } catch (...) {
            ::closedir(dir);
            throw;
        }
        ::closedir(dir);
        if (::unlinkat(dirFd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
            throw Error("cannot remove directory " + name + ": " + errnoText());
        return;
    }
    if (::unlinkat(dirFd, name.c_str(), 0) != 0 && errno != ENOENT)
        throw Error("cannot remove " + name + ": " + errnoText());
}

void setTimes(int dirFd, const std::string& name, int64_t mtime) {
    struct timespec times[2];
    times[0].tv_sec = times[1].tv_sec = static_cast<time_t>(mtime);
    times[0].tv_nsec = times[1].tv_nsec = 0;
    ::utimensat(dirFd, name.c_str(), times, AT_SYMLINK_NOFOLLOW);
}

}  // namespace

void removeTree(const std::string& path) {
    std::filesystem::path p(path);
    std::string parent = p.parent_path().string();
    std::string base = p.filename().string();
    if (base.empty())
        return;
    int dirFd =
        parent.empty() ? AT_FDCWD : ::open(parent.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dirFd < 0 && dirFd != AT_FDCWD)
        return;
    try {
        removeAt(dirFd, base);
    } catch (const Error& e) {
        if (dirFd != AT_FDCWD)
            ::close(dirFd);
        throw Error(std::string(e.what()), {path});
    }
    if (dirFd != AT_FDCWD)
        ::close(dirFd);
}

RootfsUnpacker::RootfsUnpacker(const std::string& root)
    : root_(root), privileged_(::geteuid() == 0) {
    rootFd_ = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootFd_ < 0)
        throw Error("cannot open directory: " + errnoText(), {root});
    // Fail early and clearly on kernels without openat2 (before 5.6).
    int probe = openInRoot(rootFd_, ".");
    if (probe < 0)
        throw Error("openat2 is not available: " + errnoText(), {root},
                    "unpacking images needs Linux 5.6 or later");
    ::close(probe);
}

RootfsUnpacker::~RootfsUnpacker() {
    if (rootFd_ >= 0)
        ::close(rootFd_);
}

int RootfsUnpacker::openDir(const std::string& relative, bool create, const std::string& what,
                            int depth) {
    std::string path = relative.empty() ? "." : relative;
    int fd = openInRoot(rootFd_, path);
    if (fd >= 0 || errno != ENOENT || !create) {
        if (fd < 0 && errno != ENOENT)
            throw Error(what + ": " + relative + ": cannot open directory: " + errnoText());
        return fd;
    }
    // Create the missing parents one at a time, each resolved in the root.
    std::string prefix;
    for (const auto& part : splitString(relative, '/')) {
        if (part.empty() || part == ".")
            continue;
        std::string parent = prefix;
        prefix = joinPath(prefix, part);
        Fd existing(openInRoot(rootFd_, prefix));
        if (existing.fd >= 0)
            continue;
        if (errno != ENOENT)
            throw Error(what + ": " + prefix + ": cannot open directory: " + errnoText());
        Fd parentFd(openInRoot(rootFd_, parent.empty() ? "." : parent));
        if (parentFd.fd >= 0 && ::mkdirat(parentFd.fd, part.c_str(), 0755) == 0)
            continue;
        // A dangling symlink: create its target inside the root, as a
        // chroot's mkdir -p would.
        char target[4096];
        ssize_t length = parentFd.fd < 0
                             ? -1
                             : ::readlinkat(parentFd.fd, part.c_str(), target, sizeof target - 1);
        if (length <= 0 || depth > 32)
            throw Error(what + ": " + prefix + ": cannot create directory: " + errnoText());
        std::string link(target, static_cast<size_t>(length));
        std::vector<std::string> resolved;
        if (!startsWith(link, "/"))
            resolved = splitString(parent, '/');
        for (const auto& step : splitString(link, '/')) {
            if (step.empty() || step == ".")
                continue;
            if (step == "..") {
                if (!resolved.empty())
                    resolved.pop_back();  // ".." stops at the root
            } else {
                resolved.push_back(step);
            }
        }
        resolved.erase(std::remove(resolved.begin(), resolved.end(), ""), resolved.end());
        Fd created(openDir(joinStrings(resolved, "/"), true, what, depth + 1));
    }
    fd = openInRoot(rootFd_, path);
    if (fd < 0)
        throw Error(what + ": " + relative + ": cannot open directory: " + errnoText());
    return fd;
}

void RootfsUnpacker::whiteout(const std::string& parent, const std::string& name,
                              const std::string& what) {
    std::string target = joinPath(parent, name);
    if (layerPaths_.count(target))
        return;  // the same layer also adds it: the addition wins
    Fd dir(openDir(parent, false, what));
    if (dir.fd < 0)
        return;
    removeAt(dir.fd, name);
}

void RootfsUnpacker::opaque(const std::string& dirPath, const std::string& what) {
    Fd dir(openDir(dirPath, false, what));
    if (dir.fd < 0)
        return;
    int listFd = ::openat(dir.fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (listFd < 0)
        throw Error(what + ": " + dirPath + ": cannot open directory: " + errnoText());
    DIR* listing = ::fdopendir(listFd);
    if (!listing) {
        ::close(listFd);
        throw Error(what + ": " + dirPath + ": cannot list directory: " + errnoText());
    }
    std::vector<std::string> names;
    while (struct dirent* child = ::readdir(listing)) {
        std::string name = child->d_name;
        if (name != "." && name != ".." && !layerPaths_.count(joinPath(dirPath, name)))
            names.push_back(name);
    }
    ::closedir(listing);
    for (const auto& name : names)
        removeAt(dir.fd, name);
}

void RootfsUnpacker::applyEntry(TarEntry& entry, TarReader& layer, const std::string& what) {
    const std::string& path = entry.path;
    if (hasDotDot(path))
        throw Error(what + ": member " + path + " points outside the root filesystem");
    if (path.empty()) {
        if (entry.type == TarType::Directory)
            dirs_[""] = {entry.mode, entry.mtime};
        return;
    }
    std::string parent, base;
    splitPath(path, parent, base);
    if (startsWith(base, ".wh.")) {
        if (base == ".wh..wh..opq")
            opaque(parent, what);
        else if (!startsWith(base, ".wh..wh."))  // other .wh..wh.* are aufs bookkeeping
            whiteout(parent, base.substr(4), what);
        return;
    }

    Fd dir(openDir(parent, true, what));
    struct stat st;
    bool exists = ::fstatat(dir.fd, base.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
    bool keepDirectory = exists && S_ISDIR(st.st_mode) && entry.type == TarType::Directory;
    if (exists && !keepDirectory)
        removeAt(dir.fd, base);
    auto fail = [&](const std::string& action) {
        throw Error(what + ": " + path + ": cannot " + action + ": " + errnoText());
    };
    auto chownEntry = [&]() {
        if (privileged_ &&
            ::fchownat(dir.fd, base.c_str(), static_cast<uid_t>(entry.uid),
                       static_cast<gid_t>(entry.gid), AT_SYMLINK_NOFOLLOW) != 0 &&
            errno != EPERM && errno != EINVAL)
            fail("change owner");
    };

    switch (entry.type) {
        case TarType::Directory:
            if (!keepDirectory && ::mkdirat(dir.fd, base.c_str(), 0700) != 0)
                fail("create directory");
            chownEntry();
            dirs_[path] = {entry.mode, entry.mtime};
            break;
        case TarType::File: {
            Fd file(::openat(dir.fd, base.c_str(),
                             O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
            if (file.fd < 0)
                fail("create file");
            std::vector<char> buffer(1 << 20);
            while (size_t n = layer.readData(buffer.data(), buffer.size())) {
                size_t written = 0;
                while (written < n) {
                    ssize_t k = ::write(file.fd, buffer.data() + written, n - written);
                    if (k < 0 && errno == EINTR)
                        continue;
                    if (k < 0)
                        fail("write file");
                    written += static_cast<size_t>(k);
                }
            }
            if (privileged_ &&
                ::fchown(file.fd, static_cast<uid_t>(entry.uid), static_cast<gid_t>(entry.gid)) !=
                    0 &&
                errno != EPERM && errno != EINVAL)
                fail("change owner");
            if (::fchmod(file.fd, entry.mode) != 0)
                fail("change mode");
            for (const auto& [name, value] : entry.xattrs)
                ::fsetxattr(file.fd, name.c_str(), value.data(), value.size(), 0);
            struct timespec times[2];
            times[0].tv_sec = times[1].tv_sec = static_cast<time_t>(entry.mtime);
            times[0].tv_nsec = times[1].tv_nsec = 0;
            ::futimens(file.fd, times);
            break;
        }
        case TarType::Symlink:
            if (::symlinkat(entry.linkTarget.c_str(), dir.fd, base.c_str()) != 0)
                fail("create symlink");
            chownEntry();
            setTimes(dir.fd, base, entry.mtime);
            break;
        case TarType::Hardlink: {
            if (hasDotDot(entry.linkTarget) || entry.linkTarget.empty())
                throw Error(what + ": hard link " + path + " points outside the root filesystem");
            std::string targetParent, targetBase;
            splitPath(entry.linkTarget, targetParent, targetBase);
            Fd targetDir(openDir(targetParent, false, what));
            if (targetDir.fd < 0 ||
                ::linkat(targetDir.fd, targetBase.c_str(), dir.fd, base.c_str(), 0) != 0)
                throw Error(what + ": hard link " + path + " to " + entry.linkTarget +
                            ": cannot link: " + errnoText());
            break;
        }
        case TarType::CharDevice:
        case TarType::BlockDevice:
        case TarType::Fifo: {
            mode_t kind = entry.type == TarType::Fifo         ? S_IFIFO
                          : entry.type == TarType::CharDevice ? S_IFCHR
                                                              : S_IFBLK;
            if (::mknodat(dir.fd, base.c_str(), kind | (entry.mode & 0777),
                          makedev(entry.devMajor, entry.devMinor)) != 0) {
                if (errno == EPERM && kind != S_IFIFO) {
                    ++skippedDevices_;  // unprivileged: /dev comes from the sandbox anyway
                    break;
                }
                fail("create device node");
            }
            chownEntry();
            ::fchmodat(dir.fd, base.c_str(), entry.mode, 0);
            setTimes(dir.fd, base, entry.mtime);
            break;
        }
    }
    layerPaths_.insert(path);
}

void RootfsUnpacker::applyLayer(TarReader& layer, const std::string& what) {
    layerPaths_.clear();
    TarEntry entry;
    while (layer.next(entry)) {
        applyEntry(entry, layer, what);
        ++entries_;
    }
    layerPaths_.clear();
}

void RootfsUnpacker::finish() {
    // Deepest first, so a read-only parent is set after its children.
    for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) {
        const auto& [path, meta] = *it;
        if (path.empty()) {
            ::fchmod(rootFd_, meta.mode);
            struct timespec times[2];
            times[0].tv_sec = times[1].tv_sec = static_cast<time_t>(meta.mtime);
            times[0].tv_nsec = times[1].tv_nsec = 0;
            ::futimens(rootFd_, times);
            continue;
        }
        std::string parent, base;
        splitPath(path, parent, base);
        Fd dir(openInRoot(rootFd_, parent.empty() ? "." : parent));
        struct stat st;
        if (dir.fd < 0 || ::fstatat(dir.fd, base.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISDIR(st.st_mode))
            continue;  // removed by a later layer
        ::fchmodat(dir.fd, base.c_str(), meta.mode, 0);
        setTimes(dir.fd, base, meta.mtime);
    }
    dirs_.clear();
}

}  // namespace twoliter
