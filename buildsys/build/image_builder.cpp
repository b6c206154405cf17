#include "build/image_builder.h"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <filesystem>

#include "image/compress.h"
#include "image/disk_assembly.h"
#include "image/gpt.h"
#include "image/grub_config.h"
#include "image/grub_image.h"
#include "image/guid.h"
#include "image/image_tools.h"
#include "image/ova.h"
#include "image/partition_plan.h"
#include "image/rootfs.h"
#include "image/verity.h"
#include "util/files.h"

namespace fs = std::filesystem;

namespace twoliter {

namespace {

constexpr uint64_t kMib = 1024 * 1024;

bool hasFeature(const VariantManifest& variant, const std::string& feature) {
    return variant.enabledFeatures.count(feature) != 0;
}

// The files of one image build, all in the work folder.
struct ImageFiles {
    std::string work;
    std::string file(const std::string& name) const { return work + "/" + name; }
};

// The state the steps pass along.
struct Assembly {
    const ImageRequest& request;
    const VariantManifest& variant;
    ToolSandbox tools;
    ImagePlan plan;
    ImageFiles files;
    InstalledRootfs rootfs;
    VerityHashTree verity;
    ImageArtifacts result;

    void step(const std::string& what) const {
        if (request.progress)
            request.progress(what);
    }
    Guid guid(const std::string& name) const { return deriveGuid(request.seed, name); }
    uint64_t partitionBytes(const std::string& name) const {
        return plan.os.partition(name).sizeMib * kMib;
    }
};

void installRoot(Assembly& a) {
    a.step("installing " + std::to_string(a.request.rpmFiles.size()) + " RPMs");
    RootfsRequest request;
    request.toolsRootfs = a.request.toolsRootfs;
    request.rpmFiles = a.request.rpmFiles;
    request.outputDir = a.files.file("tree");
    request.logPath = a.request.logPath;
    request.identity = a.request.identity;
    request.epoch = a.request.epoch;
    request.xfsDataPartition = hasFeature(a.variant, "xfs-data-partition");
    request.updogRootJson = a.request.updogRootJson;
    a.rootfs = installRootfs(a.tools.runner, request);
}

// ROOT-A's file system and its dm-verity hash tree, sized to HASH-A.
void makeRootFilesystem(Assembly& a) {
    std::string root = a.files.file("root.img");
    if (hasFeature(a.variant, "erofs-root-partition")) {
        a.step("root file system (erofs)");
        ErofsOptions options;
        options.uuid = a.guid("fs:root");
        makeErofs(a.tools, a.rootfs.rootDir, root, options, a.request.epoch);
        if (fs::file_size(root) > a.partitionBytes("ROOT-A"))
            throw Error("the root file system does not fit in ROOT-A", {root},
                        "raise image-layout.os-image-size-gib");
    } else {
        a.step("root file system (ext4)");
        Ext4Options options;
        options.uuid = a.guid("fs:root");
        options.hashSeed = a.guid("fs:root:hash-seed");
        options.stride = 1024;
        options.stripeWidth = 1024;
        options.shrinkToMinimum = true;
        makeExt4(a.tools, a.rootfs.rootDir, root, a.partitionBytes("ROOT-A"), options,
                 a.request.epoch);
    }
    a.step("dm-verity hash tree");
    a.verity = writeVerityHashTree(root, a.files.file("root.verity"),
                                   deriveBytes(a.request.seed, "verity:salt", 32),
                                   a.guid("verity:uuid"), a.partitionBytes("HASH-A"));
    a.result.rootHash = a.verity.rootHash;
}

// BOOT-A: the kernel the packages installed under /boot and grub.cfg.
void makeBootFilesystem(Assembly& a) {
    a.step("boot file system");
    if (hasFeature(a.variant, "uefi-secure-boot")) {
        a.result.warnings.push_back(
            "variant " + a.variant.name +
            " asks for uefi-secure-boot: signing for Secure Boot is not supported yet, the "
            "image's boot chain is unsigned");
    }
    GrubConfigInputs grub;
    grub.kernelParameters = a.variant.kernelParameters;
    grub.prettyName = a.request.identity.prettyName;
    grub.versionId = a.request.identity.versionId;
    grub.dmVerityTable = dmVerityTable(a.verity);
    grub.grubSetPrivateVar = hasFeature(a.variant, "grub-set-private-var");
    if (isRegularFile(a.rootfs.bootDir + "/initramfs.img"))
        grub.initramfs = "/initramfs.img";
    fs::create_directories(a.rootfs.bootDir + "/grub");
    writeFileAtomic(a.rootfs.bootDir + "/grub/grub.cfg", renderGrubConfig(grub));
    clampTreeTimes(a.rootfs.bootDir, a.request.epoch);
    Ext4Options options;
    options.uuid = a.guid("fs:boot");
    options.hashSeed = a.guid("fs:boot:hash-seed");
    options.shrinkToMinimum = true;
    makeExt4(a.tools, a.rootfs.bootDir, a.files.file("boot.img"), a.partitionBytes("BOOT-A"),
             options, a.request.epoch);
}

// GRUB's first words, embedded in its EFI and BIOS images: the boot
// partition (for $boot_uuid, which the verity table names), the BOOT and
// PRIVATE file systems by UUID, then BOOT's grub.cfg.
std::string embeddedGrubConfig(const Assembly& a) {
    GptTable table = gptTableForPlan(a.plan.os, a.request.seed);
    std::string bootUuid;
    for (const auto& partition : table.partitions) {
        if (partition.label == a.plan.os.partition("BOOT-A").label)
            bootUuid = formatGuid(partition.unique);
    }
    return "serial --unit=0 --speed=115200\n"
           "terminal_input serial console\n"
           "terminal_output serial console\n"
           "set boot_uuid=" +
           bootUuid +
           "\n"
           "search --no-floppy --fs-uuid --set=root " +
           formatGuid(a.guid("fs:boot")) +
           "\n"
           "search --no-floppy --fs-uuid --set=private " +
           formatGuid(a.guid("fs:private")) +
           "\n"
           // configfile passes on only exported variables.
           "export boot_uuid\n"
           "export private\n"
           "configfile ($root)/grub/grub.cfg\n";
}

// EFI-A: GRUB's EFI image, plus whatever the packages put under /boot/efi.
void makeEfiFilesystem(Assembly& a) {
    a.step("EFI system partition");
    GrubEfiOptions grub;
    grub.arch = a.request.identity.arch;
    grub.embeddedConfig = embeddedGrubConfig(a);
    std::string efiName = a.request.identity.arch == Arch::X86_64 ? "BOOTX64.EFI" : "BOOTAA64.EFI";
    makeGrubEfiImage(a.tools, a.files.file(efiName), grub);
    VfatOptions options;
    options.volumeId = static_cast<uint32_t>(a.guid("fs:efi").bytes[0]) << 24 |
                       static_cast<uint32_t>(a.guid("fs:efi").bytes[1]) << 16 |
                       static_cast<uint32_t>(a.guid("fs:efi").bytes[2]) << 8 |
                       a.guid("fs:efi").bytes[3];
    for (const auto& entry : fs::recursive_directory_iterator(a.rootfs.efiDir)) {
        if (entry.is_regular_file()) {
            std::string relative = fs::relative(entry.path(), a.rootfs.efiDir).string();
            if (relative != "EFI/BOOT/" + efiName)
                options.files.push_back({entry.path().string(), "/" + relative});
        }
    }
    options.files.push_back({a.files.file(efiName), "/EFI/BOOT/" + efiName});
    makeVfat(a.tools, a.files.file("efi.img"), a.partitionBytes("EFI-A"), options, a.request.epoch);
}

// PRIVATE holds bootconfig.data; DATA an empty ext4 (or nothing for xfs).
void makeSmallFilesystems(Assembly& a) {
    a.step("private and data file systems");
    std::string privateTree = a.files.file("private-tree");
    fs::create_directories(privateTree);
    writeFileAtomic(privateTree + "/bootconfig.data", bootconfigData("kernel {}\ninit {}\n"));
    clampTreeTimes(privateTree, a.request.epoch);
    Ext4Options privateOptions;
    privateOptions.uuid = a.guid("fs:private");
    privateOptions.hashSeed = a.guid("fs:private:hash-seed");
    privateOptions.inodeSize = 256;
    privateOptions.bytesPerInode = 4096;
    makeExt4(a.tools, privateTree, a.files.file("private.img"), a.partitionBytes("PRIVATE"),
             privateOptions, a.request.epoch);
    if (hasFeature(a.variant, "xfs-data-partition"))
        return;  // formatted at first boot
    const PlannedPartition& data =
        a.plan.data ? a.plan.data->partition("DATA-B") : a.plan.os.partition("DATA-A");
    std::string emptyTree = a.files.file("data-tree");
    fs::create_directories(emptyTree);
    clampTreeTimes(emptyTree, a.request.epoch);
    Ext4Options dataOptions;
    dataOptions.uuid = a.guid("fs:data");
    dataOptions.hashSeed = a.guid("fs:data:hash-seed");
    dataOptions.reservedPercent = 0;
    dataOptions.journal = true;
    makeExt4(a.tools, emptyTree, a.files.file("data.img"), data.sizeMib * kMib, dataOptions,
             a.request.epoch);
}

void assembleDisks(Assembly& a) {
    a.step("disk image");
    PartitionImages os = {{"EFI-A", a.files.file("efi.img")},
                          {"BOOT-A", a.files.file("boot.img")},
                          {"ROOT-A", a.files.file("root.img")},
                          {"HASH-A", a.files.file("root.verity")},
                          {"PRIVATE", a.files.file("private.img")}};
    bool data = isRegularFile(a.files.file("data.img"));
    if (!a.plan.data && data)
        os["DATA-A"] = a.files.file("data.img");
    assembleDisk(a.plan.os, a.request.seed, os, a.files.file("os.raw"));
    if (a.plan.biosBootCode) {
        BiosBootOptions bios;
        bios.embeddedConfig = embeddedGrubConfig(a);
        writeBiosBoot(a.tools, a.files.file("os.raw"), a.plan.os.partition("BIOS").startMib * kMib,
                      bios);
    }
    if (a.plan.data) {
        PartitionImages images;
        if (data)
            images["DATA-B"] = a.files.file("data.img");
        assembleDisk(*a.plan.data, a.request.seed, images, a.files.file("data.raw"));
    }
}

void compress(const Assembly& a, const std::string& input, const std::string& output) {
    if (a.request.compression == ImageCompression::Lz4) {
        compressLz4(input, output);
    } else {
        ZstdSettings settings;
        settings.workers = a.request.compressionWorkers;
        compressZstd(input, output, settings);
    }
}

std::string outputPath(const Assembly& a, const Artifact& artifact) {
    return a.request.outputDirectory + "/" + artifact.fileName;
}

// The disk in the variant's format, at output.
void writeDisk(const Assembly& a, const std::string& raw, const std::string& output) {
    if (a.variant.imageFormat == ImageFormat::Raw)
        compress(a, raw, output);
    else
        convertImage(a.tools, raw, output, a.variant.imageFormat);
}

std::string ovaDiskName(const Assembly& a, ArtifactRole role) {
    for (const auto& artifact : a.result.artifacts) {
        if (artifact.role == role)
            return artifact.fileName;
    }
    return "";
}

// A PEM certificate file as DER bytes.
std::string certificateDer(const std::string& path) {
    if (!isRegularFile(path))
        throw Error("no certificate at " + path, {path},
                    "a uefi-secure-boot variant's OVF needs PK.crt, KEK.crt and db.crt");
    std::string pem = readFile(path);
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    X509* certificate = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (!certificate)
        throw Error("not a PEM certificate", {path});
    unsigned char* der = nullptr;
    int length = i2d_X509(certificate, &der);
    X509_free(certificate);
    if (length <= 0)
        throw Error("cannot encode the certificate", {path});
    std::string bytes(reinterpret_cast<char*>(der), static_cast<size_t>(length));
    OPENSSL_free(der);
    return bytes;
}

void writeOvaArtifact(const Assembly& a, const std::string& output) {
    std::string templatePath = a.variant.directory + "/template.ovf";
    if (!isRegularFile(templatePath)) {
        throw Error("variant " + a.variant.name + " builds vmdk images but has no template.ovf",
                    {templatePath});
    }
    OvfInputs inputs;
    inputs.osDisk = ovaDiskName(a, ArtifactRole::OsImage);
    inputs.dataDisk = ovaDiskName(a, ArtifactRole::DataImage);
    inputs.osDiskBytes = uint64_t(a.variant.imageLayout.osImageSizeGib) << 30;
    inputs.dataDiskBytes = uint64_t(a.variant.imageLayout.dataImageSizeGib) << 30;
    if (hasFeature(a.variant, "uefi-secure-boot")) {
        const std::string& keys = a.request.secureBootKeysDirectory;
        inputs.secureBoot = SecureBootCertificates{certificateDer(keys + "/PK.crt"),
                                                   certificateDer(keys + "/KEK.crt"),
                                                   certificateDer(keys + "/db.crt")};
    }
    std::string ovf = renderOvf(templatePath, readFile(templatePath), inputs,
                                a.variant.imageLayout.partitionPlan);
    std::vector<std::string> vmdks = {a.request.outputDirectory + "/" + inputs.osDisk};
    if (!inputs.dataDisk.empty())
        vmdks.push_back(a.request.outputDirectory + "/" + inputs.dataDisk);
    writeOva(a.request.identity.filePrefix(), ovf, vmdks, output, a.request.epoch);
}

void writeArtifacts(Assembly& a) {
    a.result.artifacts =
        variantArtifacts(a.request.identity, a.variant.imageFormat,
                         a.variant.imageLayout.partitionPlan, a.request.compression);
    for (const auto& artifact : a.result.artifacts) {
        std::string output = outputPath(a, artifact);
        a.step("writing " + artifact.fileName);
        switch (artifact.role) {
            case ArtifactRole::OsImage:
                writeDisk(a, a.files.file("os.raw"), output);
                break;
            case ArtifactRole::DataImage:
                writeDisk(a, a.files.file("data.raw"), output);
                break;
            case ArtifactRole::Ova:
                writeOvaArtifact(a, output);
                break;
            case ArtifactRole::BootImage:
                compress(a, a.files.file("boot.img"), output);
                break;
            case ArtifactRole::RootImage:
                compress(a, a.files.file("root.img"), output);
                break;
            case ArtifactRole::VerityImage:
                compress(a, a.files.file("root.verity"), output);
                break;
            case ArtifactRole::Inventory:
                writeFileAtomic(output, a.rootfs.inventoryJson);
                break;
        }
    }
}

}  // namespace

std::string bootconfigData(const std::string& text) {
    std::string data = text;
    data.push_back('\0');
    while (data.size() % 4 != 0)
        data.push_back('\0');
    uint32_t checksum = 0;
    for (unsigned char byte : data)
        checksum += byte;
    auto le32 = [](uint32_t value) {
        std::string bytes(4, '\0');
        for (int i = 0; i < 4; ++i)
            bytes[i] = static_cast<char>((value >> (8 * i)) & 0xff);
        return bytes;
    };
    return data + le32(static_cast<uint32_t>(data.size())) + le32(checksum) + "#BOOTCONFIG\n";
}

ImageArtifacts assembleVariantImage(SandboxRunner& sandbox, const ImageRequest& request) {
    const VariantManifest& variant = *request.variant;
    fs::remove_all(request.workDirectory);
    fs::create_directories(request.workDirectory);
    Assembly a{request,
               variant,
               {sandbox, request.toolsRootfs, request.logPath},
               planImage(variant.imageLayout, hasFeature(variant, "in-place-updates"),
                         request.identity.arch, {variant.manifestPath}),
               {request.workDirectory},
               {},
               {},
               {}};
    installRoot(a);
    makeRootFilesystem(a);
    makeBootFilesystem(a);
    makeEfiFilesystem(a);
    makeSmallFilesystems(a);
    assembleDisks(a);
    writeArtifacts(a);
    fs::remove_all(request.workDirectory);
    return a.result;
}

}  // namespace twoliter
