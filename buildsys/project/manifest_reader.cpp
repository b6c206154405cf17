// The only translation unit that includes toml11: every TOML file of a
// project is read here.
#include "project/manifest_reader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <toml.hpp>
#include <vector>

#include "util/digest.h"
#include "util/files.h"
#include "util/strings.h"

namespace twoliter {

namespace {

using TomlValue = toml::basic_value<toml::discard_comments, std::map, std::vector>;

// A TOML document plus the name used in messages.
struct Document {
    TomlValue root;
    std::string file;
};

Location locate(const Document& doc, const TomlValue& value, const std::string& key) {
    auto line = static_cast<int>(value.location().line());
    return {doc.file, line > 0 ? line : 0, key};
}

// toml11 messages are multi-line and rustc-styled; keep the first line's text.
std::string firstLineOf(const std::string& message) {
    std::string line = message.substr(0, message.find('\n'));
    for (const char* prefix : {"[error] ", "toml::"}) {
        if (startsWith(line, prefix))
            line = line.substr(std::string(prefix).size());
    }
    return trimString(line);
}

// The offset of the first byte of text that is not part of valid UTF-8
// (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF), or
// npos when it is all valid.
size_t invalidUtf8Offset(const std::string& text) {
    for (size_t i = 0; i < text.size();) {
        auto byte = static_cast<unsigned char>(text[i]);
        size_t length = byte < 0x80           ? 1
                        : (byte >> 5) == 0x6  ? 2
                        : (byte >> 4) == 0xe  ? 3
                        : (byte >> 3) == 0x1e ? 4
                                              : 0;
        if (length == 0 || i + length > text.size())
            return i;
        uint32_t point = length == 1 ? byte : byte & (0x7f >> length);
        for (size_t k = 1; k < length; ++k) {
            auto next = static_cast<unsigned char>(text[i + k]);
            if ((next & 0xc0) != 0x80)
                return i;
            point = (point << 6) | (next & 0x3f);
        }
        static const uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
        if (point < smallest[length] || point > 0x10ffff || (point >= 0xd800 && point < 0xe000))
            return i;
        i += length;
    }
    return std::string::npos;
}

Document parseDocument(const std::string& path, const std::string& displayName) {
    std::ifstream file(path, std::ios::binary);
    if (!file)
        throw Error("cannot read file", {displayName});
    std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    // TOML is UTF-8. Checked here because toml11 3.7 reads out of bounds
    // when it reports invalid UTF-8 in a literal string (found by fuzzing).
    if (size_t bad = invalidUtf8Offset(text); bad != std::string::npos) {
        int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + bad, '\n'));
        throw Error("invalid TOML: not valid UTF-8", {displayName, line});
    }
    std::istringstream in(text);
    try {
        return {toml::parse<toml::discard_comments, std::map, std::vector>(in, displayName),
                displayName};
    } catch (const toml::exception& e) {
        auto line = static_cast<int>(e.location().line());
        throw Error("invalid TOML: " + firstLineOf(e.what()), {displayName, line});
    }
}

const char* typeName(const TomlValue& value) {
    switch (value.type()) {
        case toml::value_t::string:
            return "a string";
        case toml::value_t::integer:
            return "an integer";
        case toml::value_t::boolean:
            return "a boolean";
        case toml::value_t::array:
            return "an array";
        case toml::value_t::table:
            return "a table";
        default:
            return "another type";
    }
}

// A table of the document together with its dotted key path, so that every
// accessor can name the key it complains about.
class Table {
  public:
    Table(const Document& doc, const TomlValue& value, std::string path)
        : doc_(doc), value_(value), path_(std::move(path)) {}

    const TomlValue* find(const std::string& key) const {
        const auto& table = value_.as_table();
        auto it = table.find(key);
        return it == table.end() ? nullptr : &it->second;
    }

    std::string keyPath(const std::string& key) const {
        return path_.empty() ? key : path_ + "." + key;
    }

    Location locationOf(const std::string& key) const {
        const TomlValue* value = find(key);
        return locate(doc_, value ? *value : value_, keyPath(key));
    }

    [[noreturn]] void fail(const std::string& key, const std::string& message) const {
        throw Error(message, locationOf(key));
    }

    const TomlValue& require(const std::string& key, toml::value_t type,
                             const char* expected) const {
        const TomlValue* value = find(key);
        if (!value)
            throw Error("missing required key", locate(doc_, value_, keyPath(key)));
        if (value->type() != type) {
            fail(key, std::string("expected ") + expected + ", found " + typeName(*value));
        }
        return *value;
    }

