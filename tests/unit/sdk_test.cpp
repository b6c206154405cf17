// SDK images: the recipe format, the tar reader and writer, OCI layout and
// docker save import with whiteouts, links and digests, and image creation
// with a stand-in mmdebstrap (the real one runs in tests/sdk/).
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <functional>

#include "sdk/byte_stream.h"
#include "sdk/json_reader.h"
#include "sdk/oci_layout.h"
#include "sdk/rootfs_unpacker.h"
#include "sdk/sdk_image.h"
#include "sdk/tar.h"
#include "spec/sdk.h"
#include "support/oci_test_image.h"
#include "support/temp_tree.h"
#include "util/digest.h"
#include "util/error.h"
#include "util/files.h"
#include "util/strings.h"

namespace fs = std::filesystem;
using namespace twoliter;
using twoliter::testing::TempDir;
using twoliter::testing::writeTreeFile;

namespace {

std::string describe(const std::function<void()>& action) {
    try {
        action();
    } catch (const ErrorList& list) {
        std::string text;
        for (const auto& e : list.errors())
            text += e.describe() + "\n";
        return text;
    } catch (const Error& e) {
        return e.describe();
    }
    return "no error";
}

std::string recipeError(const std::string& content) {
    TempDir dir;
    writeTreeFile(dir.path(), "recipe", content);
    return describe([&] { readSdkRecipe(dir.path() + "/recipe"); });
}

// Everything in a folder, hidden entries included.
std::vector<std::string> listAll(const std::string& dir) {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec))
        names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

std::vector<TarEntry> readEntries(const std::string& bytes,
                                  std::vector<std::string>* data = nullptr) {
    TempDir dir;
    writeTreeFile(dir.path(), "a.tar", bytes);
    FileRangeSource source(dir.path() + "/a.tar");
    TarReader reader(source, "a.tar");
    std::vector<TarEntry> entries;
    TarEntry entry;
    while (reader.next(entry)) {
        entries.push_back(entry);
        if (data)
            data->push_back(reader.readAllData());
    }
    return entries;
}

// Layer 1: a small tree with a symlinked folder and a hard link.
std::string baseLayer() {
    return TarBuilder()
        .directory("etc", 0755, 100)
        .file("etc/keep", "old\n", 0644, 100)
        .file("etc/gone", "bye\n", 0600, 100)
        .directory("opt/dir", 0750, 100)
        .file("opt/dir/a", "a\n")
        .directory("opt/dir/sub")
        .file("opt/dir/sub/b", "b\n")
        .directory("usr/bin", 0755, 100)
        .file("usr/bin/tool", "#!/bin/sh\necho tool\n", 04755, 200)
        .hardlink("usr/bin/tool-link", "usr/bin/tool")
        .symlink("bin", "usr/bin")
        .directory("var/ro", 0555, 100)
        .file("var/ro/data", "data\n", 0444, 100)
        .finish();
}

// Layer 2: whiteouts, an opaque folder, a write through the bin symlink.
std::string upperLayer() {
    return TarBuilder()
        .file("etc/.wh.gone", "")
        .file("etc/keep", "new\n", 0640, 300)
        .directory("opt/dir", 0755, 300)
        .file("opt/dir/.wh..wh..opq", "")
        .file("opt/dir/c", "c\n")
        .file("bin/added", "added\n", 0755)
        .file("var/ro/more", "more\n", 0444)
        .finish();
}

struct ImportFixture {
    TempDir dir;
    // Imported trees hold read-only folders, which TempDir cannot remove
    // when the tests run unprivileged.
    ~ImportFixture() {
        try {
            removeTree(dir.path() + "/store");
        } catch (...) {
        }
    }
    std::string layout() const { return dir.path() + "/layout"; }
    std::string store() const { return dir.path() + "/store"; }
    std::vector<twoliter::testing::TestLayer> layers() const {
        std::string upper = upperLayer();
        return {{baseLayer(), baseLayer()},
                {twoliter::testing::compressWith({"gzip", "-n", "-c"}, upper, dir.path()), upper,
                 oci::kLayerGzip}};
    }
};

