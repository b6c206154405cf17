#pragma once

#include <sys/types.h>

#include <string>

namespace twoliter::testing {

// python3's http.server serving a folder on 127.0.0.1 at a free port, for as
// long as the object lives. Only loopback: tests talk to nothing else.
class LoopbackHttpServer {
  public:
    explicit LoopbackHttpServer(const std::string& folder);
    ~LoopbackHttpServer();
    LoopbackHttpServer(const LoopbackHttpServer&) = delete;
    LoopbackHttpServer& operator=(const LoopbackHttpServer&) = delete;

    // "http://127.0.0.1:<port>"
    const std::string& url() const { return url_; }

  private:
    pid_t pid_ = -1;
    std::string url_;
};

}  // namespace twoliter::testing
