#include "project/lock_writer.h"

#include "util/digest.h"

namespace twoliter {

namespace {

std::string quoted(const std::string& text) {
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    return out + "\"";
}

std::string imageFields(const LockedImage& image) {
    return "name = " + quoted(image.name) + "\nversion = " + quoted(image.version) +
           "\nvendor = " + quoted(image.vendor) + "\nsource = " + quoted(image.source) +
           "\ndigest = " + quoted(image.digest) + "\n";
}

}  // namespace

std::string formatTwoliterLock(const TwoliterLock& lock) {
    std::string text = "schema-version = 1\n";
    if (lock.kits.empty())
        text += "kit = []\n";
    if (lock.sdk)
        text += "\n[sdk]\n" + imageFields(*lock.sdk);
    for (const auto& kit : lock.kits)
        text += "\n[[kit]]\n" + imageFields(kit);
    return text;
}

LockedImage lockedImageFor(const TwoliterConfig& config, const ImageRef& image,
                           const std::string& manifestSha256Hex) {
    auto registry = config.vendorRegistries.find(image.vendor);
    if (registry == config.vendorRegistries.end()) {
        throw Error("vendor '" + image.vendor + "' has no registry in Twoliter.toml",
                    image.location);
    }
    return {image.name, image.version, image.vendor,
            registry->second + "/" + image.name + ":v" + image.version,
            base64FromHex(manifestSha256Hex)};
}

}  // namespace twoliter
