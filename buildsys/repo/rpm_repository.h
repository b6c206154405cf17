#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace twoliter {

// Writes createrepo_c metadata for every *.rpm below directory (found
// recursively, listed in sorted order with paths relative to directory):
// repodata/ with gzip-compressed primary, filelists and other XML and a
// repomd.xml whose revision and timestamps are `epoch`, so the same RPMs
// give the same metadata. The new repodata/ is written beside the old one
// and swapped in by rename: a reader sees one or the other, never a mix.
// Returns the number of packages. Throws Error naming the RPM or file that
// could not be read or written.
size_t writeRpmRepository(const std::string& directory, int64_t epoch);

// Every *.rpm below directory except under repodata/, as paths relative to
// directory, sorted.
std::vector<std::string> rpmFilesBelow(const std::string& directory);

}  // namespace twoliter