    std::string string(const std::string& key, bool required = false) const {
        if (!required && !find(key))
            return {};
        return require(key, toml::value_t::string, "a string").as_string().str;
    }

    int64_t integer(const std::string& key, int64_t fallback, bool required = false) const {
        if (!required && !find(key))
            return fallback;
        return require(key, toml::value_t::integer, "an integer").as_integer();
    }

    bool boolean(const std::string& key, bool fallback) const {
        if (!find(key))
            return fallback;
        return require(key, toml::value_t::boolean, "a boolean").as_boolean();
    }

    std::vector<std::string> strings(const std::string& key) const {
        std::vector<std::string> items;
        if (!find(key))
            return items;
        for (const auto& item : require(key, toml::value_t::array, "an array").as_array()) {
            if (!item.is_string()) {
                throw Error(std::string("expected an array of strings, found ") + typeName(item),
                            locate(doc_, item, keyPath(key)));
            }
            items.push_back(item.as_string().str);
        }
        return items;
    }

    std::optional<Table> table(const std::string& key) const {
        if (!find(key))
            return std::nullopt;
        return Table(doc_, require(key, toml::value_t::table, "a table"), keyPath(key));
    }

    std::vector<Table> tables(const std::string& key) const {
        std::vector<Table> items;
        if (!find(key))
            return items;
        for (const auto& item : require(key, toml::value_t::array, "an array").as_array()) {
            if (!item.is_table()) {
                throw Error(std::string("expected an array of tables, found ") + typeName(item),
                            locate(doc_, item, keyPath(key)));
            }
            items.emplace_back(doc_, item, keyPath(key));
        }
        return items;
    }

    std::vector<std::string> keys() const {
        std::vector<std::string> names;
        for (const auto& entry : value_.as_table())
            names.push_back(entry.first);
        return names;
    }

    // Rejects keys outside the schema, suggesting the closest known one.
    void allowOnly(const std::vector<std::string>& allowed) const {
        for (const auto& key : keys()) {
            if (std::find(allowed.begin(), allowed.end(), key) != allowed.end())
                continue;
            std::string suggestion = closestMatch(key, allowed);
            throw Error("unknown key", locationOf(key),
                        suggestion.empty() ? "" : "did you mean '" + suggestion + "'?");
        }
    }

    std::string canonicalText() const { return toml::format(value_); }
    Location location() const { return locate(doc_, value_, path_); }
    const Document& document() const { return doc_; }

  private:
    const Document& doc_;
    const TomlValue& value_;
    std::string path_;
};

Table rootTable(const Document& doc) {
    return Table(doc, doc.root, "");
}

ImageRef readImageRef(const Table& table) {
    table.allowOnly({"name", "version", "vendor"});
    return {table.string("name", true), table.string("version", true), table.string("vendor", true),
            table.location()};
}

LockedImage readLockedImage(const Table& table) {
    table.allowOnly({"name", "version", "vendor", "source", "digest"});
    return {table.string("name", true), table.string("version", true), table.string("vendor", true),
            table.string("source", true), table.string("digest", true)};
}

// A path written in a project file, relative to that file's folder.
std::string projectPath(const std::string& file, const std::string& value) {
    return std::filesystem::path(file).parent_path().append(value).lexically_normal().string();
}

void requireSchemaVersion(const Table& root) {
    if (root.integer("schema-version", 0, true) != 1) {
        root.fail("schema-version", "unsupported schema-version (only 1 is known)");
    }
}

}  // namespace

TwoliterConfig readTwoliterConfig(const std::string& path, const std::string& displayName) {
    Document doc = parseDocument(path, displayName);
    Table root = rootTable(doc);
    TwoliterConfig config;
    config.path = path;
    requireSchemaVersion(root);
    config.releaseVersion = root.string("release-version", true);
    if (auto vendors = root.table("vendor")) {
        static const std::regex vendorId("[A-Za-z0-9_-]+");
        for (const auto& id : vendors->keys()) {
            if (!std::regex_match(id, vendorId))
                vendors->fail(id, "invalid vendor name");
            Table vendor = *vendors->table(id);
            vendor.allowOnly({"registry", "signing-key"});
            config.vendorRegistries[id] = vendor.string("registry", true);
            std::string key = vendor.string("signing-key");
            if (!key.empty())
                config.vendorSigningKeys[id] = {projectPath(path, key),
                                                vendor.locationOf("signing-key")};
        }
    }
    if (auto signing = root.table("signing")) {
        signing->allowOnly({"key", "sign-rpms"});
        RepoSigning settings;
        settings.secretKeyPath = projectPath(path, signing->string("key", true));
        settings.signRpms = signing->boolean("sign-rpms", false);
        settings.location = signing->locationOf("key");
        config.signing = settings;
    }
    if (auto image = root.table("image")) {
        image->allowOnly({"compression"});
        std::string compression = image->string("compression");
        if (compression == "lz4")
            config.imageCompression = ImageCompression::Lz4;
        else if (!compression.empty() && compression != "zstd")
            image->fail("compression", "expected \"zstd\" or \"lz4\"");
    }
    if (auto sdk = root.table("sdk"))
        config.sdk = readImageRef(*sdk);
    for (const auto& kit : root.tables("kit"))
        config.kits.push_back(readImageRef(kit));
    auto checkVendor = [&](const ImageRef& image) {
        if (!config.vendorRegistries.count(image.vendor)) {
            throw Error("vendor '" + image.vendor + "' is not declared in [vendor]", image.location,
                        "add [vendor." + image.vendor + "] registry = \"...\"");
        }
    };
    if (config.sdk)
        checkVendor(*config.sdk);
    for (const auto& kit : config.kits)
        checkVendor(kit);
    return config;
}

