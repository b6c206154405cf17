#pragma once

#include <sys/types.h>

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "util/digest.h"

namespace twoliter {

// A pull stream of bytes. read() returns 0 only at the end; errors throw Error.
class ByteSource {
  public:
    virtual ~ByteSource() = default;
    virtual size_t read(char* buffer, size_t size) = 0;
    // Reads to the end, discarding; returns how many bytes that was.
    uint64_t drain();
};

// length bytes of a file starting at offset (the whole rest when length is
// UINT64_MAX). A file shorter than the range is an error.
class FileRangeSource final : public ByteSource {
  public:
    FileRangeSource(const std::string& path, uint64_t offset = 0, uint64_t length = UINT64_MAX);
    ~FileRangeSource() override;
    size_t read(char* buffer, size_t size) override;

  private:
    std::string path_;
    int fd_ = -1;
    uint64_t offset_;
    uint64_t remaining_;
    bool toEnd_;
};

// Passes what it reads from an inner source through SHA-256.
class HashingSource final : public ByteSource {
  public:
    explicit HashingSource(ByteSource& inner) : inner_(inner) {}
    size_t read(char* buffer, size_t size) override;
    std::string hex() { return sha256_.hex(); }
    uint64_t count() const { return count_; }

  private:
    ByteSource& inner_;
    Sha256 sha256_;
    uint64_t count_ = 0;
};

// The standard output of a filter program (gzip -dc, zstd -dc, ...) fed
// with input on its standard input by a helper thread. The program's exit
// status is checked at the end of the stream: a failing filter throws Error
// naming what and quoting its standard error. Destroying the source early
// kills the program.
class FilterSource final : public ByteSource {
  public:
    FilterSource(std::vector<std::string> argv, std::unique_ptr<ByteSource> input,
                 std::string what);
    ~FilterSource() override;
    size_t read(char* buffer, size_t size) override;

  private:
    void finish();

    std::string what_;
    std::unique_ptr<ByteSource> input_;
    pid_t pid_ = -1;
    int stdout_ = -1;
    int stderr_ = -1;
    int feed_ = -1;
    std::thread feeder_;
    std::exception_ptr feederError_;
    bool finished_ = false;
};

enum class Compression { None, Gzip, Zstd };

// Compression of a blob, from its first bytes.
Compression detectCompression(const std::string& path, uint64_t offset = 0);
// The uncompressed bytes of the range (gzip and zstd by their magic).
std::unique_ptr<ByteSource> openDecompressed(const std::string& path, uint64_t offset,
                                             uint64_t length, const std::string& what);

// Writes the stream to path (created or truncated); returns its SHA-256 hex.
std::string copyToFile(ByteSource& source, const std::string& path);

// Runs argv (PATH lookup) with the current environment plus setEnv
// ("NAME=value"), standard input from /dev/null and standard output and error
// appended to logPath. Throws Error naming the program, its exit status and
// the last lines of the log when it fails.
void runLogged(const std::vector<std::string>& argv, const std::vector<std::string>& setEnv,
               const std::string& logPath);

// The lowercase hex SHA-256 of a byte range of a file.
std::string sha256RangeHex(const std::string& path, uint64_t offset, uint64_t length);

}  // namespace twoliter
