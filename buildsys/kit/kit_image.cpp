#include "kit/kit_image.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>

#include "kit/layout_archive.h"
#include "sdk/oci_layout.h"
#include "sdk/tar.h"
#include "util/canonical_json.h"
#include "util/digest.h"
#include "util/error.h"
#include "util/files.h"
#include "util/strings.h"

namespace fs = std::filesystem;

namespace twoliter {

namespace {

constexpr const char* kCreatedAnnotation = "org.opencontainers.image.created";

std::vector<std::string> sortedNames(const std::string& dir) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir))
        names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

// Adds dir (relative to root) and its tree to a tar, sorted by name.
void addTree(TarWriter& writer, const std::string& root, const std::string& relative,
             int64_t epoch) {
    TarEntry entry;
    entry.path = relative;
    entry.type = TarType::Directory;
    entry.mode = 0755;
    entry.mtime = epoch;
    writer.add(entry);
    for (const auto& name : sortedNames(root + "/" + relative)) {
        std::string path = relative + "/" + name;
        fs::file_status status = fs::symlink_status(root + "/" + path);
        if (fs::is_directory(status)) {
            addTree(writer, root, path, epoch);
            continue;
        }
        if (!fs::is_regular_file(status))
            throw Error("is neither a regular file nor a folder; kits hold only those",
                        {root + "/" + path});
        MappedFile file(root + "/" + path);
        TarEntry member;
        member.path = path;
        member.mode = 0644;
        member.mtime = epoch;
        member.size = file.bytes().size();
        writer.add(member, file.bytes());
    }
}

// Writes the layer of one folder of the repository into the layout's blobs.
OciDescriptor writeLayer(const std::string& repositoryDir, const std::string& folder,
                         const std::string& layoutDir, int64_t epoch) {
    std::string temporary = layoutDir + "/blobs/sha256/layer.tmp";
    FILE* out = std::fopen(temporary.c_str(), "wb");
    if (!out)
        throw Error(std::string("cannot create file: ") + std::strerror(errno), {temporary});
    Sha256 hash;
    uint64_t size = 0;
    bool failed = false;
    try {
        TarWriter writer([&](std::string_view bytes) {
            failed |= std::fwrite(bytes.data(), 1, bytes.size(), out) != bytes.size();
            hash.add(bytes);
            size += bytes.size();
        });
        addTree(writer, repositoryDir, folder, epoch);
        writer.finish();
    } catch (...) {
        std::fclose(out);
        throw;
    }
    if (std::fclose(out) != 0 || failed)
        throw Error(std::string("cannot write file: ") + std::strerror(errno), {temporary});
    std::string hex = hash.hex();
    fs::rename(temporary, layoutDir + "/blobs/sha256/" + hex);
    return {oci::kLayerTar, "sha256:" + hex, size};
}

CanonicalJson descriptorJson(const OciDescriptor& descriptor) {
    CanonicalJson json = CanonicalJson::object();
    json.set("mediaType", descriptor.mediaType);
    json.set("digest", descriptor.digest);
    json.set("size", static_cast<int64_t>(descriptor.size));
    return json;
}

// The image config as rpm2kit writes it (same fields), in canonical form.
std::string configJson(const KitImageInput& input, const std::vector<OciDescriptor>& layers) {
    CanonicalJson labels = CanonicalJson::object();
    labels.set(kKitLabel, encodeKitLabel(input.metadata));
    CanonicalJson inner = CanonicalJson::object();
    inner.set("Env", CanonicalJson::array());
    inner.set("WorkingDir", std::string("/"));
    inner.set("OnBuild", CanonicalJson());
    inner.set("Labels", std::move(labels));
    CanonicalJson diffIds = CanonicalJson::array();
    for (const auto& layer : layers)
        diffIds.push(CanonicalJson::string(layer.digest));  // uncompressed: digest = diff_id
    CanonicalJson rootfs = CanonicalJson::object();
    rootfs.set("type", std::string("layers"));
    rootfs.set("diff_ids", std::move(diffIds));
    CanonicalJson config = CanonicalJson::object();
    config.set("architecture", ociArchOf(input.arch));
    config.set("os", std::string("linux"));
    config.set("config", std::move(inner));
    config.set("created", utcTimestamp(input.sourceDateEpoch));
    config.set("history", CanonicalJson::array());
    config.set("rootfs", std::move(rootfs));
    return config.str();
}

