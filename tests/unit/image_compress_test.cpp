#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <random>

#include "image/compress.h"
#include "support/error_text.h"
#include "support/temp_tree.h"
#include "support/test_packages.h"
#include "util/files.h"

using namespace twoliter;
using twoliter::testing::runCapturing;

namespace {

// Image-like content of `bytes` bytes: compressible text, random runs and a
// hole, the same every time.
void writeInput(const std::string& path, size_t bytes) {
    std::mt19937 random(7);
    std::string content;
    while (content.size() < bytes) {
        content += "block " + std::to_string(random() % 1000) + " of a root file system\n";
        if (random() % 50 == 0) {
            for (int i = 0; i < 512; ++i)
                content += static_cast<char>(random());
        }
    }
    content.resize(bytes);
    std::fill(content.begin() + static_cast<long>(bytes / 3),
              content.begin() + static_cast<long>(bytes / 2), '\0');
    std::ofstream(path, std::ios::binary) << content;
}

size_t entriesIn(const std::string& dir) {
    auto entries = std::filesystem::directory_iterator(dir);
    return static_cast<size_t>(std::distance(begin(entries), end(entries)));
}

}  // namespace

TEST_CASE("zstd output decompresses with the CLI and does not depend on workers", "[image]") {
    testing::TempDir dir;
    const std::string input = dir.path() + "/os.img";
    // Three whole 8 MiB jobs at level 3: the frame's end then depends on
    // ending the stream with the last data, as the CLI does.
    writeInput(input, 24 << 20);
    compressZstd(input, dir.path() + "/a.zst", {3, 2});
    compressZstd(input, dir.path() + "/b.zst", {3, 2});
    compressZstd(input, dir.path() + "/one.zst", {3, 1});
    compressZstd(input, dir.path() + "/four.zst", {3, 4});
    CHECK(entriesIn(dir.path()) == 5);  // no temporaries left

    auto [status, output] = runCapturing("zstd -q -d -c " + dir.path() + "/a.zst | cmp - " + input);
    INFO(output);
    CHECK(status == 0);
    CHECK(readFile(dir.path() + "/a.zst") == readFile(dir.path() + "/b.zst"));
    CHECK(readFile(dir.path() + "/a.zst") == readFile(dir.path() + "/one.zst"));
    CHECK(readFile(dir.path() + "/a.zst") == readFile(dir.path() + "/four.zst"));
    CHECK(std::filesystem::file_size(dir.path() + "/a.zst") < (10 << 20));
    // The same frame as the CLI writes for the same level.
    CHECK(runCapturing("zstd -q -3 -T2 -c " + input + " | cmp - " + dir.path() + "/a.zst").first ==
          0);
    // The content size is in the frame header.
    CHECK(runCapturing("zstd -l -v " + dir.path() + "/a.zst")
              .second.find("Decompressed Size: 24.0 MiB") != std::string::npos);
}

TEST_CASE("lz4 output is what lz4 -9 writes and round-trips", "[image]") {
    testing::TempDir dir;
    for (size_t bytes : {size_t(0), size_t(100000), size_t(4 << 20), size_t(9 << 20) + 17}) {
        DYNAMIC_SECTION(bytes << " bytes") {
            const std::string input = dir.path() + "/in-" + std::to_string(bytes);
            const std::string output = input + ".lz4";
            writeInput(input, bytes);
            compressLz4(input, output);
            CHECK(runCapturing("lz4 -q -t " + output).first == 0);
            CHECK(runCapturing("lz4 -q -d -c " + output + " | cmp - " + input).first == 0);
            CHECK(runCapturing("lz4 -q -9 -c " + input + " | cmp - " + output).first == 0);
            compressLz4(input, output + ".again");
            CHECK(readFile(output) == readFile(output + ".again"));
        }
    }
}

TEST_CASE("a missing input is an error naming it, and no output appears", "[image]") {
    testing::TempDir dir;
    const std::string input = dir.path() + "/missing.img";
    CHECK(testing::errorText([&] { compressZstd(input, input + ".zst"); }) ==
          input + ": cannot open file: No such file or directory");
    CHECK(testing::errorText([&] { compressLz4(input, input + ".lz4"); }) ==
          input + ": cannot open file: No such file or directory");
    writeInput(dir.path() + "/x", 10);
    CHECK(testing::errorText([&] {
              compressZstd(dir.path() + "/x", dir.path() + "/x.zst", {3, 0});
          }) == dir.path() + "/x.zst: zstd needs at least one worker");
    CHECK(entriesIn(dir.path()) == 1);
}
