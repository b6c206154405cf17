// The bubblewrap sandbox: bwrap's arguments for a spec (pure), then real runs
// that check what a sandboxed command can and cannot see. The network is only
// ever checked to be unreachable, through a listener on the host's loopback.
#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <set>

#include "sandbox/sandbox.h"
#include "support/error_text.h"
#include "support/temp_tree.h"
#include "util/error.h"
#include "util/files.h"
#include "util/strings.h"

using namespace twoliter;
using twoliter::testing::TempDir;
using twoliter::testing::writeTreeFile;

namespace fs = std::filesystem;

namespace {

std::set<std::string> linesOf(const std::string& text) {
    std::set<std::string> lines;
    for (const auto& line : splitString(text, '\n'))
        if (!line.empty())
            lines.insert(line);
    return lines;
}

// A rootfs folder like an SDK's: usr/, etc/ with one file, proc/ and tmp/
// (both replaced in the sandbox) and the merged-/usr bin symlink.
std::string smallRootfs(const std::string& dir) {
    std::string rootfs = dir + "/rootfs";
    fs::create_directories(rootfs + "/usr");
    fs::create_directories(rootfs + "/proc");
    fs::create_directories(rootfs + "/tmp");
    writeTreeFile(rootfs, "etc/passwd", "root:x:0:0::/root:/bin/sh\n");
    fs::create_symlink("usr/bin", rootfs + "/bin");
    return rootfs;
}

SandboxSpec smallSpec(const std::string& rootfs) {
    SandboxSpec spec;
    spec.rootfs = rootfs;
    spec.mounts = {{"/host/src", "/build/src", false}, {"/host/work", "/build", true}};
    spec.tmpfs = {"/tmp"};
    spec.environment = {{"PATH", "/usr/bin"}, {"HOME", "/build"}};
    spec.workingDirectory = "/build";
    spec.command = {"make", "-j2"};
    return spec;
}

}  // namespace

TEST_CASE("bwrap arguments: namespaces, environment, rootfs entries, mounts parents first") {
    TempDir dir;
    std::string rootfs = smallRootfs(dir.path());
    // clang-format off
    std::vector<std::string> expected = {
        "--unshare-all", "--unshare-user", "--disable-userns", "--uid", "0", "--gid", "0",
        "--die-with-parent", "--new-session",
        "--hostname", "builder",
        "--clearenv", "--setenv", "PATH", "/usr/bin", "--setenv", "HOME", "/build",
        // the rootfs's top-level entries by name; proc/ and tmp/ are replaced
        "--symlink", "usr/bin", "/bin",
        "--ro-bind", rootfs + "/etc", "/etc",
        "--ro-bind", rootfs + "/usr", "/usr",
        "--proc", "/proc", "--dev", "/dev",
        // depth 1 (mounts, then tmpfs), then depth 2
        "--bind", "/host/work", "/build",
        "--tmpfs", "/tmp",
        "--ro-bind", "/host/src", "/build/src",
        "--remount-ro", "/", "--chdir", "/build", "--", "make", "-j2"};
    // clang-format on
    CHECK(bubblewrapArguments(smallSpec(rootfs)) == expected);
}

TEST_CASE("bwrap arguments: a mount replacing a top-level entry, no hostname") {
    TempDir dir;
    SandboxSpec spec = smallSpec(smallRootfs(dir.path()));
    spec.mounts = {{"/sdk/usr", "/usr", false}, {"/host/passwd", "/etc/passwd", false}};
    spec.tmpfs.clear();
    spec.hostname.clear();
    std::string args = joinStrings(bubblewrapArguments(spec), " ");
    CHECK_THAT(args, Catch::Contains("--clearenv"));
    CHECK_THAT(args, !Catch::Contains("--hostname"));
    CHECK_THAT(args, !Catch::Contains("rootfs/usr"));
    CHECK_THAT(args, !Catch::Contains("rootfs/proc"));
    CHECK_THAT(args, Catch::Contains("rootfs/tmp /tmp --proc /proc --dev /dev --ro-bind "
                                     "/sdk/usr /usr --ro-bind /host/passwd /etc/passwd "
                                     "--remount-ro /"));
}

