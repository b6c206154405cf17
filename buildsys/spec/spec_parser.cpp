#include "spec/spec_parser.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include <rpm/rpmbuild.h>
#include <rpm/rpmds.h>
#include <rpm/rpmlib.h>
#include <rpm/rpmlog.h>
#include <rpm/rpmmacro.h>
#include <rpm/rpmspec.h>

#include "util/child_process.h"
#include "util/digest.h"
#include "util/files.h"
#include "util/strings.h"

namespace twoliter {

std::string MacroContext::digest() const {
    Sha256 hash;
    hash.addField("macro-context-v1").addField(archName(arch));
    for (const auto& file : macroFiles)
        hash.addField(file).addField(readFile(file));
    for (const auto& [name, value] : defines)
        hash.addField(name).addField(value);
    return hash.hex();
}

namespace {

// rpm keeps its configuration in process-global state. The parent configures
// it once per context and every parser child inherits it through fork().
std::string configuredContextDigest;

void configureRpm(const MacroContext& context, const std::string& digest) {
    if (configuredContextDigest == digest)
        return;
    rpmFreeMacros(nullptr);
    rpmFreeRpmrc();
    std::string target = std::string(archName(context.arch)) + "-linux";
    if (rpmReadConfigFiles(nullptr, target.c_str()) != 0) {
        throw Error("cannot read rpm's configuration for " + target);
    }
    for (const auto& file : context.macroFiles) {
        if (rpmLoadMacroFile(nullptr, file.c_str()) != 0) {
            throw Error("cannot load RPM macros", {file});
        }
    }
    rpmPushMacro(nullptr, "_target_cpu", nullptr, archName(context.arch), RMIL_CMDLINE);
    // rpm's default %_smp_build_ncpus runs a shell at every expansion, and a
    // spec parse expands it in each %build; nothing parsed depends on it.
    std::string cpus = std::to_string(std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN)));
    rpmPushMacro(nullptr, "_smp_build_ncpus", nullptr, cpus.c_str(), RMIL_CMDLINE);
    for (const auto& [name, value] : context.defines) {
        rpmPushMacro(nullptr, name.c_str(), nullptr, value.c_str(), RMIL_CMDLINE);
    }
    configuredContextDigest = digest;
}

std::vector<Dependency> readDependencies(Header header, rpmTagVal tag) {
    std::vector<Dependency> dependencies;
    rpmds ds = rpmdsNew(header, tag, 0);
    while (rpmdsNext(ds) >= 0) {
        const char* name = rpmdsN(ds);
        if (startsWith(name, "rpmlib("))
            continue;
        const char* evr = rpmdsEVR(ds);
        uint32_t sense = rpmdsFlags(ds) & (kSenseLess | kSenseGreater | kSenseEqual);
        dependencies.push_back({name, sense, evr ? evr : ""});
    }
    rpmdsFree(ds);
    return dependencies;
}

std::string headerString(Header header, rpmTagVal tag) {
    const char* value = headerGetString(header, tag);
    return value ? value : "";
}

std::string headerEpoch(Header header) {
    return headerIsEntry(header, RPMTAG_EPOCH)
               ? std::to_string(headerGetNumber(header, RPMTAG_EPOCH))
               : "";
}

BinaryPackage readBinary(rpmSpecPkg pkg) {
    Header header = rpmSpecPkgHeader(pkg);
    BinaryPackage binary;
    binary.name = headerString(header, RPMTAG_NAME);
    binary.epoch = headerEpoch(header);
    binary.version = headerString(header, RPMTAG_VERSION);
    binary.release = headerString(header, RPMTAG_RELEASE);
    binary.arch = headerString(header, RPMTAG_ARCH);
    binary.provides = readDependencies(header, RPMTAG_PROVIDENAME);
    binary.runtimeRequires = readDependencies(header, RPMTAG_REQUIRENAME);
    binary.conflicts = readDependencies(header, RPMTAG_CONFLICTNAME);
    binary.obsoletes = readDependencies(header, RPMTAG_OBSOLETENAME);
    return binary;
}

// Names of the packages that have a %files section, read from the expanded
// spec text (rpmSpecPkgGetSection cannot tell an empty %files from none).
// "%files" is the main package, "%files X" is main-X, "%files -n X" is X;
// "-f FILE" names a file list.
std::set<std::string> packagesWithFiles(rpmSpec spec, const std::string& mainName) {
    std::set<std::string> names;
    const char* expanded = rpmSpecGetSection(spec, RPMBUILD_NONE);
    std::istringstream lines(expanded ? expanded : "");
    for (std::string line; std::getline(lines, line);) {
        std::istringstream words(line);
        std::string word;
        words >> word;
        if (word != "%files")
            continue;
        std::string name = mainName;
        while (words >> word) {
            if (word == "-f") {
                words >> word;
            } else if (word == "-n") {
                words >> name;
            } else if (word.rfind("-n", 0) == 0) {
                name = word.substr(2);  // popt's glued form, "-nNAME"
            } else if (word[0] != '-') {
                name = mainName + "-" + word;
            }
        }
        names.insert(name);
    }
    return names;
}

