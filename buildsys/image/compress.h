#pragma once

#include <string>

namespace twoliter {

struct ZstdSettings {
    int level = 3;
    // Compression threads (ZSTD_c_nbWorkers, at least 1). The output does not
    // depend on it: zstd cuts the input into the same jobs for any count.
    int workers = 2;
};

// Compresses input into a single zstd frame at output (written under a
// temporary name, then renamed) as `zstd -<level> -T<workers>` does: content
// size and checksum in the frame. The same input and level give the same
// bytes. Throws Error naming the file that cannot be read or written.
void compressZstd(const std::string& input, const std::string& output,
                  const ZstdSettings& settings = {});

// Compresses input into an LZ4 frame at output (temporary name, then
// renamed) as `lz4 -<level>` writes it (upstream's artifacts use lz4 -9):
// independent 4 MiB blocks, content checksum, no content size; an input
// shorter than one block is one frame with the smallest block size that
// holds it. Throws Error naming the file that cannot be read or written.
void compressLz4(const std::string& input, const std::string& output, int level = 9);

}  // namespace twoliter
