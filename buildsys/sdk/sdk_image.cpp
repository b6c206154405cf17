#include "sdk/sdk_image.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "sdk/byte_stream.h"
#include "sdk/oci_layout.h"
#include "sdk/rootfs_unpacker.h"
#include "sdk/tar.h"
#include "util/canonical_json.h"
#include "util/digest.h"
#include "util/error.h"
#include "util/files.h"
#include "util/json_writer.h"
#include "util/strings.h"

namespace fs = std::filesystem;

namespace twoliter {

namespace {

// A fresh folder "<prefix><pid>-XXXXXX" (unique even between threads),
// removed with its content at scope exit.
class ScratchDir {
  public:
    explicit ScratchDir(const std::string& prefix) {
        std::string pattern = prefix + std::to_string(::getpid()) + "-XXXXXX";
        if (!::mkdtemp(pattern.data()))
            throw Error(std::string("cannot create a temporary folder: ") + std::strerror(errno),
                        {pattern});
        path_ = pattern;
    }
    ~ScratchDir() {
        try {
            removeTree(path_);
        } catch (...) {
        }
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

// Removes the scratch folders ("<prefix><pid>-XXXXXX") in dir whose process
// is gone: what an interrupted run (SIGKILL, power loss) left behind.
void removeStaleScratch(const std::string& dir, const std::string& prefix) {
    for (const auto& name : listSubdirectories(dir)) {
        if (!startsWith(name, prefix))
            continue;
        long pid = std::strtol(name.c_str() + prefix.size(), nullptr, 10);
        if (pid <= 0 || (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)) {
            try {
                removeTree(dir + "/" + name);
            } catch (const Error&) {
                // Left for the next run; never fatal.
            }
        }
    }
}

bool validWord(const std::string& word, const char* extra) {
    if (word.empty())
        return false;
    for (char c : word) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || std::strchr(extra, c);
        if (!ok)
            return false;
    }
    return true;
}

std::vector<std::string> words(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string word; in >> word;)
        out.push_back(word);
    return out;
}

// The macro file of the SDK image for one target arch: the recipe folder's
// macros/<arch>, then shared, rust and cargo when present (the order
// spec/sdk.cpp loads an SDK source tree in).
std::string concatenatedMacros(const std::string& recipeDir, Arch arch) {
    std::string folder = recipeDir + "/macros";
    std::string archFile = folder + "/" + archName(arch);
    if (!isRegularFile(archFile))
        throw Error(std::string("the SDK has no macros for ") + archName(arch), {archFile},
                    "an SDK folder has macros/<arch> and macros/shared");
    std::string content;
    for (const std::string name : {archName(arch), "shared", "rust", "cargo"}) {
        std::string file = folder + "/" + name;
        if (!isRegularFile(file))
            continue;
        std::string text = readFile(file);
        if (!text.empty() && text.back() != '\n')
            text += '\n';
        content += text;
    }
    return content;
}

int64_t epochOf(const SdkRecipe& recipe) {
    if (recipe.sourceDateEpoch)
        return *recipe.sourceDateEpoch;
    if (const char* env = std::getenv("SOURCE_DATE_EPOCH")) {
        char* end = nullptr;
        long long value = std::strtoll(env, &end, 10);
        if (*env && *end == '\0' && value >= 0)
            return value;
        throw Error(std::string("SOURCE_DATE_EPOCH is not a number of seconds: ") + env);
    }
    return 0;
}

// The second layer: the SDK files twoliter reads, in sorted order, with
// fixed owners and times.
std::string sdkFilesLayer(const SdkRecipe& recipe, const std::string& recipeDir, int64_t epoch) {
    std::map<std::string, std::string> files;
    for (Arch target : allArches()) {
        files[std::string("usr/lib/rpm/platform/") + archName(target) + "-bottlerocket/macros"] =
            concatenatedMacros(recipeDir, target);
    }
    std::string provides = recipeDir + "/provides";
    if (isRegularFile(provides))
        files["usr/share/twoliter/sdk-provides"] = readFile(provides);
    if (!recipe.path.empty() && isRegularFile(recipe.path))
        files["usr/share/twoliter/sdk-recipe"] = readFile(recipe.path);

    std::set<std::string> dirs;
    for (const auto& [path, content] : files) {
        // Only the folders this layer introduces; their parents come from
        // layer 1 (rpm ships usr/lib/rpm/platform).
        std::string dir = fs::path(path).parent_path().string();
        dirs.insert(dir);
    }
    std::map<std::string, const std::string*> entries;
    for (const auto& dir : dirs)
        entries[dir] = nullptr;
    for (const auto& [path, content] : files)
        entries[path] = &content;
    TarBuilder tar;
    for (const auto& [path, content] : entries) {
        if (content)
            tar.file(path, *content, 0644, epoch);
        else
            tar.directory(path, 0755, epoch);
    }
    return tar.finish();
}

struct LayerBlob {
    OciDescriptor descriptor;
    std::string diffId;
};

// Moves an uncompressed layer tar into the layout, compressed as asked.
LayerBlob addLayer(OciLayoutWriter& layout, const std::string& tarPath,
                   const std::string& compression, const std::string& scratch) {
    std::string diffId = sha256FileHex(tarPath);
    if (compression == "none")
        return {layout.moveBlob(tarPath, diffId, oci::kLayerTar), "sha256:" + diffId};
    std::vector<std::string> argv = compression == "gzip"
                                        ? std::vector<std::string>{"gzip", "-n", "-6", "-c"}
                                        : std::vector<std::string>{"zstd", "-q", "-3", "-T0", "-c"};
    FilterSource compressed(argv, std::make_unique<FileRangeSource>(tarPath),
                            "compressing " + tarPath);
    std::string compressedPath = scratch + "/layer." + compression;
    std::string hex = copyToFile(compressed, compressedPath);
    fs::remove(tarPath);
    return {layout.moveBlob(compressedPath, hex,
                            compression == "gzip" ? oci::kLayerGzip : oci::kLayerZstd),
            "sha256:" + diffId};
}

// Customisations applied by mmdebstrap before it packs the tarball, on top
// of its own reproducibility cleanup (apt lists and caches, dpkg/apt logs,
// ldconfig aux-cache, machine-id emptied): files copied from the host and
// backup files that only record the order of installation.
const std::vector<std::string> kCustomizeHooks = {
    "rm -f \"$1/etc/resolv.conf\" \"$1/etc/hostname\"",
    "rm -f \"$1\"/var/cache/debconf/*-old \"$1\"/var/lib/dpkg/*-old",
    "rm -rf \"$1\"/var/log/apt/* \"$1\"/var/cache/apt/*.bin",
};

}  // namespace

const char* ociArchName(Arch arch) {
    return arch == Arch::X86_64 ? "amd64" : "arm64";
}

SdkRecipe readSdkRecipe(const std::string& path) {
    SdkRecipe recipe;
    recipe.path = path;
    std::string content = readFile(path);
    std::istringstream lines(content);
    std::set<std::string> seen;
    std::vector<Error> errors;
    const std::vector<std::string> keys = {
        "suite",    "mirror",       "variant",           "components",
        "packages", "path-exclude", "source-date-epoch", "compression",
        "name"};
    int number = 0;
    for (std::string line; std::getline(lines, line);) {
        ++number;
        std::vector<std::string> parts = words(line.substr(0, line.find('#')));
        if (parts.empty())
            continue;
        std::string key = parts.front();
        std::vector<std::string> values(parts.begin() + 1, parts.end());
        Location at{path, number, key};
        if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
            std::string near = closestMatch(key, keys);
            errors.emplace_back("unknown key", at,
                                near.empty() ? "keys are " + joinStrings(keys, ", ")
                                             : "did you mean " + near + "?");
            continue;
        }
        bool repeatable = key == "packages" || key == "path-exclude";
        if (!repeatable && !seen.insert(key).second) {
            errors.emplace_back("given twice", at);
            continue;
        }
        if (values.empty()) {
            errors.emplace_back("has no value", at);
            continue;
        }
        bool single = key != "packages" && key != "components";
        if (single && values.size() != 1) {
            errors.emplace_back("takes one value, got " + std::to_string(values.size()), at);
            continue;
        }
        const std::string& value = values.front();
        if (key == "suite") {
            if (!validWord(value, "-."))
                errors.emplace_back("not a Debian suite name: " + value, at);
            recipe.suite = value;
        } else if (key == "mirror") {
            if (!startsWith(value, "http://") && !startsWith(value, "https://") &&
                !startsWith(value, "file://"))
                errors.emplace_back("not an http, https or file URL: " + value, at);
            recipe.mirror = value;
        } else if (key == "variant") {
            const std::vector<std::string> variants = {
                "minbase", "essential", "apt", "required", "buildd", "important", "standard"};
            if (std::find(variants.begin(), variants.end(), value) == variants.end())
                errors.emplace_back("unknown variant " + value, at,
                                    "one of " + joinStrings(variants, ", "));
            recipe.variant = value;
        } else if (key == "components") {
            recipe.components.clear();
            for (const auto& component : values) {
                if (!validWord(component, "-"))
                    errors.emplace_back("not an apt component: " + component, at);
                recipe.components.push_back(component);
            }
        } else if (key == "packages") {
            for (const auto& package : values) {
                if (!validWord(package, "+-.:") ||
                    !std::isalnum(static_cast<unsigned char>(package[0])))
                    errors.emplace_back("not a Debian package name: " + package, at);
                else
                    recipe.packages.push_back(package);
            }
        } else if (key == "path-exclude") {
            if (!startsWith(value, "/"))
                errors.emplace_back("a dpkg path pattern starts with /: " + value, at);
            recipe.pathExcludes.push_back(value);
        } else if (key == "source-date-epoch") {
            char* end = nullptr;
            long long epoch = std::strtoll(value.c_str(), &end, 10);
            if (value.empty() || *end != '\0' || epoch < 0)
                errors.emplace_back("not a number of seconds since 1970: " + value, at);
            else
                recipe.sourceDateEpoch = epoch;
        } else if (key == "compression") {
            if (value != "none" && value != "gzip" && value != "zstd")
                errors.emplace_back("unknown compression " + value, at, "none, gzip or zstd");
            recipe.compression = value;
        } else if (key == "name") {
            recipe.name = value;
        }
    }
    for (const char* required : {"suite", "mirror"}) {
        if (!seen.count(required))
            errors.emplace_back(
                std::string("the recipe has no ") + required + " line", Location{path, 0, required},
                required == std::string("suite") ? "e.g. \"suite bookworm\""
                                                 : "e.g. \"mirror http://deb.debian.org/debian\"");
    }
    throwIfAny(errors);
    return recipe;
}

