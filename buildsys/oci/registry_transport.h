#pragma once

// The HTTP layer under RegistryClient: one libcurl easy handle, reused so
// that consecutive requests to a registry share a connection. Knows nothing
// about registries; RegistryClient adds URLs, authentication and meaning.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace twoliter {

// Where a response body is streamed instead of being kept in memory.
// write() returns false to abort the transfer (the sink says why).
class ResponseSink {
  public:
    virtual ~ResponseSink() = default;
    virtual bool write(const char* data, size_t size) = 0;
};

struct HttpRequest {
    std::string method = "GET";  // GET, HEAD, POST, PUT, PATCH, DELETE
    std::string url;
    std::vector<std::string> headers;  // "Name: value"
    // Request body: the file bodyFile when set, else body when hasBody.
    bool hasBody = false;
    std::string body;
    std::string bodyFile;
    // Successful (2xx) response bodies go here when set; error bodies are
    // always kept in HttpResponse::body.
    ResponseSink* sink = nullptr;
    // Largest body kept in memory; a longer one fails the request.
    uint64_t maxBodyInMemory = 4u << 20;
    bool followRedirects = false;
    bool noProxy = false;  // for loopback registries
};

struct HttpResponse {
    // Empty when a response arrived; else why none did (curl's words).
    std::string transportError;
    bool bodyTooLarge = false;
    long status = 0;
    std::map<std::string, std::string> headers;  // lowercase name → last value
    std::string body;
    std::string url;  // after redirects

    // The header's value, "" when absent. name in lowercase.
    std::string header(const std::string& name) const;
    bool ok() const { return transportError.empty() && status >= 200 && status < 300; }
};

class RegistryTransport {
  public:
    RegistryTransport(long connectTimeoutSeconds, long stallTimeoutSeconds);
    ~RegistryTransport();
    RegistryTransport(const RegistryTransport&) = delete;
    RegistryTransport& operator=(const RegistryTransport&) = delete;

    // Never throws for network or HTTP failures: they are in the response.
    HttpResponse perform(const HttpRequest& request);

  private:
    void* curl_;
    long connectTimeout_;
    long stallTimeout_;
};

// Percent-encoding of everything but RFC 3986 unreserved characters.
std::string urlEncode(const std::string& text);

}  // namespace twoliter
