#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "project/model.h"

namespace twoliter {

// How an SDK image is made from Debian packages: sdk/recipe, a line format
// (no TOML, so that it can be read without the project loader):
//
//   # comment                   blank lines and "#" comments are ignored
//   suite bookworm              Debian suite (required)
//   mirror http://deb.debian.org/debian       (required; http, https or file URL)
//   variant minbase             mmdebstrap variant (default minbase)
//   components main             apt components (default main)
//   packages rpm gcc make ...   packages to add; the line may repeat
//   path-exclude /usr/share/man/*             dpkg --path-exclude; may repeat
//   source-date-epoch 1704067200              timestamps of the image (default:
//                                             $SOURCE_DATE_EPOCH, else 0)
//   compression zstd            layer compression: none (default), gzip, zstd
//   name twoliter-sample-sdk:1  org.opencontainers.image.ref.name in index.json
//
// Each line is "key value...", words separated by blanks. An unknown key, a
// repeated single-valued key or a bad value is an Error at file:line.
//
// Besides the packages, the image gets the recipe folder's SDK files: the
// macro files macros/<arch> + macros/shared (+ macros/rust, macros/cargo when
// present) concatenated into usr/lib/rpm/platform/<arch>-bottlerocket/macros
// for every target arch, provides as usr/share/twoliter/sdk-provides and the
// recipe itself as usr/share/twoliter/sdk-recipe (see spec/sdk.h).
struct SdkRecipe {
    std::string path;  // the recipe file, for messages
    std::string suite;
    std::string mirror;
    std::string variant = "minbase";
    std::vector<std::string> components{"main"};
    std::vector<std::string> packages;
    std::vector<std::string> pathExcludes;
    std::optional<int64_t> sourceDateEpoch;
    std::string compression = "none";
    std::string name;
};

SdkRecipe readSdkRecipe(const std::string& path);

// Creates the SDK image with mmdebstrap (root mode as root, unshare mode
// otherwise; network access to the mirror) and writes it as an OCI image
// layout at ociLayoutOut (created when missing; index.json then names only
// this image; blobs of earlier images stay). Layer 1 is mmdebstrap's root
// filesystem tarball, layer 2 the SDK files above. arch is the
// architecture of the SDK userland (amd64 / arm64 images); a foreign one
// needs qemu-user-static. Every file is written under a temporary name and
// renamed; index.json comes last. Returns the manifest digest "sha256:<hex>".
// With the same recipe, epoch and mirror content, the digest is the same.
std::string createSdkImage(const SdkRecipe& recipe, const std::string& recipeDir, Arch arch,
                           const std::string& ociLayoutOut);

// Unpacks an SDK image into the content-addressed store and returns the
// root filesystem's path, <storeRoot>/sdk/<manifest-hex>/rootfs. source is an
// OCI image layout directory, a tar of one (optionally gzip or zstd
// compressed), or a `docker save` archive (manifest.json with Config and
// Layers; its store key is the digest of the equivalent OCI manifest). Every
// blob's SHA-256 is checked against its digest, and each uncompressed layer
// against the config's rootfs.diff_ids, before the result becomes visible:
// the tree is built in a temporary folder and renamed into place, so an
// error (thrown as Error naming the source and the blob) leaves nothing in
// the store. An image already in the store is not unpacked again. Beside
// rootfs the store keeps manifest.json and config.json of the image.
std::string importSdkImage(const std::string& source, const std::string& storeRoot);

// OCI's name for an architecture: amd64, arm64.
const char* ociArchName(Arch arch);

}  // namespace twoliter
