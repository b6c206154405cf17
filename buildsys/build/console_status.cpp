#include "build/console_status.h"

#include <cmath>

#include "util/strings.h"

namespace twoliter {

ConsoleStatus::ConsoleStatus(std::vector<std::string> names, size_t total, bool terminal, FILE* out,
                             bool explain)
    : names_(std::move(names)),
      total_(total),
      terminal_(terminal),
      explain_(explain),
      out_(out),
      start_(std::chrono::steady_clock::now()) {}

namespace {
std::string formatSeconds(double seconds) {
    char text[32];
    std::snprintf(text, sizeof text, seconds < 10 ? "%.1fs" : "%.0fs", seconds);
    return text;
}
}  // namespace

std::string ConsoleStatus::describe(size_t node, const JobResult& result) const {
    std::string line = std::string(jobStateName(result.state)) + " " + names_[node];
    if (result.state == JobState::Built || result.state == JobState::Failed) {
        line += " in " + formatSeconds(result.seconds);
    }
    bool why = explain_ || (result.state != JobState::Built && result.state != JobState::Cached);
    if (why && !result.detail.empty())
        line += " (" + result.detail + ")";
    return line;
}

void ConsoleStatus::jobStarted(size_t node) {
    running_.insert(node);
    if (terminal_)
        redraw();
}

void ConsoleStatus::jobFinished(size_t node, const JobResult& result) {
    running_.erase(node);
    ++done_;
    // Packages taken from the cache are counted, and listed only with
    // --explain: on a large project they would drown what did happen.
    if (result.state == JobState::Cached && !explain_) {
        if (terminal_ && (done_ % 64 == 0 || done_ == total_))
            redraw();
        return;
    }
    if (terminal_)
        std::fputs("\r\033[K", out_);
    std::fprintf(out_, "[%zu/%zu] %s\n", done_, total_, describe(node, result).c_str());
    if (terminal_)
        redraw();
    std::fflush(out_);
}

void ConsoleStatus::tick() {
    if (terminal_)
        redraw();
}

void ConsoleStatus::redraw() {
    std::vector<std::string> running;
    for (size_t node : running_)
        running.push_back(names_[node]);
    double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::string line = "[" + std::to_string(done_) + "/" + std::to_string(total_) + "] " +
                       (running.empty() ? "" : "running: " + joinStrings(running, ", ") + " ") +
                       "(" + formatSeconds(elapsed) + ")";
    if (line.size() > 120)
        line = line.substr(0, 117) + "...";
    std::fprintf(out_, "\r\033[K%s", line.c_str());
    std::fflush(out_);
}

void ConsoleStatus::finish() {
    if (terminal_)
        std::fputs("\r\033[K", out_);
    std::fflush(out_);
}

}  // namespace twoliter
