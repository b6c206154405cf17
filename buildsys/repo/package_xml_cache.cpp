#include "repo/package_xml_cache.h"

#include <createrepo_c/version.h>

#include "util/binary_codec.h"
#include "util/error.h"

namespace twoliter {

const char* const kRepodataCacheName = ".repodata-cache";

namespace {

// Bump v1 when the record layout or the writer's createrepo_c settings
// (checksum type, changelog limit, no location base) change.
std::string magic() {
    return "twoliter-repodata-cache-v1 createrepo_c " + std::to_string(CR_VERSION_MAJOR) + "." +
           std::to_string(CR_VERSION_MINOR) + "." + std::to_string(CR_VERSION_PATCH) +
           " sha256 changelogs=10\n";
}

std::string keyOf(const std::string& relative, const struct stat& info) {
    BinaryWriter key;
    key.putString(relative);
    for (uint64_t field :
         {uint64_t(info.st_size), uint64_t(info.st_mtim.tv_sec), uint64_t(info.st_mtim.tv_nsec),
          uint64_t(info.st_ctim.tv_sec), uint64_t(info.st_ctim.tv_nsec), uint64_t(info.st_ino),
          uint64_t(info.st_dev)})
        key.putVarint(field);
    return key.bytes();
}

}  // namespace

bool sameFileState(const struct stat& a, const struct stat& b) {
    return a.st_size == b.st_size && a.st_ino == b.st_ino && a.st_dev == b.st_dev &&
           a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec &&
           a.st_ctim.tv_sec == b.st_ctim.tv_sec && a.st_ctim.tv_nsec == b.st_ctim.tv_nsec;
}

PackageXmlCache::PackageXmlCache(const std::string& directory, bool enabled) {
    if (enabled)
        records_.emplace(directory + "/" + kRepodataCacheName, magic());
}

std::optional<PackageXml> PackageXmlCache::find(const std::string& relative,
                                                const struct stat& info) {
    if (!records_)
        return std::nullopt;
    auto record = records_->find(keyOf(relative, info));
    if (!record)
        return std::nullopt;
    try {
        BinaryReader reader(*record);
        PackageXml xml{reader.getString(), reader.getString(), reader.getString()};
        if (reader.atEnd())
            return xml;
    } catch (const Error&) {
        // a record that does not decode is read again from the RPM
    }
    return std::nullopt;
}

void PackageXmlCache::store(const std::string& relative, const struct stat& info,
                            const PackageXml& xml) {
    if (!records_)
        return;
    BinaryWriter record;
    record.putString(xml.primary);
    record.putString(xml.filelists);
    record.putString(xml.other);
    records_->store(keyOf(relative, info), record.bytes());
}

void PackageXmlCache::save() {
    if (records_)
        records_->save();
}

}  // namespace twoliter
