// The image root: real RPMs made with rpmbuild, installed by rpm in the real
// sandbox (rootfs "/"), then checked as upstream's rpm2img leaves its root:
// inventory (against rpm's own queries and jq's formatting), os-release,
// the rpm database gone, /boot split out, times clamped, two installs equal.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <map>

#include "image/inventory.h"
#include "image/rootfs.h"
#include "sdk/json_reader.h"
#include "support/error_text.h"
#include "support/temp_tree.h"
#include "support/test_packages.h"
#include "util/digest.h"
#include "util/files.h"
#include "util/strings.h"

using namespace twoliter;
using twoliter::testing::outputOrFail;
using twoliter::testing::runOrFail;
using twoliter::testing::TempDir;
using twoliter::testing::writeTreeFile;

namespace fs = std::filesystem;

namespace {

constexpr int64_t kEpoch = 1700000000;  // 2023-11-14T22:13:20Z
const std::string kSysRoot = "x86_64-bottlerocket-linux-gnu/sys-root";

// Laid out as Bottlerocket's packages are: the filesystem package links
// /usr into the sysroot; the kernel puts files under /boot and /boot/efi;
// netdog makes its link in a Lua %post, as upstream's netdog does.
const char* kFilesystemSpec = R"(Name: bottlerocket-filesystem
Version: 1.0
Release: 1
Summary: The basic directory layout
License: Apache-2.0 OR MIT
%description
layout
%package -n bottlerocket-kernel
Summary: The "sample" kernel
Group: System/Kernel
%description -n bottlerocket-kernel
kernel
%package -n bottlerocket-netdog
Summary: Network configuration
%description -n bottlerocket-netdog
netdog
%install
S=%{buildroot}/x86_64-bottlerocket-linux-gnu/sys-root
mkdir -p $S/usr/bin $S/usr/lib %{buildroot}/boot/efi/EFI/BOOT %{buildroot}/var
ln -s ./x86_64-bottlerocket-linux-gnu/sys-root/usr %{buildroot}/usr
echo kernel > %{buildroot}/boot/vmlinuz
echo shim > %{buildroot}/boot/efi/EFI/BOOT/bootx64.efi
echo netdog > $S/usr/bin/netdog-systemd-networkd
%post -n bottlerocket-netdog -p <lua>
posix.symlink("netdog-systemd-networkd", "/x86_64-bottlerocket-linux-gnu/sys-root/usr/bin/netdog")
%files
%dir /x86_64-bottlerocket-linux-gnu
%dir /x86_64-bottlerocket-linux-gnu/sys-root
%dir /x86_64-bottlerocket-linux-gnu/sys-root/usr
%dir /x86_64-bottlerocket-linux-gnu/sys-root/usr/bin
%dir /x86_64-bottlerocket-linux-gnu/sys-root/usr/lib
/usr
/var
%dir /boot
%files -n bottlerocket-kernel
/boot/vmlinuz
/boot/efi
%files -n bottlerocket-netdog
/x86_64-bottlerocket-linux-gnu/sys-root/usr/bin/netdog-systemd-networkd
)";

const char* kReleaseSpec = R"(Name: bottlerocket-release
Epoch: 1
Version: 0.0
Release: 2
Summary: Release files
License: Apache-2.0 OR MIT
URL: https://example.invalid/release
BuildArch: noarch
%description
release
%install
mkdir -p %{buildroot}/x86_64-bottlerocket-linux-gnu/sys-root/usr/lib %{buildroot}/var/lib/state
printf 'NAME=Bottlerocket\nID=bottlerocket\n' > %{buildroot}/x86_64-bottlerocket-linux-gnu/sys-root/usr/lib/os-release
echo state > %{buildroot}/var/lib/state/file
%files
/x86_64-bottlerocket-linux-gnu/sys-root/usr/lib/os-release
/var/lib/state
)";

// Ships a file netdog also ships, with other content: rpm refuses the pair.
const char* kConflictSpec = R"(Name: bottlerocket-conflict
Version: 1.0
Release: 1
Summary: Conflicts with netdog
License: MIT
BuildArch: noarch
%description
conflict
%install
mkdir -p %{buildroot}/x86_64-bottlerocket-linux-gnu/sys-root/usr/bin
echo other > %{buildroot}/x86_64-bottlerocket-linux-gnu/sys-root/usr/bin/netdog-systemd-networkd
%files
/x86_64-bottlerocket-linux-gnu/sys-root/usr/bin/netdog-systemd-networkd
)";

