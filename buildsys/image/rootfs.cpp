#include "image/rootfs.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

#include "image/inventory.h"
#include "util/error.h"
#include "util/files.h"
#include "util/strings.h"

namespace fs = std::filesystem;

namespace twoliter {

namespace {

// Where the RPMs see the image root inside the sandbox.
constexpr const char* kSandboxRoot = "/image-root";
constexpr const char* kInventoryPath = "usr/share/bottlerocket/application-inventory.json";

std::string sysRoot(Arch arch) {
    return std::string(archName(arch)) + "-bottlerocket-linux-gnu/sys-root";
}

[[noreturn]] void failWithErrno(const std::string& what, const std::string& path, int error) {
    throw Error(what + ": " + std::strerror(error), {path});
}

// The installed tree as the packages see it: every path is resolved as if
// the tree were "/" (openat2 RESOLVE_IN_ROOT), so a symlink a package ships
// (/usr -> ./x86_64-…/sys-root/usr, or an absolute one) is followed inside
// the tree and can never lead a write onto the host.
class InstalledTree {
  public:
    explicit InstalledTree(std::string path) : path_(std::move(path)) {
        fd_ = ::open(path_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd_ < 0)
            failWithErrno("cannot open the image root", path_, errno);
    }
    ~InstalledTree() { ::close(fd_); }
    InstalledTree(const InstalledTree&) = delete;
    InstalledTree& operator=(const InstalledTree&) = delete;

    // A descriptor of relative (resolved in the tree), or -1 when it does
    // not exist. Throws Error for any other failure.
    int open(const std::string& relative, uint64_t flags, uint64_t mode = 0) const {
        open_how how{};
        how.flags = flags | O_CLOEXEC;
        how.mode = mode;
        how.resolve = RESOLVE_IN_ROOT;
        long fd = ::syscall(SYS_openat2, fd_, relative.c_str(), &how, sizeof how);
        if (fd < 0 && errno == ENOENT)
            return -1;
        if (fd < 0)
            failWithErrno("cannot open", display(relative), errno);
        return static_cast<int>(fd);
    }

    // The host path of the folder relative resolves to, "" when missing.
    std::string hostDirectory(const std::string& relative) const {
        int fd = open(relative, O_PATH | O_DIRECTORY);
        if (fd < 0)
            return "";
        std::error_code error;
        fs::path host = fs::read_symlink("/proc/self/fd/" + std::to_string(fd), error);
        ::close(fd);
        if (error)
            throw Error("cannot resolve: " + error.message(), {display(relative)});
        return host.string();
    }

    // mkdir -p inside the tree.
    void makeDirectories(const std::string& relative) const {
        std::string done = ".";
        for (const auto& part : splitString(relative, '/')) {
            if (part.empty())
                continue;
            std::string next = done + "/" + part;
            int fd = open(next, O_PATH | O_DIRECTORY);
            if (fd < 0) {
                int parent = open(done, O_PATH | O_DIRECTORY);
                int made = parent < 0 ? -1 : ::mkdirat(parent, part.c_str(), 0755);
                int error = errno;
                if (parent >= 0)
                    ::close(parent);
                if (made != 0)
                    failWithErrno("cannot create folder", display(next), error);
            } else {
                ::close(fd);
            }
            done = next;
        }
    }

    void write(const std::string& relative, const std::string& text, bool append) const {
        makeDirectories(fs::path(relative).parent_path().string());
        int fd = open(relative, O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC), 0644);
        if (fd < 0)
            failWithErrno("cannot create", display(relative), ENOENT);
        size_t done = 0;
        while (done < text.size()) {
            ssize_t n = ::write(fd, text.data() + done, text.size() - done);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                int error = errno;
                ::close(fd);
                failWithErrno("cannot write", display(relative), error);
            }
            done += static_cast<size_t>(n);
        }
        if (::close(fd) != 0)
            failWithErrno("cannot write", display(relative), errno);
    }

