#include "sandbox/sandbox.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>

#include "util/child_process.h"
#include "util/error.h"
#include "util/files.h"
#include "util/strings.h"

namespace fs = std::filesystem;

namespace twoliter {

namespace {

// One step of the sandbox's file system, in the order bwrap applies them.
struct Layer {
    enum Kind { kReadOnly, kWritable, kTmpfs, kSymlink, kProc, kDev };
    Kind kind;
    std::string target;
    std::string source;  // the host path of a bind, the text of a symlink, else ""
};

// "/a/b" -> {"a", "b"}; "/" -> {}. path is absolute.
std::vector<std::string> components(const std::string& path) {
    if (path == "/")
        return {};
    std::vector<std::string> parts = splitString(path, '/');
    parts.erase(parts.begin());  // the empty part before the leading '/'
    return parts;
}

bool isNormalAbsolute(const std::string& path) {
    if (!startsWith(path, "/"))
        return false;
    for (const auto& part : components(path))
        if (part.empty() || part == "." || part == "..")
            return false;
    return true;
}

// Whether path is strictly below ancestor.
bool isBelow(const std::string& path, const std::string& ancestor) {
    if (ancestor == "/")
        return path != "/";
    return startsWith(path, ancestor + "/");
}

std::string joinPath(const std::string& base, const std::string& name) {
    return endsWith(base, "/") ? base + name : base + "/" + name;
}

// Throws Error unless target is a place a mount or tmpfs may go.
void checkTarget(const std::string& target) {
    if (!isNormalAbsolute(target) || target == "/")
        throw Error("sandbox mount target must be an absolute path in normal form below /: '" +
                    target + "'");
    if (target == "/dev" || target == "/proc" || isBelow(target, "/proc"))
        throw Error("sandbox mount target " + target +
                    " is reserved: the sandbox has its own /proc and /dev");
}

// The spec's mounts and tmpfs, checked, parents first (stable by depth).
std::vector<Layer> specLayers(const SandboxSpec& spec) {
    std::vector<Layer> layers;
    for (const auto& mount : spec.mounts) {
        if (!startsWith(mount.source, "/"))
            throw Error("sandbox mount source must be an absolute path: '" + mount.source + "'");
        layers.push_back(
            {mount.writable ? Layer::kWritable : Layer::kReadOnly, mount.target, mount.source});
    }
    for (const auto& target : spec.tmpfs)
        layers.push_back({Layer::kTmpfs, target, ""});
    std::set<std::string> seen;
    for (const auto& layer : layers) {
        checkTarget(layer.target);
        if (!seen.insert(layer.target).second)
            throw Error("sandbox mount target " + layer.target + " is given twice");
    }
    std::stable_sort(layers.begin(), layers.end(), [](const Layer& a, const Layer& b) {
        return components(a.target).size() < components(b.target).size();
    });
    return layers;
}

// The rootfs's top-level entries, sorted: directories and files as read-only
// binds, symlinks recreated. proc, dev, sys, the names in replaced and other
// file types (sockets, devices) are left out.
std::vector<Layer> rootfsLayers(const std::string& rootfs, const std::set<std::string>& replaced) {
    if (!startsWith(rootfs, "/") || !isDirectory(rootfs))
        throw Error("sandbox rootfs is not a directory given by an absolute path", {rootfs});
    static const std::set<std::string> kSkipped = {"proc", "dev", "sys"};
    std::vector<Layer> layers;
    try {
        for (const auto& entry : fs::directory_iterator(rootfs)) {
            std::string name = entry.path().filename();
            if (kSkipped.count(name) || replaced.count(name))
                continue;
            std::string source = joinPath(rootfs, name);
            if (entry.is_symlink())
                layers.push_back({Layer::kSymlink, "/" + name, fs::read_symlink(source)});
            else if (entry.is_directory() || entry.is_regular_file())
                layers.push_back({Layer::kReadOnly, "/" + name, source});
        }
    } catch (const fs::filesystem_error& e) {
        throw Error(std::string("cannot read the sandbox rootfs: ") + e.code().message(), {rootfs});
    }
    std::sort(layers.begin(), layers.end(),
              [](const Layer& a, const Layer& b) { return a.target < b.target; });
    return layers;
}

// The innermost layer of applied that target is below; nullptr when only the
// sandbox's own (writable during setup) root is.
const Layer* parentLayer(const std::string& target, const std::vector<Layer>& applied) {
    const Layer* parent = nullptr;
    for (const auto& layer : applied)
        if (isBelow(target, layer.target) &&
            (!parent || layer.target.size() > parent->target.size()))
            parent = &layer;
    return parent;
}

// Throws Error when bwrap could not create the mount point of target under a
// read-only bind: a missing path, a file where a folder is needed. A host
// symlink on the way ends the check (bwrap resolves it inside).
void checkReadOnlyParent(const std::string& target, const Layer& parent) {
    std::vector<std::string> below = components(target.substr(parent.target.size()));
    std::string inside = parent.target;
    std::string host = parent.source;
    for (size_t i = 0; i < below.size(); ++i) {
        inside = joinPath(inside, below[i]);
        host = joinPath(host, below[i]);
        struct stat status {};
        std::string problem;
        if (::lstat(host.c_str(), &status) != 0)
            problem = inside + " does not exist";
        else if (S_ISLNK(status.st_mode))
            return;
        else if (i + 1 < below.size() && !S_ISDIR(status.st_mode))
            problem = inside + " is not a directory";
        if (!problem.empty())
            throw Error("sandbox mount target " + target + " cannot be created: " + problem +
                            " in the read-only " + parent.target + " (from " + parent.source + ")",
                        {}, "add it to the rootfs, or mount a tmpfs or writable folder above it");
    }
}

// Throws Error when bwrap could not create target's mount point given the
// layers applied before it.
void checkMountPoint(const std::string& target, const std::vector<Layer>& applied) {
    const Layer* parent = parentLayer(target, applied);
    if (!parent)
        return;
    if (parent->kind == Layer::kSymlink)
        throw Error("sandbox mount target " + target + " passes through the rootfs symlink " +
                        parent->target + " -> " + parent->source,
                    {}, "use the path the symlink points to");
    if (parent->kind == Layer::kReadOnly)
        checkReadOnlyParent(target, *parent);
}

// Every file system step in bwrap's order: the rootfs's entries, /proc, /dev,
// then the spec's mounts and tmpfs, each checked against those before it.
std::vector<Layer> mountPlan(const SandboxSpec& spec) {
    std::vector<Layer> extra = specLayers(spec);
    std::set<std::string> replaced;
    for (const auto& layer : extra)
        if (components(layer.target).size() == 1)
            replaced.insert(components(layer.target).front());
    std::vector<Layer> plan = rootfsLayers(spec.rootfs, replaced);
    plan.push_back({Layer::kProc, "/proc", ""});
    plan.push_back({Layer::kDev, "/dev", ""});
    for (auto& layer : extra) {
        checkMountPoint(layer.target, plan);
        plan.push_back(std::move(layer));
    }
    return plan;
}

void addLayer(std::vector<std::string>& args, const Layer& layer) {
    switch (layer.kind) {
        case Layer::kReadOnly:
            args.insert(args.end(), {"--ro-bind", layer.source, layer.target});
            break;
        case Layer::kWritable:
            args.insert(args.end(), {"--bind", layer.source, layer.target});
            break;
        case Layer::kTmpfs:
            args.insert(args.end(), {"--tmpfs", layer.target});
            break;
        case Layer::kSymlink:
            args.insert(args.end(), {"--symlink", layer.source, layer.target});
            break;
        case Layer::kProc:
            args.insert(args.end(), {"--proc", layer.target});
            break;
        case Layer::kDev:
            args.insert(args.end(), {"--dev", layer.target});
            break;
    }
}

// Throws Error for a spec field other than the file system that bwrap would
// reject or misread.
void checkCommand(const SandboxSpec& spec) {
    if (spec.command.empty())
        throw Error("sandbox command is empty");
    if (!startsWith(spec.workingDirectory, "/"))
        throw Error("sandbox working directory must be absolute: '" + spec.workingDirectory + "'");
    for (const auto& variable : spec.environment)
        if (variable.first.empty() || variable.first.find('=') != std::string::npos)
            throw Error("sandbox environment variable has an invalid name: '" + variable.first +
                        "'");
}

// Namespaces, identity and environment. The user namespace is requested
// explicitly, for root callers too, because --disable-userns needs it: the
// command then runs in a nested user namespace that does not own the mount
// namespace, so uid 0 inside keeps its file capabilities but cannot remount a
// read-only bind writable (or unmount, or create user namespaces).
std::vector<std::string> processArguments(const SandboxSpec& spec) {
    std::vector<std::string> args = {
        "--unshare-all",     "--unshare-user", "--disable-userns", "--uid", "0", "--gid", "0",
        "--die-with-parent", "--new-session"};
    if (!spec.hostname.empty())
        args.insert(args.end(), {"--hostname", spec.hostname});
    args.push_back("--clearenv");
    for (const auto& [name, value] : spec.environment)
        args.insert(args.end(), {"--setenv", name, value});
    return args;
}

}  // namespace

std::vector<std::string> bubblewrapArguments(const SandboxSpec& spec) {
    checkCommand(spec);
    std::vector<std::string> args = processArguments(spec);
    for (const auto& layer : mountPlan(spec))
        addLayer(args, layer);
    // The sandbox's own root (a tmpfs holding the mount points) is made
    // read-only last, once bwrap has created everything in it.
    args.insert(args.end(), {"--remount-ro", "/", "--chdir", spec.workingDirectory, "--"});
    args.insert(args.end(), spec.command.begin(), spec.command.end());
    return args;
}

namespace {

// An owned file descriptor (-1 for none), closed on destruction.
class Descriptor {
  public:
    explicit Descriptor(int fd = -1) : fd_(fd) {}
    ~Descriptor() { reset(); }
    Descriptor(const Descriptor&) = delete;
    Descriptor& operator=(const Descriptor&) = delete;
    int get() const { return fd_; }
    void reset() {
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = -1;
    }

