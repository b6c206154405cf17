#include "repo/rpm_repository.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <vector>

#include <createrepo_c/createrepo_c.h>

#include "util/error.h"
#include "util/files.h"

namespace fs = std::filesystem;

namespace twoliter {

namespace {

// A GError turned into an Error at path; the GError is freed.
[[noreturn]] void fail(GError* error, const std::string& what, const std::string& path) {
    std::string message = what + (error ? std::string(": ") + error->message : "");
    if (error)
        g_error_free(error);
    throw Error(message, {path});
}

// One of the three package lists of a repository, being written.
class MetadataFile {
  public:
    MetadataFile(cr_XmlFile* file, std::string path) : file_(file), path_(std::move(path)) {}
    ~MetadataFile() {
        if (file_)
            cr_xmlfile_close(file_, nullptr);
    }
    void add(const char* chunk) {
        GError* error = nullptr;
        if (cr_xmlfile_add_chunk(file_, chunk, &error) != CRE_OK)
            fail(error, "cannot write", path_);
    }
    void close() {
        GError* error = nullptr;
        int result = cr_xmlfile_close(file_, &error);
        file_ = nullptr;
        if (result != CRE_OK)
            fail(error, "cannot write", path_);
    }
    const std::string& path() const { return path_; }

  private:
    cr_XmlFile* file_;
    std::string path_;
};

MetadataFile openMetadata(const std::string& type, const std::string& folder, size_t packages) {
    std::string path = folder + "/" + type + ".xml.gz";
    GError* error = nullptr;
    cr_XmlFile* file =
        type == "primary"
            ? cr_xmlfile_sopen_primary(path.c_str(), CR_CW_GZ_COMPRESSION, nullptr, &error)
        : type == "filelists"
            ? cr_xmlfile_sopen_filelists(path.c_str(), CR_CW_GZ_COMPRESSION, nullptr, &error)
            : cr_xmlfile_sopen_other(path.c_str(), CR_CW_GZ_COMPRESSION, nullptr, &error);
    if (!file)
        fail(error, "cannot create", path);
    if (cr_xmlfile_set_num_of_pkgs(file, static_cast<long>(packages), &error) != CRE_OK) {
        cr_xmlfile_close(file, nullptr);
        fail(error, "cannot write", path);
    }
    return MetadataFile(file, path);
}

void addPackage(const std::string& directory, const std::string& relative, MetadataFile& primary,
                MetadataFile& filelists, MetadataFile& other) {
    std::string path = directory + "/" + relative;
    GError* error = nullptr;
    cr_Package* package = cr_package_from_rpm(path.c_str(), CR_CHECKSUM_SHA256, relative.c_str(),
                                              nullptr, 10, nullptr, CR_HDRR_NONE, &error);
    if (!package)
        fail(error, "cannot read RPM", path);
    struct cr_XmlStruct xml = cr_xml_dump(package, &error);
    cr_package_free(package);
    if (error)
        fail(error, "cannot describe RPM", path);
    primary.add(xml.primary);
    filelists.add(xml.filelists);
    other.add(xml.other);
    g_free(xml.primary);
    g_free(xml.filelists);
    g_free(xml.other);
}

// repomd.xml for the three files, with every timestamp set to epoch.
std::string repomdXml(const std::vector<const MetadataFile*>& files, const std::string& folder,
                      int64_t epoch) {
    cr_Repomd* repomd = cr_repomd_new();
    cr_repomd_set_revision(repomd, std::to_string(epoch).c_str());
    for (const MetadataFile* file : files) {
        std::string type = fs::path(file->path()).filename().string();
        type = type.substr(0, type.find('.'));
        cr_RepomdRecord* record = cr_repomd_record_new(type.c_str(), file->path().c_str());
        GError* error = nullptr;
        if (cr_repomd_record_fill(record, CR_CHECKSUM_SHA256, &error) != CRE_OK) {
            cr_repomd_record_free(record);
            cr_repomd_free(repomd);
            fail(error, "cannot checksum", file->path());
        }
        record->timestamp = epoch;
        cr_repomd_set_record(repomd, record);
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

size_t writeRpmRepository(const std::string& directory, int64_t epoch) {
    std::vector<std::string> rpms = rpmFilesBelow(directory);
    std::string fresh = directory + "/repodata.tmp-" + uniqueSuffix();
    fs::create_directories(fresh);
    try {
        cr_xml_dump_init();
        cr_package_parser_init();
        MetadataFile primary = openMetadata("primary", fresh, rpms.size());
        MetadataFile filelists = openMetadata("filelists", fresh, rpms.size());
        MetadataFile other = openMetadata("other", fresh, rpms.size());
        for (const auto& rpm : rpms)
            addPackage(directory, rpm, primary, filelists, other);
        primary.close();
        filelists.close();
        other.close();
        // Record locations are relative to the repository: "repodata/<file>".
        writeFileAtomic(fresh + "/repomd.xml",
                        repomdXml({&primary, &filelists, &other}, fresh, epoch));
    } catch (...) {
        std::error_code ignored;
        fs::remove_all(fresh, ignored);
        throw;
    }
    std::string current = directory + "/repodata";
    std::string old = directory + "/repodata.old-" + uniqueSuffix();
    std::error_code ignored;
    fs::rename(current, old, ignored);
    fs::rename(fresh, current);
    fs::remove_all(old, ignored);
    return rpms.size();
}

}  // namespace twoliter