    std::string read(const std::string& relative) const {
        int fd = open(relative, O_RDONLY);
        if (fd < 0)
            throw Error("missing from the image root", {display(relative)});
        std::string text;
        char buffer[4096];
        for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) != 0;) {
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                int error = errno;
                ::close(fd);
                failWithErrno("cannot read", display(relative), error);
            }
            text.append(buffer, static_cast<size_t>(n));
        }
        ::close(fd);
        return text;
    }

    std::string display(const std::string& relative) const { return path_ + "/" + relative; }

  private:
    std::string path_;
    int fd_;
};

// The output folders, made empty.
InstalledRootfs prepareOutput(const std::string& outputDir) {
    std::error_code error;
    if (fs::exists(outputDir) && !fs::is_empty(outputDir, error))
        throw Error("the image root's output folder is not empty", {outputDir});
    InstalledRootfs result{outputDir + "/root", outputDir + "/boot", outputDir + "/efi", "", ""};
    for (const auto& dir : {result.rootDir, result.bootDir, result.efiDir}) {
        fs::create_directories(dir, error);
        if (error)
            throw Error("cannot create folder: " + error.message(), {dir});
    }
    return result;
}

std::string baseName(const std::string& path) {
    return path.substr(path.rfind('/') + 1);
}

void runRpm(SandboxRunner& sandbox, const RootfsRequest& request, const std::string& rootDir) {
    SandboxSpec spec;
    spec.rootfs = request.toolsRootfs;
    spec.mounts.push_back({fs::absolute(rootDir).lexically_normal().string(), kSandboxRoot, true});
    spec.tmpfs = {"/rpms", "/tmp", "/var/tmp"};
    spec.command = {"rpm",      "-iv",          "--root",       kSandboxRoot,
                    "--dbpath", "/var/lib/rpm", "--ignorearch", "--nodeps"};
    for (const auto& path : request.rpmFiles) {
        std::string name = baseName(path);
        spec.mounts.push_back(
            {fs::absolute(path).lexically_normal().string(), "/rpms/" + name, false});
        spec.command.push_back("/rpms/" + name);
    }
    spec.environment = {
        {"PATH", "/usr/bin:/usr/sbin:/bin:/sbin"}, {"LANG", "C.UTF-8"}, {"TZ", "UTC"}};
    spec.logPath = request.logPath;
    SandboxResult result = sandbox.run(spec);
    if (!result.ok()) {
        throw Error("installing the image's packages failed (rpm exit " +
                        std::to_string(result.exitCode) + ")",
                    {request.logPath});
    }
}

void moveContents(const std::string& from, const std::string& to) {
    if (from.empty())
        return;
    for (const auto& entry : fs::directory_iterator(from)) {
        std::error_code error;
        fs::rename(entry.path(), to + "/" + entry.path().filename().string(), error);
        if (error)
            throw Error("cannot move out of /boot: " + error.message(), {entry.path().string()});
    }
}

// /boot/efi's contents to efiDir, then /boot's to bootDir (rpm2img's two
// `mv`s), with the grub folder rpm2img makes sure of.
void splitBoot(const InstalledTree& tree, const InstalledRootfs& result) {
    moveContents(tree.hostDirectory("boot/efi"), result.efiDir);
    tree.makeDirectories("boot/grub");
    moveContents(tree.hostDirectory("boot"), result.bootDir);
}

// rpm2img's `rm -rf ROOT/var/lib`: the rpm database and anything else there.
void removeRpmDatabase(const InstalledTree& tree) {
    std::string var = tree.hostDirectory("var");
    std::error_code error;
    if (!var.empty())
        fs::remove_all(var + "/lib", error);
    if (error)
        throw Error("cannot remove the rpm database: " + error.message(), {var + "/lib"});
}

