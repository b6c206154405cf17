#include <catch2/catch.hpp>

#include <sstream>

#include "image/partition_plan.h"
#include "support/error_text.h"

using namespace twoliter;

namespace {

ImageLayout layout(int osGib, int dataGib, PartitionPlan plan) {
    ImageLayout result;
    result.osImageSizeGib = osGib;
    result.dataImageSizeGib = dataGib;
    result.partitionPlan = plan;
    return result;
}

// "NAME start+size" per partition, in disk order.
std::string describe(const DiskPlan& disk) {
    std::ostringstream out;
    out << disk.name << " " << disk.sizeMib << ":";
    for (const auto& partition : disk.partitions)
        out << " " << partition.name << " " << partition.startMib << "+" << partition.sizeMib;
    return out.str();
}

}  // namespace

TEST_CASE("the 2 GiB A/B plan is upstream's default layout", "[image]") {
    ImagePlan plan = planImage(layout(2, 1, PartitionPlan::Split), true, Arch::X86_64);
    // twoliter-inventory.md §5.3, the sgdisk dump in twoliter#670.
    CHECK(describe(plan.os) ==
          "os 2048: BIOS 1+4 EFI-A 5+5 BOOT-A 10+40 ROOT-A 50+920 HASH-A 970+10 "
          "RESERVED-A 980+25 EFI-B 1005+5 BOOT-B 1010+40 ROOT-B 1050+920 HASH-B 1970+10 "
          "RESERVED-B 1980+25 PRIVATE 2005+41 DATA-A 2046+1");
    REQUIRE(plan.data);
    CHECK(describe(*plan.data) == "data 1024: DATA-B 1+1022");
    CHECK(plan.biosBootCode);
}

TEST_CASE("the 4 GiB A/B plan scales the banks and PRIVATE", "[image]") {
    ImagePlan plan = planImage(layout(4, 1, PartitionPlan::Split), true, Arch::X86_64);
    CHECK(describe(plan.os) ==
          "os 4096: BIOS 1+4 EFI-A 5+5 BOOT-A 10+80 ROOT-A 90+1840 HASH-A 1930+20 "
          "RESERVED-A 1950+55 EFI-B 2005+5 BOOT-B 2010+80 ROOT-B 2090+1840 HASH-B 3930+20 "
          "RESERVED-B 3950+55 PRIVATE 4005+89 DATA-A 4094+1");
}

TEST_CASE("without in-place updates one bank has twice the sizes", "[image]") {
    ImagePlan two = planImage(layout(2, 1, PartitionPlan::Split), false, Arch::X86_64);
    CHECK(describe(two.os) ==
          "os 2048: BIOS 1+4 EFI-A 5+10 BOOT-A 15+80 ROOT-A 95+1840 HASH-A 1935+20 "
          "RESERVED-A 1955+50 PRIVATE 2005+41 DATA-A 2046+1");
    ImagePlan four = planImage(layout(4, 1, PartitionPlan::Split), false, Arch::X86_64);
    CHECK(describe(four.os) ==
          "os 4096: BIOS 1+4 EFI-A 5+10 BOOT-A 15+160 ROOT-A 175+3680 HASH-A 3855+40 "
          "RESERVED-A 3895+110 PRIVATE 4005+89 DATA-A 4094+1");
}

TEST_CASE("the unified plan puts the data partition on the OS image", "[image]") {
    ImagePlan plan = planImage(layout(2, 3, PartitionPlan::Unified), true, Arch::X86_64);
    CHECK_FALSE(plan.data);
    CHECK(plan.os.sizeMib == 5 * 1024);
    const PlannedPartition& data = plan.os.partition("DATA-A");
    CHECK(data.startMib == 2046);
    CHECK(data.sizeMib == 3072);
    // As upstream: the MiB split gives DATA-A stays unused, then the backup GPT.
    CHECK(data.endMib() + 2 == plan.os.sizeMib);
    CHECK(formatGuid(*data.fixedGuid) == "5b94e8df-28b8-485c-9d19-362263b5944c");

    ImagePlan single = planImage(layout(4, 1, PartitionPlan::Unified), false, Arch::X86_64);
    CHECK(describe(single.os) ==
          "os 5120: BIOS 1+4 EFI-A 5+10 BOOT-A 15+160 ROOT-A 175+3680 HASH-A 3855+40 "
          "RESERVED-A 3895+110 PRIVATE 4005+89 DATA-A 4094+1024");
}

