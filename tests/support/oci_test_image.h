#pragma once

// Hand-made OCI image layouts and docker save archives for tests. Header
// only, so it needs no build-file change; everything is written with the
// library's own TarBuilder and OciLayoutWriter.

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "sdk/byte_stream.h"
#include "sdk/oci_layout.h"
#include "sdk/tar.h"
#include "util/digest.h"
#include "util/files.h"
#include "util/json_writer.h"

namespace twoliter::testing {

// bytes compressed by a filter program (e.g. {"gzip", "-n", "-c"}).
inline std::string compressWith(const std::vector<std::string>& argv, const std::string& bytes,
                                const std::string& scratchDir) {
    std::string input = scratchDir + "/compress-input";
    std::string output = scratchDir + "/compress-output";
    writeFileAtomic(input, bytes);
    FilterSource filter(argv, std::make_unique<FileRangeSource>(input), "test compression");
    copyToFile(filter, output);
    std::string result = readFile(output);
    std::filesystem::remove(input);
    std::filesystem::remove(output);
    return result;
}

struct TestLayer {
    std::string blob;  // bytes as stored (maybe compressed)
    std::string tar;   // uncompressed tar, for the diff_id
    std::string mediaType = oci::kLayerTar;
};

inline std::string testConfig(const std::vector<TestLayer>& layers) {
    JsonWriter config(false);
    config.beginObject().key("architecture").value(hostOciArch()).key("os").value("linux");
    config.key("rootfs").beginObject().key("type").value("layers").key("diff_ids").beginArray();
    for (const auto& layer : layers)
        config.value("sha256:" + sha256Hex(layer.tar));
    config.endArray().endObject().endObject();
    return config.str();
}

// Writes an OCI image layout at dir; returns the manifest digest.
inline std::string writeTestLayout(const std::string& dir, const std::vector<TestLayer>& layers,
                                   std::string config = "") {
    OciLayoutWriter layout(dir);
    if (config.empty())
        config = testConfig(layers);
    OciDescriptor configBlob = layout.addBlob(config, oci::kConfig);
    JsonWriter manifest(false);
    manifest.beginObject().key("schemaVersion").value(int64_t(2));
    manifest.key("mediaType").value(oci::kManifest);
    manifest.key("config").beginObject().key("mediaType").value(configBlob.mediaType);
    manifest.key("digest").value(configBlob.digest);
    manifest.key("size").value(static_cast<int64_t>(configBlob.size)).endObject();
    manifest.key("layers").beginArray();
    for (const auto& layer : layers) {
        OciDescriptor blob = layout.addBlob(layer.blob, layer.mediaType);
        manifest.beginObject().key("mediaType").value(blob.mediaType);
        manifest.key("digest").value(blob.digest);
        manifest.key("size").value(static_cast<int64_t>(blob.size)).endObject();
    }
    manifest.endArray().endObject();
    OciDescriptor manifestBlob = layout.addBlob(manifest.str(), oci::kManifest);
    layout.writeIndex(manifestBlob, hostOciArch(), "test:1");
    return manifestBlob.digest;
}

// Packs every regular file under dir (sorted) into a tar at tarPath.
inline void tarFolder(const std::string& dir, const std::string& tarPath) {
    std::vector<std::string> files;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir))
        if (entry.is_regular_file())
            files.push_back(std::filesystem::relative(entry.path(), dir).string());
    std::sort(files.begin(), files.end());
    TarBuilder tar;
    for (const auto& file : files)
        tar.file(file, readFile(dir + "/" + file));
    writeFileAtomic(tarPath, tar.finish());
}

// A legacy `docker save` archive (manifest.json, <config-hex>.json,
// <id>/layer.tar) of uncompressed layers at tarPath.
inline void writeTestDockerSave(const std::string& tarPath, const std::vector<std::string>& tars) {
    std::vector<TestLayer> layers;
    for (const auto& tar : tars)
        layers.push_back({tar, tar});
    std::string config = testConfig(layers);
    std::string configName = sha256Hex(config) + ".json";
    JsonWriter manifest(false);
    manifest.beginArray().beginObject();
    manifest.key("Config").value(configName);
    manifest.key("RepoTags").stringArray({"test:1"});
    manifest.key("Layers").beginArray();
    std::vector<std::string> names;
    for (size_t i = 0; i < tars.size(); ++i) {
        names.push_back(sha256Hex("layer id " + std::to_string(i)) + "/layer.tar");
        manifest.value(names.back());
    }
    manifest.endArray().endObject().endArray();
    TarBuilder archive;
    archive.file(configName, config);
    for (size_t i = 0; i < tars.size(); ++i) {
        archive.directory(names[i].substr(0, 64));
        archive.file(names[i], tars[i]);
    }
    archive.file("manifest.json", manifest.str());
    writeFileAtomic(tarPath, archive.finish());
}

}  // namespace twoliter::testing
