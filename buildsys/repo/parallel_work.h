#pragma once

#include <cstddef>
#include <functional>
#include <vector>

#include "util/error.h"

namespace twoliter {

// The number of threads for `jobs`: jobs itself, or the hardware threads
// when jobs is 0; never more than count, never less than 1.
unsigned workerCount(unsigned jobs, size_t count);

// Calls work(i) for every i in [0, count) on workerCount(jobs, count)
// threads, each taking the next index. Errors thrown by work (Error, or any
// std::exception as an Error) do not stop the others; they are returned in
// index order, so the report does not depend on the schedule.
std::vector<Error> runInParallel(size_t count, unsigned jobs,
                                 const std::function<void(size_t)>& work);

}  // namespace twoliter
