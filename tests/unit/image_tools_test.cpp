// The image tools run in the bubblewrap sandbox with the host root as their
// rootfs (ci installs the same Debian tools the SDK has). Every output is
// made twice and compared byte for byte, then read back with the host's
// tools: debugfs/dumpe2fs, fsck.erofs/dump.erofs, mtools, qemu-img.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "image/gpt.h"
#include "image/grub_image.h"
#include "image/image_file.h"
#include "image/image_tools.h"
#include "support/error_text.h"
#include "support/temp_tree.h"
#include "support/test_packages.h"
#include "util/files.h"

using namespace twoliter;
using twoliter::testing::errorText;
using twoliter::testing::outputOrFail;
using twoliter::testing::runCapturing;
using twoliter::testing::TempDir;
using twoliter::testing::writeTreeFile;

namespace fs = std::filesystem;

namespace {

constexpr int64_t kEpoch = 1577836800;  // 2020-01-01T00:00:00Z

void setMtime(const std::string& path, int64_t seconds) {
    struct timespec times[2] = {{seconds, 0}, {seconds, 0}};
    REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) == 0);
}

// A small root tree: modes, a symlink, a nested folder, one file newer than
// kEpoch (clamped) and one older (kept).
std::string makeTree(const std::string& dir) {
    writeTreeFile(dir, "etc/hosts", "127.0.0.1 localhost\n");
    writeTreeFile(dir, "usr/bin/apiserver", "#!/bin/sh\necho api\n");
    writeTreeFile(dir, "usr/share/a/b/c.txt", std::string(20000, 'c'));
    fs::permissions(dir + "/etc/hosts", fs::perms(0600));
    fs::permissions(dir + "/usr/bin/apiserver", fs::perms(0755));
    fs::create_symlink("../usr/bin/apiserver", dir + "/etc/api");
    setMtime(dir + "/etc/hosts", kEpoch - 86400);
    setMtime(dir + "/usr/bin/apiserver", kEpoch + 86400);
    return dir;
}

struct Tools {
    TempDir dir;
    BubblewrapSandbox runner;
    ToolSandbox tools{runner, "/", dir.path() + "/tools.log"};
    std::string path(const std::string& name) const { return dir.path() + "/" + name; }
};

// debugfs's answer to request about the ext4 image (without its banner).
std::string debugfs(const std::string& image, const std::string& request) {
    return outputOrFail("debugfs -R '" + request + "' " + image);
}

bool sameFile(const std::string& a, const std::string& b) {
    return readFile(a) == readFile(b);
}

// Only the outputs and logs the test made are in dir: no scratch folders.
void requireNoScratch(const std::string& dir) {
    for (const auto& entry : fs::directory_iterator(dir))
        CHECK(entry.path().string().find(".tmp-") == std::string::npos);
}

Ext4Options rootOptions() {
    Ext4Options options;
    options.label = "BOTTLEROCKET-RO";
    options.uuid = parseGuid("2b7d2a2c-0000-4000-8000-000000000001");
    options.hashSeed = parseGuid("2b7d2a2c-0000-4000-8000-000000000002");
    options.stride = options.stripeWidth = 1024;
    options.shrinkToMinimum = true;
    options.selinuxLabels = {{"/usr/bin/apiserver", "system_u:object_r:api_exec_t:s0"}};
    return options;
}

}  // namespace

