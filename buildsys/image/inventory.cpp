#include "image/inventory.h"

#include <rpm/header.h>
#include <rpm/rpmio.h>
#include <rpm/rpmlib.h>
#include <rpm/rpmts.h>

#include <algorithm>
#include <mutex>

#include "util/error.h"
#include "util/json_writer.h"
#include "util/strings.h"

namespace twoliter {

namespace {

// rpm's header code shares process-wide state; reads are serialised.
std::mutex rpmMutex;

std::string tagText(Header header, rpmTagVal tag) {
    const char* value = headerGetString(header, tag);
    return value ? value : "(none)";
}

// One element of Content, at jq's indentation for it.
std::string packageObject(const InventoryPackage& package, const std::string& installedTime) {
    const std::pair<const char*, std::string> fields[] = {
        {"Name", package.name},
        {"Publisher", "Bottlerocket"},
        {"Version", package.version},
        {"Release", package.release},
        {"Epoch", package.epoch},
        {"InstalledTime", installedTime},
        {"ApplicationType", package.group},
        {"Architecture", package.arch},
        {"Url", package.url},
        {"Summary", package.summary},
    };
    std::vector<std::string> lines;
    for (const auto& [key, value] : fields)
        lines.push_back("      " + jqString(key) + ": " + jqString(value));
    return "    {\n" + joinStrings(lines, ",\n") + "\n    }";
}

}  // namespace

InventoryPackage readInventoryPackage(const std::string& rpmPath) {
    std::lock_guard<std::mutex> lock(rpmMutex);
    FD_t fd = Fopen(rpmPath.c_str(), "r.ufdio");
    if (!fd || Ferror(fd)) {
        if (fd)
            Fclose(fd);
        throw Error("cannot open RPM", {rpmPath});
    }
    rpmts ts = rpmtsCreate();
    rpmtsSetVSFlags(ts, _RPMVSF_NOSIGNATURES | _RPMVSF_NODIGESTS);
    Header header = nullptr;
    rpmRC rc = rpmReadPackageFile(ts, fd, rpmPath.c_str(), &header);
    Fclose(fd);
    rpmtsFree(ts);
    if ((rc != RPMRC_OK && rc != RPMRC_NOTTRUSTED && rc != RPMRC_NOKEY) || !header)
        throw Error("cannot read the RPM's header", {rpmPath});
    InventoryPackage package;
    package.name = tagText(header, RPMTAG_NAME);
    package.version = tagText(header, RPMTAG_VERSION);
    package.release = tagText(header, RPMTAG_RELEASE);
    package.epoch = headerIsEntry(header, RPMTAG_EPOCH)
                        ? std::to_string(headerGetNumber(header, RPMTAG_EPOCH))
                        : "0";
    package.group = tagText(header, RPMTAG_GROUP);
    package.arch = tagText(header, RPMTAG_ARCH);
    package.url = tagText(header, RPMTAG_URL);
    package.summary = tagText(header, RPMTAG_SUMMARY);
    headerFree(header);
    return package;
}

std::string inventoryTime(int64_t epochSeconds) {
    return utcTimestamp(epochSeconds);
}

std::string renderInventory(std::vector<InventoryPackage> packages,
                            const std::string& installedTime,
                            const std::set<std::string>& coreKitPackages) {
    std::stable_sort(
        packages.begin(), packages.end(),
        [](const InventoryPackage& a, const InventoryPackage& b) { return a.name < b.name; });
    const std::string prefix = "bottlerocket-";
    std::string json = "{\n  \"Content\": [";
    for (size_t i = 0; i < packages.size(); ++i) {
        InventoryPackage& package = packages[i];
        if (coreKitPackages.count(package.name) && startsWith(package.name, prefix))
            package.name = package.name.substr(prefix.size());
        json += (i == 0 ? "\n" : ",\n") + packageObject(package, installedTime);
    }
    json += packages.empty() ? "]" : "\n  ]";
    return json + "\n}\n";
}

}  // namespace twoliter
