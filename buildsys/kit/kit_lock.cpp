#include "kit/kit_lock.h"

#include <deque>
#include <filesystem>
#include <map>

#include "kit/kit_metadata.h"
#include "kit/lock_digest.h"
#include "sdk/json_reader.h"
#include "util/error.h"
#include "util/strings.h"

namespace fs = std::filesystem;

namespace twoliter {

namespace {

// An image to resolve and who asked for it (for messages).
struct Wanted {
    std::string name;
    std::string version;
    std::string vendor;
    Location location;     // Twoliter.toml, or the kit whose label names it
    std::string neededBy;  // "Twoliter.toml" or "kit <ref>"

    std::string str() const { return name + "-" + version + "@" + vendor; }
};

struct ResolvedKit {
    LockedImage locked;
    KitMetadata metadata;
};

// The digests of an index's images, with their platforms for messages.
std::vector<std::pair<std::string, std::string>> indexImages(const RegistryManifest& index,
                                                             const std::string& where) {
    JsonValue json = parseJson(index.bytes, where);
    const JsonValue* manifests = json.find("manifests");
    if (!manifests || !manifests->isArray() || manifests->items().empty())
        throw Error("the kit's index lists no image", {where});
    std::vector<std::pair<std::string, std::string>> images;
    for (const auto& entry : manifests->items()) {
        const JsonValue* digest = entry.find("digest");
        const JsonValue* platform = entry.find("platform");
        const JsonValue* arch = platform ? platform->find("architecture") : nullptr;
        if (!digest || !digest->isString())
            throw Error("an entry of the kit's index has no digest", {where});
        images.emplace_back(digest->text(), arch ? arch->text() : "?");
    }
    return images;
}

// The kit label of one image of a kit's index.
std::string labelOfImage(RegistryClient& client, ImageReference ref, const std::string& digest,
                         const std::string& where) {
    ref.digest = digest;
    RegistryManifest manifest = client.fetchManifest(ref);
    if (manifest.isIndex())
        throw Error("the kit's index lists another index (" + digest + ")", {where});
    JsonValue json = parseJson(manifest.bytes, where);
    const JsonValue* config = json.find("config");
    const JsonValue* configDigest = config ? config->find("digest") : nullptr;
    if (!configDigest || !configDigest->isString())
        throw Error("the image " + digest + " has no config", {where});
    return kitLabelOfConfig(client.fetchBlob(ref, configDigest->text()), where);
}

ResolvedKit resolveKit(RegistryClient& client, const std::string& source) {
    ImageReference ref = parseImageReference(source);
    std::string where = ref.str();
    RegistryManifest index = client.fetchManifest(ref);
    ResolvedKit kit;
    kit.locked.source = source;
    kit.locked.digest = lockDigest(index.bytes, where);
    if (!index.isIndex())
        throw Error("the kit is a single image, not an image index", {where},
                    "kits are published as a multi-arch index (twoliter publish kit)");
    std::string label;
    std::string firstArch;
    for (const auto& [digest, arch] : indexImages(index, where)) {
        std::string imageLabel = labelOfImage(client, ref, digest, where + " (" + arch + ")");
        if (label.empty()) {
            label = imageLabel;
            firstArch = arch;
        } else if (imageLabel != label) {
            throw Error("the kit metadata of its " + arch + " image differs from that of its " +
                            firstArch + " image",
                        {where},
                        "every image of a kit's index must carry the same " +
                            std::string(kKitLabel) + " label");
        }
    }
    kit.metadata = decodeKitLabel(label, where);
    return kit;
}

std::string tomlName(const TwoliterConfig& config) {
    return config.path.empty() ? "Twoliter.toml" : config.path;
}

// The SDKs named anywhere, by "name-version@vendor".
class SdkSet {
  public:
    void add(const Wanted& sdk) { sdks_.emplace(sdk.str(), sdk); }

    const Wanted& single(const TwoliterConfig& config) const {
        if (sdks_.empty())
            throw Error("no SDK: Twoliter.toml has no [sdk] and no kit names one",
                        {tomlName(config)},
                        "add an [sdk] table (name, version, vendor) to Twoliter.toml");
        if (sdks_.size() > 1) {
            std::vector<std::string> names;
            for (const auto& [key, sdk] : sdks_)
                names.push_back(key + " (from " + sdk.neededBy + ")");
            throw Error("more than one SDK: " + joinStrings(names, ", "), {tomlName(config)},
                        "a project and all its kits must use one SDK; update the kits or [sdk]");
        }
        return sdks_.begin()->second;
    }

