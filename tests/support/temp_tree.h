#pragma once

#include <string>

namespace twoliter::testing {

// A fresh directory under $TMPDIR, removed with everything in it on
// destruction.
class TempDir {
  public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

// Copies the tree at from into to (created), skipping folders named "build".
void copyTree(const std::string& from, const std::string& to);
// Writes content to root/relative, creating folders.
void writeTreeFile(const std::string& root, const std::string& relative,
                   const std::string& content);

// The sample project of this repository copied into dir (project files only).
void copySampleProject(const std::string& dir);
std::string sourceDir();
std::string sampleSdk();

}  // namespace twoliter::testing
