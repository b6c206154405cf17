#include "image/partition_plan.h"

#include "util/error.h"

namespace twoliter {

namespace partition_guids {
const char* const kBiosBoot = "21686148-6449-6e6f-744e-656564454649";
const char* const kEfiSystem = "c12a7328-f81f-11d2-ba4b-00a0c93ec93b";
const char* const kEfiBackup = "b39ce39c-0a00-b4ab-2d11-f18f8237a21c";
const char* const kBoot = "6b636168-7420-6568-2070-6c616e657421";
const char* const kRoot = "5526016a-1a97-4ea4-b39a-b7c8c6ca4502";
const char* const kHash = "598f10af-c955-4456-6a99-7720068a6cea";
const char* const kReserved = "0c5d99a5-d331-4147-baef-08e2b855bdc9";
const char* const kPrivate = "440408bb-eb0b-4328-a6e5-a29038fad706";
const char* const kData = "626f7474-6c65-6474-6861-726d61726b73";
const char* const kDataPreferred = "5b94e8df-28b8-485c-9d19-362263b5944c";
const char* const kDataFallback = "69040874-417d-4e26-a764-7885f22007ea";
}  // namespace partition_guids

namespace {

namespace ids = partition_guids;

// partyplanner's constants, in MiB.
constexpr uint64_t kGptMib = 1;  // at each end of a disk
constexpr uint64_t kBiosMib = 4;
constexpr uint64_t kEfiMib = 5;    // per bank
constexpr uint64_t kDataAMib = 1;  // DATA-A of the split plan
constexpr uint64_t kOverheadMib = 2 * kGptMib + kBiosMib;
// Per GiB of OS image; chosen so that a 2 GiB image has the sizes of the
// only layout upstream once had. Growing any of them breaks updates of
// existing systems (the partitions are adjacent on disk).
constexpr uint64_t kBootScale = 20;
constexpr uint64_t kRootScale = 460;
constexpr uint64_t kHashScale = 5;
constexpr uint64_t kReserveScale = 15;
constexpr uint64_t kPrivateScale = 24;

constexpr uint64_t kGptPrioPriorityBit = 48;
constexpr uint64_t kGptPrioSuccessfulBit = 56;

// Appends partitions one after the other, from the end of the leading GPT.
class DiskBuilder {
  public:
    explicit DiskBuilder(DiskPlan& disk) : disk_(disk) {}

    PlannedPartition& add(std::string name, std::string label, const char* type, uint64_t sizeMib) {
        PlannedPartition partition;
        partition.name = std::move(name);
        partition.label = std::move(label);
        partition.type = parseGuid(type);
        partition.startMib = next_;
        partition.sizeMib = sizeMib;
        next_ += sizeMib;
        disk_.partitions.push_back(std::move(partition));
        return disk_.partitions.back();
    }
    uint64_t next() const { return next_; }

  private:
    DiskPlan& disk_;
    uint64_t next_ = kGptMib;
};

struct BankSizes {
    uint64_t efi, boot, root, hash, reserved;
};

void addBank(DiskBuilder& disk, const std::string& bank, const BankSizes& sizes) {
    disk.add("EFI-" + bank, bank == "A" ? "EFI-SYSTEM" : "EFI-BACKUP",
             bank == "A" ? ids::kEfiSystem : ids::kEfiBackup, sizes.efi);
    PlannedPartition& boot =
        disk.add("BOOT-" + bank, "BOTTLEROCKET-BOOT-" + bank, ids::kBoot, sizes.boot);
    if (bank == "A")
        boot.attributes = uint64_t(1) << kGptPrioPriorityBit | uint64_t(1) << kGptPrioSuccessfulBit;
    disk.add("ROOT-" + bank, "BOTTLEROCKET-ROOT-" + bank, ids::kRoot, sizes.root);
    disk.add("HASH-" + bank, "BOTTLEROCKET-HASH-" + bank, ids::kHash, sizes.hash);
    disk.add("RESERVED-" + bank, "BOTTLEROCKET-RESERVED-" + bank, ids::kReserved, sizes.reserved);
}

void checkSize(int gib, const char* key, const Location& where) {
    if (gib < 1 || gib > 65535) {
        Location location = where;
        location.key = location.key.empty() ? key : location.key + "." + key;
        throw Error("image size must be between 1 and 65535 GiB, found " + std::to_string(gib),
                    location);
    }
}

DiskPlan planOsDisk(const ImageLayout& layout, bool inPlaceUpdates) {
    const uint64_t g = static_cast<uint64_t>(layout.osImageSizeGib);
    const uint64_t dataMib = static_cast<uint64_t>(layout.dataImageSizeGib) * 1024;
    const bool split = layout.partitionPlan == PartitionPlan::Split;
    BankSizes bank{kEfiMib, g * kBootScale, g * kRootScale, g * kHashScale,
                   g * kReserveScale - kEfiMib};

    DiskPlan os{"os", g * 1024 + (split ? 0 : dataMib), {}};
    DiskBuilder disk(os);
    disk.add("BIOS", "BIOS-BOOT", ids::kBiosBoot, kBiosMib);
    if (inPlaceUpdates) {
        addBank(disk, "A", bank);
        addBank(disk, "B", bank);
    } else {
        addBank(disk, "A",
                {2 * bank.efi, 2 * bank.boot, 2 * bank.root, 2 * bank.hash, 2 * bank.reserved});
    }
    disk.add("PRIVATE", "BOTTLEROCKET-PRIVATE", ids::kPrivate,
             g * kPrivateScale - kOverheadMib - kDataAMib);
    PlannedPartition& dataA = disk.add("DATA-A", "", ids::kData, split ? kDataAMib : dataMib);
    dataA.fixedGuid = parseGuid(split ? ids::kDataFallback : ids::kDataPreferred);
    // Unified leaves unused the MiB that split gives DATA-A (upstream
    // subtracts it from PRIVATE either way).
    if (disk.next() + kGptMib + (split ? 0 : kDataAMib) != os.sizeMib)
        throw Error("internal error: the OS image partitions do not fill the image");
    return os;
}

DiskPlan planDataDisk(const ImageLayout& layout) {
    DiskPlan data{"data", static_cast<uint64_t>(layout.dataImageSizeGib) * 1024, {}};
    DiskBuilder disk(data);
    PlannedPartition& dataB = disk.add("DATA-B", "", ids::kData, data.sizeMib - 2 * kGptMib);
    dataB.fixedGuid = parseGuid(ids::kDataPreferred);
    return data;
}

}  // namespace

const PlannedPartition* DiskPlan::find(std::string_view partitionName) const {
    for (const auto& partition : partitions) {
        if (partition.name == partitionName)
            return &partition;
    }
    return nullptr;
}

const PlannedPartition& DiskPlan::partition(std::string_view partitionName) const {
    if (const PlannedPartition* found = find(partitionName))
        return *found;
    throw Error("the " + name + " image has no partition " + std::string(partitionName));
}

ImagePlan planImage(const ImageLayout& layout, bool inPlaceUpdates, Arch arch,
                    const Location& where) {
    checkSize(layout.osImageSizeGib, "os-image-size-gib", where);
    checkSize(layout.dataImageSizeGib, "data-image-size-gib", where);
    ImagePlan plan;
    plan.os = planOsDisk(layout, inPlaceUpdates);
    if (layout.partitionPlan == PartitionPlan::Split)
        plan.data = planDataDisk(layout);
    plan.biosBootCode = arch == Arch::X86_64;
    return plan;
}

}  // namespace twoliter