PackageSpec readSpec(rpmSpec spec) {
    PackageSpec parsed;
    Header source = rpmSpecSourceHeader(spec);
    parsed.name = headerString(source, RPMTAG_NAME);
    parsed.epoch = headerEpoch(source);
    parsed.version = headerString(source, RPMTAG_VERSION);
    parsed.release = headerString(source, RPMTAG_RELEASE);
    parsed.buildRequires = readDependencies(source, RPMTAG_REQUIRENAME);
    parsed.buildConflicts = readDependencies(source, RPMTAG_CONFLICTNAME);
    rpmSpecPkgIter packages = rpmSpecPkgIterInit(spec);
    std::set<std::string> withFiles = packagesWithFiles(spec, parsed.name);
    while (rpmSpecPkg pkg = rpmSpecPkgIterNext(packages)) {
        parsed.binaries.push_back(readBinary(pkg));
        parsed.binaries.back().producesRpm = withFiles.count(parsed.binaries.back().name) > 0;
    }
    rpmSpecPkgIterFree(packages);
    rpmSpecSrcIter sources = rpmSpecSrcIterInit(spec);
    while (rpmSpecSrc src = rpmSpecSrcIterNext(sources)) {
        auto& list = (rpmSpecSrcFlags(src) & RPMBUILD_ISPATCH) ? parsed.patches : parsed.sources;
        list.insert(list.begin(), rpmSpecSrcFilename(src, 1));  // rpm lists them in reverse
    }
    rpmSpecSrcIterFree(sources);
    return parsed;
}

// rpm reports problems through its log; the child keeps the errors.
int collectLogRecord(rpmlogRec record, rpmlogCallbackData data) {
    if (rpmlogRecPriority(record) <= RPMLOG_ERR) {
        auto* messages = static_cast<std::vector<std::string>*>(data);
        messages->push_back(trimString(rpmlogRecMessage(record)));
    }
    return 0;
}

void writeAllTo(int fd, const std::string& bytes) {
    size_t written = 0;
    while (written < bytes.size()) {
        ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return;
        written += static_cast<size_t>(n);
    }
}

// Runs in the child: parse, then write 'O' + record or 'E' + message.
// Everything written to standard error by the spec's shell macros, as lines.
std::vector<std::string> capturedOutput(int capture) {
    std::vector<std::string> lines;
    if (capture < 0)
        return lines;
    std::string text;
    char buffer[4096];
    ::lseek(capture, 0, SEEK_SET);
    for (ssize_t n; (n = ::read(capture, buffer, sizeof buffer)) > 0;)
        text.append(buffer, static_cast<size_t>(n));
    for (const auto& line : splitString(text, '\n')) {
        if (!trimString(line).empty())
            lines.push_back(trimString(line));
    }
    return lines;
}

// Specs run shell code while they parse (%(...)); none of it may reach the
// network, so parser children run in a network namespace with only a down
// loopback. Root switches the parent into one such namespace for the whole
// batch (children inherit it) and back afterwards: one namespace instead of
// one per spec. Otherwise each child makes its own, inside a user namespace.
// Not yet: a separate file system view.
class IsolatedNetwork {
  public:
    IsolatedNetwork() {
        if (::geteuid() != 0)
            return;
        original_ = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        isolated_ = original_ >= 0 && ::unshare(CLONE_NEWNET) == 0;
        if (!isolated_)
            std::fputs(
                "twoliter: warning: cannot give spec parsing a network namespace; specs' "
                "shell macros can reach the network\n",
                stderr);
    }
    ~IsolatedNetwork() {
        if (isolated_ && ::setns(original_, CLONE_NEWNET) != 0) {
            std::fputs("twoliter: cannot return to the host network namespace\n", stderr);
        }
        if (original_ >= 0)
            ::close(original_);
    }
    IsolatedNetwork(const IsolatedNetwork&) = delete;
    IsolatedNetwork& operator=(const IsolatedNetwork&) = delete;
    bool active() const { return isolated_; }

  private:
    int original_ = -1;
    bool isolated_ = false;
};

// For a child whose parent could not isolate the batch.
void isolateNetwork() {
    if (::unshare(CLONE_NEWNET) == 0)
        return;
    // Where namespaces are denied the parse goes on unisolated; the parent
    // has said so once.
    ::unshare(CLONE_NEWUSER | CLONE_NEWNET);
}

