#include "image/ova.h"

#include <sys/mman.h>

#include <cctype>
#include <cerrno>
#include <cstring>

#include "image/image_file.h"
#include "sdk/tar.h"
#include "util/digest.h"
#include "util/error.h"

namespace twoliter {

namespace {

constexpr const char* kDataDiskField = "{{DATA_DISK}}";
constexpr const char* kDbCertField = "{{DB_CERT_DER_HEX}}";

void replaceAll(std::string& text, const std::string& field, const std::string& value) {
    for (size_t at = text.find(field); at != std::string::npos;
         at = text.find(field, at + value.size()))
        text.replace(at, field.size(), value);
}

std::string hexOf(const std::string& bytes) {
    static const char* digits = "0123456789abcdef";
    std::string hex;
    hex.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        hex += digits[c >> 4];
        hex += digits[c & 15];
    }
    return hex;
}

// upstream's sanity_checks for an OVF template.
void checkTemplate(const std::string& templatePath, const std::string& text,
                   const OvfInputs& inputs, PartitionPlan plan) {
    bool hasDataDisk = text.find(kDataDiskField) != std::string::npos;
    if (plan == PartitionPlan::Split && !hasDataDisk)
        throw Error("the OVF template has no {{DATA_DISK}}, which the split partition plan needs",
                    {templatePath});
    if (plan == PartitionPlan::Unified && hasDataDisk)
        throw Error(
            "the OVF template has a {{DATA_DISK}}, which the unified partition plan has "
            "no disk for",
            {templatePath});
    if (inputs.secureBoot && text.find(kDbCertField) == std::string::npos)
        throw Error("the OVF template has no {{DB_CERT_DER_HEX}}, which Secure Boot needs",
                    {templatePath});
}

// The first field ("{{NAME}}", NAME of A-Z, 0-9 and _) left in text, ""
// when none. Upstream rejects any "{{" or "}}"; text such as the sample
// template's comment "{{...}}" is not a field and may stay.
std::string leftoverField(const std::string& text) {
    for (size_t open = text.find("{{"); open != std::string::npos;
         open = text.find("{{", open + 2)) {
        size_t end = open + 2;
        while (end < text.size() &&
               (std::isupper(static_cast<unsigned char>(text[end])) ||
                std::isdigit(static_cast<unsigned char>(text[end])) || text[end] == '_'))
            ++end;
        if (end > open + 2 && text.compare(end, 2, "}}") == 0)
            return text.substr(open, end + 2 - open);
    }
    return "";
}

std::string baseName(const std::string& path) {
    return path.substr(path.rfind('/') + 1);
}

// A file mapped read-only, so the tar writer can take its bytes as one view.
class MappedFile {
  public:
    explicit MappedFile(const std::string& path) : file_(ImageFile::openForReading(path)) {
        size_ = file_.size();
        if (size_ == 0)
            return;
        data_ = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, file_.descriptor(), 0);
        if (data_ == MAP_FAILED)
            throw Error(std::string("cannot map file: ") + std::strerror(errno), {path});
        ::madvise(data_, size_, MADV_SEQUENTIAL);
    }
    ~MappedFile() {
        if (size_ != 0)
            ::munmap(data_, size_);
    }
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;
    std::string_view bytes() const {
        return size_ == 0 ? std::string_view() : std::string_view(static_cast<char*>(data_), size_);
    }

  private:
    ImageFile file_;
    uint64_t size_ = 0;
    void* data_ = nullptr;
};

TarEntry member(const std::string& name, int64_t mtime) {
    TarEntry entry;
    entry.path = name;
    entry.mode = 0644;
    entry.mtime = mtime;
    return entry;
}

}  // namespace

std::string renderOvf(const std::string& templatePath, const std::string& templateText,
                      const OvfInputs& inputs, PartitionPlan plan) {
    checkTemplate(templatePath, templateText, inputs, plan);
    std::string text = templateText;
    replaceAll(text, "{{OS_DISK}}", inputs.osDisk);
    replaceAll(text, kDataDiskField, inputs.dataDisk);
    replaceAll(text, "{{OS_DISK_BYTES}}", std::to_string(inputs.osDiskBytes));
    replaceAll(text, "{{DATA_DISK_BYTES}}", std::to_string(inputs.dataDiskBytes));
    if (inputs.secureBoot) {
        replaceAll(text, "{{PK_CERT_DER_HEX}}", hexOf(inputs.secureBoot->pkDer));
        replaceAll(text, "{{KEK_CERT_DER_HEX}}", hexOf(inputs.secureBoot->kekDer));
        replaceAll(text, kDbCertField, hexOf(inputs.secureBoot->dbDer));
        replaceAll(text, "{{DBX_EMPTY_HASH_HEX}}", sha256Hex(""));
    }
    std::string left = leftoverField(text);
    if (left.empty())
        return text;
    bool secureBootField = left.find("_HEX}}") != std::string::npos;
    throw Error("the OVF template is not fully rendered: " + left + " is left", {templatePath},
                secureBootField && !inputs.secureBoot
                    ? "its Secure Boot fields are filled only for a variant with uefi-secure-boot"
                    : "");
}

std::string ovaManifest(const std::string& prefix, const std::string& ovfText,
                        const std::vector<std::string>& vmdkPaths) {
    std::string manifest;
    for (const auto& path : vmdkPaths)
        manifest += "SHA256(" + baseName(path) + ")= " + sha256FileHex(path) + "\n";
    manifest += "SHA256(" + prefix + ".ovf)= " + sha256Hex(ovfText) + "\n";
    return manifest;
}

void writeOva(const std::string& prefix, const std::string& ovfText,
              const std::vector<std::string>& vmdkPaths, const std::string& output, int64_t mtime) {
    std::string manifest = ovaManifest(prefix, ovfText, vmdkPaths);
    PendingFile pending(output);
    TarWriter tar([&](std::string_view bytes) { pending.append(bytes.data(), bytes.size()); });
    tar.add(member(prefix + ".ovf", mtime), ovfText);
    tar.add(member(prefix + ".mf", mtime), manifest);
    for (const auto& path : vmdkPaths) {
        MappedFile vmdk(path);
        tar.add(member(baseName(path), mtime), vmdk.bytes());
    }
    tar.finish();
    pending.commit();
}

}  // namespace twoliter