  private:
    std::map<std::string, Wanted> sdks_;
};

}  // namespace

std::string imageSource(const TwoliterConfig& config, const std::string& name,
                        const std::string& version, const std::string& vendor,
                        const Location& where) {
    auto registry = config.vendorRegistries.find(vendor);
    if (registry == config.vendorRegistries.end())
        throw Error("vendor '" + vendor + "' of " + name + " " + version +
                        " has no registry in Twoliter.toml",
                    where, "add [vendor." + vendor + "] registry = \"…\" to Twoliter.toml");
    return registry->second + "/" + name + ":v" + version;
}

namespace {

// One `twoliter update`: the walk over the kits, then the SDK.
class LockResolver {
  public:
    LockResolver(const TwoliterConfig& config, RegistryClient& client,
                 const std::function<void(const std::string&)>& progress)
        : config_(config), client_(client), progress_(progress) {
        if (config.sdk)
            sdks_.add({config.sdk->name, config.sdk->version, config.sdk->vendor,
                       config.sdk->location, "Twoliter.toml"});
        for (const auto& kit : config.kits)
            remaining_.push_back(
                {kit.name, kit.version, kit.vendor, kit.location, "Twoliter.toml"});
    }

    TwoliterLock resolve() {
        TwoliterLock lock;
        lock.path = (fs::path(tomlName(config_)).parent_path() / "Twoliter.lock").string();
        while (!remaining_.empty()) {
            Wanted wanted = remaining_.front();
            remaining_.pop_front();
            if (isKnown(wanted))
                continue;
            lock.kits.push_back(lockKit(wanted));
        }
        lock.sdk = lockSdk(sdks_.single(config_));
        return lock;
    }

  private:
    // Whether the kit was reached before; an error when at another version.
    bool isKnown(const Wanted& wanted) {
        auto [seen, added] = known_.emplace(std::make_pair(wanted.name, wanted.vendor), wanted);
        if (added)
            return false;
        if (seen->second.version != wanted.version)
            throw Error("two versions of kit " + wanted.name + " from " + wanted.vendor + ": " +
                            seen->second.str() + " (from " + seen->second.neededBy + ") and " +
                            wanted.str() + " (from " + wanted.neededBy + ")",
                        wanted.location, "a project can use one version of each kit");
        return true;
    }

    // The kit's lock entry; queues its SDK and the kits it names.
    LockedImage lockKit(const Wanted& wanted) {
        std::string source =
            imageSource(config_, wanted.name, wanted.version, wanted.vendor, wanted.location);
        say("resolving kit " + source);
        ResolvedKit kit = resolveKit(client_, source);
        if (kit.metadata.name != wanted.name || kit.metadata.version != wanted.version)
            throw Error("the image's kit metadata names kit " + kit.metadata.name + " " +
                            kit.metadata.version + ", not " + wanted.name + " " + wanted.version,
                        {source}, "the tag points at another kit; publish the kit again");
        Location from{source};
        const LockedImage& sdk = kit.metadata.sdk;
        sdks_.add({sdk.name, sdk.version, sdk.vendor, from, "kit " + source});
        for (const auto& dependency : kit.metadata.kits)
            remaining_.push_back(
                {dependency.name, dependency.version, dependency.vendor, from, "kit " + source});
        return {wanted.name, wanted.version, wanted.vendor, source, kit.locked.digest};
    }

    LockedImage lockSdk(const Wanted& sdk) {
        std::string source = imageSource(config_, sdk.name, sdk.version, sdk.vendor, sdk.location);
        say("resolving SDK " + source);
        ImageReference ref = parseImageReference(source);
        RegistryManifest manifest = client_.fetchManifest(ref);
        return {sdk.name, sdk.version, sdk.vendor, source, lockDigest(manifest.bytes, ref.str())};
    }

    void say(const std::string& message) const {
        if (progress_)
            progress_(message);
    }

    const TwoliterConfig& config_;
    RegistryClient& client_;
    const std::function<void(const std::string&)>& progress_;
    SdkSet sdks_;
    std::deque<Wanted> remaining_;
    std::map<std::pair<std::string, std::string>, Wanted> known_;  // (name, vendor) → first seen
};

}  // namespace

TwoliterLock resolveLock(const TwoliterConfig& config, RegistryClient& client,
                         const std::function<void(const std::string&)>& progress) {
    return LockResolver(config, client, progress).resolve();
}

}  // namespace twoliter
