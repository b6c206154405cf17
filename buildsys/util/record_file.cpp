#include "util/record_file.h"

#include "util/binary_codec.h"
#include "util/digest.h"
#include "util/error.h"
#include "util/files.h"

namespace twoliter {

RecordFile::RecordFile(std::string path, std::string magic)
    : path_(std::move(path)), magic_(std::move(magic)) {
    auto payload = readChecksummedFile(path_, magic_);
    if (!payload)
        return;
    try {
        BinaryReader entries(*payload);
        uint64_t count = entries.getVarint();
        for (uint64_t i = 0; i < count; ++i) {
            std::string key = entries.getString();
            loaded_[key] = entries.getString();
        }
    } catch (const Error&) {
        loaded_.clear();
    }
}

std::optional<std::string> RecordFile::find(const std::string& key) {
    auto it = loaded_.find(key);
    if (it == loaded_.end()) {
        ++misses_;
        return std::nullopt;
    }
    ++hits_;
    used_[key] = it->second;
    return it->second;
}

void RecordFile::store(const std::string& key, std::string record) {
    used_[key] = std::move(record);
    dirty_ = true;
}

void RecordFile::save() {
    if (!dirty_ && used_.size() == loaded_.size())
        return;
    BinaryWriter payload;
    payload.putVarint(used_.size());
    for (const auto& [key, record] : used_) {
        payload.putString(key);
        payload.putString(record);
    }
    writeChecksummedFile(path_, magic_, payload.bytes());
    loaded_ = used_;
    dirty_ = false;
}

}  // namespace twoliter
