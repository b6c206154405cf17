// The dev.bottlerocket.kit.v2 label: encoded byte for byte as rpm2kit (jq
// --compact-output --sort-keys | base64 -w0) writes it, and every way a
// label or an image config can be wrong.
#include <catch2/catch.hpp>

#include "kit/kit_metadata.h"
#include "support/error_text.h"
#include "util/json_writer.h"

using namespace twoliter;

namespace {

KitMetadata upstreamExample() {
    KitMetadata metadata;
    metadata.name = "bottlerocket-core-kit";
    metadata.version = "2.0.0";
    metadata.sdk = {"thar-be-beta-sdk", "0.43.0", "bottlerocket-new",
                    "public.ecr.aws/u1g3c8z4/thar-be-beta-sdk:v0.43.0",
                    "ircODRWwflcM7sj++2k3JNQZJ/ovCQTiRY+DZohgk6Y="};
    return metadata;
}

std::string configWithLabels(const std::vector<std::pair<std::string, std::string>>& labels) {
    JsonWriter config(false);
    config.beginObject().key("architecture").value("amd64").key("os").value("linux");
    config.key("config").beginObject().key("Labels").beginObject();
    for (const auto& [key, value] : labels)
        config.key(key).value(value);
    config.endObject().endObject().endObject();
    return config.str();
}

std::string decodeError(const std::string& label) {
    return testing::errorText([&] { decodeKitLabel(label, "registry.test/kit:v1"); });
}

}  // namespace

TEST_CASE("kit label: encoded as rpm2kit writes it", "[kit]") {
    // The encoded label of upstream's test in twoliter/src/project/lock/image.rs.
    CHECK(encodeKitLabel(upstreamExample()) ==
          "eyJraXQiOltdLCJuYW1lIjoiYm90dGxlcm9ja2V0LWNvcmUta2l0Iiwic2RrIjp7ImRpZ2VzdCI6ImlyY09EUl"
          "d3ZmxjTTdzaisrMmszSk5RWkovb3ZDUVRpUlkrRFpvaGdrNlk9IiwibmFtZSI6InRoYXItYmUtYmV0YS1zZGsiL"
          "CJzb3VyY2UiOiJwdWJsaWMuZWNyLmF3cy91MWczYzh6NC90aGFyLWJlLWJldGEtc2RrOnYwLjQzLjAiLCJ2ZW5k"
          "b3IiOiJib3R0bGVyb2NrZXQtbmV3IiwidmVyc2lvbiI6IjAuNDMuMCJ9LCJ2ZXJzaW9uIjoiMi4wLjAifQo=");

    // With dependent kits; the constant is rpm2kit's own pipeline run on
    // the same input: jq --compact-output --sort-keys --slurp "$TEMPLATE" |
    // base64 -w0 (jq 1.6).
    KitMetadata metadata;
    metadata.name = "my-kit";
    metadata.version = "1.2.3";
    metadata.sdk = {"sample-sdk", "0.1.0", "sample", "127.0.0.1:5000/sample-sdk:v0.1.0",
                    "Wxlz6y5Y6RewzOffK28m8vZGEJtnhQO1fym/nHm6qWU="};
    metadata.kits = {{"local-kit", "1.2.3", "acme"}, {"core-kit", "3.1.1", "bottlerocket"}};
    std::string label = encodeKitLabel(metadata);
    CHECK(label ==
          "eyJraXQiOlt7Im5hbWUiOiJsb2NhbC1raXQiLCJ2ZW5kb3IiOiJhY21lIiwidmVyc2lvbiI6IjEuMi4zIn0seyJu"
          "YW1lIjoiY29yZS1raXQiLCJ2ZW5kb3IiOiJib3R0bGVyb2NrZXQiLCJ2ZXJzaW9uIjoiMy4xLjEifV0sIm5hbWUi"
          "OiJteS1raXQiLCJzZGsiOnsiZGlnZXN0IjoiV3hsejZ5NVk2UmV3ek9mZksyOG04dlpHRUp0bmhRTzFmeW0vbkht"
          "NnFXVT0iLCJuYW1lIjoic2FtcGxlLXNkayIsInNvdXJjZSI6IjEyNy4wLjAuMTo1MDAwL3NhbXBsZS1zZGs6djAu"
          "MS4wIiwidmVuZG9yIjoic2FtcGxlIiwidmVyc2lvbiI6IjAuMS4wIn0sInZlcnNpb24iOiIxLjIuMyJ9Cg==");

    KitMetadata decoded = decodeKitLabel(label, "test");
    CHECK(decoded.name == "my-kit");
    CHECK(decoded.version == "1.2.3");
    CHECK(decoded.sdk.name == "sample-sdk");
    CHECK(decoded.sdk.version == "0.1.0");
    CHECK(decoded.sdk.vendor == "sample");
    CHECK(decoded.sdk.source == "127.0.0.1:5000/sample-sdk:v0.1.0");
    CHECK(decoded.sdk.digest == metadata.sdk.digest);
    REQUIRE(decoded.kits.size() == 2);
    CHECK(decoded.kits[1].name == "core-kit");
    CHECK(decoded.kits[1].version == "3.1.1");
    CHECK(decoded.kits[1].vendor == "bottlerocket");
    CHECK(encodeKitLabel(decoded) == label);
}

