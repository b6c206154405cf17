#include "image/grub_image.h"

#include <algorithm>
#include <cstring>

#include "image/gpt.h"
#include "image/guid.h"
#include "image/image_file.h"
#include "util/error.h"
#include "util/files.h"

namespace twoliter {

namespace {

const ImageToolRequirement kGrubMkimage{"grub-mkimage", "grub-common"};
const char* const kBiosBootType = "21686148-6449-6e6f-744e-656564454649";

// i386-pc layout (GRUB's include/grub/i386/pc/boot.h and kernel.h).
constexpr size_t kBpbStart = 0x03, kBpbEnd = 0x5a;  // boot.img: DOS BPB area
constexpr size_t kKernelSector = 0x5c;              // boot.img: u64 LBA of core.img
constexpr size_t kBootDrive = 0x64;                 // boot.img: drive, 0xff = as BIOS says
constexpr size_t kDriveCheck = 0x66;                // boot.img: jump skipping the drive fix
constexpr size_t kBootCodeSize = 440;               // then disk signature, partition table, 0x55AA
constexpr size_t kBlocklistSize = 12;               // u64 start, u16 sectors, u16 segment
constexpr size_t kNoReedSolomonLength = 0x14;       // core.img kernel header: u16
constexpr uint16_t kCoreSegment = 0x800 + (512 >> 4);
// boot.img loads core.img below 0x78000 from 0x8200: at most 895 sectors.
constexpr uint64_t kMaxCoreSectors = (0x78000 - 0x8200) / 512;

std::string grubModuleDir(const std::string& platform) {
    return "/usr/lib/grub/" + platform;
}

void requireGrub(const ToolSandbox& tools, const std::string& platform, const std::string& package,
                 const std::vector<std::string>& modules, const std::string& output) {
    requireTools(tools, {kGrubMkimage, {grubModuleDir(platform), package}}, output);
    if (modules.empty())
        throw Error("no GRUB modules given for " + platform, {output});
    for (const auto& module : modules)
        if (!isRegularFile(tools.rootfs + grubModuleDir(platform) + "/" + module + ".mod"))
            throw Error(
                "GRUB has no module '" + module + "' for " + platform + " in " + tools.rootfs,
                {output});
}

// grub-mkimage of platform into scratch/image; the embedded config (when
// given) is written to the scratch folder, the SBAT file mounted read-only.
void runGrubMkimage(const ToolSandbox& tools, const ScratchDir& scratch,
                    const std::string& platform, const std::string& prefix,
                    const std::string& config, const std::string& sbat,
                    const std::vector<std::string>& modules, const std::string& output) {
    std::vector<SandboxMount> mounts = {{scratch.path(), kToolWorkDir, true}};
    std::vector<std::string> argv = {"grub-mkimage", "-d",  grubModuleDir(platform), "-O", platform,
                                     "-p",           prefix};
    if (!config.empty()) {
        writeFileAtomic(scratch.path() + "/embedded.cfg", config);
        argv.insert(argv.end(), {"-c", std::string(kToolWorkDir) + "/embedded.cfg"});
    }
    if (!sbat.empty()) {
        if (!isRegularFile(sbat))
            throw Error("the SBAT file does not exist", {sbat});
        std::string inside = std::string(kToolInputDir) + "/sbat.csv";
        mounts.push_back({sbat, inside, false});
        argv.insert(argv.end(), {"--sbat", inside});
    }
    argv.insert(argv.end(), {"-o", std::string(kToolWorkDir) + "/image"});
    argv.insert(argv.end(), modules.begin(), modules.end());
    runTool(tools, {argv, mounts, std::nullopt}, output);
}

void putLe(std::string& bytes, size_t offset, uint64_t value, size_t size) {
    for (size_t i = 0; i < size; ++i)
        bytes[offset + i] = static_cast<char>(value >> (8 * i) & 0xff);
}

uint64_t getLe(const std::string& bytes, size_t offset, size_t size) {
    uint64_t value = 0;
    for (size_t i = size; i-- > 0;)
        value = value << 8 | static_cast<unsigned char>(bytes[offset + i]);
    return value;
}

// The BIOS boot partition starting at offsetBytes in the disk's GPT.
GptPartition biosPartition(const std::string& diskImage, uint64_t offsetBytes) {
    GptTable table = readGpt(diskImage);
    for (const auto& partition : table.partitions) {
        if (partition.firstLba * kSectorSize != offsetBytes)
            continue;
        if (partition.type != parseGuid(kBiosBootType))
            throw Error("the partition at byte " + std::to_string(offsetBytes) + " (" +
                            partition.label + ") is not a BIOS boot partition",
                        {diskImage});
        return partition;
    }
    throw Error("no partition starts at byte " + std::to_string(offsetBytes), {diskImage});
}

// core.img padded to whole sectors, its first sector's block list naming
// the rest as loaded from lba + 1.
std::string placedCore(std::string core, uint64_t lba, uint64_t maxSectors,
                       const std::string& diskImage) {
    if (core.size() < 2 * kSectorSize ||
        getLe(core, kSectorSize + kNoReedSolomonLength, 2) == 0xffff)
        throw Error("grub-mkimage wrote no i386-pc core.img", {diskImage});
    uint64_t sectors = (core.size() + kSectorSize - 1) / kSectorSize;
    if (sectors > maxSectors)
        throw Error("GRUB's core.img (" + std::to_string(sectors) +
                        " sectors) does not fit in the BIOS boot partition (" +
                        std::to_string(maxSectors) + " sectors usable)",
                    {diskImage}, "use fewer GRUB modules");
    core.resize(sectors * kSectorSize, '\0');
    size_t entry = kSectorSize - kBlocklistSize;
    for (size_t at = entry; at > 0 && getLe(core, at + 8, 2) != 0; at -= kBlocklistSize)
        std::memset(&core[at], 0, kBlocklistSize);
    if (sectors > 1) {
        putLe(core, entry, lba + 1, 8);
        putLe(core, entry + 8, sectors - 1, 2);
        putLe(core, entry + 10, kCoreSegment, 2);
    }
    std::memset(&core[entry - kBlocklistSize], 0, kBlocklistSize);  // the terminator
    return core;
}

// boot.img's first 440 bytes as grub-bios-setup patches them for a hard
// disk whose core.img starts at coreLba.
std::string bootCodeFor(const std::string& boot, uint64_t coreLba) {
    std::string code = boot.substr(0, kBootCodeSize);
    putLe(code, kKernelSector, coreLba, 8);
    code[kBootDrive] = static_cast<char>(0xff);
    code[kDriveCheck] = code[kDriveCheck + 1] = static_cast<char>(0x90);
    return code;
}

}  // namespace

std::vector<std::string> defaultGrubEfiModules() {
    std::vector<std::string> modules = defaultGrubBiosModules();
    modules.front() = "efi_gop";  // instead of biosdisk
    return modules;
}

std::vector<std::string> defaultGrubBiosModules() {
    return {"biosdisk", "part_gpt", "ext2",  "fat",    "normal",   "configfile", "search", "echo",
            "test",     "sleep",    "linux", "serial", "terminal", "reboot",     "halt"};
}

std::string grubEfiPlatform(Arch arch) {
    return arch == Arch::X86_64 ? "x86_64-efi" : "arm64-efi";
}

void makeGrubEfiImage(const ToolSandbox& tools, const std::string& output,
                      const GrubEfiOptions& options) {
    std::string platform = grubEfiPlatform(options.arch);
    requireGrub(tools, platform,
                options.arch == Arch::X86_64 ? "grub-efi-amd64-bin" : "grub-efi-arm64-bin",
                options.modules, output);
    ScratchDir scratch(output);
    runGrubMkimage(tools, scratch, platform, options.prefix, options.embeddedConfig,
                   options.sbatPath, options.modules, output);
    scratch.moveOut("image", output);
}

BiosBootStage makeBiosBootStage(const ToolSandbox& tools, uint64_t partitionLba,
                                uint64_t partitionSectors, const BiosBootOptions& options,
                                const std::string& errorPath) {
    requireGrub(tools, "i386-pc", "grub-pc-bin", options.modules, errorPath);
    std::string boot = readFile(tools.rootfs + grubModuleDir("i386-pc") + "/boot.img");
    if (boot.size() != kSectorSize)
        throw Error("GRUB's boot.img in " + tools.rootfs + " is not 512 bytes", {errorPath});
    BiosBootStage stage;
    {
        ScratchDir scratch(errorPath);
        runGrubMkimage(tools, scratch, "i386-pc", options.prefix, options.embeddedConfig, "",
                       options.modules, errorPath);
        stage.core = readFile(scratch.path() + "/image");
    }
    stage.core = placedCore(std::move(stage.core), partitionLba,
                            std::min(partitionSectors, kMaxCoreSectors), errorPath);
    stage.bootCode = bootCodeFor(boot, partitionLba);
    stage.coreLba = partitionLba;
    return stage;
}

BiosBootStage writeBiosBoot(const ToolSandbox& tools, const std::string& diskImage,
                            uint64_t partitionOffsetBytes, const BiosBootOptions& options) {
    GptPartition partition = biosPartition(diskImage, partitionOffsetBytes);
    BiosBootStage stage =
        makeBiosBootStage(tools, partition.firstLba, partition.sectors(), options, diskImage);
    ImageFile disk = ImageFile::openForWriting(diskImage);
    std::string mbr(kSectorSize, '\0');
    disk.readAt(0, mbr.data(), kSectorSize);
    std::string code = stage.bootCode;
    std::memcpy(&code[kBpbStart], &mbr[kBpbStart], kBpbEnd - kBpbStart);
    disk.writeAt(stage.coreLba * kSectorSize, stage.core.data(), stage.core.size());
    disk.writeAt(0, code.data(), code.size());
    disk.sync();
    return stage;
}

}  // namespace twoliter