void checkMergedTree(const std::string& root) {
    CHECK(readFile(root + "/etc/keep") == "new\n");
    CHECK_FALSE(pathExists(root + "/etc/gone"));
    CHECK(listAll(root + "/opt/dir") == std::vector<std::string>{"c"});
    CHECK(fs::is_symlink(root + "/bin"));
    CHECK(fs::read_symlink(root + "/bin") == "usr/bin");
    CHECK(readFile(root + "/usr/bin/added") == "added\n");
    struct stat tool, link, dirInfo, keep;
    REQUIRE(::lstat((root + "/usr/bin/tool").c_str(), &tool) == 0);
    REQUIRE(::lstat((root + "/usr/bin/tool-link").c_str(), &link) == 0);
    CHECK(tool.st_ino == link.st_ino);
    CHECK((tool.st_mode & 07777) == 04755);
    CHECK(tool.st_mtime == 200);
    REQUIRE(::lstat((root + "/opt/dir").c_str(), &dirInfo) == 0);
    CHECK((dirInfo.st_mode & 07777) == 0755);
    CHECK(dirInfo.st_mtime == 300);
    REQUIRE(::lstat((root + "/etc/keep").c_str(), &keep) == 0);
    CHECK((keep.st_mode & 07777) == 0640);
    CHECK(readFile(root + "/var/ro/more") == "more\n");
}

// Puts a stand-in mmdebstrap first on PATH for the lifetime of the object.
class FakeMmdebstrap {
  public:
    explicit FakeMmdebstrap(const std::string& dir) {
        writeTreeFile(dir, "bin/mmdebstrap", R"(#!/bin/sh
# Records its arguments, then writes a tiny root filesystem tarball to the
# second-to-last argument, as mmdebstrap SUITE TARGET MIRROR would.
printf '%s\n' "$@" > "$FAKE_MMDEBSTRAP_ARGS"
echo "SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH" >> "$FAKE_MMDEBSTRAP_ARGS"
for last; do :; done
eval "target=\${$(($# - 1))}"
root=$(mktemp -d)
mkdir -p "$root/usr/bin" "$root/usr/lib/rpm/platform" "$root/etc"
printf '#!/bin/sh\necho RPM version 4.18.0\n' > "$root/usr/bin/rpmbuild"
chmod 755 "$root/usr/bin/rpmbuild"
ln -s usr/bin "$root/bin"
tar --sort=name --mtime=@"$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
    -cf "$target" -C "$root" .
rm -rf "$root"
)");
        ::chmod((dir + "/bin/mmdebstrap").c_str(), 0755);
        const char* path = std::getenv("PATH");
        oldPath_ = path ? path : "";
        ::setenv("PATH", (dir + "/bin:" + oldPath_).c_str(), 1);
        ::setenv("FAKE_MMDEBSTRAP_ARGS", (dir + "/args").c_str(), 1);
    }
    ~FakeMmdebstrap() {
        ::setenv("PATH", oldPath_.c_str(), 1);
        ::unsetenv("FAKE_MMDEBSTRAP_ARGS");
    }

  private:
    std::string oldPath_;
};

}  // namespace

TEST_CASE("the sample SDK recipe") {
    SdkRecipe recipe = readSdkRecipe(twoliter::testing::sampleSdk() + "/recipe");
    CHECK(recipe.suite == "bookworm");
    CHECK(recipe.mirror == "http://deb.debian.org/debian");
    CHECK(recipe.variant == "minbase");
    for (const char* package : {"rpm", "gcc", "make", "libc6-dev"})
        CHECK(std::find(recipe.packages.begin(), recipe.packages.end(), package) !=
              recipe.packages.end());
    CHECK(recipe.sourceDateEpoch == 1704067200);
    CHECK(recipe.compression == "zstd");
    CHECK(std::find(recipe.pathExcludes.begin(), recipe.pathExcludes.end(), "/usr/share/doc/*") !=
          recipe.pathExcludes.end());
}

