#pragma once

// Shared by the libFuzzer targets of this folder. Each target feeds one
// parser of outside input. A twoliter::Error is the expected answer to bad
// input; any other exception escapes LLVMFuzzerTestOneInput and libFuzzer
// reports it as a crash, because the CLI would show it without file or line.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace twoliter::fuzz {

// A folder under $TMPDIR (or /tmp) made on first use and removed with its
// content when the process exits normally.
const std::string& scratchDirectory();

// Writes bytes to scratchDirectory()/relative (folders created, the file
// replaced) and returns the file's path.
std::string writeScratchFile(const std::string& relative, std::string_view bytes);

// Removes everything under scratchDirectory()/relative.
void clearScratch(const std::string& relative);

// The input cut at each "\n--\n" into at most count parts; missing parts are
// empty. The seed corpora use the same separator.
std::vector<std::string> splitParts(std::string_view input, size_t count);

// Replaces every occurrence of from in text with to.
std::string replaceAll(std::string text, std::string_view from, std::string_view to);

// The input as a string.
inline std::string_view asText(const uint8_t* data, size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

}  // namespace twoliter::fuzz
