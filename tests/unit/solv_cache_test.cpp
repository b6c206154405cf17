// The solv cache of kit repositories: the same resolution from the XML and
// from the cache; a missing, damaged or foreign cache file is ignored and
// rewritten; the planner keys the file by repomd.xml's digest.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>

#include "build/planner.h"
#include "solve/resolver.h"
#include "support/temp_tree.h"
#include "util/digest.h"
#include "util/files.h"

using namespace twoliter;
using twoliter::testing::TempDir;
using twoliter::testing::writeTreeFile;

namespace {

std::string entry(const std::string& name) {
    return "<rpm:entry name=\"" + name + "\"/>";
}

// One package of primary.xml; files listed in filelists.xml only.
struct RepoPackage {
    std::string name, version, arch;
    std::vector<std::string> provides, requires, files;
};

std::string primaryXml(const std::vector<RepoPackage>& packages) {
    std::string xml =
        "<?xml version=\"1.0\"?>\n<metadata xmlns=\"http://linux.duke.edu/metadata/"
        "common\" xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\" packages=\"" +
        std::to_string(packages.size()) + "\">\n";
    for (const auto& p : packages) {
        std::string nevra = p.name + "-" + p.version + "-1." + p.arch;
        xml += "<package type=\"rpm\"><name>" + p.name + "</name><arch>" + p.arch +
               "</arch><version epoch=\"0\" ver=\"" + p.version +
               "\" rel=\"1\"/><checksum type=\"sha256\" pkgid=\"YES\">" + sha256Hex(nevra) +
               "</checksum><location href=\"Packages/" + nevra + ".rpm\"/><format>";
        xml += "<rpm:provides><rpm:entry name=\"" + p.name + "\" flags=\"EQ\" epoch=\"0\" ver=\"" +
               p.version + "\" rel=\"1\"/>";
        for (const auto& provide : p.provides)
            xml += entry(provide);
        xml += "</rpm:provides><rpm:requires>";
        for (const auto& require : p.requires)
            xml += require[0] == '<' ? require : entry(require);
        xml += "</rpm:requires></format></package>\n";
    }
    return xml + "</metadata>\n";
}

std::string filelistsXml(const std::vector<RepoPackage>& packages) {
    std::string xml =
        "<?xml version=\"1.0\"?>\n<filelists xmlns=\"http://linux.duke.edu/"
        "metadata/filelists\" packages=\"" +
        std::to_string(packages.size()) + "\">\n";
    for (const auto& p : packages) {
        xml += "<package pkgid=\"" + sha256Hex(p.name + "-" + p.version + "-1." + p.arch) +
               "\" name=\"" + p.name + "\" arch=\"" + p.arch + "\"><version epoch=\"0\" ver=\"" +
               p.version + "\" rel=\"1\"/>";
        for (const auto& file : p.files)
            xml += "<file>" + file + "</file>";
        xml += "</package>\n";
    }
    return xml + "</filelists>\n";
}

// A kit repository whose app needs a soname, a versioned package and a file
// that only filelists.xml lists.
void writeKitRepository(const std::string& directory) {
    std::vector<RepoPackage> packages = {
        {"bottlerocket-app",
         "1.0",
         "x86_64",
         {},
         {"libwidget.so.1()(64bit)", "/usr/share/data/marker",
          "<rpm:entry name=\"bottlerocket-common\" flags=\"GE\" epoch=\"0\" ver=\"2\"/>"},
         {"/usr/share/app/readme"}},
        {"bottlerocket-widget", "1.2", "x86_64", {"libwidget.so.1()(64bit)"}, {}, {}},
        {"bottlerocket-data", "1.0", "noarch", {}, {}, {"/usr/share/data/marker"}},
        {"bottlerocket-common", "1.0", "noarch", {}, {}, {}},
        {"bottlerocket-common", "2.0", "noarch", {}, {}, {}},
        {"bottlerocket-unrelated", "1.0", "noarch", {}, {"/usr/share/data/marker"}, {}},
    };
    writeTreeFile(directory, "repodata/primary.xml", primaryXml(packages));
    writeTreeFile(directory, "repodata/filelists.xml", filelistsXml(packages));
    writeTreeFile(directory, "repodata/repomd.xml",
                  "<?xml version=\"1.0\"?>\n<repomd xmlns=\"http://linux.duke.edu/metadata/repo\">"
                  "<revision>1</revision>"
                  "<data type=\"primary\"><location href=\"repodata/primary.xml\"/></data>"
                  "<data type=\"filelists\"><location href=\"repodata/filelists.xml\"/></data>"
                  "</repomd>\n");
}

VariantManifest appVariant() {
    VariantManifest variant;
    variant.name = "metal-dev";
    variant.includedPackages = {"app"};
    return variant;
}

struct Resolution {
    SolvCacheUse cache;
    std::vector<std::string> packages;  // name evr arch origin rpmPath sha256
};

Resolution resolveApp(const std::string& repository, const std::string& solvCache) {
    Resolver resolver(Arch::X86_64, "bottlerocket-");
    Resolution resolution;
    resolution.cache = resolver.addKitRepository("extra-kit", repository, solvCache);
    resolver.addSdkProvides({"gcc"});
    for (const auto& package : resolver.resolveVariant(appVariant())) {
        resolution.packages.push_back(package.name + " " + package.evr + " " + package.arch + " " +
                                      package.repository + " " + package.rpmPath + " " +
                                      package.sha256);
    }
    return resolution;
}

void damage(const std::string& path, const std::string& how) {
    std::string content = readFile(path);
    if (how == "truncated") {
        content.resize(content.size() / 2);
    } else if (how == "flipped byte") {
        content[content.size() * 2 / 3] ^= 0x20;
    } else if (how == "empty") {
        content.clear();
    } else if (how == "not solv inside a valid frame") {
        // The frame's magic is its first line; the payload checks out but
        // libsolv cannot read it.
        std::string magic = content.substr(0, content.find('\n') + 1);
        writeChecksummedFile(path, magic, "SOLV but not really");
        return;
    } else if (how == "other libsolv version") {
        content.replace(content.find("libsolv "), 9, "libsolv 9");
    }
    writeFileAtomic(path, content);
}

}  // namespace

