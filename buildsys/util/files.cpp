#include "util/files.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "util/binary_codec.h"
#include "util/digest.h"
#include "util/error.h"

namespace fs = std::filesystem;

namespace twoliter {

std::string readFile(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw Error(std::string("cannot read file: ") + std::strerror(errno), {path});
    struct stat status {};
    std::string content;
    if (::fstat(fd, &status) == 0 && S_ISREG(status.st_mode))
        content.reserve(static_cast<size_t>(status.st_size));
    // Reads until end of file, whatever the size said (files that grow, or
    // /proc files that report 0).
    char buffer[65536];
    while (true) {
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int saved = errno;
            ::close(fd);
            throw Error(std::string("cannot read file: ") + std::strerror(saved), {path});
        }
        if (n == 0)
            break;
        content.append(buffer, static_cast<size_t>(n));
    }
    ::close(fd);
    return content;
}

std::optional<std::string> readFileIfExists(const std::string& path) {
    std::error_code ec;
    if (!fs::exists(path, ec))
        return std::nullopt;
    return readFile(path);
}

namespace {
constexpr const char* kNoSpaceHint =
    "free space on that file system (the build folder or the cache) and run again";

// The Error for errno error while writing path.
Error writeError(int error, const std::string& path) {
    if (error == ENOSPC)
        return Error("no space left on device", {path}, kNoSpaceHint);
    return Error(std::string("cannot write file: ") + std::strerror(error), {path});
}

void writeAll(int fd, const std::string& content, const std::string& path) {
    size_t written = 0;
    while (written < content.size()) {
        ssize_t n = ::write(fd, content.data() + written, content.size() - written);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int saved = errno;
            ::close(fd);
            throw writeError(saved, path);
        }
        written += static_cast<size_t>(n);
    }
}
}  // namespace

std::string uniqueSuffix() {
    static std::atomic<unsigned> counter{0};
    return std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

namespace {

// The pid in a name ending in ".<tag>-<pid>-<n>[...]", or 0.
pid_t temporaryOwner(const std::string& name) {
    for (const char* tag : {".tmp-", ".old-", ".part-", ".layout-"}) {
        size_t at = name.rfind(tag);
        if (at == std::string::npos)
            continue;
        const char* digits = name.c_str() + at + std::strlen(tag);
        char* end = nullptr;
        long pid = std::strtol(digits, &end, 10);
        if (end != digits && *end == '-' && std::isdigit(static_cast<unsigned char>(end[1])) &&
            pid > 0)
            return static_cast<pid_t>(pid);
    }
    return 0;
}

}  // namespace

bool isTemporaryName(const std::string& name) {
    return temporaryOwner(name) != 0;
}

void removeAbandonedTemporaries(const std::string& directory) {
    std::error_code error;
    for (fs::directory_iterator it(directory, error), end; !error && it != end;
         it.increment(error)) {
        pid_t owner = temporaryOwner(it->path().filename().string());
        if (owner == 0 || ::kill(owner, 0) == 0 || errno != ESRCH)
            continue;
        std::error_code ignored;
        fs::remove_all(it->path(), ignored);
    }
}

void writeFileAtomic(const std::string& path, const std::string& content) {
    fs::path target(path);
    std::error_code ec;
    if (target.has_parent_path())
        fs::create_directories(target.parent_path(), ec);
    std::string temporary = path + ".tmp-" + uniqueSuffix();
    int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        throw Error(std::string("cannot create file: ") + std::strerror(errno), {temporary});
    try {
        writeAll(fd, content, temporary);
    } catch (const Error&) {
        ::unlink(temporary.c_str());
        throw;
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        int saved = errno;
        ::unlink(temporary.c_str());
        throw writeError(saved, temporary);
    }
    if (::rename(temporary.c_str(), path.c_str()) != 0) {
        int saved = errno;
        ::unlink(temporary.c_str());
        throw Error(std::string("cannot rename file into place: ") + std::strerror(saved), {path});
    }
}

Error fileSystemError(const fs::filesystem_error& error) {
    std::string path = error.path1().string();
    if (error.code() == std::errc::no_space_on_device)
        return Error("no space left on device", {path}, kNoSpaceHint);
    // what() is "filesystem error: <operation>: <reason> [path1] [path2]".
    std::string message = error.what();
    const std::string prefix = "filesystem error: ";
    if (message.compare(0, prefix.size(), prefix) == 0)
        message.erase(0, prefix.size());
    size_t paths = message.find(" [");
    if (paths != std::string::npos)
        message.erase(paths);
    if (!error.path2().empty())
        message += " (to " + error.path2().string() + ")";
    return Error(message, {path});
}

bool fileSystemFull(const std::string& path) {
    struct statvfs info {};
    if (::statvfs(path.c_str(), &info) != 0)
        return false;
    return static_cast<uint64_t>(info.f_bavail) * info.f_frsize < (1u << 20);
}

void touchPath(const std::string& path) {
    ::utimensat(AT_FDCWD, path.c_str(), nullptr, 0);
}

void writeChecksummedFile(const std::string& path, const std::string& magic,
                          const std::string& payload) {
    BinaryWriter file;
    file.putString(sha256Hex(payload));
    file.putString(payload);
    writeFileAtomic(path, magic + file.bytes());
}

std::optional<std::string> readChecksummedFile(const std::string& path, const std::string& magic) {
    auto content = readFileIfExists(path);
    if (!content || content->compare(0, magic.size(), magic) != 0)
        return std::nullopt;
    try {
        BinaryReader file(std::string_view(*content).substr(magic.size()));
        std::string checksum = file.getString();
        std::string payload = file.getString();
        if (sha256Hex(payload) != checksum)
            return std::nullopt;
        return payload;
    } catch (const Error&) {
        return std::nullopt;
    }
}

bool pathExists(const std::string& path) {
    std::error_code ec;
    return fs::exists(path, ec);
}

bool isDirectory(const std::string& path) {
    std::error_code ec;
    return fs::is_directory(path, ec);
}

bool isRegularFile(const std::string& path) {
    std::error_code ec;
    return fs::is_regular_file(path, ec);
}

std::vector<std::string> listSubdirectories(const std::string& dir) {
    std::vector<std::string> names;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        if (it->is_directory(ec))
            names.push_back(it->path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

std::string absolutePath(const std::string& path, const std::string& base) {
    fs::path p(path);
    if (p.is_relative())
        p = fs::path(base) / p;
    return p.lexically_normal().string();
}

std::string relativePath(const std::string& target, const std::string& base) {
    fs::path relative = fs::path(target).lexically_relative(base);
    if (relative.empty() || *relative.begin() == "..")
        return target;
    return relative.string();
}

}  // namespace twoliter
