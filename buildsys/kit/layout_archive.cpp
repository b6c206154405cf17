#include "kit/layout_archive.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>

#include "sdk/byte_stream.h"
#include "sdk/json_reader.h"
#include "sdk/tar.h"
#include "util/digest.h"
#include "util/error.h"
#include "util/files.h"
#include "util/strings.h"

namespace fs = std::filesystem;

namespace twoliter {

namespace {

constexpr uint64_t kMaxMetadataBytes = 4u << 20;

// Where the files of a layout are: a folder, or members of a tar.
class LayoutFiles {
  public:
    explicit LayoutFiles(const std::string& source) : source_(source) {
        if (isDirectory(source))
            return;
        if (!isRegularFile(source))
            throw Error("no such kit image: not a folder or a file", {source});
        FileRangeSource input(source);
        TarReader reader(input, source);
        TarEntry entry;
        while (reader.next(entry))
            if (entry.type == TarType::File)
                members_[entry.path] = {reader.dataOffset(), entry.size};
        tar_ = true;
    }

    // A small file's bytes; nullopt when absent.
    std::optional<std::string> read(const std::string& name) const {
        uint64_t offset = 0, size = 0;
        std::string file = source_;
        if (tar_) {
            auto member = members_.find(name);
            if (member == members_.end())
                return std::nullopt;
            offset = member->second.first;
            size = member->second.second;
        } else {
            file = source_ + "/" + name;
            if (!isRegularFile(file))
                return std::nullopt;
            size = fs::file_size(file);
        }
        if (size > kMaxMetadataBytes)
            throw Error("is larger than 4 MiB, too large for image metadata", {source_, 0, name});
        std::string bytes(static_cast<size_t>(size), '\0');
        FileRangeSource input(file, offset, size);
        for (size_t done = 0; done < bytes.size();) {
            size_t n = input.read(bytes.data() + done, bytes.size() - done);
            if (n == 0)
                throw Error("is truncated", {source_, 0, name});
            done += n;
        }
        return bytes;
    }

    bool has(const std::string& name) const {
        return tar_ ? members_.count(name) > 0 : isRegularFile(source_ + "/" + name);
    }

