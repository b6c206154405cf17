#include "image/image_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "util/error.h"
#include "util/files.h"

namespace twoliter {

namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path) {
    throw Error(what + ": " + std::strerror(errno), {path});
}

}  // namespace

ImageFile ImageFile::openForReading(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        fail("cannot open file", path);
    return ImageFile(fd, path);
}

ImageFile ImageFile::openForWriting(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        fail("cannot open file for writing", path);
    return ImageFile(fd, path);
}

ImageFile::ImageFile(ImageFile&& other) noexcept : fd_(other.fd_), path_(std::move(other.path_)) {
    other.fd_ = -1;
}

ImageFile::~ImageFile() {
    if (fd_ >= 0)
        ::close(fd_);
}

uint64_t ImageFile::size() const {
    struct stat info;
    if (::fstat(fd_, &info) != 0)
        fail("cannot stat file", path_);
    return static_cast<uint64_t>(info.st_size);
}

size_t ImageFile::readSomeAt(uint64_t offset, void* buffer, size_t size) const {
    size_t done = 0;
    while (done < size) {
        ssize_t n = ::pread(fd_, static_cast<char*>(buffer) + done, size - done,
                            static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            fail("cannot read file", path_);
        if (n == 0)
            break;
        done += static_cast<size_t>(n);
    }
    return done;
}

void ImageFile::readAt(uint64_t offset, void* buffer, size_t size) const {
    if (readSomeAt(offset, buffer, size) != size)
        throw Error("file ends before byte " + std::to_string(offset + size), {path_});
}

void ImageFile::writeAt(uint64_t offset, const void* buffer, size_t size) {
    size_t done = 0;
    while (done < size) {
        ssize_t n = ::pwrite(fd_, static_cast<const char*>(buffer) + done, size - done,
                             static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            fail("cannot write file", path_);
        done += static_cast<size_t>(n);
    }
}

void ImageFile::resize(uint64_t size) {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0)
        fail("cannot resize file", path_);
}

void ImageFile::sync() {
    if (::fsync(fd_) != 0)
        fail("cannot sync file", path_);
}

PendingFile::PendingFile(std::string path)
    : path_(std::move(path)),
      temporaryPath_(path_ + ".tmp-" + uniqueSuffix()),
      file_(ImageFile::openForWriting(temporaryPath_)) {
    file_.resize(0);
}

PendingFile::~PendingFile() {
    if (!committed_)
        ::unlink(temporaryPath_.c_str());
}

void PendingFile::append(const void* buffer, size_t size) {
    file_.writeAt(appended_, buffer, size);
    appended_ += size;
}

void PendingFile::commit() {
    file_.sync();
    if (std::rename(temporaryPath_.c_str(), path_.c_str()) != 0)
        fail("cannot rename " + temporaryPath_ + " to", path_);
    committed_ = true;
}

}  // namespace twoliter
