// External files through real libcurl: folders, file:// and a loopback HTTP
// lookaside cache; SHA-512 checked before anything is kept.
#include <catch2/catch.hpp>

#include "fetch/external_files.h"
#include "support/error_text.h"
#include "support/http_server.h"
#include "support/temp_tree.h"
#include "util/digest.h"
#include "util/files.h"

using namespace twoliter;
using twoliter::testing::TempDir;
using twoliter::testing::writeTreeFile;

namespace {

const std::string kContent = "tarball bytes\n";

struct FetchFixture {
    TempDir dir;
    CurlDownloader downloader;
    ExternalFile file;
    FetchFixture() {
        writeTreeFile(dir.path(), "probe", kContent);
        file.url = "https://example.invalid/releases/libz-1.3.tar.gz";
        file.sha512 = sha512FileHex(dir.path() + "/probe");
        file.location = {"packages/libz/Cargo.toml", 12, "external-files"};
    }
    // A lookaside cache folder holding content under the file's name and digest.
    std::string lookaside(const std::string& name, const std::string& content) {
        writeTreeFile(dir.path(), name + "/libz-1.3.tar.gz/" + file.sha512 + "/libz-1.3.tar.gz",
                      content);
        return dir.path() + "/" + name;
    }
    ExternalFileStore store(FetchSettings settings) {
        return ExternalFileStore(dir.path() + "/store", std::move(settings), downloader);
    }
};

}  // namespace

TEST_CASE("sha512 of a file") {
    TempDir dir;
    writeTreeFile(dir.path(), "f", "abc");
    CHECK(sha512FileHex(dir.path() + "/f").substr(0, 16) == "ddaf35a193617aba");
}

TEST_CASE_METHOD(FetchFixture, "a lookaside folder and a file:// cache are content-addressed") {
    auto fromFolder = store({{lookaside("cache", kContent)}});
    std::string path = fromFolder.ensure(file);
    CHECK(path == dir.path() + "/store/" + file.sha512 + "/libz-1.3.tar.gz");
    CHECK(readFile(path) == kContent);
    TempDir other;
    ExternalFileStore fromUrl(other.path(), {{"file://" + lookaside("cache2", kContent)}},
                              downloader);
    CHECK(readFile(fromUrl.ensure(file)) == kContent);
}

TEST_CASE_METHOD(FetchFixture, "a loopback HTTP cache, and the first cache with a good copy wins") {
    std::string bad = lookaside("bad", "tampered\n");
    testing::LoopbackHttpServer server(lookaside("served", kContent));
    auto fetched = store({{bad, server.url() + "/"}});
    CHECK(readFile(fetched.ensure(file)) == kContent);
}

TEST_CASE_METHOD(FetchFixture, "a mismatching download is discarded with a clear error") {
    auto tampered = store({{lookaside("bad", "tampered\n")}});
    std::string message = testing::errorText([&] { tampered.ensure(file); });
    CHECK_THAT(message,
               Catch::StartsWith("packages/libz/Cargo.toml:12: external-files: cannot fetch "
                                 "libz-1.3.tar.gz: "));
    CHECK_THAT(message, Catch::Contains("SHA-512 mismatch"));
    CHECK_FALSE(pathExists(tampered.pathOf(file)));
    CHECK(listSubdirectories(dir.path() + "/store/" + file.sha512).empty());
}

TEST_CASE_METHOD(FetchFixture, "upstream URLs are used only when allowed") {
    testing::LoopbackHttpServer server(dir.path());
    file.url = server.url() + "/probe";
    file.path = "libz-1.3.tar.gz";
    CHECK_THAT(testing::errorText([&] { store({}).ensure(file); }),
               Catch::Contains("no lookaside cache configured"));
    CHECK(readFile(store({{}, true}).ensure(file)) == kContent);
    TempDir other;
    file.forceUpstream = true;
    ExternalFileStore forced(other.path(), {}, downloader);
    CHECK(readFile(forced.ensure(file)) == kContent);
}

TEST_CASE_METHOD(FetchFixture, "HTTP errors and unreachable servers are reported per source") {
    testing::LoopbackHttpServer server(dir.path() + "/store-missing");
    std::string message = testing::errorText([&] { store({{server.url()}}).ensure(file); });
    CHECK_THAT(message, Catch::Contains(server.url() + "/libz-1.3.tar.gz/"));
    CHECK_THAT(message, Catch::Contains("404"));
}
