#include "repo/repo_signing.h"

#include <cstdio>
#include <filesystem>
#include <map>

#include "repo/gpg_home.h"
#include "repo/tool_process.h"
#include "util/error.h"
#include "util/files.h"
#include "util/strings.h"

namespace fs = std::filesystem;

namespace twoliter {

namespace {

// rpmsign and rpmkeys get this many files per run (well under ARG_MAX).
constexpr size_t kFilesPerRun = 256;

std::vector<std::vector<std::string>> batchesOf(const std::vector<std::string>& files) {
    std::vector<std::vector<std::string>> batches;
    for (size_t start = 0; start < files.size(); start += kFilesPerRun)
        batches.emplace_back(files.begin() + start,
                             files.begin() + std::min(files.size(), start + kFilesPerRun));
    return batches;
}

// Debian's %__gpg names /usr/bin/gpg2, which does not exist there; rpm
// executes the program without a PATH lookup, so it gets an absolute path.
ToolResult runRpmsign(const GpgHome& home, const ImportedKey& key,
                      const std::vector<std::string>& files, int64_t signatureTime) {
    std::vector<std::string> argv = {
        "rpmsign",
        "--addsign",
        "--define",
        "__gpg " + findProgram("gpg", "/usr/bin/gpg"),
        "--define",
        "_gpg_path " + home.path(),
        "--define",
        "_gpg_name " + key.fingerprint,
        "--define",
        "_gpg_sign_cmd_extra_args --batch --pinentry-mode loopback --passphrase '' " +
            GpgHome::signatureTimeOptions(signatureTime, key)};
    argv.insert(argv.end(), files.begin(), files.end());
    return runTool(argv, {"GNUPGHOME=" + home.path()});
}

// Signs the copies; on a failing run, each file of it alone, so the errors
// name the RPMs that cannot be signed.
void signCopies(const GpgHome& home, const ImportedKey& key, const std::vector<std::string>& copies,
                const std::map<std::string, std::string>& originals, int64_t signatureTime) {
    std::vector<Error> errors;
    for (const auto& batch : batchesOf(copies)) {
        if (runRpmsign(home, key, batch, signatureTime).succeeded())
            continue;
        for (const auto& copy : batch) {
            ToolResult alone = runRpmsign(home, key, {copy}, signatureTime);
            if (!alone.succeeded())
                errors.emplace_back("cannot sign RPM: rpmsign " + alone.describe(),
                                    Location{originals.at(copy)});
        }
    }
    throwIfAny(errors);
}

// rpmkeys -K's verdict per file: "<file>: digests signatures OK". For a
// file it cannot read it prints "<file>:" and no line end, so the next
// file's line is glued on; files without a clean verdict are asked about
// again one by one, and get their error output as verdict.
std::map<std::string, std::string> rpmkeysVerdicts(const ScratchFolder& keyring,
                                                   const std::vector<std::string>& files) {
    auto ask = [&](const std::vector<std::string>& batch) {
        std::vector<std::string> argv = {"rpmkeys",  "--root", keyring.path(),
                                         "--dbpath", "/rpmdb", "-K"};
        argv.insert(argv.end(), batch.begin(), batch.end());
        return runTool(argv);
    };
    std::map<std::string, std::string> verdicts;
    for (const auto& line : splitString(ask(files).output, '\n')) {
        size_t colon = line.rfind(": ");
        if (colon != std::string::npos)
            verdicts[line.substr(0, colon)] = line.substr(colon + 2);
    }
    for (const auto& file : files) {
        if (verdicts.count(file))
            continue;
        ToolResult alone = ask({file});
        std::string prefix = file + ": ";
        std::string output = trimString(alone.output);
        verdicts[file] = startsWith(output, prefix) ? output.substr(prefix.size())
                                                    : "unreadable: " + alone.describe();
    }
    return verdicts;
}

std::string verdictProblem(const std::string& verdict, const std::string& publicKeyFile) {
    if (verdict == "digests signatures OK")
        return "";
    if (verdict == "digests OK")
        return "RPM is not signed";
    if (startsWith(verdict, "unreadable: "))
        return "cannot check the RPM's signature: " + verdict.substr(12);
    return "RPM signature does not verify with the key in " + publicKeyFile + " (" + verdict + ")";
}

}  // namespace

PublicKey publicKeyOf(const std::string& secretKeyFile) {
    GpgHome home;
    ImportedKey key = home.importKeyFile(secretKeyFile, true);
    return {key.fingerprint, home.exportPublicKey(key, secretKeyFile)};
}

void signRepomdFile(const std::string& repomdPath, const std::string& secretKeyFile,
                    int64_t signatureTime) {
    if (!isRegularFile(repomdPath))
        throw Error("no repository metadata to sign", {repomdPath},
                    "write the repository's metadata first");
    std::string metadata = readFile(repomdPath);
    GpgHome home;
    ImportedKey key = home.importKeyFile(secretKeyFile, true);
    home.setSignatureTime(signatureTime, key);
    writeFileAtomic(repomdPath + ".asc", home.signDetached(metadata, key, secretKeyFile));
}

void signRepositoryMetadata(const std::string& directory, const std::string& secretKeyFile,
                            int64_t signatureTime) {
    signRepomdFile(directory + "/repodata/repomd.xml", secretKeyFile, signatureTime);
}

void signRpms(const std::vector<std::string>& rpmFiles, const std::string& secretKeyFile,
              int64_t signatureTime) {
    if (rpmFiles.empty())
        return;
    GpgHome home;
    ImportedKey key = home.importKeyFile(secretKeyFile, true);
    std::vector<std::string> copies;
    std::map<std::string, std::string> originals;
    try {
        for (const auto& file : rpmFiles) {
            // The copy's name does not end in .rpm, so a repository listing
            // never picks up one left by a crash.
            std::string copy = file + ".signing-" + uniqueSuffix();
            std::error_code error;
            fs::copy_file(file, copy, error);
            if (error)
                throw Error("cannot copy RPM for signing: " + error.message(), {file});
            copies.push_back(copy);
            originals[copy] = file;
        }
        signCopies(home, key, copies, originals, signatureTime);
        for (size_t i = 0; i < copies.size(); ++i) {
            if (std::rename(copies[i].c_str(), rpmFiles[i].c_str()) != 0)
                throw Error("cannot replace RPM with its signed copy", {rpmFiles[i]});
        }
    } catch (...) {
        std::error_code ignored;
        for (const auto& copy : copies)
            fs::remove(copy, ignored);
        throw;
    }
}

void checkRpmSignatures(const std::vector<std::string>& rpmFiles,
                        const std::string& publicKeyFile) {
    if (rpmFiles.empty())
        return;
    if (!isRegularFile(publicKeyFile))
        throw Error("cannot read the public key file", {publicKeyFile});
    ScratchFolder keyring("rpmkeys");
    ToolResult imported = runTool({"rpmkeys", "--root", keyring.path(), "--dbpath", "/rpmdb",
                                   "--import", fs::absolute(publicKeyFile).string()});
    if (!imported.succeeded())
        throw Error("rpmkeys cannot import this key: " + imported.describe(), {publicKeyFile});
    std::vector<std::string> absolute;
    std::map<std::string, std::string> given;  // rpmkeys sees absolute paths
    for (const auto& file : rpmFiles) {
        absolute.push_back(fs::absolute(file).lexically_normal().string());
        given[absolute.back()] = file;
    }
    std::vector<Error> errors;
    for (const auto& batch : batchesOf(absolute)) {
        auto verdicts = rpmkeysVerdicts(keyring, batch);
        for (const auto& file : batch) {
            std::string problem = verdictProblem(verdicts[file], publicKeyFile);
            if (!problem.empty())
                errors.emplace_back(problem, Location{given[file]});
        }
    }
    throwIfAny(errors);
}

}  // namespace twoliter
