#include "repo/tool_process.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "util/error.h"
#include "util/strings.h"

extern char** environ;

namespace fs = std::filesystem;

namespace twoliter {

namespace {

std::vector<char*> pointersOf(const std::vector<std::string>& strings) {
    std::vector<char*> pointers;
    for (const auto& text : strings)
        pointers.push_back(const_cast<char*>(text.c_str()));
    pointers.push_back(nullptr);
    return pointers;
}

// The environment of this process with setEnv's variables replaced.
std::vector<std::string> environmentWith(const std::vector<std::string>& setEnv) {
    std::vector<std::string> environment;
    for (char** entry = environ; *entry; ++entry) {
        std::string variable = *entry;
        std::string name = variable.substr(0, variable.find('=') + 1);
        bool replaced = false;
        for (const auto& assignment : setEnv)
            replaced = replaced || startsWith(assignment, name);
        if (!replaced)
            environment.push_back(variable);
    }
    environment.insert(environment.end(), setEnv.begin(), setEnv.end());
    return environment;
}

// The whole content of a memory file, which is closed.
std::string drain(int fd) {
    std::string text;
    off_t size = ::lseek(fd, 0, SEEK_END);
    if (size > 0) {
        text.resize(static_cast<size_t>(size));
        ssize_t n = ::pread(fd, text.data(), text.size(), 0);
        text.resize(n > 0 ? static_cast<size_t>(n) : 0);
    }
    ::close(fd);
    return text;
}

}  // namespace

std::string ToolResult::describe() const {
    std::string how =
        WIFEXITED(status)     ? "exited with status " + std::to_string(WEXITSTATUS(status))
        : WIFSIGNALED(status) ? std::string("was killed by signal ") + strsignal(WTERMSIG(status))
                              : "failed";
    std::vector<std::string> lines;
    for (const auto& line : splitString(errors.empty() ? output : errors, '\n'))
        if (!trimString(line).empty())
            lines.push_back(trimString(line));
    if (lines.size() > 6)
        lines.erase(lines.begin(), lines.end() - 6);
    return lines.empty() ? how : how + ": " + joinStrings(lines, "; ");
}

ToolResult runTool(const std::vector<std::string>& argv, const std::vector<std::string>& setEnv) {
    int out = ::memfd_create("twoliter-tool-stdout", MFD_CLOEXEC);
    int err = ::memfd_create("twoliter-tool-stderr", MFD_CLOEXEC);
    if (out < 0 || err < 0) {
        if (out >= 0)
            ::close(out);
        throw Error("cannot run " + argv[0] + ": memfd_create: " + std::strerror(errno));
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out, 1);
    posix_spawn_file_actions_adddup2(&actions, err, 2);
    std::vector<std::string> environment = environmentWith(setEnv);
    auto arguments = pointersOf(argv);
    auto variables = pointersOf(environment);
    pid_t pid = -1;
    int rc = ::posix_spawnp(&pid, argv[0].c_str(), &actions, nullptr, arguments.data(),
                            variables.data());
    posix_spawn_file_actions_destroy(&actions);
    ToolResult result;
    if (rc == 0) {
        while (::waitpid(pid, &result.status, 0) < 0 && errno == EINTR) {
        }
    }
    result.output = drain(out);
    result.errors = drain(err);
    if (rc != 0)
        throw Error("cannot run " + argv[0] + ": " + std::strerror(rc), {}, "is it installed?");
    return result;
}

ScratchFolder::ScratchFolder(const std::string& purpose) {
    std::string pattern =
        (fs::temp_directory_path() / ("twoliter-" + purpose + "-XXXXXX")).string();
    if (!::mkdtemp(pattern.data()))
        throw Error(std::string("cannot create a temporary folder: ") + std::strerror(errno),
                    {pattern});
    path_ = pattern;
}

ScratchFolder::~ScratchFolder() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
}

std::string findProgram(const std::string& program, const std::string& fallback) {
    const char* path = ::getenv("PATH");
    for (const auto& folder : splitString(path ? path : "", ':')) {
        std::string candidate = (folder.empty() ? "." : folder) + "/" + program;
        if (::access(candidate.c_str(), X_OK) == 0)
            return fs::absolute(candidate).lexically_normal().string();
    }
    return fallback;
}

}  // namespace twoliter
