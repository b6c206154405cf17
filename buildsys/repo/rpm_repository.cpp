#include "repo/rpm_repository.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>

#include <createrepo_c/createrepo_c.h>

#include "repo/package_xml_cache.h"
#include "repo/parallel_work.h"
#include "repo/repo_signing.h"
#include "util/error.h"
#include "util/files.h"

namespace fs = std::filesystem;

namespace twoliter {

namespace {

constexpr int kChangelogLimit = 10;  // part of the cache's magic

// A GError turned into an Error at path; the GError is freed.
[[noreturn]] void fail(GError* error, const std::string& what, const std::string& path) {
    std::string message = what + (error ? std::string(": ") + error->message : "");
    if (error)
        g_error_free(error);
    throw Error(message, {path});
}

// One of the three package lists of a repository, being written. The
// uncompressed size and checksum repomd.xml lists are taken while writing
// (so the file is not decompressed again to compute them).
class MetadataFile {
  public:
    MetadataFile(std::string type, const std::string& folder, size_t packages);
    ~MetadataFile();
    MetadataFile(const MetadataFile&) = delete;
    MetadataFile& operator=(const MetadataFile&) = delete;

    void add(const std::string& chunk) {
        GError* error = nullptr;
        if (cr_xmlfile_add_chunk(file_, chunk.c_str(), &error) != CRE_OK)
            fail(error, "cannot write", path_);
    }
    void close() {
        GError* error = nullptr;
        int result = cr_xmlfile_close(file_, &error);
        file_ = nullptr;
        if (result != CRE_OK)
            fail(error, "cannot write", path_);
    }
    // Its record for repomd.xml (to be freed by the caller or a repomd).
    cr_RepomdRecord* record(int64_t epoch) const;

  private:
    std::string type_;
    std::string path_;
    cr_ContentStat* stat_ = nullptr;
    cr_XmlFile* file_ = nullptr;
};

MetadataFile::MetadataFile(std::string type, const std::string& folder, size_t packages)
    : type_(std::move(type)), path_(folder + "/" + type_ + ".xml.gz") {
    GError* error = nullptr;
    stat_ = cr_contentstat_new(CR_CHECKSUM_SHA256, &error);
    if (!stat_)
        fail(error, "cannot create", path_);
    file_ = type_ == "primary"
                ? cr_xmlfile_sopen_primary(path_.c_str(), CR_CW_GZ_COMPRESSION, stat_, &error)
            : type_ == "filelists"
                ? cr_xmlfile_sopen_filelists(path_.c_str(), CR_CW_GZ_COMPRESSION, stat_, &error)
                : cr_xmlfile_sopen_other(path_.c_str(), CR_CW_GZ_COMPRESSION, stat_, &error);
    if (!file_) {
        cr_contentstat_free(stat_, nullptr);
        fail(error, "cannot create", path_);
    }
    if (cr_xmlfile_set_num_of_pkgs(file_, static_cast<long>(packages), &error) != CRE_OK) {
        cr_xmlfile_close(file_, nullptr);
        cr_contentstat_free(stat_, nullptr);
        fail(error, "cannot write", path_);
    }
}

MetadataFile::~MetadataFile() {
    if (file_)
        cr_xmlfile_close(file_, nullptr);
    if (stat_)
        cr_contentstat_free(stat_, nullptr);
    file_ = nullptr;
    stat_ = nullptr;
}

cr_RepomdRecord* MetadataFile::record(int64_t epoch) const {
    cr_RepomdRecord* record = cr_repomd_record_new(type_.c_str(), path_.c_str());
    cr_repomd_record_load_contentstat(record, stat_);
    GError* error = nullptr;
    if (cr_repomd_record_fill(record, CR_CHECKSUM_SHA256, &error) != CRE_OK) {
        cr_repomd_record_free(record);
        fail(error, "cannot checksum", path_);
    }
    record->timestamp = epoch;
    return record;
}

// createrepo_c's parsers, set up once. Its own warnings (printed through
// GLib) are dropped: every failure they describe also fails the call, and
// the Error names the file.
void initializeCreaterepo() {
    static std::once_flag once;
    std::call_once(once, [] {
        cr_xml_dump_init();
        cr_package_parser_init();
        g_log_set_handler(
            "C_CREATEREPOLIB",
            static_cast<GLogLevelFlags>(G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE |
                                        G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG),
            [](const gchar*, GLogLevelFlags, const gchar*, gpointer) {}, nullptr);
    });
}

struct stat statRpm(const std::string& path) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0)
        throw Error(std::string("cannot read RPM: ") + std::strerror(errno), {path});
    return info;
}

// The XML of one RPM read from its file. info is the stat taken before
// reading (its size and mtime go into the XML and the cache key); a file
// that changes while it is read is an error rather than a wrong listing.
PackageXml readPackage(const std::string& directory, const std::string& relative,
                       struct stat info) {
    std::string path = directory + "/" + relative;
    GError* error = nullptr;
    cr_Package* package =
        cr_package_from_rpm(path.c_str(), CR_CHECKSUM_SHA256, relative.c_str(), nullptr,
                            kChangelogLimit, &info, CR_HDRR_NONE, &error);
    if (!package)
        fail(error, "cannot read RPM", path);
    struct cr_XmlStruct xml = cr_xml_dump(package, &error);
    cr_package_free(package);
    PackageXml chunks;
    if (!error)
        chunks = {xml.primary, xml.filelists, xml.other};
    g_free(xml.primary);
    g_free(xml.filelists);
    g_free(xml.other);
    if (error)
        fail(error, "cannot describe RPM", path);
    if (!sameFileState(info, statRpm(path)))
        throw Error("RPM changed while it was read", {path}, "write the repository again");
    return chunks;
}

