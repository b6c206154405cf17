#pragma once

// A real OCI distribution registry for tests: docker-registry (Debian
// package docker-registry, distribution 2.8) serving a temporary folder on
// 127.0.0.1 at a free port, for as long as the object lives. Optionally
// with Bearer token authentication, the token service being
// registry_token_server.py (python3 + the openssl CLI) on loopback too.
// Header only, so it needs no build-file change.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/temp_tree.h"
#include "util/files.h"

namespace twoliter::testing {

// A TCP port nothing listens on at the moment (the kernel's choice).
inline int freeLoopbackPort() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        if (fd >= 0)
            ::close(fd);
        throw std::runtime_error("cannot find a free loopback port");
    }
    ::close(fd);
    return ntohs(address.sin_port);
}

// The status of "GET path" on 127.0.0.1:port; 0 when nothing answers.
inline int loopbackHttpStatus(int port, const std::string& path) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    timeval timeout{2, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<uint16_t>(port));
    int status = 0;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
        std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
        if (::write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
            char buffer[64] = "";
            ssize_t n = ::read(fd, buffer, sizeof buffer - 1);
            std::string line(buffer, n > 0 ? static_cast<size_t>(n) : 0);
            if (line.rfind("HTTP/", 0) == 0 && line.size() > 12)
                status = std::atoi(line.c_str() + 9);
        }
    }
    ::close(fd);
    return status;
}

