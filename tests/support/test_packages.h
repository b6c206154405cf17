#pragma once

// Shell commands, OpenPGP keys and RPMs for tests, made by the real tools
// (sh, gpg, rpmbuild). Header only, so it needs no build-file change; meant
// for test files only, as it stops the running Catch2 test on failure.

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "support/temp_tree.h"

namespace twoliter::testing {

namespace detail {

// std::system's status as a shell reports it: the exit code, 128+N when
// killed by signal N, -1 when no shell could be started.
inline int exitCodeOf(int status) {
    if (status == -1)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// command run by sh with both its outputs sent to target.
inline int shellStatus(const std::string& command, const std::string& target) {
    return exitCodeOf(std::system(("(" + command + "\n) >" + target + " 2>&1").c_str()));
}

inline std::string singleQuoted(const std::string& text) {
    std::string quoted = "'";
    for (char c : text)
        quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return quoted + "'";
}

// A new empty file under $TMPDIR (or /tmp), removed on destruction, also
// when a REQUIRE stops the test.
class ScratchFile {
  public:
    ScratchFile() {
        const char* tmp = std::getenv("TMPDIR");
        path_ = std::string(tmp && *tmp ? tmp : "/tmp") + "/twoliter-test-run-XXXXXX";
        int fd = ::mkstemp(path_.data());
        REQUIRE(fd >= 0);
        ::close(fd);
    }
    ~ScratchFile() {
        std::error_code ignored;
        std::filesystem::remove(path_, ignored);
    }
    ScratchFile(const ScratchFile&) = delete;
    ScratchFile& operator=(const ScratchFile&) = delete;
    const std::string& path() const { return path_; }
    std::string content() const {
        std::ifstream file(path_, std::ios::binary);
        return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
    }

  private:
    std::string path_;
};

}  // namespace detail

// Runs a shell command with its output discarded; returns its exit code
// (0 on success), for commands that are expected to fail or whose failure
// does not matter.
inline int runQuietly(const std::string& command) {
    return detail::shellStatus(command, "/dev/null");
}

// Runs a shell command; returns its exit code (as runQuietly's) and what it
// printed, standard output and standard error together.
inline std::pair<int, std::string> runCapturing(const std::string& command) {
    detail::ScratchFile output;
    int code = detail::shellStatus(command, output.path());
    return {code, output.content()};
}

// Runs a shell command; the test stops (REQUIRE) unless it exits with 0,
// and the failure shows the command and its output. The output goes through
// a file under $TMPDIR (or /tmp) that is removed afterwards.
inline void runOrFail(const std::string& command) {
    auto [code, output] = runCapturing(command);
    INFO(command);
    INFO(output);
    REQUIRE(code == 0);
}

// The standard output of a shell command that must succeed, as runOrFail
// runs it; its standard error is shown only when it fails.
inline std::string outputOrFail(const std::string& command) {
    detail::ScratchFile output;
    runOrFail("(" + command + "\n) >" + output.path());
    return output.content();
}

// An OpenPGP key as armored files: the secret key (with its public part)
// and the public key alone.
struct TestKey {
    std::string secretFile;
    std::string publicFile;
};

// Stops the gpg-agent a GnuPG home started when it goes out of scope, also
// when a step before it failed.
struct GpgAgentStop {
    std::string home;
    ~GpgAgentStop() { runQuietly("gpgconf --homedir " + home + " --kill all"); }
};

// A new ed25519 signing key "<name> <<name>@example.test>", valid one year,
// made in the GnuPG home <dir>/gnupg-<name> and exported to
// <dir>/<name>.sec.asc and <dir>/<name>.pub.asc. An empty passphrase leaves
// the secret key unprotected; a passphrase is hashed with a low s2k count
// so that tests stay fast. No gpg-agent is left running.
inline TestKey makeTestKey(const std::string& dir, const std::string& name,
                           const std::string& passphrase = "") {
    namespace fs = std::filesystem;
    std::string home = dir + "/gnupg-" + name;
    fs::create_directories(home);
    fs::permissions(home, fs::perms::owner_all, fs::perm_options::replace);
    writeTreeFile(home, "gpg-agent.conf", "s2k-count 65536\n");
    GpgAgentStop agent{home};
    std::string gpg = "gpg --homedir " + home + " --batch --pinentry-mode loopback --passphrase " +
                      detail::singleQuoted(passphrase);
    TestKey key{dir + "/" + name + ".sec.asc", dir + "/" + name + ".pub.asc"};
    runOrFail(gpg + " --quick-gen-key " +
              detail::singleQuoted(name + " <" + name + "@example.test>") + " ed25519 sign 1y");
    runOrFail(gpg + " --armor --output " + key.secretFile + " --export-secret-keys");
    runOrFail(gpg + " --armor --output " + key.publicFile + " --export");
    return key;
}

// A file a package installs: its absolute path and its bytes.
struct TestFile {
    std::string path;
    std::string content;
};

// The package <rpm name>-<name>, built from the same spec.
struct TestSubpackage {
    std::string name;
    std::vector<std::string> dependencies;  // its Requires:, e.g. "greet-lib >= 1.0"
    std::vector<TestFile> files;
};

// A binary RPM (and its subpackages) from one generated spec.
struct TestRpm {
    std::string name;
    std::string version = "1.0";
    std::string release = "1";
    std::vector<TestSubpackage> subpackages;
    std::vector<std::string> dependencies;  // its Requires:, e.g. "greet-lib >= 1.0"
    std::string arch = "noarch";            // "noarch" or an rpmbuild --target
    std::vector<TestFile> files;
    std::string changelog;  // the %changelog section's text; none when empty
};

// <name> installing /usr/share/<name>/main, and <name>-<sub> for each of
// subpackages installing /usr/share/<name>/<sub>; each file holds its
// file name and a newline.
inline TestRpm rpmWithSubpackages(const std::string& name,
                                  const std::vector<std::string>& subpackages) {
    TestRpm rpm{name};
    rpm.files = {{"/usr/share/" + name + "/main", "main\n"}};
    for (const auto& sub : subpackages)
        rpm.subpackages.push_back({sub, {}, {{"/usr/share/" + name + "/" + sub, sub + "\n"}}});
    return rpm;
}

namespace detail {

inline std::string specHeader(const std::string& name,
                              const std::vector<std::string>& dependencies) {
    std::string header = "Summary: test package " + name + "\n";
    for (const auto& dependency : dependencies)
        header += "Requires: " + dependency + "\n";
    return header;
}

// The %install lines and %files sections of a spec; each file's content is
// written to <contentDir>/<n> and copied from there into the build root.
struct SpecFiles {
    std::string contentDir;
    std::string install = "%install\n";
    std::string sections;
    int count = 0;