std::string manifestJson(const OciDescriptor& config, const std::vector<OciDescriptor>& layers) {
    CanonicalJson layerList = CanonicalJson::array();
    for (const auto& layer : layers)
        layerList.push(descriptorJson(layer));
    CanonicalJson manifest = CanonicalJson::object();
    manifest.set("schemaVersion", int64_t(2));
    manifest.set("mediaType", std::string(oci::kManifest));
    manifest.set("config", descriptorJson(config));
    manifest.set("layers", std::move(layerList));
    return manifest.str();
}

std::string indexJson(const OciDescriptor& manifest, const KitImageInput& input) {
    CanonicalJson entry = descriptorJson(manifest);
    CanonicalJson annotations = CanonicalJson::object();
    annotations.set(kCreatedAnnotation, utcTimestamp(input.sourceDateEpoch));
    entry.set("annotations", std::move(annotations));
    CanonicalJson platform = CanonicalJson::object();
    platform.set("architecture", ociArchOf(input.arch));
    platform.set("os", std::string("linux"));
    entry.set("platform", std::move(platform));
    CanonicalJson index = CanonicalJson::object();
    index.set("schemaVersion", int64_t(2));
    index.set("mediaType", std::string(oci::kIndex));
    index.set("manifests", CanonicalJson::array().push(std::move(entry)));
    return index.str();
}

// The folders that become layers: Packages/<package>… sorted, then repodata.
std::vector<std::string> layerFolders(const std::string& repositoryDir) {
    if (!isRegularFile(repositoryDir + "/repodata/repomd.xml"))
        throw Error("the kit repository has no repodata/repomd.xml", {repositoryDir},
                    "write the repository metadata (createrepo_c) before packing the kit");
    std::vector<std::string> folders;
    std::string packages = repositoryDir + "/Packages";
    if (isDirectory(packages)) {
        for (const auto& name : sortedNames(packages)) {
            if (!fs::is_directory(fs::symlink_status(packages + "/" + name)))
                throw Error("is not in a package folder; kits keep RPMs in Packages/<package>/",
                            {packages + "/" + name});
            folders.push_back("Packages/" + name);
        }
    }
    folders.push_back("repodata");
    return folders;
}

}  // namespace

std::string kitImageFileName(const std::string& kit, const std::string& version,
                             const std::string& buildId, const std::string& arch) {
    return kit + "-v" + version + "-" + buildId + "-" + arch + ".tar";
}

std::string ociArchOf(const std::string& arch) {
    if (arch == "x86_64")
        return "amd64";
    if (arch == "aarch64")
        return "arm64";
    throw Error("unknown architecture '" + arch + "' (expected x86_64 or aarch64)");
}

KitImage writeKitImage(const KitImageInput& input) {
    ociArchOf(input.arch);
    std::vector<std::string> folders = layerFolders(input.repositoryDir);
    fs::path output(input.outputTar);
    fs::create_directories(output.parent_path());
    std::string layoutDir =
        (output.parent_path() / ("." + output.filename().string() + ".layout-" + uniqueSuffix()))
            .string();
    TreeGuard guard(layoutDir);
    OciLayoutWriter layout(layoutDir);
    std::vector<OciDescriptor> layers;
    for (const auto& folder : folders)
        layers.push_back(writeLayer(input.repositoryDir, folder, layoutDir, input.sourceDateEpoch));
    OciDescriptor config = layout.addBlob(configJson(input, layers), oci::kConfig);
    OciDescriptor manifest = layout.addBlob(manifestJson(config, layers), oci::kManifest);
    writeFileAtomic(layoutDir + "/index.json", indexJson(manifest, input));
    writeFileAtomic(layoutDir + "/oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}");
    writeLayoutTar(layoutDir, input.outputTar, input.sourceDateEpoch);

    KitImage image{input.outputTar, manifest.digest, config.digest, {}};
    for (const auto& layer : layers)
        image.layerDigests.push_back(layer.digest);
    return image;
}

KitImageInfo readKitImage(const std::string& source) {
    LayoutImage image = readLayoutImage(source);
    KitImageInfo info;
    info.metadata = kitMetadataOfConfig(image.configBytes, source);
    info.architecture = image.architecture;
    info.manifestDigest = image.manifest.digest;
    return info;
}

}  // namespace twoliter
