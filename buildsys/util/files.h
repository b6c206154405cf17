#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "util/error.h"

namespace twoliter {

// Whole-file read. Throws Error naming the path when it cannot be read.
std::string readFile(const std::string& path);
// Like readFile, but nullopt when the file does not exist.
std::optional<std::string> readFileIfExists(const std::string& path);

// "<pid>-<n>", different at every call: the suffix of temporary names, so
// that threads and processes writing the same target never share one.
std::string uniqueSuffix();

// Removes what killed processes left directly in directory: entries named
// "<name>.<tag>-<pid>-<n>[...]" (tag tmp, old, part or layout; the suffix of
// uniqueSuffix()) whose process no longer runs. Entries of live processes
// stay; failures are ignored.
void removeAbandonedTemporaries(const std::string& directory);

// Whether name ends like the temporaries above ("<name>.<tag>-<pid>-<n>[...]").
bool isTemporaryName(const std::string& name);

// Writes to "<path>.tmp-<unique suffix>", fsyncs, then renames over path, so readers see
// either the old or the new content, never a partial file. Creates parent
// directories as needed.
void writeFileAtomic(const std::string& path, const std::string& content);

// A file holding `magic`, then a SHA-256 of the payload, then the payload:
// the framing of the tool's state and cache files. Reading gives nullopt for
// a missing file, another magic, or a payload that fails its checksum.
void writeChecksummedFile(const std::string& path, const std::string& magic,
                          const std::string& payload);
std::optional<std::string> readChecksummedFile(const std::string& path, const std::string& magic);

// The Error for a failed std::filesystem operation, naming its first path:
// "no space left on device" (with a hint) when the file system is full,
// else the operation and the reason, e.g. "cannot copy file: Permission
// denied (to <path2>)".
Error fileSystemError(const std::filesystem::filesystem_error& error);

// Whether the file system holding path has less than a mebibyte left: what
// a tool that failed writing there (in a sandbox, where only its log shows
// why) most likely ran into.
bool fileSystemFull(const std::string& path);

bool pathExists(const std::string& path);
// Sets the modification time to now (for least-recently-used pruning);
// failures are ignored.
void touchPath(const std::string& path);
bool isDirectory(const std::string& path);
bool isRegularFile(const std::string& path);

// Names (not paths) of the directories directly under dir, sorted; empty when
// dir does not exist.
std::vector<std::string> listSubdirectories(const std::string& dir);

// Lexically normal absolute form of path, resolved against base when relative.
std::string absolutePath(const std::string& path, const std::string& base);
// Path of target relative to base, for messages ("packages/x/Cargo.toml").
std::string relativePath(const std::string& target, const std::string& base);

}  // namespace twoliter
