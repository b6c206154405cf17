#include "sdk/byte_stream.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>

#include "util/error.h"
#include "util/strings.h"

extern char** environ;

namespace twoliter {

namespace {

constexpr size_t kChunk = 1 << 20;

std::string errnoText() {
    return std::strerror(errno);
}

std::string describeStatus(int status) {
    if (WIFEXITED(status))
        return "exited with status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status))
        return std::string("was killed by signal ") + strsignal(WTERMSIG(status));
    return "failed";
}

std::vector<char*> argvPointers(const std::vector<std::string>& argv) {
    std::vector<char*> pointers;
    for (const auto& arg : argv)
        pointers.push_back(const_cast<char*>(arg.c_str()));
    pointers.push_back(nullptr);
    return pointers;
}

// The last maxLines lines of a file, for error messages.
std::string tailOfFile(const std::string& path, size_t maxLines) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return "";
    off_t size = ::lseek(fd, 0, SEEK_END);
    off_t start = size > 16384 ? size - 16384 : 0;
    std::string text(static_cast<size_t>(size - start), '\0');
    ssize_t n = ::pread(fd, text.data(), text.size(), start);
    ::close(fd);
    text.resize(n > 0 ? static_cast<size_t>(n) : 0);
    // Lines that state an error say more than the last lines, which may
    // be a usage text or a backtrace.
    std::deque<std::string> lines, errors;
    for (const auto& line : splitString(text, '\n')) {
        std::string trimmed = trimString(line);
        if (trimmed.empty())
            continue;
        lines.push_back(trimmed);
        if (lines.size() > maxLines)
            lines.pop_front();
        if (startsWith(trimmed, "E:") || startsWith(trimmed, "Unknown option") ||
            startsWith(trimmed, "error:") || startsWith(trimmed, "ERROR")) {
            errors.push_back(trimmed);
            if (errors.size() > 4)
                errors.pop_front();
        }
    }
    const auto& chosen = errors.empty() ? lines : errors;
    return joinStrings({chosen.begin(), chosen.end()}, " | ");
}

}  // namespace

uint64_t ByteSource::drain() {
    std::vector<char> buffer(kChunk);
    uint64_t total = 0;
    while (size_t n = read(buffer.data(), buffer.size()))
        total += n;
    return total;
}

FileRangeSource::FileRangeSource(const std::string& path, uint64_t offset, uint64_t length)
    : path_(path), offset_(offset), remaining_(length), toEnd_(length == UINT64_MAX) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0)
        throw Error("cannot open file: " + errnoText(), {path});
}

FileRangeSource::~FileRangeSource() {
    if (fd_ >= 0)
        ::close(fd_);
}

size_t FileRangeSource::read(char* buffer, size_t size) {
    if (remaining_ == 0)
        return 0;
    if (!toEnd_ && size > remaining_)
        size = static_cast<size_t>(remaining_);
    for (;;) {
        ssize_t n = ::pread(fd_, buffer, size, static_cast<off_t>(offset_));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            throw Error("cannot read file: " + errnoText(), {path_});
        if (n == 0) {
            if (toEnd_) {
                remaining_ = 0;
                return 0;
            }
            throw Error("file is shorter than expected (" + std::to_string(remaining_) +
                            " more bytes wanted at offset " + std::to_string(offset_) + ")",
                        {path_});
        }
        offset_ += static_cast<uint64_t>(n);
        if (!toEnd_)
            remaining_ -= static_cast<uint64_t>(n);
        return static_cast<size_t>(n);
    }
}

size_t HashingSource::read(char* buffer, size_t size) {
    size_t n = inner_.read(buffer, size);
    sha256_.add(std::string_view(buffer, n));
    count_ += n;
    return n;
}

FilterSource::FilterSource(std::vector<std::string> argv, std::unique_ptr<ByteSource> input,
                           std::string what)
    : what_(std::move(what)), input_(std::move(input)) {
    int feed[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, feed) != 0)
        throw Error(what_ + ": socketpair: " + errnoText());
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) {
        ::close(feed[0]);
        ::close(feed[1]);
        throw Error(what_ + ": pipe: " + errnoText());
    }
    stderr_ = ::memfd_create("twoliter-filter-stderr", MFD_CLOEXEC);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, feed[1], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    if (stderr_ >= 0)
        posix_spawn_file_actions_adddup2(&actions, stderr_, 2);
    auto pointers = argvPointers(argv);
    int rc = ::posix_spawnp(&pid_, argv[0].c_str(), &actions, nullptr, pointers.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(feed[1]);
    ::close(out[1]);
    if (rc != 0) {
        ::close(feed[0]);
        ::close(out[0]);
        if (stderr_ >= 0)
            ::close(stderr_);
        pid_ = -1;
        throw Error(what_ + ": cannot run " + argv[0] + ": " + std::strerror(rc));
    }
    stdout_ = out[0];
    feed_ = feed[0];
    feeder_ = std::thread([this] {
        std::vector<char> buffer(kChunk);
        try {
            for (;;) {
                size_t n = input_->read(buffer.data(), buffer.size());
                if (n == 0)
                    break;
                size_t sent = 0;
                while (sent < n) {
                    ssize_t k = ::send(feed_, buffer.data() + sent, n - sent, MSG_NOSIGNAL);
                    if (k < 0 && errno == EINTR)
                        continue;
                    if (k < 0)  // the filter stopped reading; its status tells why
                        goto done;
                    sent += static_cast<size_t>(k);
                }
            }
        } catch (...) {
            feederError_ = std::current_exception();
        }
    done:
        ::shutdown(feed_, SHUT_WR);
        ::close(feed_);
    });
}