[[noreturn]] void parseInChild(const SpecParseRequest& request, int fd, bool networkIsolated) {
    if (!networkIsolated)
        isolateNetwork();
    int capture = ::memfd_create("spec-parse-stderr", 0);
    if (capture >= 0)
        ::dup2(capture, STDERR_FILENO);
    std::vector<std::string> messages;
    rpmlogSetCallback(collectLogRecord, &messages);
    rpmSpec spec = rpmSpecParse(request.specPath.c_str(), RPMSPEC_ANYARCH | RPMSPEC_FORCE, nullptr);
    if (spec == nullptr) {
        writeAllTo(fd, "E" + (messages.empty() ? std::string("spec does not parse")
                                               : joinStrings(messages, "; ")));
        ::_exit(1);
    }
    PackageSpec parsed = readSpec(spec);
    parsed.parseOutput = capturedOutput(capture);
    std::string record = "O" + encodePackageSpec(parsed);
    writeAllTo(fd, record);
    ::_exit(0);
}

// "line 12: Unknown tag: Foo" -> line 12 and the rest as the message.
Error parseError(const SpecParseRequest& request, const std::string& message) {
    static const std::regex linePattern(R"(^(?:error: )?line (\d+): (.*)$)");
    std::smatch match;
    std::string first = message.substr(0, message.find("; "));
    if (std::regex_match(first, match, linePattern)) {
        return Error("spec does not parse: " + match[2].str(),
                     {request.displayName, std::stoi(match[1].str())});
    }
    return Error("spec does not parse: " + message, {request.displayName});
}

struct RunningParse {
    size_t index;
    pid_t pid;
    int fd;
    std::string output;
};

SpecParseOutcome finish(const SpecParseRequest& request, RunningParse& running) {
    ::close(running.fd);
    int status = 0;
    while (::waitpid(running.pid, &status, 0) < 0 && errno == EINTR) {
    }
    SpecParseOutcome outcome;
    const std::string& out = running.output;
    if (!out.empty() && out[0] == 'O' && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        try {
            outcome.spec = decodePackageSpec(out.substr(1));
            outcome.spec.specPath = request.specPath;
        } catch (const Error& e) {
            outcome.error = Error(std::string("spec parser returned a bad record: ") + e.what(),
                                  {request.displayName});
        }
    } else if (!out.empty() && out[0] == 'E') {
        outcome.error = parseError(request, out.substr(1));
    } else {
        outcome.error = Error("spec parser process died", {request.displayName},
                              "run 'rpmspec -P' on the spec to see rpm's own output");
    }
    return outcome;
}

RunningParse start(const SpecParseRequest& request, size_t index, bool networkIsolated) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
        throw Error(std::string("pipe: ") + std::strerror(errno));
    // The child holds copies of every descriptor, the build's locks among them.
    pid_t pid = forkDyingWithParent();
    if (pid < 0)
        throw Error(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
        ::close(fds[0]);
        parseInChild(request, fds[1], networkIsolated);
    }
    ::close(fds[1]);
    return {index, pid, fds[0], {}};
}

// Reads what is available from each finished-or-writing child; returns the
// position of one whose pipe reached end of file, or -1.
int pumpOutputs(std::vector<RunningParse>& running) {
    std::vector<pollfd> fds;
    for (const auto& parse : running)
        fds.push_back({parse.fd, POLLIN, 0});
    while (::poll(fds.data(), fds.size(), -1) < 0) {
        if (errno != EINTR)
            throw Error(std::string("poll: ") + std::strerror(errno));
    }
    for (size_t i = 0; i < fds.size(); ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        char buffer[65536];
        ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
        if (n > 0) {
            running[i].output.append(buffer, static_cast<size_t>(n));
        } else if (n == 0 || errno != EINTR) {
            return static_cast<int>(i);
        }
    }
    return -1;
}

}  // namespace

std::vector<SpecParseOutcome> parseSpecs(const MacroContext& context,
                                         const std::vector<SpecParseRequest>& requests, int jobs,
                                         const ParseProgress& progress) {
    std::vector<SpecParseOutcome> outcomes(requests.size());
    if (requests.empty())
        return outcomes;
    configureRpm(context, context.digest());
    IsolatedNetwork network;
    std::vector<RunningParse> running;
    size_t next = 0;
    while (next < requests.size() || !running.empty()) {
        while (next < requests.size() && static_cast<int>(running.size()) < std::max(1, jobs)) {
            running.push_back(start(requests[next], next, network.active()));
            ++next;
        }
        int done = pumpOutputs(running);
        if (done < 0)
            continue;
        RunningParse finished = std::move(running[static_cast<size_t>(done)]);
        running.erase(running.begin() + done);
        outcomes[finished.index] = finish(requests[finished.index], finished);
        if (progress)
            progress(next - running.size(), requests.size());
    }
    return outcomes;
}

std::string expandMacros(const MacroContext& context, const std::string& text) {
    configureRpm(context, context.digest());
    char* expanded = rpmExpand(text.c_str(), nullptr);
    std::string result = expanded ? expanded : "";
    free(expanded);
    return result;
}

}  // namespace twoliter
