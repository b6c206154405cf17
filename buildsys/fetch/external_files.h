#pragma once

#include <string>
#include <vector>

#include "project/model.h"

namespace twoliter {

// Fetches one URL into a local file. Implementations throw Error naming the
// URL and the reason; they never leave a partial file at destination.
class Downloader {
  public:
    virtual ~Downloader() = default;
    virtual void download(const std::string& url, const std::string& destination) = 0;
};

// libcurl: http://, https:// and file:// URLs; follows redirects, treats
// HTTP errors as failures, gives up on a stalled connection.
class CurlDownloader final : public Downloader {
  public:
    CurlDownloader();
    ~CurlDownloader() override;
    void download(const std::string& url, const std::string& destination) override;
};

struct FetchSettings {
    // Tried in order: folders, or http(s):// / file:// URLs, laid out as
    // upstream's lookaside cache: <cache>/<name>/<sha512>/<name>.
    std::vector<std::string> lookasideCaches;
    // Whether a file's upstream URL may be used when no cache has it
    // (a file with force-upstream always may).
    bool upstreamFallback = false;
};

// Verified external files, content-addressed: <root>/<sha512>/<name>. A file
// appears there only after its SHA-512 matched, by rename from a temporary
// name, so a present file is a verified one.
class ExternalFileStore {
  public:
    ExternalFileStore(std::string root, FetchSettings settings, Downloader& downloader);

    std::string pathOf(const ExternalFile& file) const;

    // The verified file's path, fetched first when absent. A download whose
    // SHA-512 differs is deleted and the next source is tried; when none
    // succeeds, throws Error at the manifest entry listing what each source
    // gave.
    std::string ensure(const ExternalFile& file);

  private:
    std::vector<std::string> sourcesFor(const ExternalFile& file) const;

    std::string root_;
    FetchSettings settings_;
    Downloader& downloader_;
};

}  // namespace twoliter