TEST_CASE("ext4: reproducible, shrunk, owned by root, times from the epoch", "[image-tools]") {
    Tools t;
    std::string first = makeTree(t.path("tree1"));
    // A file of another user shows as the overflow id (65534) in the
    // sandbox; the image still has 0 (only root can make such a file).
    if (::geteuid() == 0)
        REQUIRE(::lchown((first + "/usr/share/a/b/c.txt").c_str(), 1234, 1234) == 0);
    uint64_t size1 =
        makeExt4(t.tools, first, t.path("root1.ext4"), 64 << 20, rootOptions(), kEpoch);
    // A second copy of the tree: other inode change and access times.
    std::string second = makeTree(t.path("tree2"));
    uint64_t size2 =
        makeExt4(t.tools, second, t.path("root2.ext4"), 64 << 20, rootOptions(), kEpoch);
    CHECK(size1 == size2);
    CHECK(size1 < (64u << 20));
    CHECK(fs::file_size(t.path("root1.ext4")) == size1);
    CHECK(sameFile(t.path("root1.ext4"), t.path("root2.ext4")));
    requireNoScratch(t.dir.path());

    std::string image = t.path("root1.ext4");
    CHECK(debugfs(image, "cat /etc/hosts") == "127.0.0.1 localhost\n");
    CHECK(debugfs(image, "cat /usr/share/a/b/c.txt") == std::string(20000, 'c'));
    CHECK(debugfs(image, "stat /usr/share/a/b/c.txt").find("User:     0   Group:     0") !=
          std::string::npos);
    std::string hosts = debugfs(image, "stat /etc/hosts");
    CHECK(hosts.find("Mode:  0600") != std::string::npos);
    CHECK(hosts.find("User:     0   Group:     0") != std::string::npos);
    CHECK(hosts.find("mtime: 0x5e0a8f80") != std::string::npos);  // kEpoch - 1 day, kept
    CHECK(hosts.find("ctime: 0x5e0be100") != std::string::npos);  // kEpoch
    std::string api = debugfs(image, "stat /usr/bin/apiserver");
    CHECK(api.find("Mode:  0755") != std::string::npos);
    CHECK(api.find("mtime: 0x5e0be100") != std::string::npos);  // clamped to kEpoch
    CHECK(debugfs(image, "stat /etc/api").find("Fast link dest: \"../usr/bin/apiserver\"") !=
          std::string::npos);
    CHECK(debugfs(image, "ea_get /usr/bin/apiserver security.selinux")
              .find("system_u:object_r:api_exec_t:s0") != std::string::npos);
    std::string super = outputOrFail("dumpe2fs -h " + image);
    CHECK(super.find("Filesystem volume name:   BOTTLEROCKET-RO") != std::string::npos);
    CHECK(super.find("Filesystem UUID:          2b7d2a2c-0000-4000-8000-000000000001") !=
          std::string::npos);
    CHECK(super.find("has_journal") == std::string::npos);
    CHECK(super.find("RAID stride:              1024") != std::string::npos);
    CHECK(runCapturing("e2fsck -fn " + image).first == 0);
}

TEST_CASE("ext4: PRIVATE and DATA options, journal kept at full size", "[image-tools]") {
    Tools t;
    writeTreeFile(t.path("private"), "bootconfig.data", "kernel {}\ninit {}\n");
    Ext4Options options;
    options.uuid = parseGuid("2b7d2a2c-0000-4000-8000-000000000003");
    options.hashSeed = parseGuid("2b7d2a2c-0000-4000-8000-000000000005");
    options.inodeSize = 256;
    options.bytesPerInode = 4096;
    options.reservedPercent = 0;
    options.journal = true;
    CHECK(makeExt4(t.tools, t.path("private"), t.path("private.ext4"), 16 << 20, options, kEpoch) ==
          16u << 20);
    makeExt4(t.tools, t.path("private"), t.path("private2.ext4"), 16 << 20, options, kEpoch);
    CHECK(sameFile(t.path("private.ext4"), t.path("private2.ext4")));
    std::string super = outputOrFail("dumpe2fs -h " + t.path("private.ext4"));
    CHECK(super.find("has_journal") != std::string::npos);
    CHECK(super.find("Inode size:	          256") != std::string::npos);
    CHECK(super.find("Inode count:              4096") != std::string::npos);
    CHECK(super.find("Reserved block count:     0") != std::string::npos);
    CHECK(debugfs(t.path("private.ext4"), "cat /bootconfig.data") == "kernel {}\ninit {}\n");
}

