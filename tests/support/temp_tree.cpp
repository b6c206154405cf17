#include "support/temp_tree.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace twoliter::testing {

TempDir::TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/twoliter-test-XXXXXX";
    if (!::mkdtemp(pattern.data()))
        throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
}

void copyTree(const std::string& from, const std::string& to) {
    fs::create_directories(to);
    for (const auto& entry : fs::directory_iterator(from)) {
        fs::path target = fs::path(to) / entry.path().filename();
        if (entry.is_directory()) {
            if (entry.path().filename() == "build")
                continue;
            copyTree(entry.path().string(), target.string());
        } else {
            fs::copy(entry.path(), target, fs::copy_options::overwrite_existing);
        }
    }
}

void writeTreeFile(const std::string& root, const std::string& relative,
                   const std::string& content) {
    fs::path path = fs::path(root) / relative;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << content;
}

std::string sourceDir() {
    return TWOLITER_SOURCE_DIR;
}
std::string sampleSdk() {
    return sourceDir() + "/sdk";
}

void copySampleProject(const std::string& dir) {
    for (const char* file : {"Twoliter.toml", "Release.toml", "Cargo.toml"}) {
        fs::copy(sourceDir() + "/" + file, dir + "/" + file);
    }
    for (const char* folder : {"packages", "variants", "kits", "sdk", "lookaside"}) {
        copyTree(sourceDir() + "/" + folder, dir + "/" + folder);
    }
}

}  // namespace twoliter::testing
