#include "solve/kit_repository.h"

#include <fcntl.h>
#include <stdio_ext.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include <solv/pool.h>
#include <solv/repodata.h>
#include <solv/solvversion.h>
// These libsolvext headers lack extern "C".
extern "C" {
#include <solv/repo_repomdxml.h>
#include <solv/repo_rpmmd.h>
#include <solv/repo_solv.h>
#include <solv/repo_write.h>
#include <solv/solv_xfopen.h>
}

#include "util/binary_codec.h"
#include "util/digest.h"
#include "util/error.h"
#include "util/files.h"

namespace twoliter {

namespace {

// The location of the repomd entry of the given type ("primary", "filelists").
std::string repomdLocation(Pool* pool, Repo* repo, const char* type) {
    std::string location;
    Dataiterator iterator;
    dataiterator_init(&iterator, pool, repo, SOLVID_META, REPOSITORY_REPOMD_TYPE, type,
                      SEARCH_STRING);
    dataiterator_prepend_keyname(&iterator, REPOSITORY_REPOMD);
    if (dataiterator_step(&iterator)) {
        dataiterator_setpos_parent(&iterator);
        const char* found = pool_lookup_str(pool, SOLVID_POS, REPOSITORY_REPOMD_LOCATION);
        if (found)
            location = found;
    }
    dataiterator_free(&iterator);
    return location;
}

void addRpmmd(Repo* repo, const std::string& path, int flags) {
    FILE* file = solv_xfopen(path.c_str(), "r");
    if (!file)
        throw Error("cannot open repository metadata", {path});
    int failed = repo_add_rpmmd(repo, file, nullptr, flags);
    fclose(file);
    if (failed) {
        throw Error(std::string("invalid repository metadata: ") + pool_errstr(repo->pool), {path});
    }
}

// The first bytes of a cache file: a cache of another libsolv is not read.
std::string solvCacheMagic() {
    return std::string("twoliter solv cache 1, libsolv ") + solv_version + "\n";
}

// A file mapped into memory (private, copy on write), empty when it cannot
// be mapped: a cache of megabytes is read without copying it.
class MappedFile {
  public:
    explicit MappedFile(const std::string& path) {
        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return;
        struct stat status;
        if (::fstat(fd, &status) == 0 && status.st_size > 0) {
            void* data = ::mmap(nullptr, static_cast<size_t>(status.st_size),
                                PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
            if (data != MAP_FAILED) {
                data_ = static_cast<char*>(data);
                size_ = static_cast<size_t>(status.st_size);
            }
        }
        ::close(fd);
    }
    ~MappedFile() {
        if (data_)
            ::munmap(data_, size_);
    }
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;
    char* data() const { return data_; }
    std::string_view view() const { return {data_, size_}; }

  private:
    char* data_ = nullptr;
    size_t size_ = 0;
};

// The payload of a file in readChecksummedFile's frame (util/files.h: magic,
// checksum, payload, each string length-prefixed), as a view into file; empty
// for another magic, a malformed frame or a payload that fails its checksum.
std::string_view checkedPayload(std::string_view file, const std::string& magic) {
    if (file.substr(0, magic.size()) != magic)
        return {};
    try {
        BinaryReader reader(file.substr(magic.size()));
        std::string checksum = reader.getString();
        uint64_t size = reader.getVarint();
        if (size > file.size())
            return {};
        std::string_view payload = file.substr(file.size() - size);
        if (sha256Hex(payload) != checksum)
            return {};
        return payload;
    } catch (const Error&) {
        return {};
    }
}

// What the cache leaves out: file lists (their providers are in the
// solvables' provides) and texts nothing in twoliter reads.
int solvCacheKeyFilter(Repo* repo, Repokey* key, void*) {
    switch (key->name) {
        case SOLVABLE_FILELIST:
        case SOLVABLE_SUMMARY:
        case SOLVABLE_DESCRIPTION:
        case SOLVABLE_PACKAGER:
        case SOLVABLE_URL:
        case SOLVABLE_LICENSE:
        case SOLVABLE_GROUP:
        case SOLVABLE_BUILDHOST:
        case SOLVABLE_HEADEREND:
            return KEY_STORAGE_DROPPED;
        default:
            return repo_write_stdkeyfilter(repo, key, nullptr);
    }
}

}  // namespace

void addRepositoryXml(Repo* repo, const std::string& directory) {
    std::string repomd = directory + "/repodata/repomd.xml";
    FILE* file = fopen(repomd.c_str(), "r");
    if (!file)
        throw Error("kit repository has no repodata/repomd.xml", {directory});
    int failed = repo_add_repomdxml(repo, file, 0);
    fclose(file);
    if (failed)
        throw Error("invalid repomd.xml", {repomd});
    std::string primary = repomdLocation(repo->pool, repo, "primary");
    if (primary.empty())
        throw Error("repomd.xml names no primary metadata", {repomd});
    addRpmmd(repo, directory + "/" + primary, 0);
    std::string filelists = repomdLocation(repo->pool, repo, "filelists");
    if (!filelists.empty())
        addRpmmd(repo, directory + "/" + filelists, REPO_EXTEND_SOLVABLES);
}

bool loadSolvCache(Repo* repo, const std::string& path, std::vector<Id>& fileDependencies) {
    MappedFile mapped(path);
    std::string_view payload = checkedPayload(mapped.view(), solvCacheMagic());
    if (payload.empty())
        return false;
    // The payload's bytes, through the writable pointer fmemopen takes (it
    // does not write in mode "r"; the mapping is private anyway).
    char* bytes = mapped.data() + (payload.data() - mapped.data());
    FILE* file = fmemopen(bytes, payload.size(), "r");
    if (!file)
        return false;
    __fsetlocking(file, FSETLOCKING_BYCALLER);  // libsolv reads it byte by byte
    int failed = repo_add_solv(repo, file, 0);
    fclose(file);
    Queue ids;
    queue_init(&ids);
    if (!failed && !repo_lookup_idarray(repo, SOLVID_META, REPOSITORY_ADDEDFILEPROVIDES, &ids))
        failed = 1;  // written by something else than writeSolvCache
    fileDependencies.assign(ids.elements, ids.elements + ids.count);
    queue_free(&ids);
    if (failed) {
        repo_empty(repo, 1);
        fileDependencies.clear();
        return false;
    }
    return true;
}

void writeSolvCache(Repo* repo, const std::string& path, const std::vector<Id>& fileDependencies) {
    Queue ids;
    queue_init(&ids);
    for (Id id : fileDependencies)
        queue_push(&ids, id);
    // A repository without file dependencies still records the (empty) list.
    if (ids.count == 0)
        queue_push(&ids, ID_EMPTY);
    repo_set_idarray(repo, SOLVID_META, REPOSITORY_ADDEDFILEPROVIDES, &ids);
    queue_free(&ids);
    repo_internalize(repo);

    char* buffer = nullptr;
    size_t size = 0;
    FILE* file = open_memstream(&buffer, &size);
    if (!file)
        return;
    int failed = repo_write_filtered(repo, file, solvCacheKeyFilter, nullptr, nullptr);
    fclose(file);
    std::string payload(buffer ? buffer : "", buffer ? size : 0);
    free(buffer);
    if (failed)
        return;
    try {
        writeChecksummedFile(path, solvCacheMagic(), payload);
    } catch (const Error&) {
    }
}

}  // namespace twoliter
