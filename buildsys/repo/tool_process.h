#pragma once

#include <string>
#include <vector>

namespace twoliter {

// What a finished tool printed and how it ended.
struct ToolResult {
    int status = 0;      // waitpid status; 0 when it exited with 0
    std::string output;  // standard output
    std::string errors;  // standard error
    bool succeeded() const { return status == 0; }
    // "exited with status N" / "was killed by signal S", then the last
    // lines of its standard error, for messages.
    std::string describe() const;
};

// Runs argv (PATH lookup) with the current environment plus setEnv
// ("NAME=value", replacing a variable of the same name) and standard input
// from /dev/null, and waits for it. Throws Error only when it cannot be
// started; a failing tool is reported in the result.
ToolResult runTool(const std::vector<std::string>& argv,
                   const std::vector<std::string>& setEnv = {});

}  // namespace twoliter

namespace twoliter {

// A fresh folder under the temporary directory, removed with its content
// on destruction: the private state of one tool run (an rpm keyring, a
// copy of a file being checked).
class ScratchFolder {
  public:
    explicit ScratchFolder(const std::string& purpose);
    ~ScratchFolder();
    ScratchFolder(const ScratchFolder&) = delete;
    ScratchFolder& operator=(const ScratchFolder&) = delete;
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

// The absolute path of program found on PATH, or fallback when it is not.
std::string findProgram(const std::string& program, const std::string& fallback);

}  // namespace twoliter