TEST_CASE("labels, types, attributes and fixed GUIDs are upstream's", "[image]") {
    ImagePlan plan = planImage(layout(2, 1, PartitionPlan::Split), true, Arch::X86_64);
    std::ostringstream labels;
    for (const auto& partition : plan.os.partitions)
        labels << "[" << partition.label << "]";
    CHECK(labels.str() ==
          "[BIOS-BOOT][EFI-SYSTEM][BOTTLEROCKET-BOOT-A][BOTTLEROCKET-ROOT-A]"
          "[BOTTLEROCKET-HASH-A][BOTTLEROCKET-RESERVED-A][EFI-BACKUP][BOTTLEROCKET-BOOT-B]"
          "[BOTTLEROCKET-ROOT-B][BOTTLEROCKET-HASH-B][BOTTLEROCKET-RESERVED-B]"
          "[BOTTLEROCKET-PRIVATE][]");
    CHECK(formatGuid(plan.os.partition("BIOS").type) == "21686148-6449-6e6f-744e-656564454649");
    CHECK(formatGuid(plan.os.partition("EFI-B").type) == "b39ce39c-0a00-b4ab-2d11-f18f8237a21c");
    CHECK(formatGuid(plan.os.partition("BOOT-B").type) == "6b636168-7420-6568-2070-6c616e657421");
    CHECK(formatGuid(plan.os.partition("PRIVATE").type) == "440408bb-eb0b-4328-a6e5-a29038fad706");
    CHECK(plan.os.partition("BOOT-A").attributes == 0x0101000000000000);
    CHECK(plan.os.partition("BOOT-B").attributes == 0);
    CHECK(plan.os.partition("ROOT-A").attributes == 0);
    // Split: DATA-B on the data image is preferred, DATA-A the fallback.
    CHECK(formatGuid(*plan.os.partition("DATA-A").fixedGuid) ==
          "69040874-417d-4e26-a764-7885f22007ea");
    CHECK(formatGuid(*plan.data->partition("DATA-B").fixedGuid) ==
          "5b94e8df-28b8-485c-9d19-362263b5944c");
    CHECK(formatGuid(plan.data->partition("DATA-B").type) ==
          "626f7474-6c65-6474-6861-726d61726b73");
    CHECK_FALSE(plan.os.partition("ROOT-A").fixedGuid);
    CHECK(plan.os.find("DATA-B") == nullptr);
}

TEST_CASE("aarch64 keeps the BIOS partition but gets no BIOS boot code", "[image]") {
    ImagePlan x86 = planImage(layout(2, 1, PartitionPlan::Split), true, Arch::X86_64);
    ImagePlan arm = planImage(layout(2, 1, PartitionPlan::Split), true, Arch::Aarch64);
    CHECK(describe(arm.os) == describe(x86.os));
    CHECK(arm.os.partition("BIOS").label == "BIOS-BOOT");
    CHECK_FALSE(arm.biosBootCode);
}

TEST_CASE("image sizes outside 1-65535 GiB are errors at the layout", "[image]") {
    Location where{"variants/dev/Cargo.toml", 12, "package.metadata.build-variant.image-layout"};
    CHECK(testing::errorText(
              [&] { planImage(layout(0, 1, PartitionPlan::Split), true, Arch::X86_64, where); }) ==
          "variants/dev/Cargo.toml:12: "
          "package.metadata.build-variant.image-layout.os-image-size-gib: image size must "
          "be between 1 and 65535 GiB, found 0");
    CHECK_THROWS_AS(planImage(layout(2, 70000, PartitionPlan::Unified), true, Arch::X86_64), Error);
    CHECK(testing::errorText([&] {
              planImage(layout(2, 1, PartitionPlan::Split), true, Arch::X86_64)
                  .os.partition("DATA-B");
          }) == "the os image has no partition DATA-B");
}
