#pragma once

#include <sys/types.h>

namespace twoliter {

// For a child just forked by process `parent`, before anything else: the
// kernel kills the child (SIGKILL) when the thread that forked it ends, so a
// child never outlives a killed build (nor holds the locks and files it
// inherited); when parent has already gone, the child exits at once with
// status 127. The forking thread must therefore wait for the child before it
// ends. Async-signal-safe.
void dieWithParent(pid_t parent);

// fork(2), with dieWithParent already called in the child when it returns 0.
// Returns as fork does.
pid_t forkDyingWithParent();

}  // namespace twoliter
