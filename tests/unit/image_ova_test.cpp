// OVA and artifact names: the sample's vmware template rendered, OVAs read
// back with tar and sha256sum, artifact names and friendly links as
// upstream's imghelper makes them.
#include <catch2/catch.hpp>

#include <filesystem>

#include "image/artifacts.h"
#include "image/ova.h"
#include "support/error_text.h"
#include "support/temp_tree.h"
#include "support/test_packages.h"
#include "util/digest.h"
#include "util/files.h"
#include "util/strings.h"

using namespace twoliter;
using twoliter::testing::outputOrFail;
using twoliter::testing::runOrFail;
using twoliter::testing::TempDir;
using twoliter::testing::writeTreeFile;

namespace fs = std::filesystem;

namespace {

constexpr int64_t kEpoch = 1700000000;  // 2023-11-14T22:13:20Z
const std::string kPrefix = "bottlerocket-vmware-k8s-1.31-x86_64-1.0.0-abcdef12";
const std::string kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::string sampleTemplatePath() {
    return testing::sourceDir() + "/variants/vmware-k8s-1.31/template.ovf";
}

// Real DER certificates made by openssl, and their hex as upstream's
// hexdump prints it (here with od).
struct Certificates {
    SecureBootCertificates der;
    std::string pkHex, kekHex, dbHex;
    explicit Certificates(const std::string& dir) {
        for (const auto& name : {"PK", "KEK", "db"}) {
            runOrFail(
                "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
                "-subj /CN=" +
                std::string(name) + " -days 1 -outform DER -keyout " + dir + "/" + name +
                ".key -out " + dir + "/" + name + ".cer");
        }
        der = {readFile(dir + "/PK.cer"), readFile(dir + "/KEK.cer"), readFile(dir + "/db.cer")};
        auto hex = [&](const std::string& name) {
            return outputOrFail("od -An -tx1 -v " + dir + "/" + name + ".cer | tr -d ' \\n'");
        };
        pkHex = hex("PK");
        kekHex = hex("KEK");
        dbHex = hex("db");
    }
};

OvfInputs inputs() {
    OvfInputs inputs;
    inputs.osDisk = kPrefix + ".vmdk";
    inputs.dataDisk = kPrefix + "-data.vmdk";
    inputs.osDiskBytes = uint64_t(2) << 30;
    inputs.dataDiskBytes = uint64_t(20) << 30;
    return inputs;
}

// The sample template with a second disk, as a split variant's would be.
std::string splitTemplate() {
    std::string text = readFile(sampleTemplatePath());
    std::string file = "<File ovf:id=\"os-disk-file\" ovf:href=\"{{OS_DISK}}\"/>";
    size_t at = text.find(file);
    REQUIRE(at != std::string::npos);
    text.insert(at + file.size(),
                "\n    <File ovf:id=\"data-disk-file\" ovf:href=\"{{DATA_DISK}}\"/>"
                "\n    <!-- data disk of {{DATA_DISK_BYTES}} bytes -->");
    return text;
}

ImageIdentity vmwareIdentity() {
    ImageIdentity identity;
    identity.variant = "vmware-k8s-1.31";
    identity.versionId = "1.0.0";
    identity.buildId = "abcdef12";
    return identity;
}

std::vector<std::string> fileNames(const std::vector<Artifact>& artifacts) {
    std::vector<std::string> names;
    for (const auto& artifact : artifacts)
        names.push_back(artifact.fileName);
    return names;
}

}  // namespace

TEST_CASE("the sample's vmware template renders with Secure Boot certificates", "[image-ova]") {
    TempDir dir;
    Certificates certificates(dir.path());
    OvfInputs given = inputs();
    given.secureBoot = certificates.der;
    std::string ovf = renderOvf(sampleTemplatePath(), readFile(sampleTemplatePath()), given,
                                PartitionPlan::Unified);
    // Only the template's comment still says "{{...}}".
    size_t comment = ovf.find("-->");
    CHECK(ovf.find("{{", comment) == std::string::npos);
    CHECK(ovf.find("}}", comment) == std::string::npos);
    CHECK_THAT(ovf, Catch::Contains("ovf:href=\"" + kPrefix + ".vmdk\""));
    CHECK_THAT(ovf, Catch::Contains("ovf:capacity=\"2147483648\""));
    CHECK_THAT(ovf, Catch::Contains("PKDefault.value0\" vmw:value=\"" + certificates.pkHex + "\""));
    CHECK_THAT(ovf,
               Catch::Contains("KEKDefault.value0\" vmw:value=\"" + certificates.kekHex + "\""));
    CHECK_THAT(ovf, Catch::Contains("dbDefault.value0\" vmw:value=\"" + certificates.dbHex + "\""));
    CHECK_THAT(ovf, Catch::Contains("dbxDefault.value0\" vmw:value=\"" + kEmptySha256 + "\""));
    // Byte for byte what upstream's generate_ova makes with sed.
    CHECK(ovf == outputOrFail("sed -e 's/{{OS_DISK}}/" + kPrefix + ".vmdk/g' -e 's/{{DATA_DISK}}/" +
                              kPrefix + "-data.vmdk/g' -e 's/{{OS_DISK_BYTES}}/2147483648/g'" +
                              " -e 's/{{DATA_DISK_BYTES}}/21474836480/g' " + sampleTemplatePath() +
                              " | sed -e 's/{{PK_CERT_DER_HEX}}/" + certificates.pkHex +
                              "/g' -e 's/{{KEK_CERT_DER_HEX}}/" + certificates.kekHex +
                              "/g' -e 's/{{DB_CERT_DER_HEX}}/" + certificates.dbHex +
                              "/g' -e 's/{{DBX_EMPTY_HASH_HEX}}/" + kEmptySha256 + "/g'"));
    writeTreeFile(dir.path(), "rendered.ovf", ovf);
    runOrFail("python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' " +
              dir.path() + "/rendered.ovf");
}