// The inventory's fields of every RPM; their file names must differ (the
// sandbox shows them side by side).
std::vector<InventoryPackage> readPackages(const std::vector<std::string>& rpmFiles) {
    std::vector<InventoryPackage> packages;
    std::set<std::string> names;
    for (const auto& path : rpmFiles) {
        if (!names.insert(baseName(path)).second)
            throw Error("two of the image's RPMs have the same file name", {path});
        packages.push_back(readInventoryPackage(path));
    }
    return packages;
}

// What rpm2img does to the installed tree before it makes file systems.
void finishTree(const RootfsRequest& request, InstalledRootfs& result,
                const std::vector<InventoryPackage>& packages) {
    InstalledTree tree(result.rootDir);
    result.inventoryJson =
        renderInventory(packages, inventoryTime(request.epoch), request.coreKitPackages);
    tree.write(kInventoryPath, result.inventoryJson, false);
    if (!request.updogRootJson.empty())
        tree.write("usr/share/updog/root.json", request.updogRootJson, false);
    removeRpmDatabase(tree);
    splitBoot(tree, result);
    std::string sysRootPath = sysRoot(request.identity.arch);
    tree.write(sysRootPath + "/usr/lib/os-release",
               osReleaseFields(request.identity, request.links), true);
    result.osRelease = tree.read(sysRootPath + "/usr/lib/os-release");
    tree.write(sysRootPath + "/usr/share/bottlerocket/image-features.env",
               std::string("DATA_PARTITION_FILESYSTEM=") +
                   (request.xfsDataPartition ? "xfs" : "ext4") + "\n",
               true);
}

}  // namespace

std::string osReleaseFields(const ImageIdentity& identity, const OsReleaseLinks& links) {
    std::string version = identity.versionId + " (" + identity.variant + ")";
    return "VERSION=\"" + version + "\"\n" +                                  //
           "PRETTY_NAME=\"" + identity.prettyName + " " + version + "\"\n" +  //
           "VARIANT_ID=" + identity.variant + "\n" +                          //
           "VERSION_ID=" + identity.versionId + "\n" +                        //
           "BUILD_ID=" + identity.buildId + "\n" +                            //
           "HOME_URL=\"" + links.home + "\"\n" +                              //
           "SUPPORT_URL=\"" + links.support + "\"\n" +                        //
           "BUG_REPORT_URL=\"" + links.bugReport + "\"\n" +                   //
           "DOCUMENTATION_URL=\"" + links.documentation + "\"\n";
}

InstalledRootfs installRootfs(SandboxRunner& sandbox, const RootfsRequest& request) {
    // Headers first: a file that is not an RPM fails before anything runs.
    std::vector<InventoryPackage> packages = readPackages(request.rpmFiles);
    InstalledRootfs result = prepareOutput(request.outputDir);
    try {
        runRpm(sandbox, request, result.rootDir);
        finishTree(request, result, packages);
        for (const auto& dir : {result.rootDir, result.bootDir, result.efiDir})
            clampTreeTimes(dir, request.epoch);
    } catch (...) {
        std::error_code ignored;
        for (const auto& dir : {result.rootDir, result.bootDir, result.efiDir})
            fs::remove_all(dir, ignored);
        throw;
    }
    return result;
}

void clampTreeTimes(const std::string& dir, int64_t epoch) {
    auto clamp = [epoch](const std::string& path) {
        struct stat info;
        if (::lstat(path.c_str(), &info) != 0)
            failWithErrno("cannot read the times of", path, errno);
        timespec modified = info.st_mtim;
        if (modified.tv_sec > epoch || (modified.tv_sec == epoch && modified.tv_nsec > 0))
            modified = {static_cast<time_t>(epoch), 0};
        timespec times[2] = {modified, modified};
        if (::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
            failWithErrno("cannot set the times of", path, errno);
    };
    std::error_code error;
    for (fs::recursive_directory_iterator it(dir, error), end; !error && it != end;
         it.increment(error))
        clamp(it->path().string());
    if (error)
        throw Error("cannot list: " + error.message(), {dir});
    clamp(dir);
}

}  // namespace twoliter
