#include "fuzz_support.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace twoliter::fuzz {

namespace {

std::string makeScratchDirectory() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/twoliter-fuzz-XXXXXX";
    if (!::mkdtemp(pattern.data()))
        std::abort();
    return pattern;
}

struct Scratch {
    std::string path = makeScratchDirectory();
    ~Scratch() {
        std::error_code ignored;
        fs::remove_all(path, ignored);
    }
};

}  // namespace

const std::string& scratchDirectory() {
    static Scratch scratch;
    return scratch.path;
}

std::string writeScratchFile(const std::string& relative, std::string_view bytes) {
    std::string path = scratchDirectory() + "/" + relative;
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out.flush())
        std::abort();
    return path;
}

void clearScratch(const std::string& relative) {
    std::error_code ignored;
    fs::remove_all(scratchDirectory() + "/" + relative, ignored);
}

std::vector<std::string> splitParts(std::string_view input, size_t count) {
    constexpr std::string_view kSeparator = "\n--\n";
    std::vector<std::string> parts;
    while (parts.size() + 1 < count) {
        size_t at = input.find(kSeparator);
        if (at == std::string_view::npos)
            break;
        parts.emplace_back(input.substr(0, at));
        input.remove_prefix(at + kSeparator.size());
    }
    parts.emplace_back(input);
    parts.resize(count);
    return parts;
}

std::string replaceAll(std::string text, std::string_view from, std::string_view to) {
    for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
    return text;
}

}  // namespace twoliter::fuzz