TEST_CASE("recipe lines accumulate and defaults apply") {
    TempDir dir;
    writeTreeFile(dir.path(), "recipe",
                  "suite bookworm   # trailing comment\n\n"
                  "mirror file:///srv/mirror\n"
                  "packages a b\npackages c++-x\n");
    SdkRecipe recipe = readSdkRecipe(dir.path() + "/recipe");
    CHECK(recipe.packages == std::vector<std::string>{"a", "b", "c++-x"});
    CHECK(recipe.components == std::vector<std::string>{"main"});
    CHECK(recipe.compression == "none");
    CHECK_FALSE(recipe.sourceDateEpoch);
}

TEST_CASE("recipe errors name the file, line and key") {
    std::string base = "suite bookworm\nmirror http://deb.debian.org/debian\n";
    std::string unknown = recipeError(base + "packags rpm\n");
    CHECK(unknown.find("recipe:3: packags: unknown key (hint: did you mean packages?)") !=
          std::string::npos);
    CHECK(recipeError(base + "suite trixie\n").find("recipe:3: suite: given twice") !=
          std::string::npos);
    CHECK(recipeError(base + "packages rpm Bad_Name\n")
              .find("recipe:3: packages: not a Debian package name: Bad_Name") !=
          std::string::npos);
    CHECK(recipeError(base + "compression xz\n")
              .find("recipe:3: compression: unknown compression xz") != std::string::npos);
    CHECK(recipeError(base + "source-date-epoch yesterday\n").find("recipe:3: source-date-epoch") !=
          std::string::npos);
    CHECK(recipeError(base + "variant\n").find("recipe:3: variant: has no value") !=
          std::string::npos);
    CHECK(
        recipeError("mirror ftp://x\n").find("recipe:1: mirror: not an http, https or file URL") !=
        std::string::npos);
    std::string missing = recipeError("packages rpm\n");
    CHECK(missing.find("recipe: suite: the recipe has no suite line") != std::string::npos);
    CHECK(missing.find("recipe: mirror: the recipe has no mirror line") != std::string::npos);
}

TEST_CASE("tar writer and reader agree, including long names, and GNU tar reads ours") {
    std::string longDir(120, 'd');
    std::string longName = longDir + "/" + std::string(150, 'f');               // needs pax
    std::string splitName = std::string(90, 'p') + "/" + std::string(90, 'q');  // ustar prefix
    std::string longTarget(200, 't');
    TarEntry big;
    big.path = "owned";
    big.uid = 123456789;  // beyond ustar's 7 octal digits
    big.gid = 42;
    big.mtime = 1704067200;
    big.xattrs = {{"user.note", "hi"}};
    std::string bytes = TarBuilder()
                            .directory(longDir)
                            .file(longName, "long\n", 0600, 5)
                            .file(splitName, "split\n")
                            .symlink("link", longTarget)
                            .hardlink("hard", splitName)
                            .add(big, "")
                            .finish();
    CHECK(bytes.size() % 512 == 0);
    std::vector<std::string> data;
    auto entries = readEntries(bytes, &data);
    REQUIRE(entries.size() == 6);
    CHECK(entries[0].type == TarType::Directory);
    CHECK(entries[0].path == longDir);
    CHECK(entries[1].path == longName);
    CHECK(data[1] == "long\n");
    CHECK(entries[1].mode == 0600);
    CHECK(entries[1].mtime == 5);
    CHECK(entries[2].path == splitName);
    CHECK(data[2] == "split\n");
    CHECK(entries[3].type == TarType::Symlink);
    CHECK(entries[3].linkTarget == longTarget);
    CHECK(entries[4].type == TarType::Hardlink);
    CHECK(entries[4].linkTarget == splitName);
    CHECK(entries[5].uid == 123456789);
    CHECK(entries[5].gid == 42);
    CHECK(entries[5].xattrs == big.xattrs);

    TempDir dir;
    writeTreeFile(dir.path(), "ours.tar", bytes);
    REQUIRE(std::system(
                ("tar -tf " + dir.path() + "/ours.tar > " + dir.path() + "/list").c_str()) == 0);
    std::string listing = readFile(dir.path() + "/list");
    CHECK(listing.find(longName) != std::string::npos);
    CHECK(listing.find(splitName) != std::string::npos);
}

