// The scheduler against a fake job runner: what runs, in which order, how
// many at once, and what happens after a failure or an interrupt.
#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "build/scheduler.h"

using namespace twoliter;

namespace {

// glibc <- libz <- libglib <- open-vm-tools ; glibc <- libcap <- runc ; kernel
BuildGraph sampleGraph() {
    BuildGraph graph;
    for (const char* name :
         {"glibc", "libz", "libglib", "open-vm-tools", "libcap", "runc", "kernel"}) {
        graph.addNode(name);
    }
    graph.addEdge(1, 0);
    graph.addEdge(2, 1);
    graph.addEdge(3, 2);
    graph.addEdge(4, 0);
    graph.addEdge(5, 4);
    return graph;
}

std::vector<size_t> all(const BuildGraph& graph) {
    std::vector<size_t> nodes(graph.size());
    for (size_t i = 0; i < nodes.size(); ++i)
        nodes[i] = i;
    return nodes;
}

class RecordingRunner : public JobRunner {
  public:
    explicit RecordingRunner(std::set<size_t> failing = {}) : failing_(std::move(failing)) {}
    JobResult run(size_t node) override {
        std::lock_guard<std::mutex> lock(mutex_);
        order.push_back(node);
        JobResult result;
        result.state = failing_.count(node) ? JobState::Failed : JobState::Built;
        return result;
    }
    void cancel() override {}
    std::vector<size_t> order;

  private:
    std::set<size_t> failing_;
    std::mutex mutex_;
};

class CountingStatus : public StatusSink {
  public:
    void jobStarted(size_t) override { ++started; }
    void jobFinished(size_t, const JobResult&) override { ++finished; }
    int started = 0;
    int finished = 0;
};

size_t position(const std::vector<size_t>& order, size_t node) {
    return static_cast<size_t>(std::find(order.begin(), order.end(), node) - order.begin());
}

}  // namespace

TEST_CASE("one job at a time: dependencies first, critical path first") {
    BuildGraph graph = sampleGraph();
    RecordingRunner runner;
    CountingStatus status;
    auto results = runSchedule(graph, all(graph), {1}, runner, status);
    // Equal remaining work is broken by name: libcap before libglib.
    CHECK(runner.order == std::vector<size_t>{0, 1, 4, 2, 6, 3, 5});
    CHECK(status.started == 7);
    CHECK(status.finished == 7);
    for (const auto& result : results)
        CHECK(result.state == JobState::Built);
}

TEST_CASE("only the requested nodes run") {
    BuildGraph graph = sampleGraph();
    RecordingRunner runner;
    CountingStatus status;
    auto results = runSchedule(graph, graph.closure({5}), {2}, runner, status);
    CHECK(std::set<size_t>(runner.order.begin(), runner.order.end()) == std::set<size_t>{0, 4, 5});
    CHECK(position(runner.order, 0) < position(runner.order, 4));
    CHECK(position(runner.order, 4) < position(runner.order, 5));
    CHECK(results[3].state == JobState::Skipped);
    CHECK(results[3].detail.empty());
}

TEST_CASE("a failure stops the build, and --keep-going builds what does not depend on it") {
    BuildGraph graph = sampleGraph();
    CountingStatus status;
    RecordingRunner stopping({1});  // libz fails
    auto stopped = runSchedule(graph, all(graph), {1}, stopping, status);
    CHECK(stopped[1].state == JobState::Failed);
    CHECK(stopped[3].state == JobState::Skipped);
    CHECK(stopped[3].detail == "not started: the build stopped after a failure");
    RecordingRunner going({1});
    auto kept = runSchedule(graph, all(graph), {1, true}, going, status);
    CHECK(kept[5].state == JobState::Built);  // runc does not need libz
    CHECK(kept[6].state == JobState::Built);
    CHECK(kept[2].state == JobState::Skipped);
    CHECK(kept[2].detail == "dependency libz did not build");
    CHECK(kept[3].detail == "dependency libglib did not build");
}

namespace {
// Each job waits until `width` jobs run at once (or a generous timeout).
class ConcurrencyRunner : public JobRunner {
  public:
    explicit ConcurrencyRunner(int width) : width_(width) {}
    JobResult run(size_t) override {
        std::unique_lock<std::mutex> lock(mutex_);
        ++running_;
        peak = std::max(peak, running_);
        changed_.notify_all();
        changed_.wait_for(lock, std::chrono::seconds(5),
                          [&] { return running_ >= width_ || released_; });
        released_ = true;  // once the width was reached, let everyone through
        changed_.notify_all();
        --running_;
        return {JobState::Built, 0, "", ""};
    }
    void cancel() override {}
    int peak = 0;

  private:
    int width_;
    int running_ = 0;
    bool released_ = false;
    std::mutex mutex_;
    std::condition_variable changed_;
};

// Jobs block until cancelled.
class BlockingRunner : public JobRunner {
  public:
    JobResult run(size_t) override {
        std::unique_lock<std::mutex> lock(mutex_);
        started_ = true;
        changed_.notify_all();
        changed_.wait(lock, [&] { return cancelled_; });
        return {JobState::Failed, 0, "terminated", ""};
    }
    void cancel() override {
        std::lock_guard<std::mutex> lock(mutex_);
        cancelled_ = true;
        changed_.notify_all();
    }
    void waitStarted() {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [&] { return started_; });
    }

  private:
    bool started_ = false;
    bool cancelled_ = false;
    std::mutex mutex_;
    std::condition_variable changed_;
};
}  // namespace

TEST_CASE("independent jobs run in parallel up to the job limit") {
    BuildGraph graph;
    for (const char* name : {"a", "b", "c", "d"})
        graph.addNode(name);
    ConcurrencyRunner runner(2);
    CountingStatus status;
    runSchedule(graph, all(graph), {2}, runner, status);
    CHECK(runner.peak == 2);
}

TEST_CASE("an interrupt cancels running jobs and starts no new ones") {
    BuildGraph graph = sampleGraph();
    BlockingRunner runner;
    CountingStatus status;
    std::atomic<bool> interrupted{false};
    std::thread interrupter([&] {
        runner.waitStarted();
        interrupted = true;
    });
    auto results = runSchedule(graph, all(graph), {1, false, &interrupted}, runner, status);
    interrupter.join();
    CHECK(results[0].state == JobState::Cancelled);
    CHECK(results[1].state == JobState::Skipped);
    CHECK(results[1].detail == "not started: interrupted");
    CHECK(status.started == 1);
}