TwoliterLock readTwoliterLock(const std::string& path, const std::string& displayName) {
    Document doc = parseDocument(path, displayName);
    Table root = rootTable(doc);
    root.allowOnly({"schema-version", "sdk", "kit"});
    requireSchemaVersion(root);
    TwoliterLock lock;
    lock.path = path;
    if (auto sdk = root.table("sdk"))
        lock.sdk = readLockedImage(*sdk);
    for (const auto& kit : root.tables("kit"))
        lock.kits.push_back(readLockedImage(kit));
    return lock;
}

ReleaseConfig readReleaseConfig(const std::string& path, const std::string& displayName) {
    Document doc = parseDocument(path, displayName);
    Table root = rootTable(doc);
    root.allowOnly({"version", "migrations"});
    ReleaseConfig release;
    release.path = path;
    release.version = root.string("version", true);
    static const std::regex pairPattern(R"(\(([^ ,]+),[ ]*([^ ,]+)\))");
    if (auto migrations = root.table("migrations")) {
        for (const auto& key : migrations->keys()) {
            std::smatch match;
            if (!std::regex_match(key, match, pairPattern)) {
                migrations->fail(key, "migration key must look like \"(FROM, TO)\"");
            }
            release.migrations.push_back({match[1], match[2], migrations->strings(key)});
        }
    }
    return release;
}

namespace {

SigningKeySource readKeySource(const Table& table) {
    std::vector<std::string> kinds = table.keys();
    if (kinds.size() != 1) {
        throw Error("expected exactly one of file, kms or ssm", table.location());
    }
    table.allowOnly({"file", "kms", "ssm"});
    SigningKeySource source;
    source.kind = kinds.front();
    Table fields = *table.table(source.kind);
    for (const auto& key : fields.keys()) {
        const TomlValue* value = fields.find(key);
        if (value->is_string())
            source.fields[key] = value->as_string().str;
    }
    return source;
}

RepoConfig readRepoConfig(const Table& table) {
    table.allowOnly({"root_role_url", "root_role_sha512", "signing_keys", "root_keys",
                     "metadata_base_url", "targets_url", "file_hosting_config_name",
                     "root_key_threshold", "pub_key_threshold"});
    RepoConfig repo;
    repo.rootRoleUrl = table.string("root_role_url");
    repo.rootRoleSha512 = table.string("root_role_sha512");
    if (repo.rootRoleUrl.empty() != repo.rootRoleSha512.empty()) {
        table.fail(repo.rootRoleUrl.empty() ? "root_role_url" : "root_role_sha512",
                   "root_role_url and root_role_sha512 must be given together");
    }
    if (auto keys = table.table("signing_keys"))
        repo.signingKeys = readKeySource(*keys);
    if (auto keys = table.table("root_keys"))
        repo.rootKeys = readKeySource(*keys);
    repo.metadataBaseUrl = table.string("metadata_base_url");
    repo.targetsUrl = table.string("targets_url");
    repo.fileHostingConfigName = table.string("file_hosting_config_name");
    repo.rootKeyThreshold = static_cast<int>(table.integer("root_key_threshold", 0));
    repo.pubKeyThreshold = static_cast<int>(table.integer("pub_key_threshold", 0));
    return repo;
}

}  // namespace