TEST_CASE("bwrap arguments: mount points bwrap could not create are errors naming the target") {
    TempDir dir;
    SandboxSpec spec = smallSpec(smallRootfs(dir.path()));
    auto withMount = [&](const std::string& target) {
        SandboxSpec changed = spec;
        changed.mounts.push_back({"/host/x", target, false});
        return testing::errorText([&] { bubblewrapArguments(changed); });
    };
    CHECK_THAT(withMount("/etc/group"),
               Catch::Contains("sandbox mount target /etc/group cannot be created: /etc/group "
                               "does not exist in the read-only /etc"));
    CHECK_THAT(withMount("/etc/passwd/x"), Catch::Contains("/etc/passwd is not a directory"));
    CHECK_THAT(withMount("/bin/tool"),
               Catch::Contains("/bin/tool passes through the rootfs symlink /bin -> usr/bin"));
    CHECK(withMount("/etc/passwd") == "no error");     // exists in the rootfs
    CHECK(withMount("/opt/tool") == "no error");       // new in the sandbox's root
    CHECK(withMount("/build/deep/er") == "no error");  // below a writable mount
    CHECK(withMount("/tmp/x") == "no error");          // below a tmpfs
    CHECK_THAT(withMount("relative"), Catch::Contains("absolute path in normal form"));
    CHECK_THAT(withMount("/a/../b"), Catch::Contains("absolute path in normal form"));
    CHECK_THAT(withMount("/build"), Catch::Contains("/build is given twice"));
    CHECK_THAT(withMount("/proc/sys"), Catch::Contains("reserved"));

    spec.command.clear();
    CHECK_THAT(testing::errorText([&] { bubblewrapArguments(spec); }), Catch::Contains("command is empty"));
    spec.command = {"true"};
    spec.rootfs = dir.path() + "/missing";
    CHECK_THAT(testing::errorText([&] { bubblewrapArguments(spec); }),
               Catch::Contains("sandbox rootfs is not a directory"));
}

namespace {

// A root file system with nothing of the host in it: the merged-/usr symlinks
// and an empty usr/ that the host's /usr is mounted over, read-only.
struct MinimalRoot {
    TempDir dir;
    SandboxSpec spec;
    BubblewrapSandbox sandbox;
    std::string output;  // what the last run wrote

    MinimalRoot() {
        fs::create_directories(dir.path() + "/rootfs/usr");
        for (std::string name : {"bin", "lib", "lib64", "sbin"})
            fs::create_symlink("usr/" + name, dir.path() + "/rootfs/" + name);
        spec.rootfs = dir.path() + "/rootfs";
        spec.mounts = {{"/usr", "/usr", false}};
        spec.tmpfs = {"/tmp"};
        spec.environment = {{"PATH", "/usr/bin:/usr/sbin"}, {"LANG", "C.UTF-8"}};
        spec.logPath = dir.path() + "/log";
    }
    // A new folder on the host.
    std::string hostFolder(const std::string& name) {
        fs::create_directories(dir.path() + "/" + name);
        return dir.path() + "/" + name;
    }
    SandboxResult run(std::vector<std::string> command) {
        spec.command = std::move(command);
        ::unlink(spec.logPath.c_str());
        SandboxResult result = sandbox.run(spec);
        output = readFileIfExists(spec.logPath).value_or("");
        return result;
    }
    SandboxResult sh(const std::string& script) { return run({"/bin/sh", "-c", script}); }
};

// A TCP socket listening on the host's 127.0.0.1 at a free port.
class LoopbackListener {
  public:
    LoopbackListener() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
        sockaddr_in address = loopback(0);
        socklen_t size = sizeof address;
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&address), size) == 0);
        REQUIRE(::listen(fd_, 4) == 0);
        REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size) == 0);
        port_ = ntohs(address.sin_port);
    }
    ~LoopbackListener() { ::close(fd_); }
    int port() const { return port_; }
    // Whether a connection from the host (this process) succeeds.
    bool acceptsFromHost() const {
        int client = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address = loopback(port_);
        bool connected =
            ::connect(client, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
        ::close(client);
        return connected;
    }

  private:
    static sockaddr_in loopback(int port) {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(static_cast<uint16_t>(port));
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        return address;
    }
    int fd_;
    int port_ = 0;
};

}  // namespace

TEST_CASE("sandboxes work on this machine") {
    CHECK(probeSandbox() == "");
    CHECK_THAT(probeSandbox("/nonexistent/bwrap"), Catch::Contains("bubblewrap not found"));
}

