#pragma once

#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "graph/build_graph.h"

namespace twoliter {

enum class JobState {
    Built,      // ran and succeeded
    Cached,     // nothing to run: the outputs came from the cache
    Failed,     // ran and failed
    Skipped,    // not run: a dependency failed, or the build stopped first
    Cancelled,  // interrupted while running
};
const char* jobStateName(JobState state);

struct JobResult {
    JobState state = JobState::Skipped;
    double seconds = 0;
    std::string detail;   // why it ran or not, or what failed, one line
    std::string logPath;  // empty when the job wrote no log
};

// Runs the job of one graph node. Called from worker threads, at most once
// per node, never for two nodes that depend on each other at the same time.
class JobRunner {
  public:
    virtual ~JobRunner() = default;
    virtual JobResult run(size_t node) = 0;
    // Asks running jobs to stop (after an interrupt); run() then returns.
    virtual void cancel() = 0;
    // A job with nothing to do (up to date) may say so here, on the
    // scheduling thread, without a worker thread; nullopt means "run it".
    // Must be quick: no process, no waiting.
    virtual std::optional<JobResult> runIfUpToDate(size_t node) { return std::nullopt; }
};

// Progress reporting. Calls come from the scheduling thread only.
class StatusSink {
  public:
    virtual ~StatusSink() = default;
    // A job started on a worker (up-to-date jobs only finish).
    virtual void jobStarted(size_t node) {}
    virtual void jobFinished(size_t node, const JobResult& result) {}
    // About once a second while jobs run, to refresh elapsed times.
    virtual void tick() {}
};

struct ScheduleOptions {
    int jobs = 1;
    bool keepGoing = false;  // after a failure, still build what does not depend on it
    const std::atomic<bool>* interrupted = nullptr;
};

// Builds `nodes` of the graph (with their dependencies already among them
// or already built): at most `jobs` at once, a node only after all its
// dependencies in `nodes` succeeded, ready nodes with the most remaining work
// (critical path) first. Results are indexed like graph nodes; nodes not in
// `nodes` stay Skipped with an empty detail.
std::vector<JobResult> runSchedule(const BuildGraph& graph, const std::vector<size_t>& nodes,
                                   const ScheduleOptions& options, JobRunner& runner,
                                   StatusSink& status);

}  // namespace twoliter
