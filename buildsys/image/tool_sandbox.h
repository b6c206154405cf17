#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sandbox/sandbox.h"

namespace twoliter {

// Where the image tools run: every program (mkfs.ext4, mkfs.erofs, mtools,
// grub-mkimage, qemu-img, ...) comes from rootfs, run by runner with only
// the paths a call mounts visible. In production rootfs is the SDK image's
// unpacked rootfs, so the SDK digest pins the tools' versions; tests use the
// host root "/". Each tool's command line and output are appended to logPath;
// a failure's message comes from what the log gained during the call, so
// calls sharing a log must not run at the same time.
struct ToolSandbox {
    SandboxRunner& runner;
    std::string rootfs;
    std::string logPath;
};

// A folder "<output>.tmp-<unique suffix>.d" next to an output, holding the
// output while tools make it (so the rename onto output stays on one file
// system) and the tools' scratch files. Removed with its contents on
// destruction.
class ScratchDir {
  public:
    explicit ScratchDir(const std::string& output);
    ~ScratchDir();
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    const std::string& path() const { return path_; }
    // Renames path()/name onto target.
    void moveOut(const std::string& name, const std::string& target) const;

  private:
    std::string path_;
};

// Where a call's host paths appear inside the sandbox.
constexpr const char* kToolWorkDir = "/image-tool/work";      // the ScratchDir, writable
constexpr const char* kToolSourceDir = "/image-tool/source";  // a source tree, read-only
constexpr const char* kToolInputDir = "/image-tool/input";    // input files, read-only

// One tool invocation.
struct ToolCommand {
    std::vector<std::string> argv;
    std::vector<SandboxMount> mounts;
    // Run under `faketime` frozen at this UNIX time (TZ=UTC), for tools that
    // stamp the current time into what they write.
    std::optional<int64_t> fakeTime;
};

// Runs command in the sandbox of tools. Throws Error located at output when
// it fails, naming the program, its exit status, the log and the last line
// it wrote that reads like an error.
void runTool(const ToolSandbox& tools, const ToolCommand& command, const std::string& output);

// Like runTool, but returns the lines the tool wrote (stdout and stderr, as
// appended to the log) instead of checking its exit status.
struct ToolOutput {
    bool ok = false;
    int exitCode = -1;
    std::vector<std::string> lines;
};
ToolOutput runToolForOutput(const ToolSandbox& tools, const ToolCommand& command);

// A program or folder the image tools need from the rootfs, and the Debian
// package that provides it.
struct ImageToolRequirement {
    std::string name;  // a program ("mkfs.erofs") or an absolute folder ("/usr/lib/grub/i386-pc")
    std::string package;  // "erofs-utils"
};

// Which of requirements rootfs lacks. Programs are looked up in /usr/sbin,
// /usr/bin, /sbin and /bin of rootfs (symlinks resolved inside rootfs) and
// must be executable regular files; folders must exist.
std::vector<ImageToolRequirement> missingFromRootfs(
    const std::string& rootfs, const std::vector<ImageToolRequirement>& requirements);

// Throws Error located at output when rootfs lacks any of requirements,
// naming each missing program and its package.
void requireTools(const ToolSandbox& tools, const std::vector<ImageToolRequirement>& requirements,
                  const std::string& output);

}  // namespace twoliter