// The RPMs, built once for every test of this file (reproducibly, as
// twoliter builds packages).
struct TestRpms {
    TempDir dir;
    std::vector<std::string> image;  // the image's closure
    std::string conflict;
    TestRpms() {
        for (const auto& [name, spec] :
             {std::pair{"filesystem", kFilesystemSpec}, std::pair{"release", kReleaseSpec},
              std::pair{"conflict", kConflictSpec}}) {
            writeTreeFile(dir.path(), std::string(name) + ".spec", spec);
            runOrFail(
                "SOURCE_DATE_EPOCH=" + std::to_string(kEpoch - 100) +
                " rpmbuild -bb --define '_topdir " + dir.path() + "/top' --define '_rpmdir " +
                dir.path() + "/rpms' --define '_build_id_links none'" +
                " --define '_buildhost builder' --define 'use_source_date_epoch_as_buildtime 1'" +
                " --define 'clamp_mtime_to_source_date_epoch 1' " + dir.path() + "/" + name +
                ".spec");
        }
        std::string rpms = dir.path() + "/rpms/";
        image = {rpms + "x86_64/bottlerocket-filesystem-1.0-1.x86_64.rpm",
                 rpms + "x86_64/bottlerocket-kernel-1.0-1.x86_64.rpm",
                 rpms + "x86_64/bottlerocket-netdog-1.0-1.x86_64.rpm",
                 rpms + "noarch/bottlerocket-release-0.0-2.noarch.rpm"};
        conflict = rpms + "noarch/bottlerocket-conflict-1.0-1.noarch.rpm";
    }
};

const TestRpms& testRpms() {
    static TestRpms rpms;
    return rpms;
}

RootfsRequest request(const std::string& outputDir) {
    REQUIRE(probeSandbox() == "");
    RootfsRequest request;
    request.toolsRootfs = "/";
    request.rpmFiles = testRpms().image;
    request.outputDir = outputDir;
    request.logPath = outputDir + ".log";
    request.identity.variant = "metal-dev";
    request.identity.versionId = "1.2.3";
    request.identity.buildId = "abcdef12";
    request.epoch = kEpoch;
    return request;
}

// Everything about a tree that a file system made from it would hold.
std::map<std::string, std::string> describeTree(const std::string& dir) {
    std::map<std::string, std::string> entries;
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
        struct stat info;
        REQUIRE(::lstat(entry.path().c_str(), &info) == 0);
        std::string text = std::to_string(info.st_mode) + " " +
                           std::to_string(info.st_mtim.tv_sec) + "." +
                           std::to_string(info.st_mtim.tv_nsec);
        if (entry.is_symlink())
            text += " -> " + fs::read_symlink(entry.path()).string();
        else if (entry.is_regular_file())
            text += " " + sha256FileHex(entry.path().string());
        entries[fs::relative(entry.path(), dir).string()] = text;
    }
    return entries;
}

}  // namespace