  private:
    int fd_;
};

std::string systemError(const std::string& what, int error = errno) {
    return what + ": " + std::strerror(error);
}

// program itself when it contains a '/', else the first executable file of
// that name in the caller's PATH; "" when there is none.
std::string findExecutable(const std::string& program) {
    auto executable = [](const std::string& path) {
        return ::access(path.c_str(), X_OK) == 0 && isRegularFile(path);
    };
    if (program.find('/') != std::string::npos)
        return executable(program) ? program : "";
    const char* path = std::getenv("PATH");
    for (const auto& dir : splitString(path && *path ? path : "/usr/local/bin:/usr/bin:/bin", ':'))
        if (!dir.empty() && executable(joinPath(dir, program)))
            return joinPath(dir, program);
    return "";
}

// path opened for appending (created 0644); -1 when path is "".
int openLog(const std::string& path) {
    if (path.empty())
        return -1;
    int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        throw Error(systemError("cannot open the sandbox log"), {path});
    return fd;
}

// Marks every descriptor from first on close-on-exec. Async-signal-safe.
void closeOnExecFrom(int first) {
    if (::close_range(first, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
        return;
    for (long fd = first, limit = ::sysconf(_SC_OPEN_MAX); fd < limit; ++fd)
        ::fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC);
}

// In the forked child: stdin from /dev/null, stdout and stderr to output
// (kept when -1), no other descriptors, and an empty environment, since a
// program's initial environment stays readable as /proc/<pid>/environ and bwrap
// is PID 1 inside. On failure errno goes to errorPipe. Async-signal-safe only.
[[noreturn]] void execChild(char* const argv[], int output, int errorPipe) {
    int input = ::open("/dev/null", O_RDONLY);
    bool ready =
        input >= 0 && ::dup2(input, STDIN_FILENO) >= 0 &&
        (output < 0 || (::dup2(output, STDOUT_FILENO) >= 0 && ::dup2(output, STDERR_FILENO) >= 0));
    if (ready) {
        closeOnExecFrom(STDERR_FILENO + 1);
        char* const environment[] = {nullptr};
        ::execve(argv[0], argv, environment);
    }
    int error = errno;
    (void)!::write(errorPipe, &error, sizeof error);
    ::_exit(127);
}

// The status of pid once it has ended.
int waitForExit(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            throw Error(systemError("cannot wait for bwrap"));
    return status;
}

// Starts argv[0] (a path) in a child process, as execChild describes. Throws
// Error when it cannot be started.
pid_t spawn(const std::vector<std::string>& argv, int output) {
    std::vector<char*> pointers;
    for (const auto& arg : argv)
        pointers.push_back(const_cast<char*>(arg.c_str()));
    pointers.push_back(nullptr);
    int ends[2];
    if (::pipe2(ends, O_CLOEXEC) != 0)
        throw Error(systemError("cannot create a pipe"));
    Descriptor readEnd(ends[0]), writeEnd(ends[1]);
    // bwrap's own --die-with-parent comes later, once it has started.
    pid_t pid = forkDyingWithParent();
    if (pid < 0)
        throw Error(systemError("cannot fork"));
    if (pid == 0)
        execChild(pointers.data(), output, writeEnd.get());
    writeEnd.reset();
    int childError = 0;
    ssize_t count;
    do {
        count = ::read(readEnd.get(), &childError, sizeof childError);
    } while (count < 0 && errno == EINTR);
    if (count != static_cast<ssize_t>(sizeof childError))
        return pid;  // the pipe closed on exec: bwrap runs
    waitForExit(pid);
    throw Error(systemError("cannot execute " + argv[0], childError));
}

// bwrap's wait status as a result: bwrap exits with 128+n when the command
// was killed by signal n (bwrap itself killed shows as a real signal).
SandboxResult resultOf(int status) {
    SandboxResult result;
    if (WIFSIGNALED(status)) {
        result.signal = WTERMSIG(status);
    } else if (WEXITSTATUS(status) > 128 && WEXITSTATUS(status) - 128 < NSIG) {
        result.signal = WEXITSTATUS(status) - 128;
    } else {
        result.exitCode = WEXITSTATUS(status);
    }
    return result;
}

}  // namespace

BubblewrapSandbox::BubblewrapSandbox(std::string bwrap) : bwrap_(std::move(bwrap)) {}

SandboxResult BubblewrapSandbox::run(const SandboxSpec& spec) {
    std::vector<std::string> argv = bubblewrapArguments(spec);
    std::string program = findExecutable(bwrap_);
    if (program.empty())
        throw Error("bubblewrap not found: " + bwrap_, {}, "install the bubblewrap package");
    argv.insert(argv.begin(), program);
    Descriptor log(openLog(spec.logPath));
    auto start = std::chrono::steady_clock::now();
    pid_t pid = spawn(argv, log.get());
    {
        std::lock_guard<std::mutex> lock(mutex_);
        running_.insert(pid);
        if (cancelled_)
            ::kill(pid, SIGKILL);
    }
    int status = waitForExit(pid);
    {
        std::lock_guard<std::mutex> lock(mutex_);
        running_.erase(pid);
    }
    SandboxResult result = resultOf(status);
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

// bwrap runs with --die-with-parent semantics for its sandbox: killing bwrap
// takes the sandboxed processes with it.
void BubblewrapSandbox::cancelAll() {
    std::lock_guard<std::mutex> lock(mutex_);
    cancelled_ = true;
    for (pid_t pid : running_)
        ::kill(pid, SIGKILL);
}

namespace {

// A new empty file under $TMPDIR (or /tmp), removed on destruction.
class TemporaryFile {
  public:
    TemporaryFile() {
        const char* base = std::getenv("TMPDIR");
        path_ = std::string(base && *base ? base : "/tmp") + "/twoliter-sandbox-XXXXXX";
        Descriptor file(::mkstemp(path_.data()));
        if (file.get() < 0)
            throw Error(systemError("cannot create a temporary file"), {path_});
    }
    ~TemporaryFile() { ::unlink(path_.c_str()); }
    TemporaryFile(const TemporaryFile&) = delete;
    TemporaryFile& operator=(const TemporaryFile&) = delete;
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

// The first line bwrap wrote about its own failure, else a summary of result.
std::string failureReason(const SandboxResult& result, const std::string& output) {
    for (const auto& line : splitString(output, '\n'))
        if (startsWith(line, "bwrap: "))
            return line;
    return result.signal ? "a test sandbox was killed by signal " + std::to_string(result.signal)
                         : "a test sandbox exited with " + std::to_string(result.exitCode);
}

}  // namespace

std::string probeSandbox(const std::string& bwrap) {
    if (findExecutable(bwrap).empty())
        return "bubblewrap not found (" + bwrap + "): install the bubblewrap package";
    try {
        TemporaryFile log;
        SandboxSpec spec;
        spec.rootfs = "/";
        spec.tmpfs = {"/tmp"};
        spec.environment = {{"PATH", "/usr/bin:/bin"}};
        spec.command = {"true"};
        spec.logPath = log.path();
        SandboxResult result = BubblewrapSandbox(bwrap).run(spec);
        return result.ok() ? "" : failureReason(result, readFile(log.path()));
    } catch (const Error& e) {
        return e.what();
    }
}

}  // namespace twoliter
