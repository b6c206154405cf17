#include "kit/kit_metadata.h"

#include "sdk/json_reader.h"
#include "util/digest.h"
#include "util/error.h"
#include "util/json_writer.h"
#include "util/strings.h"

namespace twoliter {

namespace {

std::string member(const char* key, const std::string& value) {
    return std::string("\"") + key + "\":" + jqString(value);
}

// The string member key of object, required; what names it in messages.
std::string requiredString(const JsonValue& object, const char* key, const std::string& what,
                           const std::string& ref) {
    const JsonValue* value = object.find(key);
    if (!value)
        throw Error("the kit label has no " + what + key, {ref});
    if (!value->isString() || value->text().empty())
        throw Error("the kit label's " + what + key + " is not a non-empty string", {ref});
    return value->text();
}

void refuseUnknownKeys(const JsonValue& object, const std::vector<std::string>& known,
                       const std::string& what, const std::string& ref) {
    for (const auto& [key, value] : object.members()) {
        bool isKnown = false;
        for (const auto& name : known)
            isKnown |= key == name;
        if (!isKnown)
            throw Error("the kit label has an unknown field " + what + key, {ref},
                        "the kit was made by a newer or different tool");
    }
}

LockedImage sdkOf(const JsonValue& root, const std::string& ref) {
    const JsonValue* sdk = root.find("sdk");
    if (!sdk)
        throw Error("the kit label has no sdk", {ref});
    if (!sdk->isObject())
        throw Error("the kit label's sdk is not an object", {ref});
    LockedImage image;
    image.name = requiredString(*sdk, "name", "sdk.", ref);
    image.version = requiredString(*sdk, "version", "sdk.", ref);
    image.vendor = requiredString(*sdk, "vendor", "sdk.", ref);
    if (const JsonValue* source = sdk->find("source"))
        image.source = source->text();
    if (const JsonValue* digest = sdk->find("digest"))
        image.digest = digest->text();
    return image;
}

std::vector<KitDependency> kitsOf(const JsonValue& root, const std::string& ref) {
    const JsonValue* kits = root.find("kit");
    if (!kits)
        throw Error("the kit label has no kit list", {ref});
    if (!kits->isArray())
        throw Error("the kit label's kit is not a list", {ref});
    std::vector<KitDependency> dependencies;
    for (size_t i = 0; i < kits->items().size(); ++i) {
        const JsonValue& kit = kits->items()[i];
        std::string what = "kit[" + std::to_string(i) + "].";
        if (!kit.isObject())
            throw Error("the kit label's " + what.substr(0, what.size() - 1) + " is not an object",
                        {ref});
        dependencies.push_back({requiredString(kit, "name", what, ref),
                                requiredString(kit, "version", what, ref),
                                requiredString(kit, "vendor", what, ref)});
    }
    return dependencies;
}

}  // namespace

std::string encodeKitLabel(const KitMetadata& metadata) {
    std::string json = "{\"kit\":[";
    for (size_t i = 0; i < metadata.kits.size(); ++i) {
        const KitDependency& kit = metadata.kits[i];
        json += (i > 0 ? ",{" : "{") + member("name", kit.name) + "," +
                member("vendor", kit.vendor) + "," + member("version", kit.version) + "}";
    }
    const LockedImage& sdk = metadata.sdk;
    json += "]," + member("name", metadata.name) + ",\"sdk\":{" + member("digest", sdk.digest) +
            "," + member("name", sdk.name) + "," + member("source", sdk.source) + "," +
            member("vendor", sdk.vendor) + "," + member("version", sdk.version) + "}," +
            member("version", metadata.version) + "}\n";
    return base64Encode(json);
}

KitMetadata decodeKitLabel(const std::string& label, const std::string& ref) {
    std::string bytes;
    if (!base64Decode(label, bytes))
        throw Error(std::string("the ") + kKitLabel + " label is not valid base64", {ref},
                    "the kit image is damaged or was not made by rpm2kit or twoliter");
    JsonValue root;
    try {
        root = parseJson(bytes, "the kit label");
    } catch (const Error& error) {
        throw Error(std::string(error.what()), {ref},
                    "the kit image is damaged or was not made by rpm2kit or twoliter");
    }
    if (!root.isObject())
        throw Error("the kit label is not a JSON object", {ref});
    refuseUnknownKeys(root, {"name", "version", "sdk", "kit"}, "", ref);
    KitMetadata metadata;
    metadata.name = requiredString(root, "name", "", ref);
    metadata.version = requiredString(root, "version", "", ref);
    metadata.sdk = sdkOf(root, ref);
    metadata.kits = kitsOf(root, ref);
    return metadata;
}

std::string kitLabelOfConfig(const std::string& configJson, const std::string& ref) {
    JsonValue config = parseJson(configJson, ref + " image config");
    const JsonValue* inner = config.find("config");
    const JsonValue* labels = inner ? inner->find("Labels") : nullptr;
    if (labels && labels->isObject()) {
        if (const JsonValue* label = labels->find(kKitLabel)) {
            if (!label->isString())
                throw Error(std::string("the ") + kKitLabel + " label is not a string", {ref});
            return label->text();
        }
        for (const auto& [key, value] : labels->members()) {
            if (!startsWith(key, kKitLabelPrefix))
                continue;
            std::string version = key.substr(std::string(kKitLabelPrefix).size());
            throw Error("the kit's metadata is schema " + version + " (label " + key +
                            "); this twoliter reads schema v2 only (label " + kKitLabel + ")",
                        {ref},
                        "use a kit built for kit metadata v2, or a twoliter that reads " + version);
        }
    }
    throw Error(
        std::string("the image is not a kit (its image config has no ") + kKitLabel + " label)",
        {ref});
}

KitMetadata kitMetadataOfConfig(const std::string& configJson, const std::string& ref) {
    return decodeKitLabel(kitLabelOfConfig(configJson, ref), ref);
}

}  // namespace twoliter
