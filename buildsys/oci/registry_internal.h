#pragma once

// Shared by the pull and push halves of the registry client; not part of
// its interface.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "oci/registry_client.h"
#include "oci/registry_transport.h"
#include "sdk/json_reader.h"
#include "sdk/oci_layout.h"
#include "util/error.h"
#include "util/strings.h"

namespace twoliter {

namespace registry_internal {

inline constexpr uint64_t kMaxManifestBytes = 4u << 20;
inline constexpr const char* kAcceptManifests =
    "Accept: application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr const char* kTamperedHint =
    "the registry served damaged content or was tampered with";
inline constexpr const char* kAnonymousHint =
    "twoliter accesses registries anonymously; the repository may be private or not exist";

// A WWW-Authenticate challenge: scheme and parameters (names lower-cased).
struct Challenge {
    std::string scheme;
    std::map<std::string, std::string> params;
};

Challenge parseChallenge(const std::string& text);
// The errors array of a registry's JSON error body, as one line.
std::string registryErrors(const std::string& body);
// "sha256:0123456789ab…" for messages.
std::string shortDigest(const std::string& digest);
bool isIndexType(const std::string& mediaType);

struct ImageManifest {
    OciDescriptor config;
    std::vector<OciDescriptor> layers;
};

// os, architecture and variant of a platform object or image config.
struct Platform {
    std::string os;
    std::string architecture;
    std::string variant;
    std::string str() const {
        return (os.empty() ? "?" : os) + "/" + (architecture.empty() ? "?" : architecture) +
               (variant.empty() ? "" : "/" + variant);
    }
};

OciDescriptor parseDescriptor(const JsonValue& value, const std::string& where,
                              const std::string& what);
std::string manifestMediaType(const JsonValue& json, const std::string& declared);
ImageManifest parseImageManifest(const std::string& bytes, const std::string& where);
std::string normalizeArch(const std::string& arch);
Platform platformOf(const JsonValue* value);

}  // namespace registry_internal

using namespace registry_internal;

// One registry repository with the access asked for: URLs, the Bearer
// token, and the translation of failures into Errors.
class RegistrySession {
  public:
    RegistrySession(RegistryTransport& transport, const RegistrySettings& settings,
                    std::string registry, std::string repository, bool push)
        : transport_(transport),
          registry_(std::move(registry)),
          repository_(std::move(repository)),
          base_(registryBaseUrl(registry_, settings)),
          loopback_(isLoopbackRegistry(registry_)),
          push_(push) {}

    const std::string& registry() const { return registry_; }
    const std::string& base() const { return base_; }
    std::string url(const std::string& path) const { return base_ + "/v2/" + repository_ + path; }

    // Sends request, authenticating once when the registry challenges.
    // Throws when no response arrives.
    HttpResponse send(HttpRequest request, const std::string& where) {
        request.noProxy = loopback_;
        for (int attempt = 0;; ++attempt) {
            HttpRequest actual = request;
            if (!token_.empty())
                actual.headers.push_back("Authorization: Bearer " + token_);
            HttpResponse response = transport_.perform(actual);
            if (!response.transportError.empty())
                throw unreachable(response.transportError, where);
            if (response.status != 401 || attempt > 0)
                return response;
            authenticate(response.header("www-authenticate"), where);
        }
    }

    // An Error for an unexpected response to what (e.g. "cannot fetch …").
    Error failure(const HttpResponse& response, const std::string& what, const std::string& where,
                  std::string hint = "") const {
        std::string message =
            what + ": " + registry_ + " answered HTTP " + std::to_string(response.status);
        if (std::string detail = registryErrors(response.body); !detail.empty())
            message += " (" + detail + ")";
        if (hint.empty() && (response.status == 401 || response.status == 403))
            hint = kAnonymousHint;
        return Error(message, {where}, hint);
    }

  private:
    Error unreachable(const std::string& reason, const std::string& where) const {
        std::string hint = "check that the registry is running and its address is right";
        std::string lower = lowercase(reason);
        if (startsWith(base_, "https://") &&
            (lower.find("ssl") != std::string::npos || lower.find("tls") != std::string::npos ||
             lower.find("certificate") != std::string::npos))
            hint =
                "a registry that speaks plain http must be listed in "
                "TWOLITER_INSECURE_REGISTRIES";
        return Error("cannot reach registry " + registry_ + " (" + base_ + "): " + reason, {where},
                     hint);
    }

    void authenticate(const std::string& header, const std::string& where) {
        Challenge challenge = parseChallenge(header);
        std::string scheme = lowercase(challenge.scheme);
        if (scheme == "basic")
            throw Error("registry " + registry_ +
                            " asks for a user name and password (Basic authentication), which "
                            "twoliter does not send",
                        {where}, "use a registry or repository that allows anonymous access");
        if (scheme != "bearer")
            throw Error("registry " + registry_ + " answered HTTP 401 with " +
                            (header.empty() ? "no authentication challenge"
                                            : "an unsupported challenge: " + header),
                        {where});
        std::string realm = challenge.params["realm"];
        if (!startsWith(realm, "https://") && !startsWith(realm, "http://"))
            throw Error("registry " + registry_ + " names no usable token realm: " + header,
                        {where});
        std::string scope = "repository:" + repository_ + (push_ ? ":pull,push" : ":pull");
        std::string url = realm + (realm.find('?') == std::string::npos ? "?" : "&");
        if (!challenge.params["service"].empty())
            url += "service=" + urlEncode(challenge.params["service"]) + "&";
        url += "scope=" + urlEncode(scope);
        std::string asked = challenge.params["scope"];
        if (!asked.empty() && asked != scope && asked.find(repository_) == std::string::npos)
            url += "&scope=" + urlEncode(asked);
        HttpRequest request;
        request.url = url;
        request.followRedirects = true;
        request.noProxy =
            loopback_ || startsWith(realm, "http://127.") || startsWith(realm, "http://localhost");
        HttpResponse response = transport_.perform(request);
        if (!response.transportError.empty())
            throw Error("cannot reach the token service " + realm + " of registry " + registry_ +
                            ": " + response.transportError,
                        {where});
        if (!response.ok())
            throw Error("the token service " + realm + " refused an anonymous token for " + scope +
                            ": HTTP " + std::to_string(response.status),
                        {where}, kAnonymousHint);
        std::string token;
        try {
            JsonValue json = parseJson(response.body, "token response");
            for (const char* name : {"token", "access_token"})
                if (const auto* value = json.find(name); value && token.empty())
                    token = value->text();
        } catch (const Error&) {
        }
        if (token.empty())
            throw Error("the token service " + realm + " answered without a token", {where});
        token_ = token;
    }

    RegistryTransport& transport_;
    std::string registry_;
    std::string repository_;
    std::string base_;
    bool loopback_;
    bool push_;
    std::string token_;
};

}  // namespace twoliter
