#pragma once

#include <string>
#include <vector>

#include <solv/repo.h>

namespace twoliter {

// Reading a kit repository into a libsolv Repo: from its XML, or from its
// solv cache. The solv cache is libsolv's solv format inside the checksummed
// frame of util/files.h (writeChecksummedFile), the magic naming the libsolv
// version. It holds what resolution reads (dependencies, location, checksum,
// sizes, times), not the file lists or the texts (summary, description,
// packager, URL, license, group, build host). Instead it records the file
// dependencies whose providers were added to the solvables' provides when it
// was written (REPOSITORY_ADDEDFILEPROVIDES): it answers for those file
// dependencies only; a pool that needs another one must read the XML again.

// Adds the primary and filelists metadata named by directory/repodata/repomd.xml
// to repo. Throws Error naming the file that is missing or invalid.
void addRepositoryXml(Repo* repo, const std::string& directory);

// Adds the solvables of the cache file at path to the empty repo, and sets
// fileDependencies to the file dependencies it answers for. False, with repo
// left empty, when the file is missing, fails its checksum, was written by
// another libsolv version, or libsolv rejects it.
bool loadSolvCache(Repo* repo, const std::string& path, std::vector<Id>& fileDependencies);

// Writes repo to path (atomically), recording fileDependencies: the file
// dependencies whose providers the repo's solvables already provide. A cache
// that cannot be written only costs the next run the XML, so failures are
// ignored.
void writeSolvCache(Repo* repo, const std::string& path, const std::vector<Id>& fileDependencies);

}  // namespace twoliter