TEST_CASE("ext4: failures name the output and the log", "[image-tools]") {
    Tools t;
    std::string tree = makeTree(t.path("tree"));
    writeTreeFile(tree, "big", std::string(1 << 20, 'x'));
    std::string image = t.path("small.ext4");
    Ext4Options options = rootOptions();
    options.selinuxLabels.clear();
    std::string tooSmall =
        errorText([&] { makeExt4(t.tools, tree, image, 256 << 10, options, kEpoch); });
    CHECK(tooSmall.find(image + ": mkfs.ext4 failed (exit 1): ") == 0);
    CHECK(tooSmall.find("Could not allocate block") != std::string::npos);
    CHECK(tooSmall.find("(log: " + t.tools.logPath + ")") != std::string::npos);
    CHECK_FALSE(pathExists(image));
    requireNoScratch(t.dir.path());
    CHECK(errorText([&] { makeExt4(t.tools, t.path("none"), image, 1 << 20, options, kEpoch); }) ==
          t.path("none") + ": the source tree is not a folder");
    CHECK(errorText([&] {
              makeExt4(t.tools, tree, image, 1000, options, kEpoch);
          }).find("is not a positive multiple of the block size 4096") != std::string::npos);

    CHECK(errorText([&] { makeExt4(t.tools, tree, image, 1 << 20, {}, kEpoch); }) ==
          image +
              ": the ext4 UUID is not set (hint: derive it from the image's seed (deriveGuid))");

    ToolSandbox bare{t.runner, t.path("empty-rootfs"), t.tools.logPath};
    fs::create_directories(bare.rootfs);
    CHECK(errorText([&] { makeExt4(bare, tree, image, 1 << 20, options, kEpoch); }) ==
          image + ": the tools' rootfs " + bare.rootfs +
              " has no mkfs.ext4, debugfs, faketime, resize2fs (hint: add the Debian package(s) "
              "e2fsprogs "
              "faketime to the SDK (sdk/recipe))");
}

TEST_CASE("erofs: reproducible, all root, stamped with the epoch", "[image-tools]") {
    Tools t;
    std::string tree = makeTree(t.path("tree"));
    ErofsOptions options;
    options.uuid = parseGuid("2b7d2a2c-0000-4000-8000-000000000004");
    makeErofs(t.tools, tree, t.path("root1.erofs"), options, kEpoch);
    makeErofs(t.tools, tree, t.path("root2.erofs"), options, kEpoch);
    CHECK(sameFile(t.path("root1.erofs"), t.path("root2.erofs")));
    requireNoScratch(t.dir.path());

    std::string image = t.path("root1.erofs");
    std::string super = outputOrFail("dump.erofs -s " + image);
    CHECK(super.find("Filesystem UUID:                              "
                     "2b7d2a2c-0000-4000-8000-000000000004") != std::string::npos);
    CHECK(super.find("big_pcluster") != std::string::npos);  // -C262144
    std::string hosts = outputOrFail("dump.erofs --path=/etc/hosts " + image);
    CHECK(hosts.find("Uid: 0   Gid: 0  Access: 0600/rw-------") != std::string::npos);
    std::string text = outputOrFail("dump.erofs --path=/usr/share/a/b/c.txt " + image);
    CHECK(text.find("Layout: 3   Compression ratio: 20.48%") != std::string::npos);
    CHECK(hosts.find("Timestamp: 2020-01-01 00:00:00") != std::string::npos);
    outputOrFail("fsck.erofs --extract=" + t.path("x") + " " + image);
    CHECK(readFile(t.path("x/usr/share/a/b/c.txt")) == std::string(20000, 'c'));
    CHECK(readFile(t.path("x/etc/hosts")) == "127.0.0.1 localhost\n");
    CHECK(fs::read_symlink(t.path("x/etc/api")) == "../usr/bin/apiserver");
    CHECK((fs::status(t.path("x/usr/bin/apiserver")).permissions() & fs::perms::all) ==
          fs::perms(0755));

    options.compression = "zstd";  // not in erofs-utils 1.5
    std::string error = errorText([&] { makeErofs(t.tools, tree, image, options, kEpoch); });
    CHECK(error.find(image + ": mkfs.erofs failed (exit 1): <E> erofs: Cannot find a valid "
                             "compressor zstd (log: ") == 0);
}

