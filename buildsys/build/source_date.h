#pragma once

#include <string>

namespace twoliter {

// SOURCE_DATE_EPOCH for package builds, as decimal seconds: the commit time
// of HEAD of the git repository holding the project (libgit2), else
// 1704067200 (2024-01-01) for a tree outside git. rpm stamps it as build time
// and clamps file times to it, so builds of one commit are byte-identical.
// It is deliberately not part of action keys: a cached RPM keeps the time of
// the commit that built it, as upstream's dist tag does, and a new commit
// does not rebuild everything.
std::string sourceDateEpoch(const std::string& projectRoot);

}  // namespace twoliter

namespace twoliter {

// BUILD_ID as upstream names artifacts: the first 8 hex digits of HEAD's
// commit, or "00000000" for a tree outside git.
std::string buildId(const std::string& projectRoot);

}  // namespace twoliter