std::string createSdkImage(const SdkRecipe& recipe, const std::string& recipeDir, Arch arch,
                           const std::string& ociLayoutOut) {
    int64_t epoch = epochOf(recipe);
    std::string out = absolutePath(ociLayoutOut, fs::current_path().string());
    std::string sdkDir = absolutePath(recipeDir, fs::current_path().string());
    // Everything that can fail quickly before the long part.
    std::string extraLayer = sdkFilesLayer(recipe, sdkDir, epoch);
    OciLayoutWriter layout(out);
    removeStaleScratch(out, ".twoliter-work-");
    ScratchDir scratch(out + "/.twoliter-work-");

    bool root = ::geteuid() == 0;
    std::vector<std::string> argv = {
        "mmdebstrap",
        "--variant=" + recipe.variant,
        std::string("--mode=") + (root ? "root" : "unshare"),
        "--format=tar",
        std::string("--architectures=") + ociArchName(arch),  // Debian names them alike
        "--components=" + joinStrings(recipe.components, ","),
    };
    if (!recipe.packages.empty())
        argv.push_back("--include=" + joinStrings(recipe.packages, ","));
    for (const auto& pattern : recipe.pathExcludes)
        argv.push_back("--dpkgopt=path-exclude=" + pattern);
    for (const auto& hook : kCustomizeHooks)
        argv.push_back("--customize-hook=" + hook);
    std::string baseTar = scratch.path() + "/rootfs.tar";
    argv.insert(argv.end(), {recipe.suite, baseTar, recipe.mirror});
    std::vector<std::string> env = {"SOURCE_DATE_EPOCH=" + std::to_string(epoch), "LC_ALL=C.UTF-8"};
    if (root)  // unshare mode needs a TMPDIR the unshared user can reach
        env.push_back("TMPDIR=" + scratch.path());
    try {
        runLogged(argv, env, scratch.path() + "/mmdebstrap.log");
    } catch (const Error& e) {
        throw Error(std::string("creating the SDK root filesystem failed: ") + e.what(),
                    {recipe.path},
                    e.hint().empty() ? "check the mirror and package names" : e.hint());
    }

    LayerBlob base = addLayer(layout, baseTar, recipe.compression, scratch.path());
    std::string extraTar = scratch.path() + "/sdk-files.tar";
    writeFileAtomic(extraTar, extraLayer);
    LayerBlob files = addLayer(layout, extraTar, recipe.compression, scratch.path());

    JsonWriter config(false);
    config.beginObject();
    config.key("created").value(utcTimestamp(epoch));
    config.key("architecture").value(ociArchName(arch)).key("os").value("linux");
    config.key("config").beginObject();
    config.key("Env").stringArray(
        {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"});
    config.key("Labels").beginObject();
    config.key("dev.twoliter.sdk.suite").value(recipe.suite);
    config.key("dev.twoliter.sdk.packages").value(joinStrings(recipe.packages, ","));
    config.endObject().endObject();
    config.key("rootfs").beginObject().key("type").value("layers");
    config.key("diff_ids").stringArray({base.diffId, files.diffId}).endObject();
    config.key("history").beginArray();
    config.beginObject().key("created").value(utcTimestamp(epoch));
    config.key("created_by").value("mmdebstrap --variant=" + recipe.variant + " " + recipe.suite);
    config.endObject();
    config.beginObject().key("created").value(utcTimestamp(epoch));
    config.key("created_by").value("twoliter sdk files");
    config.endObject();
    config.endArray();
    config.endObject();
    OciDescriptor configBlob = layout.addBlob(config.str(), oci::kConfig);

    // Canonical JSON, so the manifest's OCI digest and its Twoliter.lock
    // digest (base64 of the SHA-256 of its canonical form) are one hash.
    auto descriptor = [](const OciDescriptor& d) {
        CanonicalJson object = CanonicalJson::object();
        object.set("mediaType", d.mediaType);
        object.set("digest", d.digest);
        object.set("size", static_cast<int64_t>(d.size));
        return object;
    };
    CanonicalJson manifest = CanonicalJson::object();
    manifest.set("schemaVersion", int64_t(2));
    manifest.set("mediaType", std::string(oci::kManifest));
    manifest.set("config", descriptor(configBlob));
    CanonicalJson layers = CanonicalJson::array();
    layers.push(descriptor(base.descriptor));
    layers.push(descriptor(files.descriptor));
    manifest.set("layers", std::move(layers));
    OciDescriptor manifestBlob = layout.addBlob(manifest.str(), oci::kManifest);
    layout.writeIndex(manifestBlob, ociArchName(arch), recipe.name);
    return manifestBlob.digest;
}

std::string importSdkImage(const std::string& source, const std::string& storeRoot) {
    std::string sdkStore = absolutePath(storeRoot, fs::current_path().string()) + "/sdk";
    fs::create_directories(sdkStore);
    removeStaleScratch(sdkStore, ".scratch-");
    removeStaleScratch(sdkStore, ".tmp-");
    ScratchDir scratch(sdkStore + "/.scratch-");
    ResolvedImage image = resolveImage(source, scratch.path() + "/source");
    std::string hex = sha256DigestHex(image.manifestDigest, source);
    std::string target = sdkStore + "/" + hex;
    if (isDirectory(target + "/rootfs"))
        return target + "/rootfs";

    // Every layer blob is checked before anything is unpacked.
    for (const auto& layer : image.layers)
        verifyBlob(layer.blob, layer.digest, source, layer.name);

    ScratchDir staging(sdkStore + "/.tmp-");
    fs::create_directories(staging.path() + "/rootfs");
    {
        RootfsUnpacker unpacker(staging.path() + "/rootfs");
        for (size_t i = 0; i < image.layers.size(); ++i) {
            const auto& layer = image.layers[i];
            std::string what =
                source + ": layer " + std::to_string(i + 1) + " (" + layer.name + ")";
            auto stream =
                openDecompressed(layer.blob.file, layer.blob.offset, layer.blob.size, what);
            HashingSource hashing(*stream);
            TarReader reader(hashing, what);
            unpacker.applyLayer(reader, what);
            hashing.drain();
            if (!layer.diffId.empty() && "sha256:" + hashing.hex() != layer.diffId)
                throw Error("uncompressed layer does not match its diff_id " +
                                layer.diffId.substr(0, 19) + "…",
                            {source, 0, layer.name}, "the image is damaged or was tampered with");
        }
        unpacker.finish();
    }
    // mkdtemp made it 0700; the store is read by sandboxes of other users.
    fs::permissions(staging.path(), fs::perms(0755));
    writeFileAtomic(staging.path() + "/manifest.json", image.manifest);
    writeFileAtomic(staging.path() + "/config.json", image.config);
    if (pathExists(target) && !isDirectory(target + "/rootfs"))
        removeTree(target);  // not an import of ours: we never publish without rootfs
    if (::rename(staging.path().c_str(), target.c_str()) != 0) {
        // Another import of the same image won the race: theirs is as good.
        if ((errno == EEXIST || errno == ENOTEMPTY) && isDirectory(target + "/rootfs"))
            return target + "/rootfs";
        throw Error(std::string("cannot move the SDK into the store: ") + std::strerror(errno),
                    {target});
    }
    return target + "/rootfs";
}

}  // namespace twoliter