  private:
    std::string source_;
    bool tar_ = false;
    std::map<std::string, std::pair<uint64_t, uint64_t>> members_;
};

OciDescriptor descriptorOf(const JsonValue* value, const std::string& source,
                           const std::string& name, const std::string& what) {
    if (!value || !value->isObject())
        throw Error("has no " + what + " descriptor", {source, 0, name});
    OciDescriptor descriptor;
    if (const JsonValue* mediaType = value->find("mediaType"))
        descriptor.mediaType = mediaType->text();
    const JsonValue* digest = value->find("digest");
    descriptor.digest = digest ? digest->text() : "";
    sha256DigestHex(descriptor.digest, source + ": " + name);
    const JsonValue* size = value->find("size");
    int64_t bytes = size ? size->integer(-1) : -1;
    if (bytes < 0)
        throw Error("the " + what + " descriptor has no size", {source, 0, name});
    descriptor.size = static_cast<uint64_t>(bytes);
    return descriptor;
}

std::string blobName(const OciDescriptor& descriptor) {
    return "blobs/sha256/" + descriptor.digest.substr(7);
}

std::string readBlob(const LayoutFiles& files, const OciDescriptor& descriptor,
                     const std::string& source) {
    std::string name = blobName(descriptor);
    std::optional<std::string> bytes = files.read(name);
    if (!bytes)
        throw Error("the layout has no blob " + descriptor.digest, {source, 0, name});
    if ("sha256:" + sha256Hex(*bytes) != descriptor.digest || bytes->size() != descriptor.size)
        throw Error("the blob does not match its descriptor (digest and size)", {source, 0, name},
                    "the kit image is damaged or was tampered with");
    return *bytes;
}

// Calls visit(relative path, is directory) for dir's tree, each directory
// before its entries, names sorted bytewise (what `tar --sort=name` does).
void walkSorted(const std::string& root, const std::string& relative,
                const std::function<void(const std::string&, bool)>& visit) {
    std::vector<std::string> names;
    for (const auto& entry :
         fs::directory_iterator(relative.empty() ? root : root + "/" + relative))
        names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    for (const auto& name : names) {
        std::string path = relative.empty() ? name : relative + "/" + name;
        fs::file_status status = fs::symlink_status(root + "/" + path);
        if (fs::is_directory(status)) {
            visit(path, true);
            walkSorted(root, path, visit);
        } else if (fs::is_regular_file(status)) {
            visit(path, false);
        } else {
            throw Error("is neither a regular file nor a folder; kit images hold only those",
                        {root + "/" + path});
        }
    }
}

bool isLayoutMember(const std::string& path) {
    if (path == "oci-layout" || path == "index.json")
        return true;
    return startsWith(path, "blobs/sha256/") && isSha256Hex(path.substr(13));
}

}  // namespace

MappedFile::MappedFile(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw Error(std::string("cannot open file: ") + std::strerror(errno), {path});
    struct stat info {};
    if (::fstat(fd, &info) != 0) {
        ::close(fd);
        throw Error(std::string("cannot stat file: ") + std::strerror(errno), {path});
    }
    size_ = static_cast<size_t>(info.st_size);
    if (size_ > 0) {
        data_ = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
        if (data_ == MAP_FAILED) {
            data_ = nullptr;
            ::close(fd);
            throw Error(std::string("cannot map file: ") + std::strerror(errno), {path});
        }
    }
    ::close(fd);
}

MappedFile::~MappedFile() {
    if (data_)
        ::munmap(data_, size_);
}

TreeGuard::~TreeGuard() {
    if (!path_.empty()) {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
}

LayoutImage readLayoutImage(const std::string& source) {
    LayoutFiles files(source);
    if (!files.has("oci-layout") || !files.has("index.json"))
        throw Error("not an OCI image layout (no oci-layout or index.json)", {source});
    JsonValue index = parseJson(*files.read("index.json"), source + ": index.json");
    const JsonValue* manifests = index.find("manifests");
    if (!manifests || !manifests->isArray() || manifests->items().size() != 1)
        throw Error("the layout must list exactly one image", {source, 0, "index.json"});
    LayoutImage image;
    image.manifest = descriptorOf(&manifests->items()[0], source, "index.json", "manifest");
    if (image.manifest.mediaType != oci::kManifest)
        throw Error("lists " + image.manifest.mediaType + ", not an OCI image manifest",
                    {source, 0, "index.json"});
    image.manifestBytes = readBlob(files, image.manifest, source);
    std::string manifestName = blobName(image.manifest);
    JsonValue manifest = parseJson(image.manifestBytes, source + ": " + manifestName);
    image.config = descriptorOf(manifest.find("config"), source, manifestName, "config");
    image.configBytes = readBlob(files, image.config, source);
    const JsonValue* layers = manifest.find("layers");
    if (!layers || !layers->isArray())
        throw Error("the manifest has no layers", {source, 0, manifestName});
    for (const auto& layer : layers->items()) {
        image.layers.push_back(descriptorOf(&layer, source, manifestName, "layer"));
        if (!files.has(blobName(image.layers.back())))
            throw Error("the layout has no blob " + image.layers.back().digest,
                        {source, 0, blobName(image.layers.back())});
    }
    JsonValue config = parseJson(image.configBytes, source + ": " + blobName(image.config));
    if (const JsonValue* architecture = config.find("architecture"))
        image.architecture = architecture->text();
    if (const JsonValue* os = config.find("os"))
        image.os = os->text();
    return image;
}

void writeLayoutTar(const std::string& layoutDir, const std::string& tarPath, int64_t mtime) {
    std::string temporary = tarPath + ".tmp-" + uniqueSuffix();
    FILE* out = std::fopen(temporary.c_str(), "wb");
    if (!out)
        throw Error(std::string("cannot create file: ") + std::strerror(errno), {temporary});
    bool failed = false;
    auto finish = [&]() {
        bool ok = std::fflush(out) == 0 && ::fsync(::fileno(out)) == 0;
        ok = (std::fclose(out) == 0) && ok;
        return ok && !failed;
    };
    try {
        TarWriter writer([&](std::string_view bytes) {
            failed |= std::fwrite(bytes.data(), 1, bytes.size(), out) != bytes.size();
        });
        walkSorted(layoutDir, "", [&](const std::string& path, bool directory) {
            TarEntry entry;
            entry.path = path;
            entry.mtime = mtime;
            entry.type = directory ? TarType::Directory : TarType::File;
            entry.mode = directory ? 0755 : 0644;
            if (directory) {
                writer.add(entry);
                return;
            }
            MappedFile file(layoutDir + "/" + path);
            entry.size = file.bytes().size();
            writer.add(entry, file.bytes());
        });
        writer.finish();
    } catch (...) {
        finish();
        std::remove(temporary.c_str());
        throw;
    }
    if (!finish()) {
        std::remove(temporary.c_str());
        throw Error(std::string("cannot write file: ") + std::strerror(errno), {temporary});
    }
    std::error_code ec;
    fs::rename(temporary, tarPath, ec);
    if (ec) {
        std::remove(temporary.c_str());
        throw Error("cannot move the kit image into place: " + ec.message(), {tarPath});
    }
}

void unpackLayoutTar(const std::string& tarPath, const std::string& dir) {
    fs::create_directories(dir + "/blobs/sha256");
    FileRangeSource input(tarPath);
    TarReader reader(input, tarPath);
    TarEntry entry;
    std::vector<char> buffer(1 << 16);
    while (reader.next(entry)) {
        if (entry.type == TarType::Directory)
            continue;
        if (entry.type != TarType::File || !isLayoutMember(entry.path))
            throw Error("is not part of an OCI image layout of a kit", {tarPath, 0, entry.path});
        std::string path = dir + "/" + entry.path;
        FILE* out = std::fopen(path.c_str(), "wb");
        if (!out)
            throw Error(std::string("cannot create file: ") + std::strerror(errno), {path});
        bool ok = true;
        for (size_t n; ok && (n = reader.readData(buffer.data(), buffer.size())) > 0;)
            ok = std::fwrite(buffer.data(), 1, n, out) == n;
        ok = std::fclose(out) == 0 && ok;
        if (!ok)
            throw Error(std::string("cannot write file: ") + std::strerror(errno), {path});
    }
}

}  // namespace twoliter
