#pragma once

#include <functional>
#include <string>

namespace twoliter {

// An advisory lock (flock, exclusive or shared) on a file, held for the
// object's life and released by the kernel when the process dies (children
// forked without exec share it, and die with the process:
// util/child_process.h). When another process holds it, waiting(holder) is
// called once with what the holder wrote ("pid 123") and the constructor
// blocks until the lock is free.
class FileLock {
  public:
    enum class Mode { Exclusive, Shared };
    FileLock(const std::string& path, const std::function<void(const std::string&)>& waiting,
             Mode mode = Mode::Exclusive);
    ~FileLock();
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;

  private:
    int fd_ = -1;
};

}  // namespace twoliter