TEST_CASE("OVF templates are checked against the plan and Secure Boot", "[image-ova]") {
    TempDir dir;
    const std::string path = sampleTemplatePath();
    const std::string unified = readFile(path);
    SECTION("Secure Boot fields without certificates") {
        CHECK(testing::errorText([&] {
                  renderOvf(path, unified, inputs(), PartitionPlan::Unified);
              }) == path +
                        ": the OVF template is not fully rendered: {{PK_CERT_DER_HEX}} is left "
                        "(hint: its Secure Boot fields are filled only for a variant with "
                        "uefi-secure-boot)");
    }
    SECTION("the split plan needs a data disk") {
        CHECK_THAT(
            testing::errorText([&] { renderOvf(path, unified, inputs(), PartitionPlan::Split); }),
            Catch::StartsWith(path + ": the OVF template has no {{DATA_DISK}}"));
    }
    SECTION("the unified plan has no data disk") {
        CHECK_THAT(testing::errorText(
                       [&] { renderOvf(path, splitTemplate(), inputs(), PartitionPlan::Unified); }),
                   Catch::StartsWith(path + ": the OVF template has a {{DATA_DISK}}"));
    }
    SECTION("Secure Boot needs the db certificate's field") {
        OvfInputs given = inputs();
        given.secureBoot = SecureBootCertificates{"a", "b", "c"};
        CHECK_THAT(testing::errorText([&] {
                       renderOvf(path, "<Envelope>{{OS_DISK}}</Envelope>", given,
                                 PartitionPlan::Unified);
                   }),
                   Catch::StartsWith(path + ": the OVF template has no {{DB_CERT_DER_HEX}}"));
    }
    SECTION("a split template renders both disks") {
        std::string text = splitTemplate();
        std::string left = text.substr(0, text.find("{{PK_CERT"));  // before the SB fields
        std::string ovf = renderOvf(path, left, inputs(), PartitionPlan::Split);
        CHECK_THAT(ovf, Catch::Contains("ovf:href=\"" + kPrefix + "-data.vmdk\""));
        CHECK_THAT(ovf, Catch::Contains("data disk of 21474836480 bytes"));
    }
}

TEST_CASE("an OVA holds the OVF, the manifest and the disks, in that order", "[image-ova]") {
    TempDir dir;
    const std::string d = dir.path();
    writeTreeFile(d, kPrefix + ".vmdk", std::string(3 << 20, 'o') + "os");
    writeTreeFile(d, kPrefix + "-data.vmdk", "data disk");
    std::vector<std::string> vmdks = {d + "/" + kPrefix + ".vmdk",
                                      d + "/" + kPrefix + "-data.vmdk"};
    const std::string ovf = "<Envelope/>\n";
    std::string ova = d + "/" + kPrefix + ".ova";
    writeOva(kPrefix, ovf, vmdks, ova, kEpoch);

    CHECK(outputOrFail("tar -tf " + ova) ==
          kPrefix + ".ovf\n" + kPrefix + ".mf\n" + kPrefix + ".vmdk\n" + kPrefix + "-data.vmdk\n");
    CHECK_THAT(
        outputOrFail("TZ=UTC tar --numeric-owner -tvf " + ova),
        Catch::Contains("-rw-r--r-- 0/0              12 2023-11-14 22:13 " + kPrefix + ".ovf"));
    // Each manifest line is the checksum sha256sum gives the member.
    std::string manifest = outputOrFail("tar -xOf " + ova + " " + kPrefix + ".mf");
    std::vector<std::string> lines = splitString(manifest, '\n');
    REQUIRE(lines.size() == 4);  // three lines and the final newline
    const std::vector<std::string> order = {kPrefix + ".vmdk", kPrefix + "-data.vmdk",
                                            kPrefix + ".ovf"};
    for (size_t i = 0; i < order.size(); ++i) {
        std::string sum = outputOrFail("tar -xOf " + ova + " " + order[i] + " | sha256sum");
        CHECK(lines[i] == "SHA256(" + order[i] + ")= " + sum.substr(0, 64));
    }
    CHECK(outputOrFail("tar -xOf " + ova + " " + kPrefix + ".ovf") == ovf);

    std::string again = d + "/again.ova";
    writeOva(kPrefix, ovf, vmdks, again, kEpoch);
    CHECK(sha256FileHex(ova) == sha256FileHex(again));
}