TEST_CASE("vfat: reproducible EFI partition, files stamped with the epoch", "[image-tools]") {
    Tools t;
    writeTreeFile(t.path("in"), "bootx64.efi", "MZ shim");
    writeTreeFile(t.path("in"), "grub.cfg", "set timeout=0\n");
    setMtime(t.path("in/grub.cfg"), kEpoch + 5000);
    VfatOptions options;
    options.volumeId = 0x2b7d2a2c;
    options.label = "EFI";
    options.files = {{t.path("in/bootx64.efi"), "/EFI/BOOT/BOOTX64.EFI"},
                     {t.path("in/grub.cfg"), "/EFI/BOOT/grub.cfg"}};
    makeVfat(t.tools, t.path("efi1.vfat"), 5 << 20, options, kEpoch);
    makeVfat(t.tools, t.path("efi2.vfat"), 5 << 20, options, kEpoch);
    CHECK(fs::file_size(t.path("efi1.vfat")) == 5u << 20);
    CHECK(sameFile(t.path("efi1.vfat"), t.path("efi2.vfat")));
    requireNoScratch(t.dir.path());

    std::string image = t.path("efi1.vfat");
    std::string listing =
        outputOrFail("TZ=UTC MTOOLS_SKIP_CHECK=1 mdir -i " + image + " ::/EFI/BOOT");
    CHECK(listing.find("Volume Serial Number is 2B7D-2A2C") != std::string::npos);
    CHECK(listing.find("BOOTX64  EFI         7 2020-01-01   0:00") != std::string::npos);
    CHECK(listing.find("grub     cfg        14 2020-01-01   0:00") != std::string::npos);
    CHECK(outputOrFail("TZ=UTC MTOOLS_SKIP_CHECK=1 mdir -i " + image + " ::/EFI")
              .find("BOOT         <DIR>     2020-01-01   0:00") != std::string::npos);
    CHECK(outputOrFail("MTOOLS_SKIP_CHECK=1 mtype -i " + image + " ::/EFI/BOOT/grub.cfg") ==
          "set timeout=0\n");
    CHECK(outputOrFail("MTOOLS_SKIP_CHECK=1 mlabel -s -i " + image + " ::") ==
          " Volume label is EFI        \n");

    CHECK(errorText([&] {
              makeVfat(t.tools, image, 5 << 20, options, 0);
          }).find("is before 1980, which FAT cannot store") != std::string::npos);
    options.files.push_back({t.path("in/missing"), "/EFI/x"});
    CHECK(errorText([&] { makeVfat(t.tools, image, 5 << 20, options, kEpoch); }) ==
          t.path("in/missing") + ": the file for FAT path /EFI/x does not exist");
    options.files.back() = {t.path("in/grub.cfg"), "/efi/boot/GRUB.CFG"};
    CHECK(errorText([&] { makeVfat(t.tools, image, 5 << 20, options, kEpoch); }) ==
          image + ": '/efi/boot/GRUB.CFG' is given twice");
}

