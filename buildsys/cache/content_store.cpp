#include "cache/content_store.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "util/binary_codec.h"
#include "util/digest.h"
#include "util/error.h"
#include "util/files.h"

namespace fs = std::filesystem;

namespace twoliter {

ContentStore::ContentStore(std::string root) : root_(std::move(root)) {}

std::string ContentStore::pathOf(const std::string& digest) const {
    return root_ + "/cas/" + digest.substr(0, 2) + "/" + digest;
}

bool ContentStore::contains(const std::string& digest) const {
    return isRegularFile(pathOf(digest));
}

std::string ContentStore::put(const std::string& path) {
    std::string digest = sha256FileHex(path);
    std::string target = pathOf(digest);
    if (isRegularFile(target) && sha256FileHex(target) == digest)
        return digest;
    fs::create_directories(fs::path(target).parent_path());
    std::string temporary = target + ".tmp-" + uniqueSuffix();
    fs::copy_file(path, temporary, fs::copy_options::overwrite_existing);
    fs::permissions(temporary,
                    fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
    fs::rename(temporary, target);
    return digest;
}

bool ContentStore::verify(const std::string& digest) {
    std::string path = pathOf(digest);
    if (!isRegularFile(path))
        return false;
    if (sha256FileHex(path) == digest)
        return true;
    std::error_code ignored;
    fs::remove(path, ignored);
    return false;
}

void ContentStore::materialize(const std::string& digest, const std::string& destination) const {
    touchPath(pathOf(digest));
    fs::create_directories(fs::path(destination).parent_path());
    std::string temporary = destination + ".tmp-" + uniqueSuffix();
    std::error_code error;
    fs::remove(temporary, error);
    fs::create_hard_link(pathOf(digest), temporary, error);
    if (error)
        fs::copy_file(pathOf(digest), temporary, fs::copy_options::overwrite_existing);
    fs::rename(temporary, destination);
}

bool outputsIntact(ContentStore& store, const std::vector<ActionOutput>& outputs,
                   std::vector<std::string>& corrupt) {
    bool intact = true;
    for (const auto& output : outputs) {
        bool present = store.contains(output.digest);
        if (store.verify(output.digest))
            continue;
        intact = false;
        if (present)
            corrupt.push_back(store.pathOf(output.digest));
    }
    return intact;
}

ActionCache::ActionCache(std::string root) : root_(std::move(root)) {}

std::string ActionCache::pathOf(const std::string& key) const {
    return root_ + "/actions/" + key.substr(0, 2) + "/" + key;
}

namespace {
const char kActionMagic[] = "twoliter-action-v1\n";
}

std::optional<ActionRecord> ActionCache::find(const std::string& key) const {
    auto content = readFileIfExists(pathOf(key));
    if (content)
        touchPath(pathOf(key));
    std::string magic(kActionMagic);
    if (!content || content->compare(0, magic.size(), magic) != 0)
        return std::nullopt;
    try {
        BinaryReader in(std::string_view(*content).substr(magic.size()));
        ActionRecord record;
        record.outputs.resize(in.getCount(3));
        for (auto& output : record.outputs) {
            output.name = in.getString();
            output.digest = in.getString();
            output.size = in.getVarint();
        }
        record.seconds = static_cast<double>(in.getVarint()) / 1000.0;
        record.inputsDigest = in.getString();
        record.inputs.resize(in.getCount(2));
        for (auto& [name, digest] : record.inputs) {
            name = in.getString();
            digest = in.getString();
        }
        if (!in.atEnd())
            return std::nullopt;
        return record;
    } catch (const Error&) {
        return std::nullopt;
    }
}

void ActionCache::touch(const std::string& key) const {
    touchPath(pathOf(key));
}

void ActionCache::store(const std::string& key, const ActionRecord& record) {
    BinaryWriter out;
    out.putVarint(record.outputs.size());
    for (const auto& output : record.outputs) {
        out.putString(output.name);
        out.putString(output.digest);
        out.putVarint(output.size);
    }
    out.putVarint(static_cast<uint64_t>(record.seconds * 1000.0));
    out.putString(record.inputsDigest);
    out.putVarint(record.inputs.size());
    for (const auto& [name, digest] : record.inputs) {
        out.putString(name);
        out.putString(digest);
    }
    writeFileAtomic(pathOf(key), kActionMagic + out.bytes());
}

std::string defaultCacheDirectory() {
    if (const char* explicitDir = std::getenv("TWOLITER_CACHE_DIR"); explicitDir && *explicitDir) {
        return explicitDir;
    }
    if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
        return std::string(xdg) + "/twoliter";
    const char* home = std::getenv("HOME");
    return std::string(home && *home ? home : "/tmp") + "/.cache/twoliter";
}

}  // namespace twoliter