TEST_CASE_METHOD(
    MinimalRoot,
    "sandbox: own PID 1, hostname, uid 0, stdin from /dev/null, no nested namespaces") {
    std::string script =
        "echo \"init: $(basename \"$(tr '\\0' '\\n' < /proc/1/cmdline | head -n 1)\")\"\n"
        "echo \"processes: $(ls /proc | grep -c '^[0-9]')\"\n"
        "echo \"hostname: $(hostname)\"\n"
        "echo \"uid: $(id -u):$(id -g)\"\n"
        "cat; echo 'stdin: empty'\n"
        "unshare -U true 2>/dev/null || echo 'user namespaces: denied'\n";
    script += "test -e /proc/" + std::to_string(::getpid()) + " || echo 'host pid: absent'\n";
    REQUIRE(sh(script).ok());
    CHECK_THAT(output, Catch::Contains("init: bwrap\n"));
    CHECK_THAT(output, Catch::Contains("host pid: absent"));
    CHECK_THAT(output, Catch::Contains("hostname: builder\n"));
    CHECK_THAT(output, Catch::Contains("uid: 0:0\n"));
    CHECK_THAT(output, Catch::Contains("stdin: empty\n"));
    CHECK_THAT(output, Catch::Contains("user namespaces: denied\n"));
    std::string count = output.substr(output.find("processes: ") + 11);
    CHECK(std::stoi(count) < 10);
}

TEST_CASE_METHOD(MinimalRoot, "sandbox: the environment is exactly the spec's (and PWD)") {
    ::setenv("TWOLITER_SANDBOX_TEST_SECRET", "leaked", 1);
    spec.workingDirectory = "/usr";
    REQUIRE(run({"env"}).ok());
    CHECK(linesOf(output) ==
          std::set<std::string>{"PATH=/usr/bin:/usr/sbin", "LANG=C.UTF-8", "PWD=/usr"});
    // bwrap is PID 1 inside: its own initial environment must not carry ours.
    REQUIRE(sh("tr '\\0' '\\n' < /proc/1/environ; echo end").ok());
    ::unsetenv("TWOLITER_SANDBOX_TEST_SECRET");
    CHECK(output == "end\n");
}

TEST_CASE_METHOD(MinimalRoot, "sandbox: only the rootfs and the mounts are visible") {
    std::string secret = hostFolder("secret");
    writeTreeFile(secret, "token", "s3cr3t\n");
    std::string script = "ls -A /\n";
    script += "test -e " + secret + "/token || echo 'secret: absent'\n";
    script +=
        "test -e /root || test -e /etc || test -e /work || test -e /sys || "
        "echo 'host folders: absent'\n";
    REQUIRE(sh(script).ok());
    CHECK(output ==
          "bin\ndev\nlib\nlib64\nproc\nsbin\ntmp\nusr\nsecret: absent\nhost folders: absent\n");
}

TEST_CASE_METHOD(MinimalRoot, "sandbox: writable and read-only mounts, read-only rootfs") {
    std::string work = hostFolder("work");
    std::string sources = hostFolder("sources");
    writeTreeFile(sources, "input.txt", "input\n");
    spec.mounts.push_back({work, "/build", true});
    spec.mounts.push_back({sources, "/scratch/in", false});
    spec.mounts.push_back({sources, "/src", false});
    spec.tmpfs.push_back("/scratch");
    std::string script =
        "echo made > /build/out.txt && echo 'build: writable'\n"
        "touch /src/x 2>/dev/null || echo 'src: read-only'\n"
        "mount -o remount,bind,rw /src 2>/dev/null || echo 'src: no remount'\n"
        "touch /src/x 2>/dev/null || echo 'src: still read-only'\n"
        "touch /usr/x 2>/dev/null || echo 'usr: read-only'\n"
        "touch /x 2>/dev/null || echo 'root: read-only'\n"
        "touch /tmp/x && touch /scratch/x && echo 'tmpfs: writable'\n"
        "cat /src/input.txt /scratch/in/input.txt\n";
    REQUIRE(sh(script).ok());
    CHECK(output ==
          "build: writable\nsrc: read-only\nsrc: no remount\nsrc: still read-only\n"
          "usr: read-only\nroot: read-only\ntmpfs: writable\n"
          "input\ninput\n");
    CHECK(readFile(work + "/out.txt") == "made\n");
    CHECK_FALSE(pathExists(sources + "/x"));
}

