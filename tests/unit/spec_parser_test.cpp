// Spec parsing through the real librpmbuild with the sample SDK's macros.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>

#include "spec/sdk.h"
#include "spec/spec_cache.h"
#include "spec/spec_parser.h"
#include "spec/variant_macros.h"
#include "support/temp_tree.h"
#include "util/files.h"

using namespace twoliter;
using twoliter::testing::TempDir;
using twoliter::testing::writeTreeFile;

namespace {

MacroContext sampleContext(Arch arch = Arch::X86_64) {
    MacroContext context;
    context.arch = arch;
    context.macroFiles = Sdk{testing::sampleSdk()}.macroFiles(arch);
    return context;
}

const char* kSpec = R"(%global gover 1.7.20
%global rpmver %{gover}
Name: %{_cross_os}containerd
Version: %{rpmver}
Release: 1%{?dist}
Epoch: 1
Summary: Container runtime
License: Apache-2.0
Source0: containerd-%{gover}.tar.gz
Source1: containerd.service
Patch0001: 0001-fix.patch
BuildRequires: gcc
BuildRequires: %{_cross_os}glibc-devel >= 2.36
Requires: %{name}(binaries)
Requires: (%{_cross_os}ecs-agent if %{_cross_os}variant-family(aws-ecs))

%description
%{summary}.

%package bin
Summary: Binaries
Provides: %{name}(binaries)
Requires: (%{_cross_os}image-feature(no-fips) and %{name})
Conflicts: (%{_cross_os}image-feature(fips) or %{name}-fips-bin)

%description bin
%{summary}.

%package doc
Summary: Never built: no files section

%description doc
%{summary}.

%prep
%build
%install

%files

%files bin

%changelog
)";

const PackageSpec& only(const std::vector<SpecParseOutcome>& outcomes) {
    REQUIRE(outcomes.size() == 1);
    if (outcomes[0].error)
        FAIL(outcomes[0].error->describe());
    return outcomes[0].spec;
}

}  // namespace

TEST_CASE("specs parse with SDK macros: names, versions, subpackages, dependencies, sources") {
    TempDir dir;
    writeTreeFile(dir.path(), "containerd.spec", kSpec);
    auto outcomes = parseSpecs(sampleContext(), {{dir.path() + "/containerd.spec", "c.spec"}}, 1);
    const PackageSpec& spec = only(outcomes);
    CHECK(spec.name == "bottlerocket-containerd");
    CHECK(spec.version == "1.7.20");
    CHECK(spec.epoch == "1");
    REQUIRE(spec.binaries.size() == 3);
    auto built = spec.builtBinaries();
    REQUIRE(built.size() == 2);
    CHECK(built[0]->name == "bottlerocket-containerd");
    CHECK(built[0]->evr() == "1:1.7.20-1");
    CHECK(built[0]->arch == "x86_64");
    CHECK(built[1]->name == "bottlerocket-containerd-bin");
    // rpm keeps dependencies sorted by name.
    REQUIRE(spec.buildRequires.size() == 2);
    CHECK(spec.buildRequires[0].text() == "bottlerocket-glibc-devel >= 2.36");
    CHECK(spec.buildRequires[1].text() == "gcc");
    auto& requires = built[0]->runtimeRequires;
    REQUIRE(requires.size() == 2);
    CHECK(requires[0].isRich());
    CHECK(requires[0].name == "(bottlerocket-ecs-agent if bottlerocket-variant-family(aws-ecs))");
    CHECK(requires[1].text() == "bottlerocket-containerd(binaries)");
    CHECK(built[1]->conflicts.at(0).isRich());
    CHECK(spec.sources ==
          std::vector<std::string>{"containerd-1.7.20.tar.gz", "containerd.service"});
    CHECK(spec.patches == std::vector<std::string>{"0001-fix.patch"});
}

TEST_CASE("arch macros come from the SDK's arch file") {
    TempDir dir;
    writeTreeFile(dir.path(), "a.spec",
                  "Name: %{_cross_os}a\nVersion: 1\nRelease: 1\nSummary: s\nLicense: MIT\n"
                  "Requires: %{_cross_os}arch(%{_cross_arch})\n%description\n%files\n");
    auto arm = parseSpecs(sampleContext(Arch::Aarch64), {{dir.path() + "/a.spec", "a.spec"}}, 1);
    CHECK(only(arm).binaries[0].runtimeRequires[0].name == "bottlerocket-arch(aarch64)");
    CHECK(only(arm).binaries[0].arch == "aarch64");
}