TEST_CASE("the tar reader reads GNU tar's long names and rejects damaged headers") {
    TempDir dir;
    std::string deep = "a/" + std::string(130, 'b') + "/" + std::string(110, 'c');
    writeTreeFile(dir.path(), "tree/" + deep, "deep\n");
    fs::create_symlink(std::string(150, 'x'), dir.path() + "/tree/a/sym");
    for (const char* format : {"gnu", "posix"}) {
        std::string tarPath = dir.path() + "/" + format + ".tar";
        REQUIRE(std::system(("tar --format=" + std::string(format) + " -cf " + tarPath + " -C " +
                             dir.path() + "/tree .")
                                .c_str()) == 0);
        std::vector<std::string> data;
        auto entries = readEntries(readFile(tarPath), &data);
        bool foundFile = false, foundLink = false;
        for (size_t i = 0; i < entries.size(); ++i) {
            if (entries[i].path == deep) {
                foundFile = true;
                CHECK(data[i] == "deep\n");
            }
            if (entries[i].path == "a/sym") {
                foundLink = true;
                CHECK(entries[i].linkTarget == std::string(150, 'x'));
            }
        }
        CHECK(foundFile);
        CHECK(foundLink);
    }
    std::string damaged = TarBuilder().file("f", "x").finish();
    damaged[10] ^= 1;
    CHECK(describe([&] { readEntries(damaged); }).find("checksum mismatch") != std::string::npos);
    std::string truncated = TarBuilder().file("f", std::string(2000, 'x')).finish().substr(0, 1024);
    std::vector<std::string> sink;
    CHECK(describe([&] { readEntries(truncated, &sink); }).find("truncated") != std::string::npos);
}

TEST_CASE("json reader") {
    JsonValue value = parseJson(R"({"a": [1, "x\u00e9\n", true, null], "b": {"c": -5}})", "t");
    REQUIRE(value.find("a"));
    CHECK(value.find("a")->items().size() == 4);
    CHECK(value.find("a")->items()[1].text() == "x\xc3\xa9\n");
    CHECK(value.find("b")->find("c")->integer() == -5);
    CHECK(describe([] {
              parseJson("{\"a\": }", "bad.json");
          }).find("bad.json: invalid JSON at byte 6") != std::string::npos);
    CHECK(describe([] { parseJson("[1] x", "t"); }).find("unexpected text") != std::string::npos);
}

TEST_CASE_METHOD(ImportFixture, "import of an OCI layout applies layers, whiteouts and links") {
    std::string digest = twoliter::testing::writeTestLayout(layout(), layers());
    std::string rootfs = importSdkImage(layout(), store());
    CHECK(rootfs == store() + "/sdk/" + digest.substr(7) + "/rootfs");
    checkMergedTree(rootfs);
    CHECK(readFile(store() + "/sdk/" + digest.substr(7) + "/manifest.json").find("layers") !=
          std::string::npos);
    // Only the published image is left in the store.
    CHECK(listAll(store() + "/sdk") == std::vector<std::string>{digest.substr(7)});

    struct stat folder;
    REQUIRE(::stat((store() + "/sdk/" + digest.substr(7)).c_str(), &folder) == 0);
    CHECK((folder.st_mode & 0777) == 0755);

    // A second import is a no-op: the existing tree is returned untouched.
    writeFileAtomic(rootfs + "/marker", "kept");
    CHECK(importSdkImage(layout(), store()) == rootfs);
    CHECK(readFile(rootfs + "/marker") == "kept");
}

