#include "util/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "util/binary_codec.h"
#include "util/digest.h"
#include "util/error.h"

namespace fs = std::filesystem;

namespace twoliter {

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error(std::string("cannot read file: ") + std::strerror(errno), {path});
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

std::optional<std::string> readFileIfExists(const std::string& path) {
    std::error_code ec;
    if (!fs::exists(path, ec))
        return std::nullopt;
    return readFile(path);
}

namespace {
void writeAll(int fd, const std::string& content, const std::string& path) {
    size_t written = 0;
    while (written < content.size()) {
        ssize_t n = ::write(fd, content.data() + written, content.size() - written);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int saved = errno;
            ::close(fd);
            throw Error(std::string("cannot write file: ") + std::strerror(saved), {path});
        }
        written += static_cast<size_t>(n);
    }
}
}  // namespace

std::string uniqueSuffix() {
    static std::atomic<unsigned> counter{0};
    return std::to_string(::getpid()) + "-" + std::to_string(counter++);
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
    writeAll(fd, content, temporary);
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        throw Error(std::string("cannot write file: ") + std::strerror(errno), {temporary});
    }
    if (::rename(temporary.c_str(), path.c_str()) != 0) {
        int saved = errno;
        ::unlink(temporary.c_str());
        throw Error(std::string("cannot rename file into place: ") + std::strerror(saved), {path});
    }
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