TEST_CASE("a kit repository resolves the same from its XML and from its solv cache") {
    TempDir dir;
    std::string repository = dir.path() + "/kit";
    writeKitRepository(repository);
    std::string cache = dir.path() + "/state/solv/extra-kit-1.solv";

    Resolution fromXml = resolveApp(repository, "");
    CHECK(fromXml.cache == SolvCacheUse::None);
    CHECK(fromXml.packages.size() == 5);  // app, widget, data, common 2.0, metadata
    CHECK(std::count_if(
              fromXml.packages.begin(), fromXml.packages.end(), [](const std::string& line) {
                  return line.rfind("bottlerocket-common 2.0-1 noarch extra-kit ", 0) == 0;
              }) == 1);
    CHECK(!pathExists(cache));

    Resolution written = resolveApp(repository, cache);
    CHECK(written.cache == SolvCacheUse::Written);
    CHECK(isRegularFile(cache));
    Resolution loaded = resolveApp(repository, cache);
    CHECK(loaded.cache == SolvCacheUse::Loaded);
    CHECK(written.packages == fromXml.packages);
    CHECK(loaded.packages == fromXml.packages);
}

TEST_CASE("the solv cache is read instead of the XML") {
    TempDir dir;
    std::string repository = dir.path() + "/kit";
    writeKitRepository(repository);
    std::string cache = dir.path() + "/extra-kit.solv";
    std::vector<std::string> expected = resolveApp(repository, cache).packages;
    // Without its primary.xml the repository could not be read any more.
    std::remove((repository + "/repodata/primary.xml").c_str());
    Resolution loaded = resolveApp(repository, cache);
    CHECK(loaded.cache == SolvCacheUse::Loaded);
    CHECK(loaded.packages == expected);
}