TEST_CASE_METHOD(ImportFixture, "an import removes what interrupted imports left behind") {
    twoliter::testing::writeTestLayout(layout(), layers());
    // pid 999999999 is above any pid_max: that process is gone.
    writeTreeFile(store(), "sdk/.tmp-999999999-AbCdEf/rootfs/usr/half-written", "x");
    writeTreeFile(store(), "sdk/.scratch-999999999-AbCdEf/source/source.tar", "x");
    std::string mine = ".tmp-" + std::to_string(::getpid()) + "-XyZ123";  // a live process
    writeTreeFile(store(), "sdk/" + mine + "/rootfs/f", "x");
    std::string rootfs = importSdkImage(layout(), store());
    std::string key = fs::path(rootfs).parent_path().filename().string();
    CHECK(listAll(store() + "/sdk") == std::vector<std::string>{mine, key});
}

TEST_CASE_METHOD(ImportFixture, "a tar of an OCI layout imports to the same digest") {
    std::string digest = twoliter::testing::writeTestLayout(layout(), layers());
    twoliter::testing::tarFolder(layout(), dir.path() + "/layout.tar");
    std::string rootfs = importSdkImage(dir.path() + "/layout.tar", store());
    CHECK(rootfs == store() + "/sdk/" + digest.substr(7) + "/rootfs");
    checkMergedTree(rootfs);
}

TEST_CASE_METHOD(ImportFixture, "a tampered blob is rejected and leaves nothing in the store") {
    std::string digest = twoliter::testing::writeTestLayout(layout(), layers());
    std::string layerBlob = layout() + "/blobs/sha256/" + sha256Hex(layers()[0].blob);
    std::string bytes = readFile(layerBlob);
    bytes[600] ^= 0x20;  // same size, different content
    ::chmod(layerBlob.c_str(), 0644);
    writeFileAtomic(layerBlob, bytes);
    std::string message = describe([&] { importSdkImage(layout(), store()); });
    CHECK(message.find("does not match its digest") != std::string::npos);
    CHECK(message.find("blobs/sha256/" + sha256Hex(layers()[0].blob)) != std::string::npos);
    CHECK(message.find("tampered") != std::string::npos);
    CHECK(listAll(store() + "/sdk").empty());
}

TEST_CASE_METHOD(ImportFixture, "a tampered manifest or a wrong diff_id is rejected") {
    SECTION("manifest") {
        std::string digest = twoliter::testing::writeTestLayout(layout(), layers());
        std::string manifest = layout() + "/blobs/sha256/" + digest.substr(7);
        writeFileAtomic(manifest, readFile(manifest) + " ");
        CHECK(describe([&] {
                  importSdkImage(layout(), store());
              }).find("blob content does not match its digest") != std::string::npos);
    }
    SECTION("diff_id") {
        auto good = layers();
        // A config whose diff_id for layer 2 names other content: the blob
        // digests match, the unpacked stream does not.
        auto wrong = good;
        wrong[1].tar = "something else";
        std::string config = twoliter::testing::testConfig(wrong);
        twoliter::testing::writeTestLayout(layout(), good, config);
        std::string message = describe([&] { importSdkImage(layout(), store()); });
        CHECK(message.find("does not match its diff_id") != std::string::npos);
    }
    CHECK(listAll(store() + "/sdk").empty());
}

