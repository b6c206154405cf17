#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "project/model.h"

namespace twoliter {

// The Secure Boot certificates an OVF carries (UEFI PK, KEK and db), DER.
struct SecureBootCertificates {
    std::string pkDer;
    std::string kekDer;
    std::string dbDer;
};

// What an OVF template's {{...}} fields are replaced with.
struct OvfInputs {
    std::string osDisk;    // file name of the OS vmdk inside the OVA
    std::string dataDisk;  // file name of the data vmdk (used by split templates)
    // Disk capacities: upstream passes the publish sizes (GiB) times 2^30.
    uint64_t osDiskBytes = 0;
    uint64_t dataDiskBytes = 0;
    // Given when the variant has the uefi-secure-boot image feature.
    std::optional<SecureBootCertificates> secureBoot;
};

// The OVF descriptor rendered from a variant's template.ovf as upstream's
// generate_ova does: {{OS_DISK}}, {{DATA_DISK}}, {{OS_DISK_BYTES}} and
// {{DATA_DISK_BYTES}} replaced everywhere; with Secure Boot also
// {{PK_CERT_DER_HEX}}, {{KEK_CERT_DER_HEX}}, {{DB_CERT_DER_HEX}} (lowercase
// hex of the DER bytes) and {{DBX_EMPTY_HASH_HEX}} (SHA-256 of nothing).
// Throws Error naming templatePath when the split plan's template has no
// {{DATA_DISK}}, the unified plan's has one, Secure Boot is given but the
// template has no {{DB_CERT_DER_HEX}}, or a field ({{NAME}}, NAME of A-Z,
// 0-9 and _) is left, e.g. Secure Boot fields without certificates. Unlike
// upstream, a "{{" that is not a field (the sample template's comment says
// "{{...}}") is not an error.
std::string renderOvf(const std::string& templatePath, const std::string& templateText,
                      const OvfInputs& inputs, PartitionPlan plan);

// The OVA's manifest (<prefix>.mf) as upstream writes it: one
// "SHA256(<name>)= <hex>" line per vmdk (by file name, in the order given),
// then one for <prefix>.ovf.
std::string ovaManifest(const std::string& prefix, const std::string& ovfText,
                        const std::vector<std::string>& vmdkPaths);

// Writes the OVA at output (temporary name, then renamed): a tar holding
// <prefix>.ovf first, <prefix>.mf second, then each vmdk under its file name
// in the order given (the OVF spec's order: as the References list them;
// upstream: OS disk, then data disk). Members are regular files, mode 0644,
// owner 0:0, modification time mtime; the same inputs give the same bytes.
// Throws Error naming a vmdk that cannot be read or the output.
void writeOva(const std::string& prefix, const std::string& ovfText,
              const std::vector<std::string>& vmdkPaths, const std::string& output, int64_t mtime);

}  // namespace twoliter
