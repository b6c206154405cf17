#include "build/scheduler.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace twoliter {

const char* jobStateName(JobState state) {
    switch (state) {
        case JobState::Built:
            return "built";
        case JobState::Cached:
            return "cached";
        case JobState::Failed:
            return "failed";
        case JobState::Skipped:
            return "skipped";
        case JobState::Cancelled:
            return "cancelled";
    }
    return "skipped";
}

namespace {

// Finished jobs handed from worker threads to the scheduling thread.
class CompletionQueue {
  public:
    void push(size_t node, JobResult result) {
        std::lock_guard<std::mutex> lock(mutex_);
        done_.emplace_back(node, std::move(result));
        ready_.notify_one();
    }
    // Waits up to a second; false when nothing finished meanwhile.
    bool pop(size_t& node, JobResult& result) {
        std::unique_lock<std::mutex> lock(mutex_);
        if (!ready_.wait_for(lock, std::chrono::seconds(1), [&] { return !done_.empty(); })) {
            return false;
        }
        node = done_.front().first;
        result = std::move(done_.front().second);
        done_.pop_front();
        return true;
    }

  private:
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<std::pair<size_t, JobResult>> done_;
};

class Schedule {
  public:
    Schedule(const BuildGraph& graph, const std::vector<size_t>& nodes,
             const ScheduleOptions& options)
        : graph_(graph),
          options_(options),
          results_(graph.size()),
          member_(graph.size(), false),
          waitingOn_(graph.size(), 0),
          dependents_(graph.size()),
          work_(graph.remainingWork(nodes)) {
        for (size_t node : nodes)
            member_[node] = true;
        for (size_t node : nodes) {
            for (size_t dependency : graph.dependencies(node)) {
                if (!member_[dependency])
                    continue;
                ++waitingOn_[node];
                dependents_[dependency].push_back(node);
            }
        }
        for (size_t node : nodes) {
            if (waitingOn_[node] == 0)
                ready_.insert(node);
        }
        remaining_ = nodes.size();
    }

    std::vector<JobResult> run(JobRunner& runner, StatusSink& status) {
        CompletionQueue completions;
        std::map<size_t, std::thread> workers;  // joined as their jobs finish
        size_t running = 0;
        bool stopping = false;
        while (remaining_ > 0) {
            if (interrupted() && !stopping) {
                stopping = true;
                runner.cancel();
            }
            while (!stopping && !ready_.empty() &&
                   static_cast<int>(running) < std::max(1, options_.jobs)) {
                size_t node = takeMostUrgent();
                if (auto done = runner.runIfUpToDate(node)) {
                    finish(node, *done, status, stopping);
                    continue;
                }
                status.jobStarted(node);
                ++running;
                workers.emplace(node, std::thread([&runner, &completions, node] {
                                    completions.push(node, runner.run(node));
                                }));
            }
            if (running == 0)
                break;  // stopping, or nothing can start any more
            size_t node = 0;
            JobResult result;
            if (!completions.pop(node, result)) {
                status.tick();
                continue;
            }
            --running;
            workers[node].join();
            workers.erase(node);
            finish(node, std::move(result), status, stopping);
        }
        for (auto& [node, worker] : workers)
            worker.join();
        markNotStarted(stopping);
        return results_;
    }

  private:
    void finish(size_t node, JobResult result, StatusSink& status, bool& stopping) {
        --remaining_;
        if (interrupted() && result.state == JobState::Failed)
            result.state = JobState::Cancelled;
        results_[node] = result;
        status.jobFinished(node, result);
        if (result.state == JobState::Built || result.state == JobState::Cached) {
            release(node);
        } else if (!options_.keepGoing) {
            stopping = true;
        }
    }

    bool interrupted() const { return options_.interrupted && options_.interrupted->load(); }

    size_t takeMostUrgent() {
        size_t node = *ready_.begin();
        ready_.erase(ready_.begin());
        return node;
    }

    void release(size_t node) {
        for (size_t dependent : dependents_[node]) {
            if (--waitingOn_[dependent] == 0)
                ready_.insert(dependent);
        }
    }

    // Every member that never ran: say why.
    void markNotStarted(bool stopped) {
        for (size_t node = 0; node < graph_.size(); ++node) {
            if (!member_[node] || ran(node))
                continue;
            results_[node].state = JobState::Skipped;
            results_[node].detail = stopped && !interrupted()
                                        ? "not started: the build stopped after a failure"
                                    : interrupted() ? "not started: interrupted"
                                                    : "a dependency failed";
            if (!stopped || options_.keepGoing) {
                for (size_t dependency : graph_.dependencies(node)) {
                    if (member_[dependency] && results_[dependency].state != JobState::Built &&
                        results_[dependency].state != JobState::Cached) {
                        results_[node].detail =
                            "dependency " + graph_.name(dependency) + " did not build";
                        break;
                    }
                }
            }
        }
    }

    bool ran(size_t node) const {
        return results_[node].state != JobState::Skipped || !results_[node].detail.empty();
    }

    const BuildGraph& graph_;
    ScheduleOptions options_;
    std::vector<JobResult> results_;
    std::vector<bool> member_;
    std::vector<size_t> waitingOn_;
    std::vector<std::vector<size_t>> dependents_;
    std::vector<double> work_;
    // Ready nodes, most remaining work (critical path) first, then by name.
    struct MoreUrgent {
        const std::vector<double>* work;
        const BuildGraph* graph;
        bool operator()(size_t a, size_t b) const {
            if ((*work)[a] != (*work)[b])
                return (*work)[a] > (*work)[b];
            if (graph->name(a) != graph->name(b))
                return graph->name(a) < graph->name(b);
            return a < b;
        }
    };
    std::set<size_t, MoreUrgent> ready_{MoreUrgent{&work_, &graph_}};
    size_t remaining_ = 0;
};

}  // namespace

std::vector<JobResult> runSchedule(const BuildGraph& graph, const std::vector<size_t>& nodes,
                                   const ScheduleOptions& options, JobRunner& runner,
                                   StatusSink& status) {
    return Schedule(graph, nodes, options).run(runner, status);
}

}  // namespace twoliter
