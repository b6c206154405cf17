#include "image/image_tools.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>

#include "image/image_file.h"
#include "util/digest.h"
#include "util/error.h"
#include "util/files.h"
#include "util/strings.h"

namespace fs = std::filesystem;

namespace twoliter {

namespace {

const ImageToolRequirement kFaketime{"faketime", "faketime"};
const ImageToolRequirement kMkfsExt4{"mkfs.ext4", "e2fsprogs"};
const ImageToolRequirement kDebugfs{"debugfs", "e2fsprogs"};
const ImageToolRequirement kResize2fs{"resize2fs", "e2fsprogs"};
const ImageToolRequirement kMkfsErofs{"mkfs.erofs", "erofs-utils"};
const ImageToolRequirement kMkfsVfat{"mkfs.vfat", "dosfstools"};
const ImageToolRequirement kMmd{"mmd", "mtools"};
const ImageToolRequirement kMcopy{"mcopy", "mtools"};
const ImageToolRequirement kQemuImg{"qemu-img", "qemu-utils"};

// 1980-01-01T00:00:00Z, the first time FAT can store.
constexpr int64_t kFatEpoch = 315532800;

std::string work(const std::string& name) {
    return std::string(kToolWorkDir) + "/" + name;
}

// An empty sparse file of size bytes in the scratch folder.
void createImageFile(const std::string& path, uint64_t size) {
    ImageFile file = ImageFile::openForWriting(path);
    file.resize(size);
}

void requireSourceDir(const std::string& sourceDir) {
    if (!isDirectory(sourceDir))
        throw Error("the source tree is not a folder", {sourceDir});
}

// A zero UUID or hash seed would make mke2fs pick a random one (or none).
void requireGuid(const Guid& guid, const std::string& what, const std::string& output) {
    if (guid == Guid{})
        throw Error("the " + what + " is not set", {output},
                    "derive it from the image's seed (deriveGuid)");
}

void requireEpoch(int64_t epoch, const std::string& output) {
    if (epoch < 0)
        throw Error("the time stamp " + std::to_string(epoch) + " is before 1970", {output});
}

std::string hex32(uint32_t value) {
    char text[16];
    std::snprintf(text, sizeof text, "%08x", value);
    return text;
}

uint32_t le32(const unsigned char* bytes) {
    return bytes[0] | bytes[1] << 8 | bytes[2] << 16 | static_cast<uint32_t>(bytes[3]) << 24;
}

uint64_t le64(const unsigned char* bytes) {
    return le32(bytes) | static_cast<uint64_t>(le32(bytes + 4)) << 32;
}

// ---- ext4 ------------------------------------------------------------------

std::string debugfsQuoted(const std::string& text, const std::string& sourceDir) {
    if (text.find_first_of("\"\n") != std::string::npos)
        throw Error(
            "a path or label with a double quote or line break cannot be set in ext4: " + text,
            {sourceDir});
    return "\"" + text + "\"";
}

// debugfs commands giving every inode of the tree root ownership and the
// times makeExt4 promises, then the SELinux labels.
std::string ext4Fixups(const std::string& sourceDir, const Ext4Options& options, int64_t epoch) {
    std::map<std::string, int64_t> mtimes = {{"/", epoch}, {"/lost+found", epoch}};
    std::error_code error;
    fs::recursive_directory_iterator entries(sourceDir, error), end;
    for (; !error && entries != end; entries.increment(error)) {
        const fs::directory_entry& entry = *entries;
        struct stat st {};
        if (::lstat(entry.path().c_str(), &st) != 0)
            throw Error("cannot read the file's status", {entry.path().string()});
        std::string path = "/" + entry.path().lexically_relative(sourceDir).string();
        mtimes[path] = std::min<int64_t>(st.st_mtime, epoch);
    }
    if (error)
        throw Error("cannot list the source tree: " + error.message(), {sourceDir});
    std::string script;
    std::string at = " @" + std::to_string(epoch);
    for (const auto& [path, mtime] : mtimes) {
        std::string set = "sif " + debugfsQuoted(path, sourceDir) + " ";
        script += set + "uid 0\n" + set + "gid 0\n" + set + "atime" + at + "\n" + set + "ctime" +
                  at + "\n" + set + "mtime @" + std::to_string(mtime) + "\n";
        if (options.inodeSize != 128)  // 128-byte inodes have no creation time
            script += set + "crtime" + at + "\n";
    }
    for (const auto& label : options.selinuxLabels)
        script += "ea_set " + debugfsQuoted(label.path, sourceDir) + " security.selinux " +
                  debugfsQuoted(label.context, sourceDir) + "\n";
    return script;
}

std::vector<std::string> mkfsExt4Arguments(const Ext4Options& options) {
    std::vector<std::string> argv = {"mkfs.ext4",
                                     "-q",
                                     "-F",
                                     "-d",
                                     kToolSourceDir,
                                     "-b",
                                     std::to_string(options.blockSize),
                                     "-U",
                                     formatGuid(options.uuid)};
    std::string extended =
        "root_owner=0:0,lazy_itable_init=0,hash_seed=" + formatGuid(options.hashSeed);
    if (options.stride)
        extended += ",stride=" + std::to_string(options.stride);
    if (options.stripeWidth)
        extended += ",stripe_width=" + std::to_string(options.stripeWidth);
    argv.insert(argv.end(), {"-E", extended});
    if (!options.journal)
        argv.insert(argv.end(), {"-O", "^has_journal"});
    if (!options.label.empty())
        argv.insert(argv.end(), {"-L", options.label});
    if (options.inodeSize)
        argv.insert(argv.end(), {"-I", std::to_string(options.inodeSize)});
    if (options.bytesPerInode)
        argv.insert(argv.end(), {"-i", std::to_string(options.bytesPerInode)});
    if (options.reservedPercent)
        argv.insert(argv.end(), {"-m", std::to_string(*options.reservedPercent)});
    argv.push_back(work("image"));
    return argv;
}

// debugfs -f reports a failed command on its output and still exits 0:
// every line but its banner and the echo of each command is a failure.
void runDebugfs(const ToolSandbox& tools, const ToolCommand& command, const std::string& output) {
    ToolOutput result = runToolForOutput(tools, command);
    for (const auto& line : result.lines)
        if (!startsWith(line, "debugfs ") && !startsWith(line, "debugfs: "))
            throw Error("debugfs failed: " + trimString(line) + " (log: " + tools.logPath + ")",
                        {output});
    if (!result.ok)
        runTool(tools, command, output);  // reports the exit status
}

// The size in bytes the ext4 superblock of path declares.
uint64_t ext4Size(const std::string& path) {
    unsigned char super[1024];
    ImageFile::openForReading(path).readAt(1024, super, sizeof super);
    if (super[0x38] != 0x53 || super[0x39] != 0xef)
        throw Error("no ext4 superblock", {path});
    uint64_t blocks = le32(super + 4);
    if (le32(super + 0x60) & 0x80)  // INCOMPAT_64BIT
        blocks |= static_cast<uint64_t>(le32(super + 0x150)) << 32;
    return blocks << (10 + le32(super + 24));
}

void checkExt4Inputs(const std::string& sourceDir, const std::string& output, uint64_t sizeBytes,
                     const Ext4Options& options, int64_t epoch) {
    requireSourceDir(sourceDir);
    requireEpoch(epoch, output);
    if (options.blockSize == 0 || sizeBytes == 0 || sizeBytes % options.blockSize != 0)
        throw Error("the ext4 size " + std::to_string(sizeBytes) +
                        " is not a positive multiple of the block size " +
                        std::to_string(options.blockSize),
                    {output});
    if (options.label.size() > 16)
        throw Error("the ext4 label '" + options.label + "' is longer than 16 bytes", {output});
    requireGuid(options.uuid, "ext4 UUID", output);
    requireGuid(options.hashSeed, "ext4 hash seed", output);
}

}  // namespace

uint64_t makeExt4(const ToolSandbox& tools, const std::string& sourceDir, const std::string& output,
                  uint64_t sizeBytes, const Ext4Options& options, int64_t epoch) {
    checkExt4Inputs(sourceDir, output, sizeBytes, options, epoch);
    std::vector<ImageToolRequirement> needed = {kMkfsExt4, kDebugfs, kFaketime};
    if (options.shrinkToMinimum)
        needed.push_back(kResize2fs);
    requireTools(tools, needed, output);
    std::string script = ext4Fixups(sourceDir, options, epoch);

    ScratchDir scratch(output);
    createImageFile(scratch.path() + "/image", sizeBytes);
    writeFileAtomic(scratch.path() + "/debugfs.cmds", script);
    std::vector<SandboxMount> mounts = {{scratch.path(), kToolWorkDir, true},
                                        {sourceDir, kToolSourceDir, false}};
    runTool(tools, {mkfsExt4Arguments(options), mounts, epoch}, output);
    runDebugfs(tools, {{"debugfs", "-w", "-f", work("debugfs.cmds"), work("image")}, mounts, epoch},
               output);
    uint64_t size = sizeBytes;
    if (options.shrinkToMinimum) {
        runTool(tools, {{"resize2fs", "-M", work("image")}, mounts, epoch}, output);
        size = ext4Size(scratch.path() + "/image");
        ImageFile::openForWriting(scratch.path() + "/image").resize(size);
    }
    scratch.moveOut("image", output);
    return size;
}

// ---- erofs -----------------------------------------------------------------

void makeErofs(const ToolSandbox& tools, const std::string& sourceDir, const std::string& output,
               const ErofsOptions& options, int64_t epoch) {
    requireSourceDir(sourceDir);
    requireEpoch(epoch, output);
    requireGuid(options.uuid, "erofs UUID", output);
    if (!options.fileContexts.empty() && !isRegularFile(options.fileContexts))
        throw Error("the SELinux file contexts are not a file", {options.fileContexts});
    requireTools(tools, {kMkfsErofs}, output);

    ScratchDir scratch(output);
    std::vector<SandboxMount> mounts = {{scratch.path(), kToolWorkDir, true},
                                        {sourceDir, kToolSourceDir, false}};
    std::vector<std::string> argv = {
        "mkfs.erofs", "--quiet", "-T" + std::to_string(epoch), "-U", formatGuid(options.uuid),
        "--all-root"};
    if (!options.compression.empty())
        argv.push_back("-z" + options.compression);
    if (options.physicalClusterBytes)
        argv.push_back("-C" + std::to_string(options.physicalClusterBytes));
    if (!options.fileContexts.empty()) {
        std::string contexts = std::string(kToolInputDir) + "/file_contexts";
        mounts.push_back({options.fileContexts, contexts, false});
        argv.push_back("--file-contexts=" + contexts);
    }
    argv.insert(argv.end(), {work("image"), kToolSourceDir});
    runTool(tools, {argv, mounts, std::nullopt}, output);
    scratch.moveOut("image", output);
}

// ---- vfat ------------------------------------------------------------------

namespace {

// The folders the files need, parents first, each once (FAT names ignore case).
std::vector<std::string> fatFolders(const VfatOptions& options, const std::string& output) {
    std::vector<std::string> folders, seenFolders, seenFiles;  // seen*: lowercase
    for (const auto& file : options.files) {
        std::vector<std::string> parts = splitString(file.path, '/');
        bool valid = startsWith(file.path, "/") && parts.size() >= 2;
        for (size_t i = 1; i < parts.size(); ++i)
            valid = valid && !parts[i].empty() && parts[i] != "." && parts[i] != "..";
        if (!valid)
            throw Error("'" + file.path + "' is not an absolute path of a file in FAT", {output});
        if (std::find(seenFiles.begin(), seenFiles.end(), lowercase(file.path)) != seenFiles.end())
            throw Error("'" + file.path + "' is given twice", {output});
        seenFiles.push_back(lowercase(file.path));
        if (!isRegularFile(file.source))
            throw Error("the file for FAT path " + file.path + " does not exist", {file.source});
        std::string folder;
        for (size_t i = 1; i + 1 < parts.size(); ++i) {
            folder += "/" + parts[i];
            if (std::find(seenFolders.begin(), seenFolders.end(), lowercase(folder)) !=
                seenFolders.end())
                continue;
            folders.push_back(folder);
            seenFolders.push_back(lowercase(folder));
        }
    }
    return folders;
}

void checkVfatInputs(const std::string& output, uint64_t sizeBytes, const VfatOptions& options,
                     int64_t epoch) {
    if (sizeBytes == 0 || sizeBytes % 1024 != 0)
        throw Error(
            "the FAT size " + std::to_string(sizeBytes) + " is not a positive multiple of 1024",
            {output});
    if (options.label.size() > 11)
        throw Error("the FAT label '" + options.label + "' is longer than 11 characters", {output});
    if (epoch < kFatEpoch)
        throw Error(
            "the time stamp " + std::to_string(epoch) + " is before 1980, which FAT cannot store",
            {output});
}

}  // namespace

void makeVfat(const ToolSandbox& tools, const std::string& output, uint64_t sizeBytes,
              const VfatOptions& options, int64_t epoch) {
    checkVfatInputs(output, sizeBytes, options, epoch);
    std::vector<std::string> folders = fatFolders(options, output);
    requireTools(tools, {kMkfsVfat, kMmd, kMcopy, kFaketime}, output);

    ScratchDir scratch(output);
    createImageFile(scratch.path() + "/image", sizeBytes);
    std::vector<SandboxMount> mounts = {{scratch.path(), kToolWorkDir, true}};
    std::vector<std::string> mkfs = {"mkfs.vfat", "-I", "-S", "512", "-i", hex32(options.volumeId)};
    if (!options.label.empty())
        mkfs.insert(mkfs.end(), {"-n", options.label});
    mkfs.insert(mkfs.end(), {work("image"), std::to_string(sizeBytes / 1024)});
    runTool(tools, {mkfs, mounts, epoch}, output);
    if (!folders.empty()) {
        std::vector<std::string> mmd = {"mmd", "-i", work("image")};
        for (const auto& folder : folders)
            mmd.push_back("::" + folder);
        runTool(tools, {mmd, mounts, epoch}, output);
    }
    for (const auto& file : options.files) {
        std::string input = std::string(kToolInputDir) + "/file";
        std::vector<SandboxMount> fileMounts = mounts;
        fileMounts.push_back({file.source, input, false});
        runTool(tools, {{"mcopy", "-i", work("image"), input, "::" + file.path}, fileMounts, epoch},
                output);
    }
    scratch.moveOut("image", output);
}

// ---- qemu-img --------------------------------------------------------------

namespace {

const char* qemuFormat(ImageFormat format, const std::string& path) {
    switch (format) {
        case ImageFormat::Qcow2:
            return "qcow2";
        case ImageFormat::Vmdk:
            return "vmdk";
        case ImageFormat::Raw:
            break;
    }
    throw Error("qemu-img converts to and checks only qcow2 and vmdk here", {path});
}

// The vmdk descriptor text of file: its offset and its bytes (NUL-padded).
std::pair<uint64_t, std::string> vmdkDescriptor(const ImageFile& file, const std::string& output) {
    unsigned char header[512];
    file.readAt(0, header, sizeof header);
    uint64_t offset = le64(header + 28) * 512, size = le64(header + 36) * 512;
    if (std::memcmp(header, "KDMV", 4) != 0 || size == 0 || size > 1 << 20)
        throw Error("qemu-img wrote no vmdk sparse header", {output});
    std::string descriptor(size, '\0');
    file.readAt(offset, descriptor.data(), size);
    return {offset, descriptor};
}

// descriptor with its "CID=<hex>" line set to cid (8 hex digits).
std::string withContentId(std::string descriptor, const std::string& cid,
                          const std::string& output) {
    size_t start = descriptor.find("\nCID=");
    size_t end = start == std::string::npos ? start : descriptor.find('\n', start + 1);
    if (end == std::string::npos)
        throw Error("qemu-img wrote a vmdk descriptor without a CID line", {output});
    size_t size = descriptor.size();
    descriptor.replace(start + 5, end - start - 5, cid);
    if (descriptor.size() > size && descriptor.find_last_not_of('\0') >= size)
        throw Error("no room for the CID in the vmdk descriptor", {output});
    descriptor.resize(size);
    return descriptor;
}

// Replaces the random content ID (CID) qemu-img gives a vmdk by the first 8
// hex digits of the SHA-256 of the file with CID=00000000.
void setVmdkContentId(const std::string& path, const std::string& output) {
    ImageFile file = ImageFile::openForWriting(path);
    auto [offset, descriptor] = vmdkDescriptor(file, output);
    std::string zero = withContentId(descriptor, "00000000", output);
    file.writeAt(offset, zero.data(), zero.size());
    std::string cid = withContentId(descriptor, sha256FileHex(path).substr(0, 8), output);
    file.writeAt(offset, cid.data(), cid.size());
    file.sync();
}

}  // namespace

void convertImage(const ToolSandbox& tools, const std::string& input, const std::string& output,
                  ImageFormat format) {
    const char* name = qemuFormat(format, output);
    if (!isRegularFile(input))
        throw Error("the raw image to convert does not exist", {input});
    requireTools(tools, {kQemuImg}, output);

    ScratchDir scratch(output);
    // The vmdk descriptor names its extent file: the output's own name.
    std::string fileName = fs::path(output).filename().string();
    std::string inside = std::string(kToolInputDir) + "/disk.raw";
    std::vector<SandboxMount> mounts = {{scratch.path(), kToolWorkDir, true},
                                        {input, inside, false}};
    std::vector<std::string> argv = {"qemu-img", "convert", "-f", "raw", "-O", name};
    if (format == ImageFormat::Vmdk)
        argv.insert(argv.end(), {"-o", "subformat=streamOptimized"});
    argv.insert(argv.end(), {inside, work(fileName)});
    runTool(tools, {argv, mounts, std::nullopt}, output);
    if (format == ImageFormat::Vmdk)
        setVmdkContentId(scratch.path() + "/" + fileName, output);
    scratch.moveOut(fileName, output);
}

void checkImage(const ToolSandbox& tools, const std::string& path, ImageFormat format) {
    const char* name = qemuFormat(format, path);
    if (!isRegularFile(path))
        throw Error("the image to check does not exist", {path});
    requireTools(tools, {kQemuImg}, path);
    std::string inside = std::string(kToolInputDir) + "/disk." + name;
    runTool(tools,
            {{"qemu-img", "check", "-f", name, inside}, {{path, inside, false}}, std::nullopt},
            path);
}

// ---- probe -----------------------------------------------------------------

std::vector<ImageToolRequirement> imageToolsMissing(const std::string& rootfs, Arch arch) {
    std::vector<ImageToolRequirement> needed = {
        kMkfsExt4,  kDebugfs,  kResize2fs,
        kMkfsErofs, kMkfsVfat, kMmd,
        kMcopy,     kFaketime, {"grub-mkimage", "grub-common"},
        kQemuImg};
    if (arch == Arch::X86_64) {
        needed.push_back({"/usr/lib/grub/x86_64-efi", "grub-efi-amd64-bin"});
        needed.push_back({"/usr/lib/grub/i386-pc", "grub-pc-bin"});
    } else {
        needed.push_back({"/usr/lib/grub/arm64-efi", "grub-efi-arm64-bin"});
    }
    return missingFromRootfs(rootfs, needed);
}

}  // namespace twoliter
