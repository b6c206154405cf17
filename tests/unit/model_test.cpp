#include <catch2/catch.hpp>

#include "project/model.h"

using namespace twoliter;

TEST_CASE("variant names split as upstream splits them") {
    VariantName k8s = parseVariantName("aws-k8s-1.31-nvidia");
    CHECK(k8s.platform == "aws");
    CHECK(k8s.runtime == "k8s");
    CHECK(k8s.version == "1.31");
    CHECK(k8s.flavor == "nvidia");
    CHECK(k8s.family() == "aws-k8s");
    VariantName dev = parseVariantName("metal-dev");
    CHECK(dev.family() == "metal-dev");
    CHECK(dev.version == "0");
    CHECK(dev.flavor == "none");
    CHECK_THROWS_AS(parseVariantName("metal"), Error);
    CHECK_THROWS_AS(parseVariantName("a-b-c-d-e"), Error);
    CHECK_THROWS_AS(parseVariantName("aws--k8s"), Error);
}

TEST_CASE("architectures") {
    CHECK(parseArch("x86_64") == Arch::X86_64);
    CHECK(parseArch("aarch64") == Arch::Aarch64);
    CHECK_THROWS_WITH(parseArch("riscv64"), "unknown architecture 'riscv64'");
    CHECK(std::string(archName(Arch::Aarch64)) == "aarch64");
}

TEST_CASE("external file names default to the URL's last segment") {
    ExternalFile file;
    file.url = "https://example.invalid/a/b/libz-1.3.tar.gz";
    CHECK(file.fileName() == "libz-1.3.tar.gz");
    file.path = "renamed.tar.gz";
    CHECK(file.fileName() == "renamed.tar.gz");
}
