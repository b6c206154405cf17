#include "build/source_date.h"

#include <git2.h>

#include <functional>

namespace twoliter {

namespace {

constexpr const char* kOutsideGit = "1704067200";

// Calls use(commit) with HEAD's commit of the repository holding
// projectRoot; does nothing outside git or on an unborn branch.
void withHeadCommit(const std::string& projectRoot,
                    const std::function<void(const git_commit*)>& use) {
    git_libgit2_init();
    git_repository* repository = nullptr;
    if (git_repository_open_ext(&repository, projectRoot.c_str(), 0, nullptr) == 0) {
        git_object* head = nullptr;
        if (git_revparse_single(&head, repository, "HEAD^{commit}") == 0) {
            use(reinterpret_cast<const git_commit*>(head));
            git_object_free(head);
        }
        git_repository_free(repository);
    }
    git_libgit2_shutdown();
}

}  // namespace

std::string sourceDateEpoch(const std::string& projectRoot) {
    std::string epoch = kOutsideGit;
    withHeadCommit(projectRoot, [&](const git_commit* commit) {
        git_time_t time = git_commit_time(commit);
        if (time > 0)
            epoch = std::to_string(time);
    });
    return epoch;
}

std::string buildId(const std::string& projectRoot) {
    std::string id = "00000000";
    withHeadCommit(projectRoot, [&](const git_commit* commit) {
        char hex[GIT_OID_HEXSZ + 1] = {};
        git_oid_tostr(hex, sizeof hex, git_commit_id(commit));
        id = std::string(hex).substr(0, 8);
    });
    return id;
}

}  // namespace twoliter
