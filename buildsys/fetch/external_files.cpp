#include "fetch/external_files.h"

#include <curl/curl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <filesystem>

#include "util/digest.h"
#include "util/files.h"
#include "util/strings.h"

namespace fs = std::filesystem;

namespace twoliter {

CurlDownloader::CurlDownloader() {
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

CurlDownloader::~CurlDownloader() {
    curl_global_cleanup();
}

namespace {

size_t writeToFile(char* data, size_t size, size_t count, void* file) {
    return std::fwrite(data, size, count, static_cast<FILE*>(file)) * size;
}

bool isUrl(const std::string& location) {
    return location.find("://") != std::string::npos;
}

}  // namespace

void CurlDownloader::download(const std::string& url, const std::string& destination) {
    FILE* file = std::fopen(destination.c_str(), "wb");
    if (!file)
        throw Error("cannot create file", {destination});
    CURL* curl = curl_easy_init();
    char message[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, writeToFile);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, file);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, message);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "twoliter/" TWOLITER_VERSION);
    CURLcode result = curl_easy_perform(curl);
    curl_easy_cleanup(curl);
    bool closed = std::fclose(file) == 0;
    if (result != CURLE_OK || !closed) {
        ::unlink(destination.c_str());
        std::string reason = *message ? message : curl_easy_strerror(result);
        throw Error(reason.empty() ? "download failed" : reason, {url});
    }
}

ExternalFileStore::ExternalFileStore(std::string root, FetchSettings settings,
                                     Downloader& downloader)
    : root_(std::move(root)), settings_(std::move(settings)), downloader_(downloader) {}

std::string ExternalFileStore::pathOf(const ExternalFile& file) const {
    return root_ + "/" + lowercase(file.sha512) + "/" + file.fileName();
}

std::vector<std::string> ExternalFileStore::sourcesFor(const ExternalFile& file) const {
    std::vector<std::string> sources;
    std::string name = file.fileName();
    std::string suffix = "/" + name + "/" + lowercase(file.sha512) + "/" + name;
    for (std::string cache : settings_.lookasideCaches) {
        while (cache.size() > 1 && cache.back() == '/')
            cache.pop_back();
        sources.push_back(cache + suffix);
    }
    if (file.forceUpstream || settings_.upstreamFallback)
        sources.push_back(file.url);
    return sources;
}

std::string ExternalFileStore::ensure(const ExternalFile& file) {
    std::string target = pathOf(file);
    if (isRegularFile(target)) {
        touchPath(target);
        return target;
    }
    fs::create_directories(fs::path(target).parent_path());
    // Unique per call: two builds may fetch the same file at once.
    std::string temporary = target + ".part-" + uniqueSuffix();
    std::vector<std::string> failures;
    for (const auto& source : sourcesFor(file)) {
        try {
            if (isUrl(source)) {
                downloader_.download(source, temporary);
            } else if (isRegularFile(source)) {
                fs::copy_file(source, temporary, fs::copy_options::overwrite_existing);
            } else {
                failures.push_back(source + ": not found");
                continue;
            }
        } catch (const std::exception& e) {
            failures.push_back(source + ": " + e.what());
            continue;
        }
        std::string actual = sha512FileHex(temporary);
        if (actual != lowercase(file.sha512)) {
            ::unlink(temporary.c_str());
            failures.push_back(source + ": SHA-512 mismatch (got " + actual.substr(0, 16) +
                               "…), discarded");
            continue;
        }
        fs::rename(temporary, target);  // same content either way if another fetch won
        return target;
    }
    std::string hint = file.forceUpstream || settings_.upstreamFallback
                           ? ""
                           : "add a lookaside cache that has the file, or allow upstream sources";
    throw Error("cannot fetch " + file.fileName() +
                    (failures.empty() ? ": no lookaside cache configured"
                                      : ": " + joinStrings(failures, "; ")),
                file.location, hint);
}

}  // namespace twoliter
