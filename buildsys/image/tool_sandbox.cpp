#include "image/tool_sandbox.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <filesystem>

#include "image/image_file.h"
#include "util/error.h"
#include "util/files.h"
#include "util/strings.h"

namespace fs = std::filesystem;

namespace twoliter {

ScratchDir::ScratchDir(const std::string& output)
    : path_(output + ".tmp-" + uniqueSuffix() + ".d") {
    std::error_code error;
    fs::create_directories(path_, error);
    if (error)
        throw Error("cannot create the scratch folder " + path_ + ": " + error.message(), {output});
}

ScratchDir::~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
}

void ScratchDir::moveOut(const std::string& name, const std::string& target) const {
    std::error_code error;
    fs::rename(path_ + "/" + name, target, error);
    if (error)
        throw Error("cannot rename " + path_ + "/" + name + " onto it: " + error.message(),
                    {target});
}

namespace {

// "YYYY-MM-DD hh:mm:ss" in UTC, the absolute form libfaketime freezes at.
std::string fakeTimeText(int64_t epoch) {
    time_t seconds = static_cast<time_t>(epoch);
    struct tm utc {};
    gmtime_r(&seconds, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &utc);
    return text;
}

SandboxSpec toolSpec(const ToolSandbox& tools, const ToolCommand& command) {
    SandboxSpec spec;
    spec.rootfs = tools.rootfs;
    spec.mounts = command.mounts;
    spec.tmpfs = {"/tmp"};
    // TZ=UTC: faketime's frozen time and FAT's local times are UTC. mtools
    // refuses images whose size is not whole "tracks" unless told not to check.
    spec.environment = {{"PATH", "/usr/sbin:/usr/bin:/sbin:/bin"},
                        {"TZ", "UTC"},
                        {"LC_ALL", "C"},
                        {"HOME", "/tmp"},
                        {"MTOOLS_SKIP_CHECK", "1"}};
    if (command.fakeTime)
        spec.command = {"faketime", "-f", fakeTimeText(*command.fakeTime)};
    spec.command.insert(spec.command.end(), command.argv.begin(), command.argv.end());
    spec.logPath = tools.logPath;
    return spec;
}

uint64_t appendToLog(const std::string& logPath, const std::string& text) {
    int fd = ::open(logPath.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        throw Error("cannot write the log", {logPath});
    ssize_t written = ::write(fd, text.data(), text.size());
    off_t end = ::lseek(fd, 0, SEEK_END);
    ::close(fd);
    if (written != static_cast<ssize_t>(text.size()) || end < 0)
        throw Error("cannot write the log", {logPath});
    return static_cast<uint64_t>(end);
}

std::vector<std::string> logLinesFrom(const std::string& logPath, uint64_t offset) {
    ImageFile log = ImageFile::openForReading(logPath);
    uint64_t size = log.size();
    std::string text(size > offset ? size - offset : 0, '\0');
    text.resize(log.readSomeAt(offset, text.data(), text.size()));
    std::vector<std::string> lines;
    for (auto& line : splitString(text, '\n'))
        if (!trimString(line).empty())
            lines.push_back(line);
    return lines;
}

// The line that most likely says why a tool failed: the first one that reads
// like an error (later ones tend to be consequences), else the last line.
std::string errorLine(const std::vector<std::string>& lines) {
    static const char* const kWords[] = {"rror",   "ailed", "annot", "No such",
                                         "nvalid", "too ",  "not ",  "ould not"};
    for (const auto& line : lines)
        for (const char* word : kWords)
            if (line.find(word) != std::string::npos)
                return trimString(line);
    return lines.empty() ? "" : trimString(lines.back());
}

}  // namespace

ToolOutput runToolForOutput(const ToolSandbox& tools, const ToolCommand& command) {
    if (tools.logPath.empty())
        throw Error("image tools need a log file", {}, "set ToolSandbox::logPath");
    SandboxSpec spec = toolSpec(tools, command);
    uint64_t start = appendToLog(tools.logPath, "$ " + joinStrings(spec.command, " ") + "\n");
    SandboxResult result = tools.runner.run(spec);
    ToolOutput output;
    output.ok = result.ok();
    output.exitCode = result.exitCode;
    output.lines = logLinesFrom(tools.logPath, start);
    return output;
}

void runTool(const ToolSandbox& tools, const ToolCommand& command, const std::string& output) {
    ToolOutput result = runToolForOutput(tools, command);
    if (result.ok)
        return;
    std::string program = command.argv.empty() ? "?" : command.argv.front();
    std::string status =
        result.exitCode >= 0 ? "exit " + std::to_string(result.exitCode) : "killed";
    std::string line = errorLine(result.lines);
    throw Error(program + " failed (" + status + ")" + (line.empty() ? "" : ": " + line) +
                    " (log: " + tools.logPath + ")",
                {output});
}

namespace {

// The host path that path names inside rootfs, with every symlink resolved
// inside rootfs; nullopt when a component is missing or links loop.
std::optional<std::string> resolveInRoot(const std::string& rootfs, const std::string& path) {
    std::vector<std::string> pending = splitString(path, '/');
    std::vector<std::string> resolved;
    int links = 0;
    while (!pending.empty()) {
        std::string name = pending.front();
        pending.erase(pending.begin());
        if (name.empty() || name == ".")
            continue;
        if (name == "..") {
            if (!resolved.empty())
                resolved.pop_back();
            continue;
        }
        std::string host = rootfs + "/" + joinStrings(resolved, "/") + "/" + name;
        struct stat st {};
        if (::lstat(host.c_str(), &st) != 0)
            return std::nullopt;
        if (!S_ISLNK(st.st_mode)) {
            resolved.push_back(name);
            continue;
        }
        if (++links > 40)
            return std::nullopt;
        std::string target = fs::read_symlink(host).string();
        if (startsWith(target, "/"))
            resolved.clear();
        std::vector<std::string> parts = splitString(target, '/');
        pending.insert(pending.begin(), parts.begin(), parts.end());
    }
    return rootfs + "/" + joinStrings(resolved, "/");
}

bool rootfsHas(const std::string& rootfs, const std::string& name) {
    struct stat st {};
    if (startsWith(name, "/")) {
        auto host = resolveInRoot(rootfs, name);
        return host && ::stat(host->c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    }
    for (const char* dir : {"/usr/sbin/", "/usr/bin/", "/sbin/", "/bin/"}) {
        auto host = resolveInRoot(rootfs, dir + name);
        if (host && ::stat(host->c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111))
            return true;
    }
    return false;
}

}  // namespace

std::vector<ImageToolRequirement> missingFromRootfs(
    const std::string& rootfs, const std::vector<ImageToolRequirement>& requirements) {
    std::vector<ImageToolRequirement> missing;
    for (const auto& requirement : requirements)
        if (!rootfsHas(rootfs, requirement.name))
            missing.push_back(requirement);
    return missing;
}

void requireTools(const ToolSandbox& tools, const std::vector<ImageToolRequirement>& requirements,
                  const std::string& output) {
    auto missing = missingFromRootfs(tools.rootfs, requirements);
    if (missing.empty())
        return;
    std::vector<std::string> names, packages;
    for (const auto& requirement : missing) {
        names.push_back(requirement.name);
        if (std::find(packages.begin(), packages.end(), requirement.package) == packages.end())
            packages.push_back(requirement.package);
    }
    throw Error(
        "the tools' rootfs " + tools.rootfs + " has no " + joinStrings(names, ", "), {output},
        "add the Debian package(s) " + joinStrings(packages, " ") + " to the SDK (sdk/recipe)");
}

}  // namespace twoliter