TEST_CASE("%global definitions of one spec do not leak into the next") {
    TempDir dir;
    writeTreeFile(
        dir.path(), "one.spec",
        "%global leaked yes\nName: one\nVersion: 1\nRelease: 1\nSummary: s\nLicense: MIT\n"
        "%description\n%files\n");
    writeTreeFile(dir.path(), "two.spec",
                  "Name: two\nVersion: 1\nRelease: 1%{?leaked:.leaked}\nSummary: s\nLicense: MIT\n"
                  "%description\n%files\n");
    auto outcomes = parseSpecs(
        sampleContext(), {{dir.path() + "/one.spec", "one"}, {dir.path() + "/two.spec", "two"}}, 1);
    REQUIRE(outcomes.size() == 2);
    CHECK(outcomes[1].spec.release == "1");
}

TEST_CASE("a spec that does not parse reports file and line, and the others still parse") {
    TempDir dir;
    writeTreeFile(dir.path(), "bad.spec", "Name: bad\nVersion: 1\nRelease: 1\nBogus: x\n");
    writeTreeFile(dir.path(), "good.spec", kSpec);
    auto outcomes = parseSpecs(sampleContext(),
                               {{dir.path() + "/bad.spec", "packages/bad/bad.spec"},
                                {dir.path() + "/good.spec", "good.spec"}},
                               2);
    REQUIRE(outcomes[0].error);
    CHECK(outcomes[0].error->describe() ==
          "packages/bad/bad.spec:4: spec does not parse: Unknown tag: Bogus: x");
    CHECK_FALSE(outcomes[1].error);
    CHECK(outcomes[1].spec.name == "bottlerocket-containerd");
}

TEST_CASE("the parse cache returns what was stored and survives a reload") {
    TempDir dir;
    writeTreeFile(dir.path(), "c.spec", kSpec);
    auto parsed = only(parseSpecs(sampleContext(), {{dir.path() + "/c.spec", "c"}}, 1));
    std::string key = SpecCache::keyFor(sampleContext().digest(), kSpec);
    {
        SpecCache cache(dir.path() + "/state/spec-cache");
        CHECK_FALSE(cache.find(key));
        cache.store(key, parsed);
        cache.save();
    }
    SpecCache reloaded(dir.path() + "/state/spec-cache");
    auto cached = reloaded.find(key);
    REQUIRE(cached);
    CHECK(encodePackageSpec(*cached) == encodePackageSpec(parsed));
    CHECK(reloaded.hits() == 1);
    CHECK(SpecCache::keyFor(sampleContext(Arch::Aarch64).digest(), kSpec) != key);
}

TEST_CASE("a damaged cache file is an empty cache") {
    TempDir dir;
    std::string path = dir.path() + "/spec-cache";
    writeFileAtomic(path, "twoliter-spec-cache-v1\n\x05garbage");
    SpecCache cache(path);
    CHECK_FALSE(cache.find("anything"));
}

TEST_CASE("SDK layouts: source tree, root filesystem, single file") {
    TempDir dir;
    writeTreeFile(dir.path(), "tree/macros/x86_64", "%_cross_arch x86_64\n");
    writeTreeFile(dir.path(), "tree/macros/shared", "%_cross_os br-\n");
    writeTreeFile(dir.path(), "tree/provides", "# host tools\ngit\n\ncmake  # build system\n");
    Sdk tree{dir.path() + "/tree"};
    CHECK(tree.macroFiles(Arch::X86_64) ==
          std::vector<std::string>{dir.path() + "/tree/macros/x86_64",
                                   dir.path() + "/tree/macros/shared"});
    CHECK(tree.provides() == std::vector<std::string>{"git", "cmake"});
    CHECK_THROWS_WITH(tree.macroFiles(Arch::Aarch64), Catch::Contains("no RPM macros for aarch64"));
    writeTreeFile(dir.path(), "root/usr/lib/rpm/platform/aarch64-bottlerocket/macros", "x");
    CHECK(Sdk{dir.path() + "/root"}.macroFiles(Arch::Aarch64).size() == 1);
    CHECK(Sdk{dir.path() + "/tree/macros/shared"}.macroFiles(Arch::Aarch64).size() == 1);
}

