#include "util/child_process.h"

#include <sys/prctl.h>
#include <unistd.h>

#include <csignal>

namespace twoliter {

void dieWithParent(pid_t parent) {
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != parent)
        ::_exit(127);
}

pid_t forkDyingWithParent() {
    pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid == 0)
        dieWithParent(parent);
    return pid;
}

}  // namespace twoliter
