#include "image/grub_config.h"

#include "util/strings.h"

namespace twoliter {

namespace {

// Builds the text one template line at a time.
class Lines {
  public:
    Lines& operator<<(const std::string& line) {
        text_ += line;
        text_ += '\n';
        return *this;
    }
    std::string text() const { return text_; }

  private:
    std::string text_;
};

}  // namespace

std::string renderGrubConfig(const GrubConfigInputs& inputs) {
    // The values upstream substitutes into its template; an unused one leaves
    // its line with only the indentation (and the continuation).
    const std::string bootconfig = inputs.grubSetPrivateVar ? "bootconfig" : "";
    std::string initrd;
    if (!inputs.initramfs.empty())
        initrd += " ($root)" + inputs.initramfs;
    if (inputs.grubSetPrivateVar)
        initrd += " ($private)/bootconfig.data";
    if (!initrd.empty())
        initrd = "initrd" + initrd;
    const std::string fallback = inputs.uefiSecureBoot ? "   echo \"rebooting in 30 seconds...\"\n"
                                                         "   sleep 30\n"
                                                         "   reboot\n"
                                                       : "";
    Lines config;
    if (inputs.uefiSecureBoot)
        config << "set superusers=\"\""
               << "set check_signatures=\"no\"";
    config << "set default=\"0\""
           << "set timeout=\"0\""
           << "set dm_verity_root=\"" + inputs.dmVerityTable + "\""
           << "";
    config << "menuentry \"" + inputs.prettyName + " " + inputs.versionId + "\" --unrestricted {";
    config << "   linux ($root)/vmlinuz \\"
           << "       " + joinStrings(inputs.kernelParameters, " ") + " \\"
           << "       " + bootconfig + " \\"
           << "       root=/dev/dm-0 rootwait ro \\"
           << "       raid=noautodetect \\"
           << "       random.trust_cpu=on \\"
           << "       selinux=1 enforcing=1 \\"
           << "       dm-mod.create=\"$dm_verity_root\" \\"
           << "       -- \\"
           << "       systemd.log_target=journal-or-kmsg \\"
           << "       systemd.log_color=0 \\"
           << "       systemd.show_status=true";
    config << "   " + initrd << "   boot"
           << "   " + fallback << "}";
    return config.text();
}

}  // namespace twoliter