InfraConfig readInfraConfig(const std::string& path, const std::string& displayName) {
    Document doc = parseDocument(path, displayName);
    Table root = rootTable(doc);
    root.allowOnly({"repo", "aws", "vmware", "vendor"});
    InfraConfig infra;
    infra.path = path;
    if (auto repos = root.table("repo")) {
        for (const auto& name : repos->keys())
            infra.repos[name] = readRepoConfig(*repos->table(name));
    }
    if (auto aws = root.table("aws")) {
        aws->allowOnly({"regions", "profile", "role", "ssm_prefix", "region", "s3"});
        infra.awsRegions = aws->strings("regions");
        infra.awsProfile = aws->string("profile");
        infra.awsRole = aws->string("role");
        infra.awsSsmPrefix = aws->string("ssm_prefix");
    }
    if (auto vmware = root.table("vmware")) {
        vmware->allowOnly({"datacenters", "common", "datacenter"});
        infra.vmwareDatacenters = vmware->strings("datacenters");
    }
    if (auto vendors = root.table("vendor")) {
        for (const auto& id : vendors->keys()) {
            Table vendor = *vendors->table(id);
            vendor.allowOnly({"registry"});
            infra.vendorRegistries[id] = vendor.string("registry", true);
        }
    }
    return infra;
}