TEST_CASE_METHOD(ImportFixture, "a layer cannot write outside the root filesystem") {
    SECTION("through absolute and relative symlinks") {
        // Were the symlinks followed on the host, the files would land in
        // outside/ and in the store folder; inside the root they are
        // resolved as a chroot would resolve them.
        std::string outside = dir.path() + "/outside";
        fs::create_directories(outside);
        std::string evil =
            TarBuilder().symlink("escape", outside).symlink("up", "../../..").finish();
        std::string payload =
            TarBuilder().file("escape/escaped", "x").file("up/escaped2", "y").finish();
        twoliter::testing::writeTestLayout(layout(), {{evil, evil}, {payload, payload}});
        std::string rootfs = importSdkImage(layout(), store());
        CHECK(readFile(rootfs + outside + "/escaped") == "x");
        CHECK(readFile(rootfs + "/escaped2") == "y");
        CHECK(listAll(outside).empty());
        CHECK_FALSE(pathExists(store() + "/escaped2"));
        CHECK_FALSE(pathExists(store() + "/sdk/escaped2"));
    }
    SECTION("by ..") {
        std::string bad = TarBuilder().file("a/../../outside", "x").finish();
        twoliter::testing::writeTestLayout(layout(), {{bad, bad}});
        CHECK(describe([&] {
                  importSdkImage(layout(), store());
              }).find("points outside the root filesystem") != std::string::npos);
        CHECK(listAll(store() + "/sdk").empty());
    }
}

TEST_CASE_METHOD(ImportFixture, "import of a docker save archive") {
    twoliter::testing::writeTestDockerSave(dir.path() + "/image.tar", {baseLayer(), upperLayer()});
    std::string rootfs = importSdkImage(dir.path() + "/image.tar", store());
    checkMergedTree(rootfs);
    // The store key is the digest of the equivalent OCI manifest.
    std::string key = fs::path(rootfs).parent_path().filename().string();
    CHECK(sha256Hex(readFile(store() + "/sdk/" + key + "/manifest.json")) == key);

    SECTION("a tampered layer is rejected") {
        std::string archive = readFile(dir.path() + "/image.tar");
        size_t at = archive.find("old\n");
        REQUIRE(at != std::string::npos);
        archive[at] = 'O';
        writeFileAtomic(dir.path() + "/bad.tar", archive);
        TempDir other;
        CHECK(describe([&] {
                  importSdkImage(dir.path() + "/bad.tar", other.path());
              }).find("does not match its digest") != std::string::npos);
        CHECK(listAll(other.path() + "/sdk").empty());
    }
}

TEST_CASE("not an image") {
    TempDir dir;
    writeTreeFile(dir.path(), "folder/readme", "x");
    CHECK(describe([&] {
              importSdkImage(dir.path() + "/folder", dir.path() + "/store");
          }).find("not an OCI image layout or a docker save archive") != std::string::npos);
    CHECK(describe([&] {
              importSdkImage(dir.path() + "/missing", dir.path() + "/store");
          }).find("no such image") != std::string::npos);
}