TEST_CASE("the image root is installed as rpm2img installs it", "[image-rootfs]") {
    TempDir dir;
    BubblewrapSandbox sandbox;
    InstalledRootfs installed = installRootfs(sandbox, request(dir.path() + "/out"));
    const std::string root = installed.rootDir;
    CHECK(root == dir.path() + "/out/root");

    // The Lua scriptlet ran inside the root.
    CHECK(fs::read_symlink(root + "/" + kSysRoot + "/usr/bin/netdog") == "netdog-systemd-networkd");
    // The inventory went through the /usr link into the sysroot.
    CHECK(fs::is_symlink(root + "/usr"));
    CHECK(readFile(root + "/" + kSysRoot + "/usr/share/bottlerocket/application-inventory.json") ==
          installed.inventoryJson);
    // The rpm database and everything else under /var/lib is gone, /var stays.
    CHECK(fs::is_directory(root + "/var"));
    CHECK_FALSE(fs::exists(root + "/var/lib"));

    // /boot is an empty folder; its files are in bootDir, /boot/efi's in efiDir.
    CHECK(fs::is_directory(root + "/boot"));
    CHECK(fs::is_empty(root + "/boot"));
    CHECK(readFile(installed.bootDir + "/vmlinuz") == "kernel\n");
    CHECK(fs::is_directory(installed.bootDir + "/grub"));
    CHECK(fs::is_empty(installed.bootDir + "/efi"));
    CHECK(readFile(installed.efiDir + "/EFI/BOOT/bootx64.efi") == "shim\n");

    CHECK(installed.osRelease ==
          "NAME=Bottlerocket\nID=bottlerocket\n"
          "VERSION=\"1.2.3 (metal-dev)\"\n"
          "PRETTY_NAME=\"Bottlerocket OS 1.2.3 (metal-dev)\"\n"
          "VARIANT_ID=metal-dev\nVERSION_ID=1.2.3\nBUILD_ID=abcdef12\n"
          "HOME_URL=\"https://github.com/bottlerocket-os/bottlerocket\"\n"
          "SUPPORT_URL=\"https://github.com/bottlerocket-os/bottlerocket/discussions\"\n"
          "BUG_REPORT_URL=\"https://github.com/bottlerocket-os/bottlerocket/issues\"\n"
          "DOCUMENTATION_URL=\"https://bottlerocket.dev\"\n");
    CHECK(readFile(root + "/" + kSysRoot + "/usr/lib/os-release") == installed.osRelease);
    CHECK(readFile(root + "/" + kSysRoot + "/usr/share/bottlerocket/image-features.env") ==
          "DATA_PARTITION_FILESYSTEM=ext4\n");

    for (const auto& tree : {root, installed.bootDir, installed.efiDir}) {
        for (const auto& entry : fs::recursive_directory_iterator(tree)) {
            struct stat info;
            REQUIRE(::lstat(entry.path().c_str(), &info) == 0);
            INFO(entry.path());
            CHECK(info.st_mtim.tv_sec <= kEpoch);
        }
    }
}

TEST_CASE("the inventory has rpm's fields in upstream's order and jq's layout", "[image-rootfs]") {
    TempDir dir;
    BubblewrapSandbox sandbox;
    InstalledRootfs installed = installRootfs(sandbox, request(dir.path() + "/out"));
    writeTreeFile(dir.path(), "inventory.json", installed.inventoryJson);
    // jq reprints it byte for byte: upstream's formatting.
    CHECK(outputOrFail("jq . " + dir.path() + "/inventory.json") == installed.inventoryJson);

    JsonValue inventory = parseJson(installed.inventoryJson, "inventory");
    REQUIRE(inventory.members().size() == 1);
    const auto& content = inventory.find("Content")->items();
    REQUIRE(content.size() == 4);
    const std::vector<std::string> keys = {
        "Name",          "Publisher",       "Version",      "Release", "Epoch",
        "InstalledTime", "ApplicationType", "Architecture", "Url",     "Summary"};
    std::vector<std::string> names;
    for (const auto& package : content) {
        std::vector<std::string> seen;
        for (const auto& [key, value] : package.members())
            seen.push_back(key);
        CHECK(seen == keys);
        names.push_back(package.find("Name")->text());
        CHECK(package.find("Publisher")->text() == "Bottlerocket");
        CHECK(package.find("InstalledTime")->text() == "2023-11-14T22:13:20Z");
    }
    CHECK(names == std::vector<std::string>{"bottlerocket-filesystem", "bottlerocket-kernel",
                                            "bottlerocket-netdog", "bottlerocket-release"});
    // Every other field as `rpm -qp --queryformat` prints it.
    const std::string query =
        "%{NAME}|%{VERSION}|%{RELEASE}|%|EPOCH?{%{EPOCH}}:{0}||%{GROUP}|%{ARCH}|%{URL}|%{SUMMARY}";
    for (size_t i = 0; i < content.size(); ++i) {
        const JsonValue& package = content[i];
        std::string rpm = testRpms().image[i];
        std::vector<std::string> fields =
            splitString(outputOrFail("rpm -qp --queryformat '" + query + "' " + rpm), '|');
        REQUIRE(fields.size() == 8);
        INFO(rpm);
        CHECK(package.find("Name")->text() == fields[0]);
        CHECK(package.find("Version")->text() == fields[1]);
        CHECK(package.find("Release")->text() == fields[2]);
        CHECK(package.find("Epoch")->text() == fields[3]);
        CHECK(package.find("ApplicationType")->text() == fields[4]);
        CHECK(package.find("Architecture")->text() == fields[5]);
        CHECK(package.find("Url")->text() == fields[6]);
        CHECK(package.find("Summary")->text() == fields[7]);
    }
    CHECK(content[1].find("Summary")->text() == "The \"sample\" kernel");
    CHECK(content[3].find("Epoch")->text() == "1");
    CHECK(content[0].find("Url")->text() == "(none)");
}

