#include "repo/parallel_work.h"

#include <algorithm>
#include <atomic>
#include <optional>
#include <thread>

namespace twoliter {

unsigned workerCount(unsigned jobs, size_t count) {
    unsigned wanted = jobs ? jobs : std::max(1u, std::thread::hardware_concurrency());
    return static_cast<unsigned>(std::max<size_t>(1, std::min<size_t>(wanted, count)));
}

std::vector<Error> runInParallel(size_t count, unsigned jobs,
                                 const std::function<void(size_t)>& work) {
    std::vector<std::optional<Error>> failures(count);
    std::atomic<size_t> next{0};
    auto worker = [&] {
        for (size_t i = next++; i < count; i = next++) {
            try {
                work(i);
            } catch (const Error& error) {
                failures[i] = error;
            } catch (const std::exception& error) {
                failures[i] = Error(error.what());
            }
        }
    };
    std::vector<std::thread> threads;
    for (unsigned t = 1; t < workerCount(jobs, count); ++t)
        threads.emplace_back(worker);
    worker();
    for (auto& thread : threads)
        thread.join();
    std::vector<Error> errors;
    for (auto& failure : failures)
        if (failure)
            errors.push_back(std::move(*failure));
    return errors;
}

}  // namespace twoliter