namespace {

std::string parentDirectory(const std::string& path) {
    return std::filesystem::path(path).parent_path().string();
}

std::vector<PathDependency> readPathDependencies(const Table& root, const std::string& key,
                                                 const std::string& manifestDir) {
    std::vector<PathDependency> dependencies;
    auto table = root.table(key);
    if (!table)
        return dependencies;
    for (const auto& name : table->keys()) {
        const TomlValue* value = table->find(name);
        if (!value->is_table())
            continue;  // a registry dependency, not a project member
        std::string relative = table->table(name)->string("path");
        if (relative.empty())
            continue;
        dependencies.push_back(
            {name, absolutePath(relative, manifestDir), table->locationOf(name)});
    }
    return dependencies;
}

ExternalFile readExternalFile(const Table& table) {
    table.allowOnly({"url", "sha512", "path", "force-upstream", "bundle-modules",
                     "bundle-root-path", "bundle-output-path"});
    ExternalFile file;
    file.url = table.string("url", true);
    file.sha512 = table.string("sha512", true);
    static const std::regex sha512Pattern("[0-9a-fA-F]{128}");
    if (!std::regex_match(file.sha512, sha512Pattern)) {
        table.fail("sha512", "expected 128 hexadecimal digits");
    }
    file.path = table.string("path");
    if (file.path.find('/') != std::string::npos || file.path == "..") {
        table.fail("path", "must be a single file name");
    }
    file.forceUpstream = table.boolean("force-upstream", false);
    file.bundleModules = table.strings("bundle-modules");
    for (const auto& module : file.bundleModules) {
        if (module != "go")
            table.fail("bundle-modules", "unknown bundle module '" + module + "'");
    }
    file.bundleRootPath = table.string("bundle-root-path");
    file.bundleOutputPath = table.string("bundle-output-path");
    file.location = table.location();
    if (file.fileName().empty())
        table.fail("url", "URL has no file name; set path");
    return file;
}

PackageManifest readPackageMetadata(const Table& metadata, const Table& root,
                                    const std::string& cargoName, const std::string& path) {
    for (const char* removed : {"variant-sensitive", "package-features"}) {
        if (metadata.find(removed)) {
            metadata.fail(removed, "no longer supported: packages may not be variant-aware");
        }
    }
    metadata.allowOnly({"package-name", "external-files", "source-groups", "releases-url"});
    PackageManifest package;
    package.directory = parentDirectory(path);
    package.manifestPath = path;
    package.cargoName = cargoName;
    package.packageName = metadata.string("package-name");
    if (package.packageName.empty())
        package.packageName = cargoName;
    for (const auto& entry : metadata.tables("external-files")) {
        package.externalFiles.push_back(readExternalFile(entry));
    }
    package.sourceGroups = metadata.strings("source-groups");
    package.releasesUrl = metadata.string("releases-url");
    package.buildDependencies = readPathDependencies(root, "build-dependencies", package.directory);
    package.dependencies = readPathDependencies(root, "dependencies", package.directory);
    return package;
}

ImageLayout readImageLayout(const Table& table) {
    table.allowOnly({"os-image-size-gib", "data-image-size-gib", "publish-image-size-hint-gib",
                     "partition-plan"});
    ImageLayout layout;
    auto size = [&](const char* key, int fallback) {
        int64_t value = table.integer(key, fallback);
        if (value <= 0 || value > 65535)
            table.fail(key, "must be between 1 and 65535");
        return static_cast<int>(value);
    };
    layout.osImageSizeGib = size("os-image-size-gib", 2);
    layout.dataImageSizeGib = size("data-image-size-gib", 1);
    layout.publishImageSizeHintGib = size("publish-image-size-hint-gib", 22);
    std::string plan = table.string("partition-plan");
    if (plan == "unified") {
        layout.partitionPlan = PartitionPlan::Unified;
    } else if (!plan.empty() && plan != "split") {
        table.fail("partition-plan", "expected \"split\" or \"unified\", found \"" + plan + "\"");
    }
    return layout;
}

std::set<std::string> readImageFeatures(const std::optional<Table>& table) {
    std::set<std::string> enabled = {"in-place-updates", "host-containers"};
    if (!table)
        return enabled;
    table->allowOnly(knownImageFeatures());
    for (const auto& feature : table->keys()) {
        if (table->boolean(feature, false)) {
            enabled.insert(feature);
        } else {
            enabled.erase(feature);
        }
    }
    return enabled;
}

ImageFormat readImageFormat(const Table& metadata) {
    std::string format = metadata.string("image-format");
    if (format.empty() || format == "raw")
        return ImageFormat::Raw;
    if (format == "qcow2")
        return ImageFormat::Qcow2;
    if (format == "vmdk")
        return ImageFormat::Vmdk;
    metadata.fail("image-format", "expected raw, qcow2 or vmdk, found \"" + format + "\"");
}

VariantManifest readVariantMetadata(const Table& metadata, const Table& root,
                                    const std::string& cargoName, const std::string& path) {
    metadata.allowOnly({"included-packages", "kernel-parameters", "image-format", "image-layout",
                        "image-features", "supported-arches"});
    VariantManifest variant;
    variant.directory = parentDirectory(path);
    variant.name = std::filesystem::path(variant.directory).filename().string();
    variant.manifestPath = path;
    variant.cargoName = cargoName;
    variant.includedPackages = metadata.strings("included-packages");
    variant.includedPackagesLocation = metadata.locationOf("included-packages");
    variant.kernelParameters = metadata.strings("kernel-parameters");
    variant.imageFormat = readImageFormat(metadata);
    if (auto layout = metadata.table("image-layout"))
        variant.imageLayout = readImageLayout(*layout);
    variant.enabledFeatures = readImageFeatures(metadata.table("image-features"));
    for (const auto& arch : metadata.strings("supported-arches")) {
        variant.supportedArches.push_back(parseArch(arch, metadata.locationOf("supported-arches")));
    }
    variant.buildDependencies = readPathDependencies(root, "build-dependencies", variant.directory);
    return variant;
}

KitManifest readKitMetadata(const Table& metadata, const Table& root, const std::string& cargoName,
                            const std::string& path) {
    // included-packages appears in upstream's own fixtures and is ignored there too.
    metadata.allowOnly({"vendor", "kit-name", "included-packages"});
    KitManifest kit;
    kit.directory = parentDirectory(path);
    kit.manifestPath = path;
    kit.cargoName = cargoName;
    kit.vendor = metadata.string("vendor", true);
    kit.name = metadata.string("kit-name");
    if (kit.name.empty())
        kit.name = cargoName;
    kit.buildDependencies = readPathDependencies(root, "build-dependencies", kit.directory);
    return kit;
}

// The part of a Cargo.toml that decides what gets built: the metadata table
// and the dependency tables. Comments and [package] fields are left out.
std::string metadataDigest(const Table& root, const Table& metadata) {
    Sha256 hash;
    hash.addField(metadata.canonicalText());
    for (const char* key : {"build-dependencies", "dependencies"}) {
        auto table = root.table(key);
        hash.addField(table ? table->canonicalText() : "");
    }
    return hash.hex();
}

}  // namespace

CargoManifest readCargoManifest(const std::string& path, const std::string& displayName) {
    Document doc = parseDocument(path, displayName);
    Table root = rootTable(doc);
    auto packageTable = root.table("package");
    if (!packageTable)
        throw Error("missing [package] table", {displayName});
    CargoManifest manifest;
    manifest.cargoName = packageTable->string("name", true);
    auto metadata = packageTable->table("metadata");
    if (!metadata)
        return manifest;
    if (auto table = metadata->table("build-package")) {
        manifest.package = readPackageMetadata(*table, root, manifest.cargoName, path);
        manifest.package->metadataDigest = metadataDigest(root, *table);
    }
    if (auto table = metadata->table("build-variant")) {
        manifest.variant = readVariantMetadata(*table, root, manifest.cargoName, path);
        manifest.variant->metadataDigest = metadataDigest(root, *table);
    }
    if (auto table = metadata->table("build-kit")) {
        manifest.kit = readKitMetadata(*table, root, manifest.cargoName, path);
    }
    return manifest;
}

}  // namespace twoliter