FilterSource::~FilterSource() {
    if (pid_ > 0 && !finished_) {
        ::kill(pid_, SIGKILL);
        ::close(stdout_);
        if (feeder_.joinable())
            feeder_.join();
        int status;
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
    }
    if (feeder_.joinable())
        feeder_.join();
    if (stderr_ >= 0)
        ::close(stderr_);
}

size_t FilterSource::read(char* buffer, size_t size) {
    if (finished_)
        return 0;
    for (;;) {
        ssize_t n = ::read(stdout_, buffer, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            throw Error(what_ + ": cannot read filter output: " + errnoText());
        if (n == 0) {
            finish();
            return 0;
        }
        return static_cast<size_t>(n);
    }
}

void FilterSource::finish() {
    finished_ = true;
    ::close(stdout_);
    feeder_.join();
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    if (feederError_)
        std::rethrow_exception(feederError_);
    if (status != 0) {
        std::string message;
        if (stderr_ >= 0) {
            char text[2048];
            ssize_t n = ::pread(stderr_, text, sizeof text - 1, 0);
            if (n > 0)
                message = trimString(std::string_view(text, static_cast<size_t>(n)));
        }
        throw Error(what_ + ": the filter " + describeStatus(status) +
                    (message.empty() ? "" : ": " + message));
    }
}

Compression detectCompression(const std::string& path, uint64_t offset) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw Error("cannot open file: " + errnoText(), {path});
    unsigned char magic[4] = {0, 0, 0, 0};
    ssize_t n = ::pread(fd, magic, sizeof magic, static_cast<off_t>(offset));
    ::close(fd);
    if (n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b)
        return Compression::Gzip;
    if (n == 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd)
        return Compression::Zstd;
    return Compression::None;
}

std::unique_ptr<ByteSource> openDecompressed(const std::string& path, uint64_t offset,
                                             uint64_t length, const std::string& what) {
    auto raw = std::make_unique<FileRangeSource>(path, offset, length);
    switch (detectCompression(path, offset)) {
        case Compression::Gzip:
            return std::make_unique<FilterSource>(std::vector<std::string>{"gzip", "-dc"},
                                                  std::move(raw), what);
        case Compression::Zstd:
            return std::make_unique<FilterSource>(std::vector<std::string>{"zstd", "-dcq"},
                                                  std::move(raw), what);
        case Compression::None:
            break;
    }
    return raw;
}

std::string copyToFile(ByteSource& source, const std::string& path) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        throw Error("cannot create file: " + errnoText(), {path});
    Sha256 sha256;
    std::vector<char> buffer(kChunk);
    try {
        while (size_t n = source.read(buffer.data(), buffer.size())) {
            sha256.add(std::string_view(buffer.data(), n));
            size_t written = 0;
            while (written < n) {
                ssize_t k = ::write(fd, buffer.data() + written, n - written);
                if (k < 0 && errno == EINTR)
                    continue;
                if (k < 0)
                    throw Error("cannot write file: " + errnoText(), {path});
                written += static_cast<size_t>(k);
            }
        }
    } catch (...) {
        ::close(fd);
        throw;
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0)
        throw Error("cannot write file: " + errnoText(), {path});
    return sha256.hex();
}

void runLogged(const std::vector<std::string>& argv, const std::vector<std::string>& setEnv,
               const std::string& logPath) {
    std::vector<std::string> environment;
    for (char** entry = environ; *entry; ++entry) {
        std::string_view text(*entry);
        std::string_view name = text.substr(0, text.find('='));
        bool overridden = false;
        for (const auto& assignment : setEnv)
            overridden |= startsWith(assignment, std::string(name) + "=");
        if (!overridden)
            environment.emplace_back(text);
    }
    environment.insert(environment.end(), setEnv.begin(), setEnv.end());

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, logPath.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                     0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    auto pointers = argvPointers(argv);
    auto envPointers = argvPointers(environment);
    pid_t pid = -1;
    int rc = ::posix_spawnp(&pid, argv[0].c_str(), &actions, nullptr, pointers.data(),
                            envPointers.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0)
        throw Error("cannot run " + argv[0] + ": " + std::strerror(rc), {}, "is it installed?");
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (status != 0) {
        std::string tail = tailOfFile(logPath, 12);
        throw Error(argv[0] + " " + describeStatus(status) + (tail.empty() ? "" : ": " + tail));
    }
}

std::string sha256RangeHex(const std::string& path, uint64_t offset, uint64_t length) {
    FileRangeSource source(path, offset, length);
    HashingSource hashing(source);
    hashing.drain();
    return hashing.hex();
}

}  // namespace twoliter
