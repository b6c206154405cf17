#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace twoliter {

// An open file of the image module, closed on destruction. Every failure is
// an Error naming the file.
class ImageFile {
  public:
    static ImageFile openForReading(const std::string& path);
    // Opens for reading and writing, creating an empty file when missing.
    static ImageFile openForWriting(const std::string& path);
    ImageFile(ImageFile&& other) noexcept;
    ImageFile& operator=(ImageFile&&) = delete;
    ImageFile(const ImageFile&) = delete;
    ~ImageFile();

    const std::string& path() const { return path_; }
    int descriptor() const { return fd_; }
    uint64_t size() const;

    // Reads exactly size bytes at offset; a file that ends before is an Error.
    void readAt(uint64_t offset, void* buffer, size_t size) const;
    // Reads up to size bytes at offset; fewer only at the end of the file.
    size_t readSomeAt(uint64_t offset, void* buffer, size_t size) const;
    void writeAt(uint64_t offset, const void* buffer, size_t size);
    void resize(uint64_t size);
    void sync();

  private:
    ImageFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
    int fd_;
    std::string path_;
};

// An output written under "<path>.tmp-<unique suffix>" and renamed onto
// path by commit() (after fsync), so a reader never sees a partial file.
// The temporary is removed when the object dies uncommitted.
class PendingFile {
  public:
    explicit PendingFile(std::string path);
    ~PendingFile();
    PendingFile(const PendingFile&) = delete;
    PendingFile& operator=(const PendingFile&) = delete;

    ImageFile& file() { return file_; }
    // The final path (errors about the output name it).
    const std::string& path() const { return path_; }
    // Appends at the end of what was appended so far.
    void append(const void* buffer, size_t size);
    void commit();

  private:
    std::string path_;
    std::string temporaryPath_;
    ImageFile file_;
    uint64_t appended_ = 0;
    bool committed_ = false;
};

}  // namespace twoliter