TEST_CASE("core kit packages lose their prefix after sorting", "[image-rootfs]") {
    std::vector<InventoryPackage> packages(3);
    packages[0].name = "bottlerocket-zeta";
    packages[1].name = "bottlerocket-acpid";
    packages[2].name = "bottlerocket-b";
    std::string json =
        renderInventory(packages, inventoryTime(0), {"bottlerocket-zeta", "bottlerocket-b"});
    JsonValue inventory = parseJson(json, "inventory");
    std::vector<std::string> names;
    for (const auto& package : inventory.find("Content")->items())
        names.push_back(package.find("Name")->text());
    CHECK(names == std::vector<std::string>{"bottlerocket-acpid", "b", "zeta"});
    CHECK(inventory.find("Content")->items()[0].find("InstalledTime")->text() ==
          "1970-01-01T00:00:00Z");
}

TEST_CASE("two installs of the same RPMs give identical trees", "[image-rootfs]") {
    TempDir dir;
    BubblewrapSandbox sandbox;
    InstalledRootfs first = installRootfs(sandbox, request(dir.path() + "/one"));
    InstalledRootfs second = installRootfs(sandbox, request(dir.path() + "/two"));
    CHECK(first.inventoryJson == second.inventoryJson);
    for (const auto& name : {"root", "boot", "efi"}) {
        INFO(name);
        auto one = describeTree(dir.path() + "/one/" + name);
        CHECK(one.size() > 1);
        CHECK(one == describeTree(dir.path() + "/two/" + name));
    }
}

TEST_CASE("what the image root refuses is named", "[image-rootfs]") {
    TempDir dir;
    BubblewrapSandbox sandbox;
    SECTION("a file that is not an RPM") {
        writeTreeFile(dir.path(), "bad.rpm", "not an rpm");
        RootfsRequest bad = request(dir.path() + "/out");
        bad.rpmFiles.push_back(dir.path() + "/bad.rpm");
        CHECK_THAT(testing::errorText([&] { installRootfs(sandbox, bad); }),
                   Catch::StartsWith(dir.path() + "/bad.rpm: cannot read the RPM's header"));
        CHECK_FALSE(fs::exists(dir.path() + "/out"));
    }
    SECTION("rpm's own failure names its log") {
        RootfsRequest conflicting = request(dir.path() + "/out");
        conflicting.rpmFiles.push_back(testRpms().conflict);
        CHECK_THAT(testing::errorText([&] { installRootfs(sandbox, conflicting); }),
                   Catch::StartsWith(dir.path() + "/out.log: installing the image's packages "
                                                  "failed (rpm exit"));
        CHECK_THAT(readFile(dir.path() + "/out.log"),
                   Catch::Contains("conflicts between attempted installs"));
        CHECK(fs::is_empty(dir.path() + "/out"));
    }
    SECTION("two RPMs of the same file name") {
        RootfsRequest twice = request(dir.path() + "/out");
        twice.rpmFiles.push_back(twice.rpmFiles.front());
        CHECK(testing::errorText([&] { installRootfs(sandbox, twice); }) ==
              twice.rpmFiles.front() + ": two of the image's RPMs have the same file name");
        CHECK_FALSE(fs::exists(dir.path() + "/out"));
    }
    SECTION("an output folder that is not empty") {
        writeTreeFile(dir.path(), "out/old", "x");
        CHECK_THAT(
            testing::errorText([&] { installRootfs(sandbox, request(dir.path() + "/out")); }),
            Catch::StartsWith(dir.path() + "/out: the image root's output folder is not "
                                           "empty"));
    }
}
