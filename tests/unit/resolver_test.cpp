// Resolver cases in the spirit of libsolv's testcases: a few packages, a job,
// the expected result. Everything in memory.
#include <catch2/catch.hpp>

#include <algorithm>

#include "solve/resolver.h"

using namespace twoliter;

namespace {

const std::string kPrefix = "bottlerocket-";

BinaryPackage binary(const std::string& name, std::vector<std::string> requires = {},
                     std::vector<std::string> provides = {},
                     std::vector<std::string> conflicts = {}) {
    BinaryPackage package;
    package.name = kPrefix + name;
    package.version = "1.0";
    package.release = "1";
    package.arch = "x86_64";
    package.producesRpm = true;
    for (const auto& text : requires)
        package.runtimeRequires.push_back({text, 0, ""});
    for (const auto& text : provides)
        package.provides.push_back({text, 0, ""});
    for (const auto& text : conflicts)
        package.conflicts.push_back({text, 0, ""});
    return package;
}

PackageSpec spec(const std::string& name, std::vector<BinaryPackage> binaries,
                 std::vector<std::string> buildRequires = {}) {
    PackageSpec parsed;
    parsed.specPath = name + ".spec";
    parsed.name = kPrefix + name;
    parsed.version = "1.0";
    parsed.release = "1";
    parsed.binaries = std::move(binaries);
    for (const auto& text : buildRequires)
        parsed.buildRequires.push_back({text, 0, ""});
    return parsed;
}

VariantManifest variant(const std::string& name, std::vector<std::string> included,
                        std::set<std::string> features = {"in-place-updates", "host-containers"}) {
    VariantManifest manifest;
    manifest.name = name;
    manifest.includedPackages = std::move(included);
    manifest.enabledFeatures = std::move(features);
    return manifest;
}

std::vector<std::string> names(const std::vector<ResolvedPackage>& packages) {
    std::vector<std::string> result;
    for (const auto& package : packages)
        result.push_back(package.name.substr(kPrefix.size()));
    return result;
}

bool contains(const std::vector<std::string>& list, const std::string& item) {
    return std::find(list.begin(), list.end(), item) != list.end();
}

// glibc (+devel), containerd with a FIPS split, os selecting by variant.
std::vector<PackageSpec> sampleSpecs() {
    return {
        spec("glibc", {binary("glibc"), binary("glibc-devel", {kPrefix + "glibc"})}),
        spec(
            "containerd",
            {binary("containerd", {kPrefix + "containerd(binaries)"}),
             binary("containerd-bin",
                    {"(" + kPrefix + "image-feature(no-fips) and " + kPrefix + "containerd)"},
                    {kPrefix + "containerd(binaries)"},
                    {"(" + kPrefix + "image-feature(fips) or " + kPrefix + "containerd-fips-bin)"}),
             binary("containerd-fips-bin",
                    {"(" + kPrefix + "image-feature(fips) and " + kPrefix + "containerd)"},
                    {kPrefix + "containerd(binaries)"},
                    {"(" + kPrefix + "image-feature(no-fips) or " + kPrefix + "containerd-bin)"})},
            {kPrefix + "glibc-devel", "gcc"}),
        spec("ecs-agent", {binary("ecs-agent")}, {kPrefix + "glibc-devel"}),
        spec("os",
             {binary("os", {"(" + kPrefix + "ecs-agent if " + kPrefix + "variant-family(aws-ecs))",
                            "(" + kPrefix + "containerd if " + kPrefix + "variant-runtime(k8s))"})},
             {kPrefix + "glibc-devel"}),
    };
}

}  // namespace

TEST_CASE("build roots are the closure of BuildRequires, and SDK provides need no package") {
    Resolver resolver(Arch::X86_64, kPrefix);
    resolver.addLocalSpecs(sampleSpecs());
    resolver.addSdkProvides({"gcc", "make"});
    CHECK(names(resolver.resolveBuildRoot(1)) == std::vector<std::string>{"glibc", "glibc-devel"});
    CHECK(names(resolver.resolveBuildRoot(0)).empty());
}

TEST_CASE("unsatisfiable BuildRequires name the capability") {
    Resolver resolver(Arch::X86_64, kPrefix);
    resolver.addLocalSpecs(sampleSpecs());  // gcc is not provided by anything
    CHECK_THROWS_WITH(resolver.resolveBuildRoot(1),
                      Catch::Contains("nothing provides requested gcc"));
}