TEST_CASE("a file dependency the solv cache was not written for is found in the XML") {
    TempDir dir;
    std::string repository = dir.path() + "/kit";
    writeKitRepository(repository);
    std::string cache = dir.path() + "/extra-kit.solv";
    REQUIRE(resolveApp(repository, cache).cache == SolvCacheUse::Written);
    std::string before = readFile(cache);

    // A local package needs a file only the kit's filelists.xml lists.
    BinaryPackage tool;
    tool.name = "bottlerocket-tool";
    tool.version = "1.0";
    tool.release = "1";
    tool.arch = "x86_64";
    tool.producesRpm = true;
    tool.runtimeRequires.push_back({"/usr/share/app/readme", 0, ""});
    PackageSpec spec;
    spec.specPath = "tool.spec";
    spec.name = tool.name;
    spec.version = "1.0";
    spec.release = "1";
    spec.binaries = {tool};
    VariantManifest variant;
    variant.name = "metal-dev";
    variant.includedPackages = {"tool"};
    auto resolveTool = [&]() {
        Resolver resolver(Arch::X86_64, "bottlerocket-");
        resolver.addLocalSpecs({spec});
        CHECK(resolver.addKitRepository("extra-kit", repository, cache) == SolvCacheUse::Loaded);
        std::vector<std::string> names;
        for (const auto& package : resolver.resolveVariant(variant))
            names.push_back(package.name);
        return names;
    };
    std::vector<std::string> expected = {"bottlerocket-app",  "bottlerocket-common",
                                         "bottlerocket-data", "bottlerocket-metadata",
                                         "bottlerocket-tool", "bottlerocket-widget"};
    CHECK(resolveTool() == expected);
    CHECK(readFile(cache) != before);  // rewritten to answer for the new file too

    // Now the cache answers alone.
    std::remove((repository + "/repodata/primary.xml").c_str());
    std::remove((repository + "/repodata/filelists.xml").c_str());
    CHECK(resolveTool() == expected);
}

TEST_CASE("a damaged solv cache is ignored and rewritten") {
    std::string how = GENERATE(std::string("truncated"), std::string("flipped byte"),
                               std::string("empty"), std::string("not solv inside a valid frame"),
                               std::string("other libsolv version"));
    INFO("cache file " << how);
    TempDir dir;
    std::string repository = dir.path() + "/kit";
    writeKitRepository(repository);
    std::string cache = dir.path() + "/extra-kit.solv";
    std::vector<std::string> expected = resolveApp(repository, "").packages;
    REQUIRE(resolveApp(repository, cache).cache == SolvCacheUse::Written);
    std::string good = readFile(cache);

    damage(cache, how);
    Resolution rebuilt = resolveApp(repository, cache);
    CHECK(rebuilt.cache == SolvCacheUse::Written);
    CHECK(rebuilt.packages == expected);
    CHECK(readFile(cache) == good);
    CHECK(resolveApp(repository, cache).cache == SolvCacheUse::Loaded);
}

TEST_CASE("a solv cache that cannot be written does not stop the resolution") {
    TempDir dir;
    std::string repository = dir.path() + "/kit";
    writeKitRepository(repository);
    writeTreeFile(dir.path(), "state", "a file where the cache folder would be");
    Resolution resolution = resolveApp(repository, dir.path() + "/state/solv/extra-kit.solv");
    CHECK(resolution.packages == resolveApp(repository, "").packages);
}

TEST_CASE("the planner keeps one solv cache per kit, named by repomd.xml's digest") {
    TempDir dir;
    testing::copyTree(testing::sourceDir() + "/tests/data/mini-project", dir.path());
    std::string config = readFile(dir.path() + "/Twoliter.toml");
    writeFileAtomic(dir.path() + "/Twoliter.toml",
                    config +
                        "\n[[kit]]\nname = \"extra-kit\"\nversion = \"1.0.0\"\n"
                        "vendor = \"mini\"\n");
    std::string repository = dir.path() + "/build/external-kits/mini/extra-kit/x86_64";
    writeKitRepository(repository);
    std::string solvDirectory = dir.path() + "/build/state/x86_64/solv";
    std::string stale = solvDirectory + "/extra-kit-" + sha256Hex("an older repomd.xml") + ".solv";
    std::string otherKit = solvDirectory + "/extra-kit-two-" + sha256Hex("x") + ".solv";
    writeTreeFile(solvDirectory, "extra-kit-" + sha256Hex("an older repomd.xml") + ".solv", "");
    writeTreeFile(solvDirectory, "extra-kit-two-" + sha256Hex("x") + ".solv", "");
    std::string current = solvDirectory + "/extra-kit-" +
                          sha256FileHex(repository + "/repodata/repomd.xml") + ".solv";

    Project project = loadProject(dir.path());
    PlannerOptions options;
    options.sdkPath = testing::sampleSdk();
    {
        Planner planner(project, options);
        planner.load();
    }
    CHECK(isRegularFile(current));
    CHECK(!pathExists(stale));
    CHECK(pathExists(otherKit));  // another kit's cache is left alone

    // A second load reads the cache: it still works without the XML.
    std::remove((repository + "/repodata/primary.xml").c_str());
    Planner planner(project, options);
    CHECK_NOTHROW(planner.load());
}
