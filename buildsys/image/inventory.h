#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace twoliter {

// The header fields of one installed RPM that the inventory lists, as
// `rpm --queryformat` prints them: a tag the header lacks reads "(none)",
// a missing epoch "0".
struct InventoryPackage {
    std::string name;
    std::string version;
    std::string release;
    std::string epoch;
    std::string group;  // %{GROUP}, rpmbuild's default "Unspecified"
    std::string arch;
    std::string url;
    std::string summary;
};

// Reads the fields from the RPM file's header with librpm (signatures and
// digests are not checked; rpm itself checks them when it installs).
// Throws Error naming the file when it is not a readable RPM.
InventoryPackage readInventoryPackage(const std::string& rpmPath);

// "%Y-%m-%dT%H:%M:%SZ" in UTC, upstream's InstalledTime.
std::string inventoryTime(int64_t epochSeconds);

// application-inventory.json as upstream's rpm2img writes it through jq:
// {"Content": [...]} pretty-printed with two-space indentation and a final
// newline, one object per package with Name, Publisher ("Bottlerocket"),
// Version, Release, Epoch, InstalledTime, ApplicationType (the group),
// Architecture, Url and Summary in that order, sorted by name (byte order,
// stable). Afterwards a package whose name is in coreKitPackages loses a
// leading "bottlerocket-" (upstream does this for the packages of
// bottlerocket-core-kit, after sorting).
std::string renderInventory(std::vector<InventoryPackage> packages,
                            const std::string& installedTime,
                            const std::set<std::string>& coreKitPackages = {});

}  // namespace twoliter
