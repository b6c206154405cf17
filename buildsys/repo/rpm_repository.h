#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace twoliter {

struct RepositoryOptions {
    // repomd.xml's revision and every timestamp it records.
    int64_t epoch = 0;
    // Threads reading RPM headers and checksumming RPMs; 0 means the
    // hardware threads. The output does not depend on it.
    unsigned jobs = 0;
    // Reuse the XML of unchanged RPMs from <directory>/.repodata-cache and
    // keep that file up to date (see PackageXmlCache for what "unchanged"
    // means). Off: every RPM is read and the cache file is left alone.
    bool incremental = true;
    // When set, an armored OpenPGP secret key file (no passphrase): the new
    // repodata/ gets repomd.xml.asc before it is swapped in, so readers
    // never see the new metadata unsigned. The signature's time is epoch
    // (see signRepomdFile), so it is reproducible too.
    std::string signingKey;
};

struct RepositoryStats {
    size_t packages = 0;  // RPMs in the repository
    size_t reused = 0;    // their XML taken from the cache
    size_t read = 0;      // read from the RPM file
};

// Writes createrepo_c metadata for every *.rpm below directory (found
// recursively, listed in sorted order with paths relative to directory):
// repodata/ with gzip-compressed primary, filelists and other XML and a
// repomd.xml whose revision and timestamps are options.epoch. Each package's
// file time is its RPM's mtime (as createrepo_c lists it), so the same RPM
// files give the same metadata, whatever the jobs and whether the XML came
// from the cache. All RPMs are read before anything is written; the new
// repodata/ is written beside the old one and swapped in by an atomic
// rename exchange: a reader sees one or the other, never a mix or none (on
// a file system without exchange, two renames leave a moment with none);
// on error the old one stays.
// Throws Error naming the RPM or file that could not be read or written (all
// unreadable RPMs together). One writer per directory at a time: callers that
// may race hold a lock.
RepositoryStats writeRpmRepository(const std::string& directory, const RepositoryOptions& options);
// The same with default options; returns the number of packages.
size_t writeRpmRepository(const std::string& directory, int64_t epoch);

// Every *.rpm below directory except under repodata/, as paths relative to
// directory, sorted.
std::vector<std::string> rpmFilesBelow(const std::string& directory);

}  // namespace twoliter