TEST_CASE("GRUB EFI image: a PE file, reproducible, with its embedded config", "[image-tools]") {
    Tools t;
    GrubEfiOptions options;
    options.embeddedConfig = "serial\nterminal_output serial console\necho twoliter-grub\n";
    makeGrubEfiImage(t.tools, t.path("grub1.efi"), options);
    makeGrubEfiImage(t.tools, t.path("grub2.efi"), options);
    CHECK(sameFile(t.path("grub1.efi"), t.path("grub2.efi")));
    requireNoScratch(t.dir.path());
    std::string image = readFile(t.path("grub1.efi"));
    REQUIRE(image.size() > 0x1000);
    CHECK(image.substr(0, 2) == "MZ");
    uint32_t peOffset =
        static_cast<unsigned char>(image[0x3c]) | static_cast<unsigned char>(image[0x3d]) << 8;
    CHECK(image.substr(peOffset, 4) == std::string("PE\0\0", 4));
    CHECK(image.substr(peOffset + 4, 2) == "\x64\x86");  // machine: x86-64
    CHECK(image.find("echo twoliter-grub") != std::string::npos);

    GrubEfiOptions arm;
    arm.arch = Arch::Aarch64;
    CHECK(errorText([&] { makeGrubEfiImage(t.tools, t.path("arm.efi"), arm); }) ==
          t.path("arm.efi") +
              ": the tools' rootfs / has no /usr/lib/grub/arm64-efi (hint: add the Debian "
              "package(s) grub-efi-arm64-bin to the SDK (sdk/recipe))");
    options.modules.push_back("no_such_module");
    CHECK(errorText([&] { makeGrubEfiImage(t.tools, t.path("bad.efi"), options); }) ==
          t.path("bad.efi") + ": GRUB has no module 'no_such_module' for x86_64-efi in /");
}

TEST_CASE("BIOS boot: boot.img in the MBR, core.img in the BIOS boot partition", "[image-tools]") {
    Tools t;
    std::string disk = t.path("disk.img");
    GptTable table;
    table.diskSectors = 64 * kSectorsPerMib;
    table.diskGuid = parseGuid("2b7d2a2c-0000-4000-8000-0000000000aa");
    table.partitions = {{"BIOS-BOOT", parseGuid("21686148-6449-6e6f-744e-656564454649"),
                         parseGuid("2b7d2a2c-0000-4000-8000-0000000000b1"), 2048, 10239, 0},
                        {"BOOT-A", parseGuid("6b636168-7420-6568-2070-6c616e657421"),
                         parseGuid("2b7d2a2c-0000-4000-8000-0000000000b2"), 10240, 30719, 0}};
    writeGpt(disk, table);
    std::string before = readFile(disk);
    BiosBootOptions options;
    BiosBootStage stage = writeBiosBoot(t.tools, disk, 1 << 20, options);
    CHECK(stage.coreLba == 2048);
    std::string after = readFile(disk);
    CHECK(readGpt(disk).partitions.size() == 2);

    // The MBR: boot.img's code with grub-bios-setup's patches, the GPT's
    // protective partition table and signature kept.
    std::string boot = readFile("/usr/lib/grub/i386-pc/boot.img");
    std::string expected = boot.substr(0, 3) + before.substr(3, 0x5a - 3) + boot.substr(0x5a, 2) +
                           std::string("\x00\x08\0\0\0\0\0\0", 8) + "\xff" + boot.substr(0x65, 1) +
                           "\x90\x90" + boot.substr(0x68, 440 - 0x68) + before.substr(440, 72);
    CHECK(after.substr(0, 512) == expected);
    CHECK(stage.bootCode == after.substr(0, 440));  // writeGpt's BPB area is zeros

    // core.img as grub-mkimage makes it, its block list naming the sectors
    // after the first (LBA 2049 on), loaded at segment 0x820.
    outputOrFail(
        "grub-mkimage -O i386-pc -p '(hd0,gpt3)/grub' -o " + t.path("core.img") +
        " biosdisk "
        "part_gpt ext2 fat normal configfile search echo test sleep linux serial terminal reboot "
        "halt");
    std::string core = readFile(t.path("core.img"));
    uint32_t sectors = static_cast<uint32_t>((core.size() + 511) / 512);
    CHECK(stage.coreSectors() == sectors);
    CHECK(stage.core == after.substr(2048 * 512, sectors * 512));
    std::string placed = after.substr(2048 * 512, sectors * 512);
    CHECK(placed.substr(0, 488) == core.substr(0, 488));
    CHECK(placed.substr(488, 12) == std::string(12, '\0'));
    std::string blocklist = std::string("\x01\x08\0\0\0\0\0\0", 8) +
                            static_cast<char>((sectors - 1) & 0xff) +
                            static_cast<char>((sectors - 1) >> 8) + std::string("\x20\x08", 2);
    CHECK(placed.substr(500, 12) == blocklist);
    CHECK(placed.substr(512, core.size() - 512) == core.substr(512));
    CHECK(placed.substr(core.size()) == std::string(sectors * 512 - core.size(), '\0'));
    // Nothing else changed.
    CHECK(after.substr(512, 2048 * 512 - 512) == before.substr(512, 2048 * 512 - 512));
    CHECK(after.substr((2048 + sectors) * 512) == before.substr((2048 + sectors) * 512));

    writeGpt(t.path("disk2.img"), table);
    writeBiosBoot(t.tools, t.path("disk2.img"), 1 << 20, options);
    CHECK(sameFile(disk, t.path("disk2.img")));

    CHECK(errorText([&] { writeBiosBoot(t.tools, disk, 10240 * 512, options); }) ==
          disk + ": the partition at byte 5242880 (BOOT-A) is not a BIOS boot partition");
}