// Runs argv with stdout and stderr appended to logFile; returns its pid.
inline pid_t spawnLogged(const std::vector<std::string>& argv, const std::string& logFile) {
    pid_t pid = ::fork();
    if (pid == 0) {
        int log = ::open(logFile.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        int null = ::open("/dev/null", O_RDONLY);
        if (log >= 0) {
            ::dup2(log, STDOUT_FILENO);
            ::dup2(log, STDERR_FILENO);
        }
        if (null >= 0)
            ::dup2(null, STDIN_FILENO);
        std::vector<char*> args;
        for (const auto& arg : argv)
            args.push_back(const_cast<char*>(arg.c_str()));
        args.push_back(nullptr);
        ::execvp(args[0], args.data());
        ::_exit(127);
    }
    if (pid < 0)
        throw std::runtime_error("fork failed");
    return pid;
}

// SIGTERM, then SIGKILL after a grace period; reaps the process.
inline void stopProcess(pid_t& pid) {
    if (pid <= 0)
        return;
    ::kill(pid, SIGTERM);
    int status = 0;
    for (int i = 0; i < 100; ++i) {
        if (::waitpid(pid, &status, WNOHANG) == pid) {
            pid = -1;
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    pid = -1;
}

class LoopbackRegistry {
  public:
    struct Options {
        // Anonymous Bearer tokens from a token service, as public registries do.
        bool tokenAuth = false;
    };

    LoopbackRegistry() : LoopbackRegistry(Options{}) {}

    explicit LoopbackRegistry(Options options) {
        if (::system("command -v docker-registry >/dev/null 2>&1") != 0)
            throw std::runtime_error(
                "docker-registry is not installed (Debian package docker-registry; "
                "ci/setup.sh installs it)");
        std::string auth;
        if (options.tokenAuth)
            auth = startTokenServer();
        // A port chosen in between by someone else makes the registry exit;
        // then try another.
        std::string failure;
        for (int attempt = 0; attempt < 3; ++attempt) {
            port_ = freeLoopbackPort();
            host_ = "127.0.0.1:" + std::to_string(port_);
            std::string config = dir_.path() + "/config.yml";
            writeFileAtomic(config,
                            "version: 0.1\n"
                            "log:\n"
                            "  level: warn\n"
                            "  accesslog:\n"
                            "    disabled: true\n"
                            "storage:\n"
                            "  filesystem:\n"
                            "    rootdirectory: " +
                                storage() +
                                "\n"
                                "  delete:\n"
                                "    enabled: true\n"
                                "http:\n"
                                "  addr: " +
                                host_ + "\n  secret: twoliter-test-secret\n" + auth);
            pid_ = spawnLogged({"docker-registry", "serve", config}, logFile());
            if (waitUntilServing(pid_, port_, "/v2/", failure))
                return;
            stopProcess(pid_);
        }
        stopProcess(tokenPid_);
        throw std::runtime_error("docker-registry did not start: " + failure + "\n" + log());
    }

    ~LoopbackRegistry() {
        stopProcess(pid_);
        stopProcess(tokenPid_);
    }
    LoopbackRegistry(const LoopbackRegistry&) = delete;
    LoopbackRegistry& operator=(const LoopbackRegistry&) = delete;

    // Stops the registry now (the storage stays until destruction).
    void stop() { stopProcess(pid_); }

    // "127.0.0.1:<port>", the registry part of image references.
    const std::string& host() const { return host_; }
    int port() const { return port_; }
    std::string storage() const { return dir_.path() + "/storage"; }
    // Where the registry keeps a blob's (or manifest's) bytes, to damage them.
    std::string blobDataPath(const std::string& digest) const {
        std::string hex = digest.substr(digest.find(':') + 1);
        return storage() + "/docker/registry/v2/blobs/sha256/" + hex.substr(0, 2) + "/" + hex +
               "/data";
    }
    std::string log() const { return readFileIfExists(logFile()).value_or(""); }
    // One line per token issued: "<scope> <scope>…" (token mode only).
    std::string tokensIssued() const {
        return readFileIfExists(dir_.path() + "/tokens.log").value_or("");
    }

  private:
    std::string logFile() const { return dir_.path() + "/registry.log"; }

    static bool waitUntilServing(pid_t pid, int port, const std::string& path,
                                 std::string& failure) {
        for (int i = 0; i < 300; ++i) {
            int status = loopbackHttpStatus(port, path);
            if (status == 200 || status == 401)
                return true;
            int exit = 0;
            if (::waitpid(pid, &exit, WNOHANG) == pid) {
                failure = "it exited with status " + std::to_string(WEXITSTATUS(exit));
                return false;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        failure = "it did not answer on 127.0.0.1:" + std::to_string(port) + " within 15 s";
        return false;
    }

    // Starts the token service; returns the registry's auth configuration.
    std::string startTokenServer() {
        std::string key = dir_.path() + "/token.key";
        std::string cert = dir_.path() + "/token.crt";
        std::string command =
            "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "
            "/CN=twoliter-test-tokens -keyout " +
            key + " -out " + cert + " >/dev/null 2>&1";
        if (::system(command.c_str()) != 0)
            throw std::runtime_error("openssl cannot make the token signing key");
        std::string log = dir_.path() + "/token-server.log";
        std::string failure;
        for (int attempt = 0; attempt < 3; ++attempt) {
            int port = freeLoopbackPort();
            tokenPid_ = spawnLogged(
                {"python3", "-u", sourceDir() + "/tests/support/registry_token_server.py",
                 std::to_string(port), key, cert, "twoliter-test-issuer", "twoliter-test-registry",
                 dir_.path() + "/tokens.log"},
                log);
            if (waitUntilServing(tokenPid_, port, "/health", failure))
                return "auth:\n"
                       "  token:\n"
                       "    realm: http://127.0.0.1:" +
                       std::to_string(port) +
                       "/token\n"
                       "    service: twoliter-test-registry\n"
                       "    issuer: twoliter-test-issuer\n"
                       "    rootcertbundle: " +
                       cert + "\n";
            stopProcess(tokenPid_);
        }
        throw std::runtime_error("the token server did not start: " + failure + "\n" +
                                 readFileIfExists(log).value_or(""));
    }

    TempDir dir_;
    pid_t pid_ = -1;
    pid_t tokenPid_ = -1;
    int port_ = 0;
    std::string host_;
};

}  // namespace twoliter::testing