TEST_CASE("an OVA with a missing disk is not written", "[image-ova]") {
    TempDir dir;
    std::string ova = dir.path() + "/x.ova";
    CHECK_THAT(testing::errorText([&] {
                   writeOva(kPrefix, "<Envelope/>", {dir.path() + "/missing.vmdk"}, ova, 0);
               }),
               Catch::StartsWith(dir.path() + "/missing.vmdk: "));
    CHECK(fs::is_empty(dir.path()));
}

TEST_CASE("artifact names follow upstream's imghelper", "[image-ova][image-artifacts]") {
    ImageIdentity identity = vmwareIdentity();
    CHECK(identity.variantDirectory() == "x86_64-vmware-k8s-1.31");
    CHECK(identity.versionDirectory() == "1.0.0-abcdef12");
    CHECK(fileNames(variantArtifacts(identity, ImageFormat::Vmdk, PartitionPlan::Unified,
                                     ImageCompression::Lz4)) ==
          std::vector<std::string>{kPrefix + ".vmdk", kPrefix + ".ova", kPrefix + "-boot.ext4.lz4",
                                   kPrefix + "-root.verity.lz4", kPrefix + "-root.ext4.lz4",
                                   "application-inventory.json"});
    identity.variant = "aws-k8s-1.31";
    identity.arch = Arch::Aarch64;
    const std::string prefix = "bottlerocket-aws-k8s-1.31-aarch64-1.0.0-abcdef12";
    CHECK(fileNames(variantArtifacts(identity, ImageFormat::Raw, PartitionPlan::Split,
                                     ImageCompression::Zstd)) ==
          std::vector<std::string>{prefix + ".img.zst", prefix + "-data.img.zst",
                                   prefix + "-boot.ext4.zst", prefix + "-root.verity.zst",
                                   prefix + "-root.ext4.zst", "application-inventory.json"});
    CHECK(fileNames(variantArtifacts(identity, ImageFormat::Qcow2, PartitionPlan::Split,
                                     ImageCompression::Lz4))[1] == prefix + "-data.qcow2");
}

TEST_CASE("friendly links point at the newest build's artifacts", "[image-ova][image-artifacts]") {
    TempDir dir;
    ImageIdentity identity = vmwareIdentity();
    const std::string variantDir = dir.path() + "/build/images/" + identity.variantDirectory();
    auto build = [&](const std::string& buildId) {
        identity.buildId = buildId;
        std::string folder = variantDir + "/" + identity.versionDirectory();
        auto artifacts = variantArtifacts(identity, ImageFormat::Vmdk, PartitionPlan::Unified,
                                          ImageCompression::Lz4);
        for (const auto& artifact : artifacts)
            writeTreeFile(folder, artifact.fileName, buildId);
        linkArtifacts(folder, identity, artifacts);
        linkLatest(variantDir, identity.versionDirectory());
        return folder;
    };
    build("11111111");
    std::string folder = build("22222222");
    const std::string links = "bottlerocket-vmware-k8s-1.31-x86_64";
    for (const auto& [link, target] : std::vector<std::pair<std::string, std::string>>{
             {links + ".ova", "-22222222.ova"},
             {links + "-1.0.0.ova", "-22222222.ova"},
             {links + "-v1.0.0.ova", "-22222222.ova"},
             {links + "-v1.0.0.vmdk", "-22222222.vmdk"},
             {links + "-boot.ext4.lz4", "-22222222-boot.ext4.lz4"},
             {links + "-1.0.0-root.verity.lz4", "-22222222-root.verity.lz4"},
             {links + "-v1.0.0-root.ext4.lz4", "-22222222-root.ext4.lz4"}}) {
        INFO(link);
        CHECK(fs::read_symlink(folder + "/" + link) == links + "-1.0.0" + target);
        CHECK(readFile(folder + "/" + link) == "22222222");
    }
    CHECK(fs::read_symlink(variantDir + "/latest") == "1.0.0-22222222");
    CHECK(readFile(variantDir + "/latest/application-inventory.json") == "22222222");
    for (const auto& entry : fs::recursive_directory_iterator(variantDir))
        CHECK(entry.path().filename().string().find(".tmp-") == std::string::npos);

    fs::remove(folder + "/" + links + "-1.0.0-22222222.ova");
    CHECK_THAT(testing::errorText([&] {
                   linkArtifacts(folder, identity,
                                 variantArtifacts(identity, ImageFormat::Vmdk,
                                                  PartitionPlan::Unified, ImageCompression::Lz4));
               }),
               Catch::StartsWith(folder + "/" + links +
                                 "-1.0.0-22222222.ova: the artifact to link to does not exist"));
}
