#include "oci/registry_transport.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "util/error.h"
#include "util/strings.h"

namespace twoliter {

namespace {

CURL* handle(void* p) {
    return static_cast<CURL*>(p);
}

// State of one transfer, shared with the curl callbacks.
struct Transfer {
    CURL* curl = nullptr;
    const HttpRequest* request = nullptr;
    HttpResponse* response = nullptr;
    // Request body.
    FILE* file = nullptr;
    size_t bodyOffset = 0;
    // Response body: decided on the first write, once the status is known.
    bool decided = false;
    bool toSink = false;
    bool sinkFailed = false;
};

size_t onHeader(char* data, size_t size, size_t count, void* user) {
    auto* transfer = static_cast<Transfer*>(user);
    std::string line(data, size * count);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
        line.pop_back();
    if (startsWith(line, "HTTP/")) {
        transfer->response->headers.clear();  // a new response (after a redirect or 100)
        return size * count;
    }
    size_t colon = line.find(':');
    if (colon != std::string::npos)
        transfer->response->headers[lowercase(trimString(line.substr(0, colon)))] =
            trimString(line.substr(colon + 1));
    return size * count;
}

size_t onBody(char* data, size_t size, size_t count, void* user) {
    auto* transfer = static_cast<Transfer*>(user);
    size_t bytes = size * count;
    if (!transfer->decided) {
        long status = 0;
        curl_easy_getinfo(transfer->curl, CURLINFO_RESPONSE_CODE, &status);
        transfer->toSink = transfer->request->sink && status >= 200 && status < 300;
        transfer->decided = true;
    }
    if (transfer->toSink) {
        if (!transfer->request->sink->write(data, bytes)) {
            transfer->sinkFailed = true;
            return 0;
        }
        return bytes;
    }
    std::string& body = transfer->response->body;
    if (body.size() + bytes > transfer->request->maxBodyInMemory) {
        transfer->response->bodyTooLarge = true;
        return 0;
    }
    body.append(data, bytes);
    return bytes;
}

size_t onRead(char* buffer, size_t size, size_t count, void* user) {
    auto* transfer = static_cast<Transfer*>(user);
    size_t room = size * count;
    if (transfer->file) {
        size_t n = std::fread(buffer, 1, room, transfer->file);
        if (n == 0 && std::ferror(transfer->file))
            return CURL_READFUNC_ABORT;
        return n;
    }
    const std::string& body = transfer->request->body;
    size_t n = std::min(room, body.size() - transfer->bodyOffset);
    std::memcpy(buffer, body.data() + transfer->bodyOffset, n);
    transfer->bodyOffset += n;
    return n;
}

}  // namespace

std::string HttpResponse::header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
}

RegistryTransport::RegistryTransport(long connectTimeoutSeconds, long stallTimeoutSeconds)
    : connectTimeout_(connectTimeoutSeconds), stallTimeout_(stallTimeoutSeconds) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    curl_ = curl_easy_init();
    if (!curl_)
        throw Error("cannot initialise libcurl");
}

RegistryTransport::~RegistryTransport() {
    curl_easy_cleanup(handle(curl_));
    curl_global_cleanup();
}

HttpResponse RegistryTransport::perform(const HttpRequest& request) {
    HttpResponse response;
    CURL* curl = handle(curl_);
    curl_easy_reset(curl);  // keeps the connection cache
    Transfer transfer;
    transfer.curl = curl;
    transfer.request = &request;
    transfer.response = &response;

    curl_off_t bodySize = 0;
    if (!request.bodyFile.empty()) {
        transfer.file = std::fopen(request.bodyFile.c_str(), "rb");
        if (!transfer.file) {
            response.transportError =
                "cannot read " + request.bodyFile + ": " + std::strerror(errno);
            return response;
        }
        std::fseek(transfer.file, 0, SEEK_END);
        bodySize = std::ftell(transfer.file);
        std::fseek(transfer.file, 0, SEEK_SET);
    } else if (request.hasBody) {
        bodySize = static_cast<curl_off_t>(request.body.size());
    }
    bool hasBody = request.hasBody || transfer.file;

    char message[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, message);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, onHeader);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, onBody);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, connectTimeout_);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, stallTimeout_);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "twoliter/" TWOLITER_VERSION);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    if (request.noProxy)
        curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
    if (request.followRedirects) {
        // An Authorization header is not sent on to another host (libcurl's
        // default), which is what presigned blob URLs expect.
        curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
    }

    if (request.method == "HEAD") {
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    } else if (hasBody) {
        curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(curl, CURLOPT_READFUNCTION, onRead);
        curl_easy_setopt(curl, CURLOPT_READDATA, &transfer);
        curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, bodySize);
        if (request.method != "PUT")
            curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    } else if (request.method == "POST") {
        curl_easy_setopt(curl, CURLOPT_POST, 1L);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, 0L);
    } else if (request.method != "GET") {
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }

    curl_slist* headers = nullptr;
    for (const auto& header : request.headers)
        headers = curl_slist_append(headers, header.c_str());
    if (hasBody)
        headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);

    CURLcode result = curl_easy_perform(curl);
    curl_slist_free_all(headers);
    if (transfer.file)
        std::fclose(transfer.file);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
    char* effective = nullptr;
    if (curl_easy_getinfo(curl, CURLINFO_EFFECTIVE_URL, &effective) == CURLE_OK && effective)
        response.url = effective;
    // A sink or size limit that stopped the transfer is reported by the
    // caller (it knows why); only genuine transport failures are set here.
    if (result != CURLE_OK && !transfer.sinkFailed && !response.bodyTooLarge) {
        response.transportError = *message ? message : curl_easy_strerror(result);
        while (!response.transportError.empty() && response.transportError.back() == '\n')
            response.transportError.pop_back();
    }
    return response;
}

std::string urlEncode(const std::string& text) {
    static const char* digits = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += digits[c >> 4];
            out += digits[c & 15];
        }
    }
    return out;
}

}  // namespace twoliter
