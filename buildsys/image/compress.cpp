#include "image/compress.h"

#include <lz4frame.h>
#include <zstd.h>

#include <vector>

#include "image/image_file.h"
#include "util/error.h"

namespace twoliter {

namespace {

constexpr size_t kLz4BlockSize = 4 << 20;  // LZ4F_max4MB, the lz4 CLI's default

class ZstdContext {
  public:
    ZstdContext() : context_(ZSTD_createCCtx()) {}
    ~ZstdContext() { ZSTD_freeCCtx(context_); }
    ZstdContext(const ZstdContext&) = delete;
    ZstdContext& operator=(const ZstdContext&) = delete;
    ZSTD_CCtx* get() { return context_; }

  private:
    ZSTD_CCtx* context_;
};

void checkZstd(size_t result, const std::string& path) {
    if (ZSTD_isError(result))
        throw Error(std::string("zstd: ") + ZSTD_getErrorName(result), {path});
}

void configureZstd(ZstdContext& context, const ZstdSettings& settings, uint64_t inputSize,
                   const std::string& path) {
    if (settings.workers < 1)
        throw Error("zstd needs at least one worker", {path});
    checkZstd(ZSTD_CCtx_setParameter(context.get(), ZSTD_c_compressionLevel, settings.level), path);
    checkZstd(ZSTD_CCtx_setParameter(context.get(), ZSTD_c_checksumFlag, 1), path);
    checkZstd(ZSTD_CCtx_setParameter(context.get(), ZSTD_c_contentSizeFlag, 1), path);
    size_t workers = ZSTD_CCtx_setParameter(context.get(), ZSTD_c_nbWorkers, settings.workers);
    if (ZSTD_isError(workers))
        throw Error("this libzstd has no multi-threading support", {path});
    checkZstd(ZSTD_CCtx_setPledgedSrcSize(context.get(), inputSize), path);
}

class Lz4Context {
  public:
    explicit Lz4Context(const std::string& path) {
        if (LZ4F_isError(LZ4F_createCompressionContext(&context_, LZ4F_VERSION)))
            throw Error("cannot create an LZ4 context", {path});
    }
    ~Lz4Context() { LZ4F_freeCompressionContext(context_); }
    Lz4Context(const Lz4Context&) = delete;
    Lz4Context& operator=(const Lz4Context&) = delete;
    LZ4F_cctx* get() { return context_; }

  private:
    LZ4F_cctx* context_ = nullptr;
};

size_t checkLz4(size_t result, const std::string& path) {
    if (LZ4F_isError(result))
        throw Error(std::string("lz4: ") + LZ4F_getErrorName(result), {path});
    return result;
}

// The lz4 CLI's frame settings (lz4io.c): autoflush, independent blocks,
// content checksum, no block checksum, no content size.
LZ4F_preferences_t lz4Preferences(int level) {
    LZ4F_preferences_t preferences{};
    preferences.autoFlush = 1;
    preferences.compressionLevel = level;
    preferences.frameInfo.blockMode = LZ4F_blockIndependent;
    preferences.frameInfo.blockSizeID = LZ4F_max4MB;
    preferences.frameInfo.blockChecksumFlag = LZ4F_noBlockChecksum;
    preferences.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
    return preferences;
}

}  // namespace

void compressZstd(const std::string& input, const std::string& output,
                  const ZstdSettings& settings) {
    ImageFile source = ImageFile::openForReading(input);
    const uint64_t inputSize = source.size();
    ZstdContext context;
    configureZstd(context, settings, inputSize, output);
    PendingFile target(output);
    std::vector<char> in(ZSTD_CStreamInSize()), out(ZSTD_CStreamOutSize());
    uint64_t offset = 0;
    for (;;) {
        size_t read = source.readSomeAt(offset, in.data(), in.size());
        offset += read;
        // The last data goes in with ZSTD_e_end, as the CLI gives it: the
        // jobs of the multi-threaded frame, hence its bytes, depend on that.
        bool last = read < in.size() || offset >= inputSize;
        ZSTD_EndDirective mode = last ? ZSTD_e_end : ZSTD_e_continue;
        ZSTD_inBuffer chunk{in.data(), read, 0};
        size_t remaining = 0;
        do {
            ZSTD_outBuffer buffer{out.data(), out.size(), 0};
            remaining = ZSTD_compressStream2(context.get(), &buffer, &chunk, mode);
            checkZstd(remaining, output);
            target.append(out.data(), buffer.pos);
        } while (mode == ZSTD_e_end ? remaining != 0 : chunk.pos < chunk.size);
        if (mode == ZSTD_e_end)
            break;
    }
    target.commit();
}

namespace {

// Frame header, one compressed block per 4 MiB read (the first already in
// `in`), end mark and content checksum.
void writeLz4Blocks(const ImageFile& source, std::vector<char>& in, size_t read,
                    const LZ4F_preferences_t& preferences, PendingFile& target) {
    const std::string& path = target.path();
    Lz4Context context(path);
    std::vector<char> out(LZ4F_compressFrameBound(kLz4BlockSize, nullptr));
    size_t size =
        checkLz4(LZ4F_compressBegin(context.get(), out.data(), out.size(), &preferences), path);
    target.append(out.data(), size);
    uint64_t offset = 0;
    while (read > 0) {
        size = checkLz4(
            LZ4F_compressUpdate(context.get(), out.data(), out.size(), in.data(), read, nullptr),
            path);
        target.append(out.data(), size);
        offset += read;
        read = source.readSomeAt(offset, in.data(), in.size());
    }
    size = checkLz4(LZ4F_compressEnd(context.get(), out.data(), out.size(), nullptr), path);
    target.append(out.data(), size);
}

}  // namespace

void compressLz4(const std::string& input, const std::string& output, int level) {
    ImageFile source = ImageFile::openForReading(input);
    LZ4F_preferences_t preferences = lz4Preferences(level);
    PendingFile target(output);
    std::vector<char> in(kLz4BlockSize);
    size_t read = source.readSomeAt(0, in.data(), in.size());
    if (read < in.size()) {
        // As the CLI does for a single-block input: one call, which also
        // shrinks the block size to the smallest that holds the input.
        std::vector<char> out(LZ4F_compressFrameBound(read, &preferences));
        size_t size = checkLz4(
            LZ4F_compressFrame(out.data(), out.size(), in.data(), read, &preferences), output);
        target.append(out.data(), size);
    } else {
        writeLz4Blocks(source, in, read, preferences, target);
    }
    target.commit();
}

}  // namespace twoliter