TEST_CASE("an empty %files section still produces an RPM, wherever it stands") {
    TempDir dir;
    writeTreeFile(dir.path(), "f.spec",
                  "Name: main\nVersion: 1\nRelease: 1\nSummary: s\nLicense: MIT\n%description\nd\n"
                  "%package devel\nSummary: s\n%description devel\nd\n"
                  "%package -n other\nSummary: s\n%description -n other\nd\n"
                  "%package doc\nSummary: s\n%description doc\nd\n"
                  "%package listed\nSummary: s\n%description listed\nd\n"
                  "%package -n glued\nSummary: s\n%description -n glued\nd\n"
                  "%files\n%changelog\n%files -n other\n%files listed -f list.txt\n%files "
                  "-nglued\n%files devel");
    auto outcomes = parseSpecs(sampleContext(), {{dir.path() + "/f.spec", "f"}}, 1);
    const PackageSpec& spec = only(outcomes);
    std::vector<std::string> built;
    for (const BinaryPackage* binary : spec.builtBinaries())
        built.push_back(binary->name);
    std::sort(built.begin(), built.end());
    CHECK(built == std::vector<std::string>{"glued", "main", "main-devel", "main-listed", "other"});
}

TEST_CASE("what shell macros print while a spec parses is kept, not lost on the terminal") {
    TempDir dir;
    writeTreeFile(
        dir.path(), "s.spec",
        "%global rev %(echo abc; echo 'noise from the spec' >&2)\n"
        "Name: s\nVersion: 1\nRelease: %{rev}\nSummary: s\nLicense: MIT\n%description\n%files\n");
    auto outcomes = parseSpecs(sampleContext(), {{dir.path() + "/s.spec", "s"}}, 1);
    const PackageSpec& spec = only(outcomes);
    CHECK(spec.release == "abc");
    CHECK(spec.parseOutput == std::vector<std::string>{"noise from the spec"});
}

TEST_CASE("variant macros and bconds reach the spec as upstream defines them") {
    VariantManifest variant;
    variant.name = "aws-k8s-1.31-nvidia";
    variant.enabledFeatures = {"grub-set-private-var", "in-place-updates"};
    MacroContext context = sampleContext();
    for (const auto& define : variantMacroDefines(variant))
        context.defines.push_back(define);
    TempDir dir;
    writeTreeFile(
        dir.path(), "m.spec",
        "Name: %{_cross_os}metadata\nVersion: 1.0\nRelease: 1\nSummary: s\nLicense: MIT\n"
        "Provides: %{_cross_os}variant-family(%{_cross_variant_family})\n"
        "Provides: %{_cross_os}variant-flavor(%{_cross_variant_flavor})\n"
        "%if %{with grub_set_private_var}\nProvides: private-var\n%endif\n"
        "%if %{with fips}\nProvides: fips\n%endif\n"
        "%if %{with aws_k8s_family} && %{with nvidia_flavor}\nProvides: family-and-flavor\n%endif\n"
        "%description\nd\n%files\n");
    auto outcomes = parseSpecs(context, {{dir.path() + "/m.spec", "m"}}, 1);
    std::vector<std::string> provides;
    for (const auto& provide : only(outcomes).binaries.at(0).provides)
        provides.push_back(provide.name);
    // rpm adds the name and name(arch) self-provides.
    CHECK(provides == std::vector<std::string>{"bottlerocket-metadata",
                                               "bottlerocket-metadata(x86-64)",
                                               "bottlerocket-variant-family(aws-k8s)",
                                               "bottlerocket-variant-flavor(nvidia)",
                                               "family-and-flavor", "private-var"});
}

TEST_CASE("shell code in a spec cannot reach the network while it parses") {
    int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(listener, 4) == 0);
    socklen_t length = sizeof address;
    ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
    std::string port = std::to_string(ntohs(address.sin_port));
    std::string probe = "(bash -c 'exec 3<>/dev/tcp/127.0.0.1/" + port +
                        "' 2>/dev/null && echo reachable || echo unreachable)";
    REQUIRE(std::system(("test \"$" + probe + "\" = reachable").c_str()) == 0);  // from here it is
    TempDir dir;
    writeTreeFile(dir.path(), "n.spec",
                  "Name: n\nVersion: 1\nRelease: %(" + probe +
                      ")\nSummary: s\nLicense: MIT\n"
                      "%description\nd\n%files\n");
    auto outcomes = parseSpecs(sampleContext(), {{dir.path() + "/n.spec", "n"}}, 1);
    CHECK(only(outcomes).release == "unreachable");
    ::close(listener);
}
