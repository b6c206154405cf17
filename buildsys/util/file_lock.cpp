#include "util/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "util/error.h"
#include "util/strings.h"

namespace twoliter {

FileLock::FileLock(const std::string& path, const std::function<void(const std::string&)>& waiting,
                   Mode mode) {
    int operation = mode == Mode::Shared ? LOCK_SH : LOCK_EX;
    std::error_code ignored;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ignored);
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0)
        throw Error(std::string("cannot open lock file: ") + std::strerror(errno), {path});
    if (::flock(fd_, operation | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK)
            throw Error(std::string("cannot lock: ") + std::strerror(errno), {path});
        char holder[64] = "";
        ssize_t n = ::pread(fd_, holder, sizeof holder - 1, 0);
        if (waiting)
            waiting(n > 0 ? trimString(std::string(holder, static_cast<size_t>(n)))
                          : "another process");
        while (::flock(fd_, operation) != 0) {
            if (errno != EINTR)
                throw Error(std::string("cannot lock: ") + std::strerror(errno), {path});
        }
    }
    if (mode == Mode::Shared)
        return;  // the file names the exclusive holder only
    std::string self = "pid " + std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd_, 0) == 0) {
        ssize_t written = ::pwrite(fd_, self.data(), self.size(), 0);
        (void)written;
    }
}

FileLock::~FileLock() {
    if (fd_ >= 0)
        ::close(fd_);
}

}  // namespace twoliter
