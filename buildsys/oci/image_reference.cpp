// Image references and registry addresses (declared in registry_client.h).
#include <cstdlib>
#include <regex>

#include "oci/registry_client.h"

#include "util/digest.h"
#include "util/strings.h"

namespace twoliter {

namespace {

const char* kReferenceHint =
    "write <registry>/<repository>:<tag> or <registry>/<repository>@sha256:<hex>";

// The host of "host", "host:port", "[v6]" or "[v6]:port", without brackets.
std::string hostOf(const std::string& registry) {
    if (startsWith(registry, "[")) {
        size_t close = registry.find(']');
        return registry.substr(1, close == std::string::npos ? std::string::npos : close - 1);
    }
    return registry.substr(0, registry.find(':'));
}

bool isLoopbackHost(const std::string& host) {
    return host == "localhost" || host == "::1" || startsWith(host, "127.");
}

// Why registry is not "host[:port]", or "".
std::string registryProblem(const std::string& registry) {
    static const std::regex hostPattern(
        R"(([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*)");
    static const std::regex v6Pattern(R"(\[[0-9A-Fa-f:.]+\])");
    std::string host = registry;
    std::string port;
    size_t portColon =
        startsWith(registry, "[") ? registry.find(':', registry.find(']')) : registry.find(':');
    if (portColon != std::string::npos) {
        host = registry.substr(0, portColon);
        port = registry.substr(portColon + 1);
        if (port.empty() || port.size() > 5 ||
            port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) == 0 ||
            std::stoi(port) > 65535)
            return "the registry's port \"" + port + "\" is not a number from 1 to 65535";
    }
    if (!std::regex_match(host, hostPattern) && !std::regex_match(host, v6Pattern))
        return "the registry \"" + registry + "\" is not a host name or address";
    return "";
}

// Why repository breaks the distribution spec's name grammar, or "".
std::string repositoryProblem(const std::string& repository) {
    static const std::regex component(R"([a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)");
    if (repository.empty())
        return "the repository name is empty";
    if (repository.size() > 255)
        return "the repository name is longer than 255 characters";
    for (const auto& part : splitString(repository, '/')) {
        if (part.empty())
            return "the repository name has an empty path component";
        if (!std::regex_match(part, component)) {
            for (char c : part)
                if (c >= 'A' && c <= 'Z')
                    return "the repository name \"" + repository + "\" has upper-case letters";
            return "the repository name component \"" + part +
                   "\" is not lower-case letters and digits joined by '.', '_', '__' or '-'";
        }
    }
    return "";
}

}  // namespace

std::string ImageReference::str() const {
    std::string text = registry + "/" + repository;
    if (!tag.empty())
        text += ":" + tag;
    if (!digest.empty())
        text += "@" + digest;
    return text;
}

ImageReference parseImageReference(const std::string& text, const Location& where) {
    auto fail = [&](const std::string& why) {
        return Error("malformed image reference \"" + text + "\": " + why, where, kReferenceHint);
    };
    if (trimString(text).empty())
        throw fail("it is empty");
    for (unsigned char c : text)
        if (c <= ' ' || c == 0x7f)
            throw fail("it contains white space or a control character");

    ImageReference ref;
    std::string rest = text;
    size_t at = rest.find('@');
    if (at != std::string::npos) {
        ref.digest = rest.substr(at + 1);
        rest = rest.substr(0, at);
        if (ref.digest.find('@') != std::string::npos)
            throw fail("it has more than one '@'");
        size_t colon = ref.digest.find(':');
        if (colon == std::string::npos)
            throw fail("the digest \"" + ref.digest + "\" has no algorithm (sha256:<hex>)");
        if (ref.digest.substr(0, colon) != "sha256")
            throw fail("unsupported digest algorithm \"" + ref.digest.substr(0, colon) +
                       "\" (only sha256 is supported)");
        if (!isSha256Hex(ref.digest.substr(colon + 1)))
            throw fail("the digest must be sha256: and 64 lower-case hex digits");
    }
    // The tag follows the last ':' after the last '/' (a ':' before it is a port).
    size_t slash = rest.rfind('/');
    size_t colon = rest.rfind(':');
    if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
        ref.tag = rest.substr(colon + 1);
        rest = rest.substr(0, colon);
        static const std::regex tagPattern(R"([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})");
        if (ref.tag.empty())
            throw fail("the tag after ':' is empty");
        if (!std::regex_match(ref.tag, tagPattern))
            throw fail("the tag \"" + ref.tag +
                       "\" is not 1 to 128 letters, digits, '_', '.' or '-' (not starting "
                       "with '.' or '-')");
    }
    // The first component is a registry when it looks like a host, as docker reads it.
    size_t first = rest.find('/');
    if (first != std::string::npos) {
        std::string head = rest.substr(0, first);
        if (head.find('.') != std::string::npos || head.find(':') != std::string::npos ||
            head == "localhost" || startsWith(head, "[")) {
            ref.registry = head;
            rest = rest.substr(first + 1);
        }
    }
    if (ref.registry.empty() || ref.registry == "index.docker.io" ||
        ref.registry == "registry-1.docker.io") {
        ref.registry = "docker.io";
    }
    if (ref.registry == "docker.io" && rest.find('/') == std::string::npos && !rest.empty())
        rest = "library/" + rest;
    ref.repository = rest;
    if (std::string why = registryProblem(ref.registry); !why.empty())
        throw fail(why);
    if (std::string why = repositoryProblem(ref.repository); !why.empty())
        throw fail(why);
    if (ref.tag.empty() && ref.digest.empty())
        ref.tag = "latest";
    return ref;
}

RegistrySettings RegistrySettings::fromEnvironment() {
    RegistrySettings settings;
    if (const char* list = std::getenv("TWOLITER_INSECURE_REGISTRIES")) {
        std::string text = list;
        for (char& c : text)
            if (c == ',' || c == ' ' || c == '\t' || c == '\n')
                c = ',';
        for (const auto& entry : splitString(text, ','))
            if (!trimString(entry).empty())
                settings.insecureRegistries.push_back(trimString(entry));
    }
    return settings;
}

bool isLoopbackRegistry(const std::string& registry) {
    return isLoopbackHost(hostOf(registry));
}

std::string registryBaseUrl(const std::string& registry, const RegistrySettings& settings) {
    bool insecure = isLoopbackHost(hostOf(registry));
    for (std::string entry : settings.insecureRegistries) {
        for (const char* scheme : {"http://", "https://"})
            if (startsWith(entry, scheme))
                entry = entry.substr(std::string(scheme).size());
        while (!entry.empty() && entry.back() == '/')
            entry.pop_back();
        if (entry == registry || entry == hostOf(registry))
            insecure = true;
    }
    std::string host = registry == "docker.io" ? "registry-1.docker.io" : registry;
    return (insecure ? "http://" : "https://") + host;
}

}  // namespace twoliter