TEST_CASE("qcow2 and vmdk: reproducible, checked, same content as the raw image", "[image-tools]") {
    Tools t;
    std::string raw = t.path("disk.img");
    {
        ImageFile file = ImageFile::openForWriting(raw);
        file.resize(256 << 20);
        std::string data(3 << 20, '\0');
        for (size_t i = 0; i < data.size(); ++i)
            data[i] = static_cast<char>(i * 2654435761u >> 13);
        file.writeAt(1 << 20, data.data(), data.size());
        file.writeAt(200 << 20, data.data(), 4096);
    }
    for (auto [format, name] :
         {std::pair{ImageFormat::Qcow2, "qcow2"}, {ImageFormat::Vmdk, "vmdk"}}) {
        std::string one = t.path(std::string("one/os.") + name);
        std::string two = t.path(std::string("two/os.") + name);
        fs::create_directories(t.path("one"));
        fs::create_directories(t.path("two"));
        convertImage(t.tools, raw, one, format);
        convertImage(t.tools, raw, two, format);
        CHECK(sameFile(one, two));
        checkImage(t.tools, one, format);
        CHECK(
            outputOrFail("qemu-img compare -f raw -F " + std::string(name) + " " + raw + " " + one)
                .find("Images are identical.") != std::string::npos);
    }
    std::string vmdk = readFile(t.path("one/os.vmdk"));
    CHECK(vmdk.find("createType=\"streamOptimized\"") != std::string::npos);
    CHECK(vmdk.find("RW 524288 SPARSE \"os.vmdk\"") != std::string::npos);
    requireNoScratch(t.path("one"));

    CHECK(errorText([&] { convertImage(t.tools, raw, t.path("x.img"), ImageFormat::Raw); }) ==
          t.path("x.img") + ": qemu-img converts to and checks only qcow2 and vmdk here");
    std::string damaged = t.path("damaged.qcow2");
    fs::copy_file(t.path("one/os.qcow2"), damaged);
    {
        ImageFile file = ImageFile::openForWriting(damaged);
        uint64_t l1 = 0;  // the L1 table's offset (big-endian at byte 40)
        unsigned char bytes[8];
        file.readAt(40, bytes, 8);
        for (unsigned char byte : bytes)
            l1 = l1 << 8 | byte;
        std::string bogus("\x80\0\0\0\x7f\xff\0\0", 8);  // a cluster far past the end
        file.writeAt(l1, bogus.data(), bogus.size());
    }
    std::string error = errorText([&] { checkImage(t.tools, damaged, ImageFormat::Qcow2); });
    INFO(error);
    // qemu-img's summary ("2 errors were found on the image.") or its first ERROR line
    CHECK(error.find(damaged + ": qemu-img failed (exit 2): ") == 0);
    CHECK((error.find("errors were found") != std::string::npos ||
           error.find("ERROR") != std::string::npos));
}

