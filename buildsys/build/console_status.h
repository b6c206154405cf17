#pragma once

#include <chrono>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "build/scheduler.h"

namespace twoliter {

// Progress of a build on stderr. On a terminal: one status line redrawn in
// place, "[done/total] running: a, b (12s)", with a line above it for each
// package that was built or failed; elsewhere (CI logs): one plain line per
// such package. Packages taken from the cache get a line only with explain.
class ConsoleStatus final : public StatusSink {
  public:
    // explain: also say why each package was built or taken from the cache.
    ConsoleStatus(std::vector<std::string> names, size_t total, bool terminal, FILE* out = stderr,
                  bool explain = false);

    void jobStarted(size_t node) override;
    void jobFinished(size_t node, const JobResult& result) override;
    void tick() override;
    // Clears the status line.
    void finish();

  private:
    void redraw();
    std::string describe(size_t node, const JobResult& result) const;

    std::vector<std::string> names_;
    size_t total_;
    size_t done_ = 0;
    bool terminal_;
    bool explain_;
    FILE* out_;
    std::set<size_t> running_;
    std::chrono::steady_clock::time_point start_;
};

}  // namespace twoliter
