#include "image/disk_assembly.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "image/gpt.h"
#include "image/image_file.h"
#include "util/error.h"
#include "util/files.h"

namespace twoliter {

namespace {

constexpr uint64_t kMib = uint64_t(1) << 20;
constexpr size_t kBlock = 4096;     // the unit of zero detection
constexpr size_t kChunk = 1 << 20;  // bytes read at once
constexpr size_t kBootCodeBytes = 440;

uint64_t partitionOffset(const PlannedPartition& partition) {
    return partition.startMib * kMib;
}

uint64_t partitionBytes(const PlannedPartition& partition) {
    return partition.sizeMib * kMib;
}

// The next run of data in [offset, end) of file as [start, stop); {end, end}
// when only holes are left. A file system without SEEK_DATA reads as data.
std::pair<uint64_t, uint64_t> nextData(const ImageFile& file, uint64_t offset, uint64_t end) {
    off_t data = ::lseek(file.descriptor(), static_cast<off_t>(offset), SEEK_DATA);
    if (data < 0 && errno == ENXIO)
        return {end, end};
    if (data < 0)
        return {offset, end};
    if (static_cast<uint64_t>(data) >= end)
        return {end, end};
    off_t hole = ::lseek(file.descriptor(), data, SEEK_HOLE);
    uint64_t stop = hole < 0 ? end : std::min<uint64_t>(static_cast<uint64_t>(hole), end);
    return {static_cast<uint64_t>(data), stop};
}

bool isZero(const char* bytes, size_t size) {
    static const char zeros[kBlock] = {};
    return std::memcmp(bytes, zeros, size) == 0;
}

// Writes the non-zero blocks of buffer at offset of out, each run of
// consecutive non-zero blocks with one write. Returns the bytes written.
uint64_t writeNonZeroRuns(const char* buffer, size_t size, ImageFile& out, uint64_t offset) {
    uint64_t written = 0;
    size_t at = 0;
    while (at < size) {
        while (at < size && isZero(buffer + at, std::min(kBlock, size - at)))
            at += kBlock;
        size_t runStart = std::min(at, size);
        while (at < size && !isZero(buffer + at, std::min(kBlock, size - at)))
            at += kBlock;
        size_t runEnd = std::min(at, size);
        if (runEnd > runStart) {
            out.writeAt(offset + runStart, buffer + runStart, runEnd - runStart);
            written += runEnd - runStart;
        }
    }
    return written;
}

// Copies length bytes at from of in to to of out, skipping holes and zero
// blocks (out must read as zeros there). Returns the bytes written.
uint64_t copySparse(const ImageFile& in, uint64_t from, uint64_t length, ImageFile& out,
                    uint64_t to) {
    std::vector<char> buffer(kChunk);
    uint64_t written = 0;
    uint64_t end = from + length;
    for (uint64_t at = from; at < end;) {
        auto [start, stop] = nextData(in, at, end);
        for (uint64_t chunk = start; chunk < stop;) {
            size_t size = static_cast<size_t>(std::min<uint64_t>(kChunk, stop - chunk));
            in.readAt(chunk, buffer.data(), size);
            written += writeNonZeroRuns(buffer.data(), size, out, to + (chunk - from));
            chunk += size;
        }
        at = stop;
    }
    return written;
}

// Every image names a partition of the plan and fits in it.
void checkImages(const DiskPlan& plan, const PartitionImages& images) {
    for (const auto& [name, path] : images) {
        const PlannedPartition* partition = plan.find(name);
        if (!partition)
            throw Error("the " + plan.name + " disk has no such partition", {path, 0, name});
        uint64_t size = ImageFile::openForReading(path).size();
        if (size > partitionBytes(*partition)) {
            throw Error("the image of " + std::to_string(size) +
                            " bytes does not fit the partition (" +
                            std::to_string(partitionBytes(*partition)) + " bytes)",
                        {path, 0, name});
        }
    }
}

// Removes the temporary disk file unless the assembly completed.
struct TemporaryDisk {
    std::string path;
    bool committed = false;
    ~TemporaryDisk() {
        if (!committed)
            ::unlink(path.c_str());
    }
};

}  // namespace

AssembledDisk assembleDisk(const DiskPlan& plan, std::string_view seed,
                           const PartitionImages& images, const std::string& output,
                           const std::string& bootCode) {
    checkImages(plan, images);
    if (bootCode.size() > kBootCodeBytes)
        throw Error(
            "boot code of " + std::to_string(bootCode.size()) + " bytes does not fit the MBR (440)",
            {output});
    TemporaryDisk temporary{output + ".tmp-" + uniqueSuffix()};
    writeGpt(temporary.path, gptTableForPlan(plan, seed));
    ImageFile disk = ImageFile::openForWriting(temporary.path);
    AssembledDisk result;
    result.diskBytes = disk.size();
    for (const auto& [name, path] : images) {
        const PlannedPartition& partition = plan.partition(name);
        ImageFile image = ImageFile::openForReading(path);
        result.copiedBytes += copySparse(image, 0, image.size(), disk, partitionOffset(partition));
    }
    if (!bootCode.empty())
        disk.writeAt(0, bootCode.data(), bootCode.size());
    disk.sync();
    if (std::rename(temporary.path.c_str(), output.c_str()) != 0)
        throw Error(std::string("cannot rename the assembled disk: ") + std::strerror(errno),
                    {output});
    temporary.committed = true;
    return result;
}

void extractPartition(const std::string& diskPath, const PlannedPartition& partition,
                      const std::string& output) {
    ImageFile disk = ImageFile::openForReading(diskPath);
    uint64_t end = partitionOffset(partition) + partitionBytes(partition);
    if (disk.size() < end)
        throw Error("the disk ends before the partition does (byte " + std::to_string(end) + ")",
                    {diskPath, 0, partition.name});
    PendingFile pending(output);
    pending.file().resize(partitionBytes(partition));
    copySparse(disk, partitionOffset(partition), partitionBytes(partition), pending.file(), 0);
    pending.commit();
}

}  // namespace twoliter
