#include "support/http_server.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <regex>
#include <stdexcept>

namespace twoliter::testing {

LoopbackHttpServer::LoopbackHttpServer(const std::string& folder) {
    int fds[2];
    if (::pipe(fds) != 0)
        throw std::runtime_error("pipe failed");
    pid_ = ::fork();
    if (pid_ == 0) {
        ::dup2(fds[1], STDOUT_FILENO);
        int null = ::open("/dev/null", O_WRONLY);
        if (null >= 0)
            ::dup2(null, STDERR_FILENO);  // its request log
        ::close(fds[0]);
        ::close(fds[1]);
        ::execlp("python3", "python3", "-u", "-m", "http.server", "0", "--bind", "127.0.0.1",
                 "--directory", folder.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    ::close(fds[1]);
    // First line: "Serving HTTP on 127.0.0.1 port N (http://127.0.0.1:N/) ..."
    std::string line;
    char c;
    while (::read(fds[0], &c, 1) == 1 && c != '\n')
        line += c;
    ::close(fds[0]);
    std::smatch match;
    static const std::regex portPattern(R"(port (\d+))");
    if (!std::regex_search(line, match, portPattern)) {
        throw std::runtime_error("http.server did not start: " + line);
    }
    url_ = "http://127.0.0.1:" + match[1].str();
}

LoopbackHttpServer::~LoopbackHttpServer() {
    if (pid_ <= 0)
        return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
}

}  // namespace twoliter::testing