TEST_CASE("SDK creation with a stand-in mmdebstrap") {
    TempDir dir;
    FakeMmdebstrap fake(dir.path());
    SdkRecipe recipe = readSdkRecipe(twoliter::testing::sampleSdk() + "/recipe");
    std::string layout = dir.path() + "/layout";
    std::string digest =
        createSdkImage(recipe, twoliter::testing::sampleSdk(), Arch::X86_64, layout);
    CHECK(digest.size() == 71);

    std::string args = readFile(dir.path() + "/args");
    CHECK(args.find("--variant=minbase\n") != std::string::npos);
    CHECK(args.find("--format=tar\n") != std::string::npos);
    CHECK(args.find("--architectures=amd64\n") != std::string::npos);
    CHECK(args.find("--include=rpm,gcc,make,libc6-dev,patch,e2fsprogs,erofs-utils,dosfstools,"
                    "mtools,faketime,grub-efi-amd64-bin,grub-pc-bin,grub-common,qemu-utils,"
                    "linux-image-cloud-amd64,cpio\n") != std::string::npos);
    CHECK(args.find("--dpkgopt=path-exclude=/usr/share/doc/*\n") != std::string::npos);
    CHECK(args.find("bookworm\n") != std::string::npos);
    CHECK(args.find("\nhttp://deb.debian.org/debian\n") != std::string::npos);
    CHECK(args.find("SOURCE_DATE_EPOCH=1704067200") != std::string::npos);

    // The layout: oci-layout, index.json naming the manifest, no leftovers.
    CHECK(listAll(layout) == std::vector<std::string>{"blobs", "index.json", "oci-layout"});
    JsonValue index = parseJson(readFile(layout + "/index.json"), "index.json");
    const auto& entry = index.find("manifests")->items().at(0);
    CHECK(entry.find("digest")->text() == digest);
    CHECK(entry.find("annotations")->find(oci::kRefName)->text() == "twoliter-sample-sdk:bookworm");
    JsonValue manifest =
        parseJson(readFile(layout + "/blobs/sha256/" + digest.substr(7)), "manifest");
    CHECK(manifest.find("layers")->items().size() == 2);
    CHECK(manifest.find("layers")->items()[0].find("mediaType")->text() == oci::kLayerZstd);
    for (const auto& blob : listAll(layout + "/blobs/sha256"))
        CHECK(sha256FileHex(layout + "/blobs/sha256/" + blob) == blob);

    // Same inputs, same digest.
    std::string again = dir.path() + "/layout2";
    CHECK(createSdkImage(recipe, twoliter::testing::sampleSdk(), Arch::X86_64, again) == digest);

    // Imported, the root filesystem is an SDK that spec parsing can use.
    std::string rootfs = importSdkImage(layout, dir.path() + "/store");
    CHECK(isRegularFile(rootfs + "/usr/bin/rpmbuild"));
    Sdk sdk{rootfs};
    for (Arch arch : allArches()) {
        auto files = sdk.macroFiles(arch);
        REQUIRE(files.size() == 1);
        CHECK(files[0] ==
              rootfs + "/usr/lib/rpm/platform/" + archName(arch) + "-bottlerocket/macros");
        std::string macros = readFile(files[0]);
        std::string archMacros =
            readFile(twoliter::testing::sampleSdk() + "/macros/" + archName(arch));
        CHECK(startsWith(macros, archMacros));
        CHECK(macros.find("%_cross_vendor bottlerocket") != std::string::npos);
    }
    CHECK(sdk.provides() == Sdk{twoliter::testing::sampleSdk()}.provides());
    struct stat info;
    REQUIRE(::stat((rootfs + "/usr/share/twoliter/sdk-provides").c_str(), &info) == 0);
    CHECK(info.st_mtime == 1704067200);
}

TEST_CASE("SDK creation reports a failing mmdebstrap and leaves no scratch files") {
    TempDir dir;
    writeTreeFile(dir.path(), "bin/mmdebstrap",
                  "#!/bin/sh\necho 'E: cannot reach the mirror' >&2\nexit 25\n");
    ::chmod((dir.path() + "/bin/mmdebstrap").c_str(), 0755);
    std::string oldPath = std::getenv("PATH");
    ::setenv("PATH", (dir.path() + "/bin:" + oldPath).c_str(), 1);
    SdkRecipe recipe = readSdkRecipe(twoliter::testing::sampleSdk() + "/recipe");
    std::string message = describe([&] {
        createSdkImage(recipe, twoliter::testing::sampleSdk(), Arch::X86_64, dir.path() + "/out");
    });
    ::setenv("PATH", oldPath.c_str(), 1);
    CHECK(message.find("sdk/recipe: creating the SDK root filesystem failed: mmdebstrap exited "
                       "with status 25: E: cannot reach the mirror") != std::string::npos);
    CHECK(listAll(dir.path() + "/out") == std::vector<std::string>{"blobs"});
    CHECK(listAll(dir.path() + "/out/blobs/sha256").empty());
}