    void add(const std::string& filesHeader, const std::vector<TestFile>& files) {
        sections += filesHeader + "\n";
        for (const auto& file : files) {
            INFO(file.path);
            REQUIRE(file.path.rfind('/', 0) == 0);  // absolute
            std::string source = std::to_string(count++);
            writeTreeFile(contentDir, source, file.content);
            install += "install -D -m 0644 " + singleQuoted(contentDir + "/" + source) + " " +
                       singleQuoted("%{buildroot}" + file.path) + "\n";
            sections += file.path + "\n";
        }
    }
};

// The spec of rpm; file contents are written below contentDir.
inline std::string testRpmSpec(const TestRpm& rpm, const std::string& contentDir) {
    std::string spec = "Name: " + rpm.name + "\nVersion: " + rpm.version +
                       "\nRelease: " + rpm.release + "\nLicense: MIT\n" +
                       (rpm.arch == "noarch" ? "BuildArch: noarch\n" : "") +
                       specHeader(rpm.name, rpm.dependencies) + "%description\n" + rpm.name + "\n";
    SpecFiles files{contentDir};
    files.add("%files", rpm.files);
    for (const auto& sub : rpm.subpackages) {
        std::string full = rpm.name + "-" + sub.name;
        spec += "%package " + sub.name + "\n" + specHeader(full, sub.dependencies) +
                "%description " + sub.name + "\n" + full + "\n";
        files.add("%files " + sub.name, sub.files);
    }
    std::string changelog = rpm.changelog.empty() ? "" : "%changelog\n" + rpm.changelog;
    return spec + files.install + files.sections + changelog;
}

}  // namespace detail

// Builds rpm with rpmbuild from <work>/<name>.spec (rpmbuild's _topdir is
// <work>/top); the RPMs land in <output>/<arch>/ as
// <name>[-<sub>]-<version>-<release>.<arch>.rpm. Paths must not contain
// single quotes.
inline void buildTestRpm(const std::string& work, const TestRpm& rpm, const std::string& output) {
    std::string spec = work + "/" + rpm.name + ".spec";
    writeTreeFile(work, rpm.name + ".spec",
                  detail::testRpmSpec(rpm, work + "/" + rpm.name + "-files"));
    runOrFail("rpmbuild -bb --define '_topdir " + work + "/top' --define '_rpmdir " + output +
              "' --define '_build_id_links none'" +
              (rpm.arch == "noarch" ? "" : " --target " + rpm.arch) + " " + spec);
}

}  // namespace twoliter::testing
