#include <catch2/catch.hpp>

#include "image/grub_config.h"

using namespace twoliter;

namespace {

GrubConfigInputs inputs() {
    GrubConfigInputs result;
    result.kernelParameters = {"console=tty0", "console=ttyS0,115200n8"};
    result.prettyName = "Bottlerocket OS 1.2.3 (aws-dev)";
    result.versionId = "1.2.3";
    result.dmVerityTable = "root,,,ro,0 8 verity 1 (table)";
    return result;
}

}  // namespace

TEST_CASE("grub.cfg with bootconfig and without Secure Boot", "[image]") {
    GrubConfigInputs config = inputs();
    config.grubSetPrivateVar = true;
    CHECK(renderGrubConfig(config) == R"cfg(set default="0"
set timeout="0"
set dm_verity_root="root,,,ro,0 8 verity 1 (table)"

menuentry "Bottlerocket OS 1.2.3 (aws-dev) 1.2.3" --unrestricted {
   linux ($root)/vmlinuz \
       console=tty0 console=ttyS0,115200n8 \
       bootconfig \
       root=/dev/dm-0 rootwait ro \
       raid=noautodetect \
       random.trust_cpu=on \
       selinux=1 enforcing=1 \
       dm-mod.create="$dm_verity_root" \
       -- \
       systemd.log_target=journal-or-kmsg \
       systemd.log_color=0 \
       systemd.show_status=true
   initrd ($private)/bootconfig.data
   boot
   
}
)cfg");
}

TEST_CASE("grub.cfg with Secure Boot and without bootconfig", "[image]") {
    GrubConfigInputs config = inputs();
    config.uefiSecureBoot = true;
    config.kernelParameters.clear();
    // Upstream's template keeps the lines of unset values (indentation only).
    CHECK(renderGrubConfig(config) == R"cfg(set superusers=""
set check_signatures="no"
set default="0"
set timeout="0"
set dm_verity_root="root,,,ro,0 8 verity 1 (table)"

menuentry "Bottlerocket OS 1.2.3 (aws-dev) 1.2.3" --unrestricted {
   linux ($root)/vmlinuz \
        \
        \
       root=/dev/dm-0 rootwait ro \
       raid=noautodetect \
       random.trust_cpu=on \
       selinux=1 enforcing=1 \
       dm-mod.create="$dm_verity_root" \
       -- \
       systemd.log_target=journal-or-kmsg \
       systemd.log_color=0 \
       systemd.show_status=true
   
   boot
      echo "rebooting in 30 seconds..."
   sleep 30
   reboot

}
)cfg");
}

TEST_CASE("grub.cfg loads an initramfs from BOOT before bootconfig.data", "[image]") {
    GrubConfigInputs config = inputs();
    config.initramfs = "/initramfs.img";
    CHECK_THAT(renderGrubConfig(config),
               Catch::Contains("\n   initrd ($root)/initramfs.img\n   boot\n"));
    config.grubSetPrivateVar = true;
    CHECK_THAT(renderGrubConfig(config),
               Catch::Contains("\n   initrd ($root)/initramfs.img ($private)/bootconfig.data\n"));
}
