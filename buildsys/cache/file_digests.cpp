#include "cache/file_digests.h"

#include <sys/stat.h>

#include "util/digest.h"
#include "util/error.h"

namespace twoliter {

FileDigests::FileDigests(std::string statePath)
    : records_(std::move(statePath), "twoliter-file-digests-v1\n") {}

std::string FileDigests::digest(const std::string& path) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0)
        throw Error("cannot read file", {path});
    std::string key =
        path + '\0' + std::to_string(info.st_size) + ':' + std::to_string(info.st_mtim.tv_sec) +
        '.' + std::to_string(info.st_mtim.tv_nsec) + ':' + std::to_string(info.st_ino) + ':' +
        std::to_string(info.st_ctim.tv_sec) + '.' + std::to_string(info.st_ctim.tv_nsec);
    if (auto cached = records_.find(key))
        return *cached;
    std::string digest = sha256FileHex(path);
    ++hashed_;
    records_.store(key, digest);
    return digest;
}

}  // namespace twoliter