TEST_CASE_METHOD(MinimalRoot, "sandbox: the host root as rootfs, read-only, without /sys") {
    spec.rootfs = "/";
    spec.mounts.clear();
    std::string script =
        "test -f /etc/debian_version && echo 'etc: visible'\n"
        "touch /etc/twoliter-probe 2>/dev/null || echo 'etc: read-only'\n"
        "touch /twoliter-probe 2>/dev/null || echo 'root: read-only'\n"
        "test -e /sys/kernel || echo 'sys: absent'\n"
        "echo \"processes: $(ls /proc | grep -c '^[0-9]')\"\n"
        "hostname\n";
    REQUIRE(sh(script).ok());
    CHECK_THAT(output, Catch::StartsWith("etc: visible\netc: read-only\nroot: read-only\n"
                                         "sys: absent\nprocesses: "));
    CHECK_THAT(output, Catch::EndsWith("builder\n"));
    CHECK_FALSE(pathExists("/etc/twoliter-probe"));
}

TEST_CASE_METHOD(MinimalRoot, "sandbox: no network, only a loopback of its own") {
    LoopbackListener listener;
    REQUIRE(listener.acceptsFromHost());
    REQUIRE(sh("sed -n '3,$s/:.*//p' /proc/net/dev | tr -d ' '; tail -n +2 /proc/net/route").ok());
    CHECK(output == "lo\n");  // one interface, no route
    std::string connect =
        "import socket\n"
        "s = socket.socket()\n"
        "s.settimeout(5)\n"
        "try:\n"
        "    s.connect(('127.0.0.1', " +
        std::to_string(listener.port()) +
        "))\n"
        "    print('connected')\n"
        "except OSError as e:\n"
        "    print('connect failed', e.errno)\n";
    REQUIRE(run({"python3", "-c", connect}).ok());
    CHECK_THAT(output, Catch::StartsWith("connect failed"));
}

TEST_CASE_METHOD(MinimalRoot, "sandbox: exit codes and signals come back") {
    SandboxResult exited = sh("exit 7");
    CHECK(exited.exitCode == 7);
    CHECK(exited.signal == 0);
    CHECK_FALSE(exited.ok());
    CHECK(exited.seconds > 0);
    SandboxResult killed = sh("kill -9 $$");
    CHECK(killed.signal == 9);
    CHECK(killed.exitCode == -1);
    CHECK(sh("kill -TERM $$").signal == 15);
    CHECK(sh("exit 0").ok());
}

TEST_CASE_METHOD(MinimalRoot, "sandbox: the log is appended to and bwrap failures are results") {
    writeTreeFile(dir.path(), "log", "before\n");
    spec.command = {"/bin/sh", "-c", "echo out; echo err >&2"};
    REQUIRE(sandbox.run(spec).ok());
    REQUIRE(sandbox.run(spec).ok());
    CHECK(readFile(spec.logPath) == "before\nout\nerr\nout\nerr\n");

    SandboxResult missing = run({"no-such-command"});
    CHECK(missing.exitCode == 1);
    CHECK_THAT(output, Catch::Contains("bwrap: execvp no-such-command"));
    spec.mounts.push_back({dir.path() + "/no-such-folder", "/build", false});
    CHECK(sh("true").exitCode == 1);
    CHECK_THAT(output, Catch::Contains("bwrap: Can't find source path"));
}

TEST_CASE_METHOD(MinimalRoot, "sandbox: errors before bwrap runs") {
    spec.mounts.push_back({"/usr/share", "/usr/no-such-dir/share", false});
    CHECK_THAT(testing::errorText([&] { sh("true"); }),
               Catch::Contains("sandbox mount target /usr/no-such-dir/share cannot be created"));
    spec.mounts.pop_back();
    spec.logPath = dir.path() + "/no-such-folder/log";
    CHECK_THAT(testing::errorText([&] { sh("true"); }), Catch::Contains("cannot open the sandbox log"));
    spec.logPath.clear();
    BubblewrapSandbox missing("/nonexistent/bwrap");
    spec.command = {"true"};
    CHECK_THAT(testing::errorText([&] { missing.run(spec); }), Catch::Contains("bubblewrap not found"));
}

TEST_CASE_METHOD(MinimalRoot, "sandbox: cancelAll ends running commands and later ones") {
    std::string started = hostFolder("started");
    spec.mounts.push_back({started, "/started", true});
    SandboxResult result;
    std::thread runner([&] { result = sh("touch /started/yes; exec sleep 60"); });
    for (int i = 0; i < 500 && !fs::exists(started + "/yes"); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    sandbox.cancelAll();
    runner.join();
    CHECK(result.signal == SIGKILL);
    CHECK(sh("exit 0").signal == SIGKILL);  // cancelled runners start nothing new
}