// The XML of every RPM, in the order of rpms: from the cache when the RPM
// is unchanged, else read on `jobs` threads (and stored in the cache).
std::vector<PackageXml> describePackages(const std::string& directory,
                                         const std::vector<std::string>& rpms,
                                         PackageXmlCache& cache, unsigned jobs,
                                         RepositoryStats& stats) {
    std::vector<PackageXml> xml(rpms.size());
    std::vector<struct stat> infos(rpms.size());
    std::vector<size_t> toRead;
    for (size_t i = 0; i < rpms.size(); ++i) {
        infos[i] = statRpm(directory + "/" + rpms[i]);
        if (auto cached = cache.find(rpms[i], infos[i]))
            xml[i] = std::move(*cached);
        else
            toRead.push_back(i);
    }
    initializeCreaterepo();
    throwIfAny(runInParallel(toRead.size(), jobs, [&](size_t k) {
        size_t i = toRead[k];
        xml[i] = readPackage(directory, rpms[i], infos[i]);
    }));
    for (size_t i : toRead)
        cache.store(rpms[i], infos[i], xml[i]);
    stats.packages = rpms.size();
    stats.read = toRead.size();
    stats.reused = rpms.size() - toRead.size();
    return xml;
}

// repomd.xml for the three files, with every timestamp set to epoch.
std::string repomdXml(const std::vector<std::unique_ptr<MetadataFile>>& files,
                      const std::string& folder, int64_t epoch) {
    cr_Repomd* repomd = cr_repomd_new();
    cr_repomd_set_revision(repomd, std::to_string(epoch).c_str());
    try {
        for (const auto& file : files)
            cr_repomd_set_record(repomd, file->record(epoch));
    } catch (...) {
        cr_repomd_free(repomd);
        throw;
    }
    GError* error = nullptr;
    char* xml = cr_xml_dump_repomd(repomd, &error);
    cr_repomd_free(repomd);
    if (!xml)
        fail(error, "cannot write repomd.xml", folder);
    std::string text = xml;
    g_free(xml);
    return text;
}

// A complete repodata folder at `folder`; the three files are compressed
// on threads of their own.
void writeMetadata(const std::string& folder, const std::vector<PackageXml>& packages,
                   const RepositoryOptions& options) {
    fs::create_directories(folder);
    std::vector<std::unique_ptr<MetadataFile>> files;
    for (const char* type : {"primary", "filelists", "other"})
        files.push_back(std::make_unique<MetadataFile>(type, folder, packages.size()));
    std::string PackageXml::*chunks[] = {&PackageXml::primary, &PackageXml::filelists,
                                         &PackageXml::other};
    unsigned jobs = options.jobs ? options.jobs : static_cast<unsigned>(files.size());
    throwIfAny(runInParallel(files.size(), jobs, [&](size_t i) {
        for (const auto& package : packages)
            files[i]->add(package.*chunks[i]);
        files[i]->close();
    }));
    // Record locations are relative to the repository: "repodata/<file>".
    writeFileAtomic(folder + "/repomd.xml", repomdXml(files, folder, options.epoch));
    if (!options.signingKey.empty())
        signRepomdFile(folder + "/repomd.xml", options.signingKey, options.epoch);
}

// The new repodata/ in place of the old in one step (renameat2 exchange),
// so no reader finds none; on a file system without exchange, two renames.
void swapIn(const std::string& directory, const std::string& fresh) {
    std::string current = directory + "/repodata";
    std::error_code ignored;
    if (::renameat2(AT_FDCWD, fresh.c_str(), AT_FDCWD, current.c_str(), RENAME_EXCHANGE) == 0) {
        fs::remove_all(fresh, ignored);  // holds the old metadata now
        return;
    }
    std::string old = directory + "/repodata.old-" + uniqueSuffix();
    fs::rename(current, old, ignored);
    std::error_code error;
    fs::rename(fresh, current, error);
    if (error) {
        fs::rename(old, current, ignored);
        fs::remove_all(fresh, ignored);
        throw Error("cannot move the new metadata into place: " + error.message(), {current});
    }
    fs::remove_all(old, ignored);
}

}  // namespace

std::vector<std::string> rpmFilesBelow(const std::string& directory) {
    std::vector<std::string> rpms;
    std::error_code error;
    for (fs::recursive_directory_iterator it(directory, error), end; !error && it != end;
         it.increment(error)) {
        if (it->path().filename() == "repodata" && it->is_directory()) {
            it.disable_recursion_pending();
            continue;
        }
        if (it->is_regular_file() && it->path().extension() == ".rpm") {
            rpms.push_back(it->path().lexically_relative(directory).string());
        }
    }
    std::sort(rpms.begin(), rpms.end());
    return rpms;
}

RepositoryStats writeRpmRepository(const std::string& directory, const RepositoryOptions& options) {
    std::vector<std::string> rpms = rpmFilesBelow(directory);
    PackageXmlCache cache(directory, options.incremental);
    RepositoryStats stats;
    std::vector<PackageXml> packages =
        describePackages(directory, rpms, cache, options.jobs, stats);
    std::string fresh = directory + "/repodata.tmp-" + uniqueSuffix();
    try {
        writeMetadata(fresh, packages, options);
    } catch (...) {
        std::error_code ignored;
        fs::remove_all(fresh, ignored);
        throw;
    }
    swapIn(directory, fresh);
    cache.save();
    return stats;
}

size_t writeRpmRepository(const std::string& directory, int64_t epoch) {
    RepositoryOptions options;
    options.epoch = epoch;
    return writeRpmRepository(directory, options).packages;
}

}  // namespace twoliter
