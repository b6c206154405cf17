#include <catch2/catch.hpp>

#include "build/action_inputs.h"
#include "support/temp_tree.h"
#include "util/files.h"

using namespace twoliter;
using twoliter::testing::TempDir;
using twoliter::testing::writeTreeFile;

namespace {
struct InputsFixture {
    TempDir dir;
    Project project;
    PackageManifest package;
    BuildEnvironment environment{"sdk-digest", "macro-digest", "x86_64"};
    InputsFixture() {
        project.root = dir.path();
        package.directory = dir.path() + "/packages/runc";
        package.packageName = "runc";
        package.metadataDigest = "meta";
        package.sourceGroups = {"runc"};
        writeTreeFile(dir.path(), "packages/runc/runc.spec", "Name: runc\n");
        writeTreeFile(dir.path(), "packages/runc/runc.c", "int main;\n");
        writeTreeFile(dir.path(), "packages/runc/Cargo.toml", "# comments do not matter\n");
        writeTreeFile(dir.path(), "packages/runc/.hidden", "ignored\n");
        writeTreeFile(dir.path(), "sources/runc/src/main.rs", "fn main() {}\n");
        writeTreeFile(dir.path(), "sources/runc/target/debug/x", "build output\n");
        writeTreeFile(dir.path(), "sources/runc/README.md", "docs\n");
    }
    ActionInputs inputs(std::vector<std::pair<std::string, std::string>> buildRoot = {}) {
        FileDigests digests(dir.path() + "/digests");
        return packageActionInputs(project, package, environment, buildRoot, digests);
    }
};

std::vector<std::string> names(const ActionInputs& inputs) {
    std::vector<std::string> result;
    for (const auto& item : inputs.items)
        result.push_back(item.first);
    return result;
}
}  // namespace

TEST_CASE_METHOD(InputsFixture, "package inputs: files, source groups, environment, build root") {
    ExternalFile external;
    external.url = "https://example.invalid/runc-1.1.tar.gz";
    external.sha512 = std::string(128, 'a');
    package.externalFiles.push_back(external);
    CHECK(names(inputs({{"bottlerocket-glibc-devel-2.36-1.x86_64.rpm", "d"}})) ==
          std::vector<std::string>{"build-root:bottlerocket-glibc-devel-2.36-1.x86_64.rpm",
                                   "environment:arch", "environment:macros", "environment:sdk",
                                   "external:runc-1.1.tar.gz", "file:runc.c", "file:runc.spec",
                                   "metadata", "source-group:runc/src/main.rs"});
}

TEST_CASE_METHOD(InputsFixture, "the key changes with any input and says which one") {
    ActionInputs before = inputs();
    CHECK(inputs().key() == before.key());
    writeTreeFile(dir.path(), "packages/runc/Cargo.toml", "# another comment\n");
    writeTreeFile(dir.path(), "sources/runc/target/debug/x", "new build output\n");
    CHECK(inputs().key() == before.key());
    writeTreeFile(dir.path(), "packages/runc/runc.c", "int main();\n");
    ActionInputs edited = inputs();
    CHECK(edited.key() != before.key());
    CHECK(explainDifference(before, edited) == std::vector<std::string>{"changed: file:runc.c"});
    writeTreeFile(dir.path(), "packages/runc/0001-fix.patch", "patch\n");
    ActionInputs patched = inputs({{"bottlerocket-glibc-devel.rpm", "d"}});
    CHECK(explainDifference(edited, patched) ==
          std::vector<std::string>{"added: build-root:bottlerocket-glibc-devel.rpm",
                                   "added: file:0001-fix.patch"});
    environment.sdkDigest = "other-sdk";
    CHECK(explainDifference(patched, inputs({{"bottlerocket-glibc-devel.rpm", "d"}})) ==
          std::vector<std::string>{"changed: environment:sdk"});
}
