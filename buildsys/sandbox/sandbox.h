#pragma once

#include <sys/types.h>

#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace twoliter {

// A host path made visible at target inside the sandbox, read-only unless
// writable. Both paths are absolute; target is in normal form ("/a/b").
struct SandboxMount {
    std::string source;
    std::string target;
    bool writable = false;
};

// Everything a sandboxed command sees. Nothing of the host is visible except
// the rootfs and the mounts; no network (only a loopback of its own), its own
// PID 1, hostname, IPC and cgroup namespaces. The command runs as uid/gid 0 of
// a user namespace mapping only the caller's ids: it may write what the caller
// may write in writable mounts, but cannot chown to other ids, remount, unmount
// or create further user namespaces.
struct SandboxSpec {
    // Host directory used read-only as the root file system. Its top-level
    // entries except proc, dev and sys are bound one by one (symlinks are
    // recreated), so mounts can add top-level folders it does not have.
    std::string rootfs;
    // Bound after the rootfs. Mounts and tmpfs are applied parents first (by
    // the depth of their target), otherwise in the order given, mounts before
    // tmpfs. A target may be missing from the rootfs when its parent is
    // writable (a tmpfs, a writable mount, or the sandbox's own root; under a
    // writable mount bwrap creates it in the host folder); a missing target
    // under a read-only parent is an Error.
    std::vector<SandboxMount> mounts;
    // Fresh, empty, writable tmpfs mounts, e.g. "/tmp".
    std::vector<std::string> tmpfs;
    // The complete environment; nothing is inherited from the caller. bwrap
    // adds PWD (= workingDirectory).
    std::vector<std::pair<std::string, std::string>> environment;
    std::string workingDirectory = "/";
    // argv; command[0] is resolved by the PATH of environment, inside.
    std::vector<std::string> command;
    std::string hostname = "builder";
    // When set, stdout and stderr are appended to this host file (created);
    // otherwise they are the caller's. stdin is always /dev/null.
    std::string logPath;
};

// How the command ended. A command killed by signal n has signal == n and
// exitCode == -1. bwrap reports a killed command as exit status 128+n, as
// shells do, so a command that itself exits with 129..192 also reads as a
// signal. bwrap's own setup failures ("bwrap: ..." in the log) are exit code 1.
struct SandboxResult {
    int exitCode = -1;
    int signal = 0;
    double seconds = 0;  // wall time, sandbox setup included
    bool ok() const { return exitCode == 0 && signal == 0; }
};

// Runs one command in a sandbox and waits for it.
class SandboxRunner {
  public:
    virtual ~SandboxRunner() = default;
    virtual SandboxResult run(const SandboxSpec& spec) = 0;
    // Ends every command running in this runner, and any started later
    // (after an interrupt); their run() calls return a killed result.
    virtual void cancelAll() {}
};

// bubblewrap (bwrap, 0.8 or later) run as a child process, without a shell.
// run() throws Error for an invalid spec or when bwrap cannot be executed;
// anything that fails once bwrap runs comes back as a result.
class BubblewrapSandbox final : public SandboxRunner {
  public:
    // bwrap: a path, or a name looked up in the caller's PATH.
    explicit BubblewrapSandbox(std::string bwrap = "bwrap");
    SandboxResult run(const SandboxSpec& spec) override;
    void cancelAll() override;

  private:
    std::string bwrap_;
    std::mutex mutex_;
    std::set<pid_t> running_;
    bool cancelled_ = false;
};

// bwrap's arguments (without the program name) for spec; the same for root
// and other callers (a user namespace is always created). Reads only the
// rootfs's top-level entries and, for read-only parents of missing targets,
// the host paths below them. Throws Error for an invalid spec: relative or
// non-normal paths, duplicate targets, targets at /, /dev or in /proc, a target
// through a rootfs symlink, or a missing target under a read-only parent.
std::vector<std::string> bubblewrapArguments(const SandboxSpec& spec);

// "" when sandboxes work on this machine (a test run of `true` with the host's
// root as rootfs succeeded), else a one-line reason: bwrap missing, namespaces
// denied, ...
std::string probeSandbox(const std::string& bwrap = "bwrap");

}  // namespace twoliter