TEST_CASE("image tools probe: what a rootfs lacks, with packages", "[image-tools]") {
    CHECK(imageToolsMissing("/", Arch::X86_64).empty());

    TempDir dir;
    std::string rootfs = dir.path();
    // merged /usr: sbin -> usr/sbin; mkfs.ext4 -> an absolute link inside the rootfs
    writeTreeFile(rootfs, "usr/sbin/mke2fs", "");
    fs::permissions(rootfs + "/usr/sbin/mke2fs", fs::perms(0755));
    fs::create_symlink("/sbin/mke2fs", rootfs + "/usr/sbin/mkfs.ext4");
    fs::create_symlink("usr/sbin", rootfs + "/sbin");
    writeTreeFile(rootfs, "usr/bin/qemu-img", "");  // not executable
    fs::create_directories(rootfs + "/usr/lib/grub/x86_64-efi");
    std::vector<std::string> missing;
    for (const auto& requirement : imageToolsMissing(rootfs, Arch::X86_64))
        missing.push_back(requirement.name + " (" + requirement.package + ")");
    CHECK(missing == std::vector<std::string>{
                         "debugfs (e2fsprogs)", "resize2fs (e2fsprogs)", "mkfs.erofs (erofs-utils)",
                         "mkfs.vfat (dosfstools)", "mmd (mtools)", "mcopy (mtools)",
                         "faketime (faketime)", "grub-mkimage (grub-common)",
                         "qemu-img (qemu-utils)", "/usr/lib/grub/i386-pc (grub-pc-bin)"});
    CHECK(imageToolsMissing(rootfs, Arch::Aarch64).back().package == "grub-efi-arm64-bin");
}

// Figures for the report, run on request: ./unit_tests "[.image-tools-figures]"
TEST_CASE("image tools figures: ext4 of a 100 MB tree, vmdk of a 2 GiB image",
          "[.image-tools-figures]") {
    Tools t;
    std::string tree = t.path("tree");
    for (int d = 0; d < 100; ++d)
        for (int f = 0; f < 10; ++f) {
            std::string data(100000, '\0');
            for (size_t i = 0; i < data.size(); ++i)
                data[i] = static_cast<char>((i * 2654435761u + d * 7 + f) >> (i % 7));
            writeTreeFile(tree, "d" + std::to_string(d) + "/f" + std::to_string(f), data);
        }
    auto time = [](auto&& action) {
        auto start = std::chrono::steady_clock::now();
        action();
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    uint64_t size = 0;
    Ext4Options options = rootOptions();
    options.selinuxLabels = {{"/d0/f0", "system_u:object_r:os_t:s0"}};
    double ext4 = time(
        [&] { size = makeExt4(t.tools, tree, t.path("root.ext4"), 200 << 20, options, kEpoch); });
    ErofsOptions erofs;
    erofs.uuid = options.uuid;
    double erofsSeconds =
        time([&] { makeErofs(t.tools, tree, t.path("root.erofs"), erofs, kEpoch); });
    std::string raw = t.path("disk.img");
    {
        ImageFile file = ImageFile::openForWriting(raw);
        file.resize(2ull << 30);
    }
    outputOrFail("dd if=" + t.path("root.ext4") + " of=" + raw + " bs=1M seek=10 conv=notrunc");
    double vmdk = time([&] { convertImage(t.tools, raw, t.path("disk.vmdk"), ImageFormat::Vmdk); });
    double qcow2 =
        time([&] { convertImage(t.tools, raw, t.path("disk.qcow2"), ImageFormat::Qcow2); });
    WARN("ext4 100 MB tree, shrunk: "
         << ext4 << " s, " << size << " bytes; erofs lz4hc,12: " << erofsSeconds << " s, "
         << fs::file_size(t.path("root.erofs")) << " bytes; 2 GiB raw -> vmdk " << vmdk << " s ("
         << fs::file_size(t.path("disk.vmdk")) << " bytes), qcow2 " << qcow2 << " s ("
         << fs::file_size(t.path("disk.qcow2")) << " bytes)");
    CHECK(size > (100u << 20));
}