TEST_CASE("conditional requires follow the variant's metadata provides") {
    Resolver resolver(Arch::X86_64, kPrefix);
    resolver.addLocalSpecs(sampleSpecs());
    auto ecs = variant("aws-ecs-2", {"os"});
    auto k8s = variant("aws-k8s-1.31", {"os"});
    resolver.addVariant(ecs);
    resolver.addVariant(k8s);
    auto ecsImage = names(resolver.resolveVariant(ecs));
    CHECK(contains(ecsImage, "ecs-agent"));
    CHECK_FALSE(contains(ecsImage, "containerd"));
    CHECK(contains(ecsImage, "metadata"));
    auto k8sImage = names(resolver.resolveVariant(k8s));
    CHECK(contains(k8sImage, "containerd"));
    CHECK(contains(k8sImage, "containerd-bin"));
    CHECK_FALSE(contains(k8sImage, "containerd-fips-bin"));
    CHECK_FALSE(contains(k8sImage, "ecs-agent"));
}

TEST_CASE("image features switch the FIPS binaries") {
    Resolver resolver(Arch::X86_64, kPrefix);
    resolver.addLocalSpecs(sampleSpecs());
    auto fips = variant("aws-k8s-1.31", {"os"}, {"fips", "in-place-updates"});
    auto image = names(resolver.resolveVariant(fips));
    CHECK(contains(image, "containerd-fips-bin"));
    CHECK_FALSE(contains(image, "containerd-bin"));
}

TEST_CASE("a variant naming a package nobody provides is refused") {
    Resolver resolver(Arch::X86_64, kPrefix);
    resolver.addLocalSpecs(sampleSpecs());
    CHECK_THROWS_WITH(resolver.resolveVariant(variant("metal-dev", {"os", "kubelet"})),
                      "variant includes 'kubelet' but no package provides bottlerocket-kubelet");
}

TEST_CASE("local packages take priority over kits, earlier kits over later ones") {
    Resolver resolver(Arch::X86_64, kPrefix);
    resolver.addLocalSpecs({spec("os", {binary("os", {kPrefix + "runc", kPrefix + "login"})})});
    resolver.addKitSpecs("core-kit",
                         {spec("runc", {binary("runc")}), spec("login", {binary("login")})});
    resolver.addKitSpecs("extra-kit",
                         {spec("runc", {binary("runc")}), spec("login2", {binary("login")})});
    auto image = resolver.resolveVariant(variant("metal-dev", {"os"}));
    for (const auto& package : image) {
        if (package.name == kPrefix + "runc" || package.name == kPrefix + "login") {
            CHECK(package.repository == "core-kit");
        }
        if (package.name == kPrefix + "os")
            CHECK(package.origin == PackageOrigin::Local);
    }
    Resolver overriding(Arch::X86_64, kPrefix);
    overriding.addLocalSpecs({spec("runc", {binary("runc")})});
    overriding.addKitSpecs("core-kit", {spec("runc", {binary("runc")})});
    auto chosen = overriding.resolveVariant(variant("metal-dev", {"runc"}));
    REQUIRE(chosen.size() == 2);  // metadata + runc
    CHECK(chosen[1].origin == PackageOrigin::Local);
}

TEST_CASE("explain gives the shortest chain of Requires") {
    Resolver resolver(Arch::X86_64, kPrefix);
    resolver.addLocalSpecs(sampleSpecs());
    auto ecs = variant("aws-ecs-2", {"os"});
    auto path = resolver.explain(ecs, "ecs-agent");
    REQUIRE(path.size() == 2);
    CHECK(path[0].from == "variant aws-ecs-2");
    CHECK(path[0].to == kPrefix + "os");
    CHECK(path[1].from == kPrefix + "os");
    CHECK(path[1].to == kPrefix + "ecs-agent");
    CHECK(path[1].dependency.find("variant-family(aws-ecs)") != std::string::npos);
    CHECK_THROWS_WITH(resolver.explain(ecs, "containerd"),
                      "package 'containerd' is not part of variant aws-ecs-2");
}

TEST_CASE("arch-specific and noarch packages resolve on their arch only") {
    Resolver resolver(Arch::Aarch64, kPrefix);
    auto arm = binary("firmware");
    arm.arch = "noarch";
    auto x86 = binary("microcode");  // x86_64 only
    resolver.addLocalSpecs({spec("firmware", {arm}), spec("microcode", {x86})});
    CHECK(resolver.resolveVariant(variant("metal-dev", {"firmware"})).size() == 2);
    CHECK_THROWS(resolver.resolveVariant(variant("metal-dev", {"microcode"})));
}

TEST_CASE("a failed variant names the deepest unsatisfiable requirement") {
    Resolver resolver(Arch::X86_64, kPrefix);
    resolver.addLocalSpecs(
        {spec("release", {binary("release", {kPrefix + "early-boot-config"})}),
         spec("early-boot-config",
              {binary("early-boot-config", {"(" + kPrefix + "early-boot-config-metal if " +
                                            kPrefix + "variant-platform(metal))"})})});
    CHECK_THROWS_WITH(resolver.resolveVariant(variant("metal-dev", {"release"})),
                      Catch::Contains("early-boot-config-metal"));
}
