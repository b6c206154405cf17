#include "tuf/repository_source.h"

#include <curl/curl.h>
#include <sys/stat.h>

#include <cstdio>

#include "util/error.h"
#include "util/files.h"
#include "util/strings.h"

namespace twoliter {

namespace {

class FolderSource final : public RepositorySource {
  public:
    FolderSource(std::string metadata, std::string targets)
        : metadata_(std::move(metadata)), targets_(std::move(targets)) {}

    std::optional<std::string> metadata(const std::string& name, int64_t maxLength) override {
        std::string path = metadataLocation(name);
        struct stat info {};
        if (stat(path.c_str(), &info) != 0)
            return std::nullopt;
        if (info.st_size > maxLength) {
            throw Error("larger than the " + std::to_string(maxLength) + " bytes allowed", {path});
        }
        return readFile(path);
    }
    std::optional<std::string> targetFile(const std::string& fileName, int64_t,
                                          const std::string&) override {
        std::string path = targetLocation(fileName);
        return isRegularFile(path) ? std::optional<std::string>(path) : std::nullopt;
    }
    std::string metadataLocation(const std::string& name) const override {
        return metadata_ + "/" + name;
    }
    std::string targetLocation(const std::string& fileName) const override {
        return targets_ + "/" + fileName;
    }
    bool isLocal() const override { return true; }

  private:
    std::string metadata_;
    std::string targets_;
};

struct Download {
    std::string url;
    int64_t maxLength = 0;
    int64_t received = 0;
    std::string* memory = nullptr;
    FILE* file = nullptr;
    bool tooLong = false;
};

size_t receive(char* data, size_t size, size_t count, void* opaque) {
    auto* download = static_cast<Download*>(opaque);
    size_t bytes = size * count;
    download->received += static_cast<int64_t>(bytes);
    if (download->received > download->maxLength) {
        download->tooLong = true;
        return 0;
    }
    if (download->memory)
        download->memory->append(data, bytes);
    else if (std::fwrite(data, 1, bytes, download->file) != bytes)
        return 0;
    return bytes;
}

// GET url into download; false for 404/403, Error for any other failure.
bool get(Download& download) {
    CURL* curl = curl_easy_init();
    if (!curl)
        throw Error("libcurl could not start", {download.url});
    char message[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(curl, CURLOPT_URL, download.url.c_str());
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, receive);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &download);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, message);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
    CURLcode code = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(curl);
    if (download.tooLong) {
        throw Error("larger than the " + std::to_string(download.maxLength) + " bytes allowed",
                    {download.url});
    }
    if (status == 404 || status == 403)
        return false;
    if (code != CURLE_OK)
        throw Error(
            std::string("download failed: ") + (*message ? message : curl_easy_strerror(code)),
            {download.url});
    if (status >= 400)
        throw Error("download failed: HTTP " + std::to_string(status), {download.url});
    return true;
}

std::string withSlash(const std::string& url) {
    return endsWith(url, "/") ? url : url + "/";
}

class UrlSource final : public RepositorySource {
  public:
    UrlSource(std::string metadata, std::string targets)
        : metadata_(withSlash(metadata)), targets_(withSlash(targets)) {}

    std::optional<std::string> metadata(const std::string& name, int64_t maxLength) override {
        std::string bytes;
        Download download{metadataLocation(name), maxLength, 0, &bytes, nullptr, false};
        if (!get(download))
            return std::nullopt;
        return bytes;
    }
    std::optional<std::string> targetFile(const std::string& fileName, int64_t maxLength,
                                          const std::string& scratchDirectory) override {
        std::string path = scratchDirectory + "/" + fileName;
        FILE* file = std::fopen(path.c_str(), "wb");
        if (!file)
            throw Error("cannot write a download", {path});
        Download download{targetLocation(fileName), maxLength, 0, nullptr, file, false};
        bool found = false;
        try {
            found = get(download);
        } catch (...) {
            std::fclose(file);
            std::remove(path.c_str());
            throw;
        }
        std::fclose(file);
        if (!found) {
            std::remove(path.c_str());
            return std::nullopt;
        }
        return path;
    }
    std::string metadataLocation(const std::string& name) const override {
        return metadata_ + name;
    }
    std::string targetLocation(const std::string& fileName) const override {
        return targets_ + fileName;
    }
    bool isLocal() const override { return false; }

  private:
    std::string metadata_;
    std::string targets_;
};

}  // namespace

bool isUrl(const std::string& location) {
    return startsWith(location, "http://") || startsWith(location, "https://") ||
           startsWith(location, "file://");
}

std::unique_ptr<RepositorySource> folderSource(const std::string& metadataDirectory,
                                               const std::string& targetsDirectory) {
    return std::make_unique<FolderSource>(metadataDirectory, targetsDirectory);
}

std::unique_ptr<RepositorySource> urlSource(const std::string& metadataUrl,
                                            const std::string& targetsUrl) {
    if (startsWith(metadataUrl, "file://") && startsWith(targetsUrl, "file://"))
        return folderSource(metadataUrl.substr(7), targetsUrl.substr(7));
    return std::make_unique<UrlSource>(metadataUrl, targetsUrl);
}

std::unique_ptr<RepositorySource> repositoryAt(const std::string& location,
                                               const std::string& variant,
                                               const std::string& arch) {
    std::string base = endsWith(location, "/") ? location.substr(0, location.size() - 1) : location;
    std::string metadata = base + "/" + variant + "/" + arch;
    if (isUrl(base))
        return urlSource(metadata, base + "/targets");
    return folderSource(metadata, base + "/targets");
}

}  // namespace twoliter
