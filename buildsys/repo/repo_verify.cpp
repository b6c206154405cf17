#include "repo/repo_verify.h"

#include <sys/stat.h>

#include <filesystem>
#include <vector>

#include <createrepo_c/createrepo_c.h>

#include "repo/gpg_home.h"
#include "repo/parallel_work.h"
#include "repo/repo_signing.h"
#include "util/error.h"
#include "util/files.h"

namespace fs = std::filesystem;

namespace twoliter {

namespace {

// A package as primary.xml lists it.
struct ListedPackage {
    std::string location;
    std::string base;  // xml:base, refused when set
    int64_t size = 0;
    std::string checksumType;
    std::string checksum;
};

std::string takeGError(GError* error) {
    std::string text = error ? error->message : "unknown error";
    if (error)
        g_error_free(error);
    return text;
}

// A location inside the repository: relative, without "..".
void requireInside(const char* location, const char* base, const std::string& listedIn) {
    std::string href = location ? location : "";
    fs::path path(href);
    bool escapes = href.empty() || path.is_absolute();
    for (const auto& part : path)
        escapes = escapes || part == "..";
    if (escapes)
        throw Error("location '" + href + "' is not inside the repository", {listedIn});
    if (base && *base)
        throw Error("location '" + href + "' has an xml:base (" + base + "), which is not trusted",
                    {listedIn});
}

cr_ChecksumType strongChecksum(const char* name, const std::string& listedIn) {
    cr_ChecksumType type = cr_checksum_type(name ? name : "");
    if (type < CR_CHECKSUM_SHA224 || type >= CR_CHECKSUM_SENTINEL)
        throw Error(std::string("checksum type '") + (name ? name : "") + "' is not accepted",
                    {listedIn}, "use sha256");
    return type;
}

std::string checksumOf(const std::string& path, cr_ChecksumType type) {
    GError* error = nullptr;
    char* sum = cr_checksum_file(path.c_str(), type, &error);
    if (!sum)
        throw Error("cannot read file: " + takeGError(error), {path});
    std::string text = sum;
    free(sum);
    return text;
}

// Refuses anything but a good signature by the key in publicKeyFile.
void checkSignature(GpgHome& home, const std::string& publicKeyFile, const std::string& repomd,
                    const std::string& metadata, std::string* signer) {
    std::string asc = repomd + ".asc";
    if (!isRegularFile(asc))
        throw Error("repository metadata is not signed (no repomd.xml.asc)", {asc});
    ImportedKey key = home.importKeyFile(publicKeyFile, false);
    SignatureCheck check = home.verifyDetached(metadata, readFile(asc), key);
    using Outcome = SignatureCheck::Outcome;
    switch (check.outcome) {
        case Outcome::Good:
            *signer = check.signer;
            return;
        case Outcome::BadSignature:
            throw Error("bad signature: repomd.xml does not match repomd.xml.asc", {repomd},
                        "was it changed after signing?");
        case Outcome::OtherKey:
            throw Error(
                "signed by another key (" + check.signer + "), not by the key in " + publicKeyFile,
                {asc});
        case Outcome::NotASignature:
            throw Error("not an OpenPGP signature: " + check.detail, {asc});
        case Outcome::Invalid:
            break;
    }
    throw Error("signature is not valid: " + check.detail, {asc});
}

// Where primary is listed, and the private copy that was checksummed.
struct PrimaryFile {
    std::string path;
    std::string copy;
};

// The records of the verified repomd.xml bytes, each checked against its
// file; primary is copied first, and the copy checked.
PrimaryFile checkMetadataFiles(const std::string& directory, const std::string& metadata,
                               const std::string& scratch, const std::string& repomdPath) {
    std::string copy = scratch + "/repomd.xml";
    writeFileAtomic(copy, metadata);
    cr_Repomd* repomd = cr_repomd_new();
    GError* error = nullptr;
    if (cr_xml_parse_repomd(copy.c_str(), repomd, nullptr, nullptr, &error) != CRE_OK) {
        cr_repomd_free(repomd);
        throw Error("cannot parse: " + takeGError(error), {repomdPath});
    }
    PrimaryFile primary;
    try {
        for (GSList* item = repomd->records; item; item = item->next) {
            auto* record = static_cast<cr_RepomdRecord*>(item->data);
            requireInside(record->location_href, record->location_base, repomdPath);
            std::string path = directory + "/" + record->location_href;
            cr_ChecksumType type = strongChecksum(record->checksum_type, repomdPath);
            if (std::string(record->type ? record->type : "") == "primary") {
                primary = {path, scratch + "/primary" + fs::path(path).extension().string()};
                std::error_code ignored;
                if (!fs::copy_file(path, primary.copy, ignored))
                    throw Error("cannot read the file repomd.xml lists", {path});
                path = primary.copy;
            }
            std::string actual = checksumOf(path, type);
            if (actual != (record->checksum ? record->checksum : ""))
                throw Error(std::string("checksum differs from repomd.xml's: ") +
                                record->checksum_type + " " + actual + ", listed " +
                                (record->checksum ? record->checksum : "none"),
                            {directory + "/" + record->location_href});
        }
    } catch (...) {
        cr_repomd_free(repomd);
        throw;
    }
    cr_repomd_free(repomd);
    if (primary.copy.empty())
        throw Error("lists no primary metadata", {repomdPath});
    return primary;
}

int collectPackage(cr_Package* package, void* data, GError** error) {
    auto* packages = static_cast<std::vector<ListedPackage>*>(data);
    auto text = [](const char* value) { return std::string(value ? value : ""); };
    packages->push_back({text(package->location_href), text(package->location_base),
                         package->size_package, text(package->checksum_type),
                         text(package->pkgId)});
    cr_package_free(package);
    return CR_CB_RET_OK;
}

std::vector<ListedPackage> listedPackages(const std::string& primaryCopy,
                                          const std::string& primaryPath) {
    std::vector<ListedPackage> packages;
    GError* error = nullptr;
    if (cr_xml_parse_primary(primaryCopy.c_str(), nullptr, nullptr, collectPackage, &packages,
                             nullptr, nullptr, 0, &error) != CRE_OK)
        throw Error("cannot parse: " + takeGError(error), {primaryPath});
    return packages;
}

void checkPackage(const std::string& directory, const ListedPackage& package,
                  const std::string& primaryPath) {
    requireInside(package.location.c_str(), package.base.c_str(), primaryPath);
    std::string path = directory + "/" + package.location;
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode))
        throw Error("package listed in primary.xml is missing", {path});
    if (info.st_size != package.size)
        throw Error("size " + std::to_string(info.st_size) + " differs from primary.xml's " +
                        std::to_string(package.size),
                    {path});
    std::string actual =
        checksumOf(path, strongChecksum(package.checksumType.c_str(), primaryPath));
    if (actual != package.checksum)
        throw Error("checksum differs from primary.xml's: " + package.checksumType + " " + actual +
                        ", listed " + package.checksum,
                    {path});
}

}  // namespace

VerifiedRepository verifyRepository(const std::string& directory, const std::string& publicKeyFile,
                                    const VerifyOptions& options) {
    std::string repomd = directory + "/repodata/repomd.xml";
    if (!isRegularFile(repomd))
        throw Error("no repository metadata", {repomd});
    std::string metadata = readFile(repomd);
    VerifiedRepository verified;
    GpgHome home;
    checkSignature(home, publicKeyFile, repomd, metadata, &verified.signer);
    PrimaryFile primary = checkMetadataFiles(directory, metadata, home.path(), repomd);
    std::vector<ListedPackage> packages = listedPackages(primary.copy, primary.path);
    throwIfAny(runInParallel(packages.size(), options.jobs, [&](size_t i) {
        checkPackage(directory, packages[i], primary.path);
    }));
    if (options.requireSignedRpms) {
        std::vector<std::string> files;
        for (const auto& package : packages)
            files.push_back(directory + "/" + package.location);
        checkRpmSignatures(files, publicKeyFile);
    }
    verified.packages = packages.size();
    return verified;
}

}  // namespace twoliter
