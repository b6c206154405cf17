#include "build/build_state.h"

#include "util/binary_codec.h"
#include "util/digest.h"
#include "util/error.h"
#include "util/files.h"

namespace twoliter {

namespace {
const char kMagic[] = "twoliter-build-state-v1\n";
}

BuildState::BuildState(std::string path) : path_(std::move(path)) {
    auto payload = readChecksummedFile(path_, kMagic);
    if (!payload)
        return;
    try {
        BinaryReader in(*payload);
        for (uint64_t count = in.getVarint(); count > 0; --count) {
            std::string package = in.getString();
            Entry entry;
            entry.key = in.getString();
            for (uint64_t outputs = in.getVarint(); outputs > 0; --outputs) {
                std::string name = in.getString();
                entry.outputs[name] = in.getString();
            }
            entries_[package] = std::move(entry);
        }
    } catch (const Error&) {
        entries_.clear();
    }
}

std::optional<BuildState::Entry> BuildState::find(const std::string& package) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = entries_.find(package);
    if (it == entries_.end())
        return std::nullopt;
    return it->second;
}

void BuildState::record(const std::string& package, Entry entry) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = entries_.find(package);
    if (it != entries_.end() && it->second.key == entry.key &&
        it->second.outputs == entry.outputs) {
        return;
    }
    entries_[package] = std::move(entry);
    dirty_ = true;
}

void BuildState::save() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!dirty_)
        return;
    BinaryWriter payload;
    payload.putVarint(entries_.size());
    for (const auto& [package, entry] : entries_) {
        payload.putString(package);
        payload.putString(entry.key);
        payload.putVarint(entry.outputs.size());
        for (const auto& [name, digest] : entry.outputs) {
            payload.putString(name);
            payload.putString(digest);
        }
    }
    writeChecksummedFile(path_, kMagic, payload.bytes());
    dirty_ = false;
}

}  // namespace twoliter
