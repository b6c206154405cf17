#include "build/source_date.h"

#include <git2.h>

namespace twoliter {

namespace {
constexpr const char* kOutsideGit = "1704067200";
}

std::string sourceDateEpoch(const std::string& projectRoot) {
    git_libgit2_init();
    std::string epoch = kOutsideGit;
    git_repository* repository = nullptr;
    if (git_repository_open_ext(&repository, projectRoot.c_str(), 0, nullptr) == 0) {
        git_object* head = nullptr;
        if (git_revparse_single(&head, repository, "HEAD^{commit}") == 0) {
            git_time_t time = git_commit_time(reinterpret_cast<git_commit*>(head));
            if (time > 0)
                epoch = std::to_string(time);
            git_object_free(head);
        }
        git_repository_free(repository);
    }
    git_libgit2_shutdown();
    return epoch;
}

}  // namespace twoliter