TEST_CASE("kit label: read from an image config", "[kit]") {
    std::string label = encodeKitLabel(upstreamExample());
    std::string config =
        configWithLabels({{"org.example", "x"}, {"dev.bottlerocket.kit.v2", label}});
    CHECK(kitLabelOfConfig(config, "registry.test/kit:v1") == label);
    CHECK(kitMetadataOfConfig(config, "registry.test/kit:v1").name == "bottlerocket-core-kit");

    auto configError = [](const std::string& config) {
        return testing::errorText([&] { kitLabelOfConfig(config, "registry.test/kit:v1"); });
    };
    CHECK(configError(configWithLabels({{"org.example", "x"}})) ==
          "registry.test/kit:v1: the image is not a kit (its image config has no "
          "dev.bottlerocket.kit.v2 label)");
    CHECK(configError(R"({"architecture":"amd64","os":"linux"})") ==
          configError(configWithLabels({})));
    CHECK_THAT(configError(configWithLabels({{"dev.bottlerocket.kit.v1", label}})),
               Catch::StartsWith("registry.test/kit:v1: the kit's metadata is schema v1 (label "
                                 "dev.bottlerocket.kit.v1); this twoliter reads schema v2 only"));
    CHECK_THAT(configError(configWithLabels({{"dev.bottlerocket.kit.v3", label}})),
               Catch::Contains("schema v3"));
    CHECK_THAT(configError("{\"config\":"), Catch::StartsWith("registry.test/kit:v1 image config: "
                                                              "invalid JSON"));
}

TEST_CASE("kit label: malformed labels name the image", "[kit]") {
    CHECK_THAT(decodeError("%%%%"),
               Catch::StartsWith("registry.test/kit:v1: the dev.bottlerocket.kit.v2 label is not "
                                 "valid base64"));
    CHECK_THAT(decodeError("YWJj\nZA=="), Catch::Contains("not valid base64"));
    CHECK_THAT(decodeError("e30=x"), Catch::Contains("not valid base64"));
    CHECK_THAT(decodeError("bm90IGpzb24="),  // "not json"
               Catch::StartsWith("registry.test/kit:v1: the kit label: invalid JSON"));
    CHECK(decodeError("W10=") == "registry.test/kit:v1: the kit label is not a JSON object");

    std::string good = R"("kit":[],"name":"k","sdk":{"name":"s","vendor":"v","version":"1"},)"
                       R"("version":"1")";
    auto encoded = [](const std::string& json) {
        static const char* alphabet =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        std::string out;
        for (size_t i = 0; i < json.size(); i += 3) {
            uint32_t chunk = static_cast<unsigned char>(json[i]) << 16;
            if (i + 1 < json.size())
                chunk |= static_cast<unsigned char>(json[i + 1]) << 8;
            if (i + 2 < json.size())
                chunk |= static_cast<unsigned char>(json[i + 2]);
            out += alphabet[(chunk >> 18) & 63];
            out += alphabet[(chunk >> 12) & 63];
            out += i + 1 < json.size() ? alphabet[(chunk >> 6) & 63] : '=';
            out += i + 2 < json.size() ? alphabet[chunk & 63] : '=';
        }
        return out;
    };
    CHECK(decodeKitLabel(encoded("{" + good + "}"), "x").sdk.vendor == "v");
    CHECK(decodeError(encoded(R"({"kit":[],"name":"k","version":"1"})")) ==
          "registry.test/kit:v1: the kit label has no sdk");
    CHECK(decodeError(encoded(R"({"kit":[],"name":"k","sdk":{"name":"s","version":"1"},)"
                              R"("version":"1"})")) ==
          "registry.test/kit:v1: the kit label has no sdk.vendor");
    CHECK(decodeError(encoded(R"({"kit":[{"name":"a","version":"1"}],"name":"k",)"
                              R"("sdk":{"name":"s","vendor":"v","version":"1"},"version":"1"})")) ==
          "registry.test/kit:v1: the kit label has no kit[0].vendor");
    CHECK(decodeError(encoded(R"({"kit":{},"name":"k","sdk":{"name":"s","vendor":"v",)"
                              R"("version":"1"},"version":"1"})")) ==
          "registry.test/kit:v1: the kit label's kit is not a list");
    CHECK(decodeError(encoded("{" + good + R"(,"name2":"x"})")) ==
          "registry.test/kit:v1: the kit label has an unknown field name2 (hint: the kit was "
          "made by a newer or different tool)");
    CHECK(decodeError(encoded(R"({"kit":[],"name":"","sdk":{"name":"s","vendor":"v",)"
                              R"("version":"1"},"version":"1"})")) ==
          "registry.test/kit:v1: the kit label's name is not a non-empty string");
}
