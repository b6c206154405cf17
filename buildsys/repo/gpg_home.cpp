#include "repo/gpg_home.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include <gpgme.h>
#include <strings.h>

#include <mutex>

#include "repo/tool_process.h"
#include "util/error.h"
#include "util/files.h"

namespace twoliter {

namespace {

void initializeGpgme() {
    static std::once_flag once;
    std::call_once(once, [] {
        gpgme_check_version(nullptr);
        gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP);
    });
}

std::string gpgText(gpgme_error_t error) {
    return gpgme_strerror(error);
}

// A gpgme data object freed with its owner.
struct Data {
    gpgme_data_t data = nullptr;
    Data() { gpgme_data_new(&data); }
    explicit Data(const std::string& bytes) {
        gpgme_data_new_from_mem(&data, bytes.data(), bytes.size(), 1);
    }
    ~Data() { gpgme_data_release(data); }
    std::string release() {
        size_t length = 0;
        char* bytes = gpgme_data_release_and_get_mem(data, &length);
        data = nullptr;
        std::string text(bytes ? bytes : "", bytes ? length : 0);
        gpgme_free(bytes);
        return text;
    }
};

}  // namespace

bool ImportedKey::owns(const std::string& signerFingerprint) const {
    for (const auto& subkey : subkeyFingerprints)
        if (strcasecmp(subkey.c_str(), signerFingerprint.c_str()) == 0)
            return true;
    return false;
}

namespace {

// Whether a running process has text in its command line (gpg-agent and
// friends carry their --homedir there).
bool processMentions(const std::string& text) {
    std::error_code error;
    for (std::filesystem::directory_iterator it("/proc", error), end; !error && it != end;
         it.increment(error)) {
        std::string name = it->path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos)
            continue;
        std::ifstream in(it->path() / "cmdline", std::ios::binary);
        std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (cmdline.find(text) != std::string::npos)
            return true;
    }
    return false;
}

}  // namespace

struct GpgHome::Context {
    gpgme_ctx_t ctx = nullptr;
    ~Context() { gpgme_release(ctx); }
};

GpgHome::GpgHome() : folder_("gnupg"), context_(std::make_unique<Context>()) {
    initializeGpgme();
    gpgme_error_t error = gpgme_new(&context_->ctx);
    if (!error)
        error = gpgme_ctx_set_engine_info(context_->ctx, GPGME_PROTOCOL_OpenPGP, nullptr,
                                          path().c_str());
    if (error)
        throw Error("cannot use GnuPG: " + gpgText(error), {path()});
    gpgme_set_armor(context_->ctx, 1);
    gpgme_set_pinentry_mode(context_->ctx, GPGME_PINENTRY_MODE_LOOPBACK);
    // Keys have no passphrase: a question for one is answered "no" at once
    // (gpg would otherwise ask up to three times).
    gpgme_set_passphrase_cb(
        context_->ctx,
        [](void*, const char*, const char*, int, int) -> gpgme_error_t {
            return gpgme_error(GPG_ERR_CANCELED);
        },
        nullptr);
}

GpgHome::~GpgHome() {
    context_.reset();
    try {
        runTool({"gpgconf", "--homedir", path(), "--kill", "all"});
    } catch (const Error&) {
        return;  // no gpgconf, hence no agent was started by it either
    }
    // gpgconf returns once the daemons were told to stop, not once they
    // have: wait (briefly) until no process names this home any more.
    for (int waited = 0; waited < 300 && processMentions(path()); ++waited)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

ImportedKey GpgHome::importKeyFile(const std::string& keyFile, bool needSecret) {
    Data key(readFile(keyFile));
    gpgme_ctx_t ctx = context_->ctx;
    gpgme_error_t error = gpgme_op_import(ctx, key.data);
    gpgme_import_result_t result = error ? nullptr : gpgme_op_import_result(ctx);
    if (!result)
        throw Error("cannot import OpenPGP key: " + gpgText(error), {keyFile});
    ImportedKey imported;
    size_t keys = 0;
    for (gpgme_import_status_t status = result->imports; status; status = status->next) {
        if (status->result || !status->fpr || imported.fingerprint == status->fpr)
            continue;
        imported.fingerprint = status->fpr;
        ++keys;
    }
    if (keys != 1)
        throw Error(keys == 0 ? "holds no OpenPGP key"
                              : "holds " + std::to_string(keys) + " OpenPGP keys, not one",
                    {keyFile});
    gpgme_key_t found = nullptr;
    error = gpgme_get_key(ctx, imported.fingerprint.c_str(), &found, needSecret ? 1 : 0);
    if (error || !found)
        throw Error(needSecret ? "holds no secret key (an exported public key?)"
                               : "cannot read the imported key: " + gpgText(error),
                    {keyFile});
    for (gpgme_subkey_t subkey = found->subkeys; subkey; subkey = subkey->next) {
        if (subkey->fpr)
            imported.subkeyFingerprints.push_back(subkey->fpr);
        imported.created = std::max<int64_t>(imported.created, subkey->timestamp);
    }
    gpgme_key_unref(found);
    return imported;
}

std::string GpgHome::signDetached(const std::string& data, const ImportedKey& key,
                                  const std::string& keyFile) {
    gpgme_ctx_t ctx = context_->ctx;
    gpgme_key_t signer = nullptr;
    gpgme_error_t error = gpgme_get_key(ctx, key.fingerprint.c_str(), &signer, 1);
    if (error)
        throw Error("cannot find the secret key: " + gpgText(error), {keyFile});
    gpgme_signers_clear(ctx);
    error = gpgme_signers_add(ctx, signer);
    gpgme_key_unref(signer);
    Data plain(data), signature;
    if (!error)
        error = gpgme_op_sign(ctx, plain.data, signature.data, GPGME_SIG_MODE_DETACH);
    gpgme_signers_clear(ctx);
    if (error)
        throw Error("cannot sign with this key: " + gpgText(error), {keyFile},
                    "the key must be an OpenPGP signing key without passphrase");
    return signature.release();
}

std::string GpgHome::signatureTimeOptions(int64_t time, const ImportedKey& key) {
    if (time <= 0)
        return "";
    return "--faked-system-time " + std::to_string(std::max(time, key.created)) + "!";
}

void GpgHome::setSignatureTime(int64_t time, const ImportedKey& key) {
    // gpg reads gpg.conf each time gpgme starts it; the option takes the
    // form of the command line option without its dashes.
    std::string options = signatureTimeOptions(time, key);
    writeFileAtomic(path() + "/gpg.conf", options.empty() ? "" : options.substr(2) + "\n");
}

SignatureCheck GpgHome::verifyDetached(const std::string& data, const std::string& signature,
                                       const ImportedKey& expected) {
    gpgme_ctx_t ctx = context_->ctx;
    Data signed_(data), sig(signature);
    gpgme_error_t error = gpgme_op_verify(ctx, sig.data, signed_.data, nullptr);
    gpgme_verify_result_t result = error ? nullptr : gpgme_op_verify_result(ctx);
    SignatureCheck check;
    if (!result || !result->signatures) {
        check.outcome = SignatureCheck::Outcome::NotASignature;
        check.detail = error ? gpgText(error) : "no signature found";
        return check;
    }
    // A file with several signatures must not pass on the strength of one
    // good one next to a bad one: the first that is not good decides.
    for (gpgme_signature_t one = result->signatures; one; one = one->next) {
        check.signer = one->fpr ? one->fpr : "";
        check.detail = gpgText(one->status);
        switch (gpgme_err_code(one->status)) {
            case GPG_ERR_NO_ERROR:
                check.outcome = expected.owns(check.signer) ? SignatureCheck::Outcome::Good
                                                            : SignatureCheck::Outcome::OtherKey;
                if (check.outcome != SignatureCheck::Outcome::Good)
                    return check;
                continue;
            case GPG_ERR_BAD_SIGNATURE:
                check.outcome = SignatureCheck::Outcome::BadSignature;
                return check;
            case GPG_ERR_NO_PUBKEY:  // only the expected key is in this home
                check.outcome = SignatureCheck::Outcome::OtherKey;
                return check;
            default:
                check.outcome = SignatureCheck::Outcome::Invalid;
                return check;
        }
    }
    return check;
}

std::string GpgHome::exportPublicKey(const ImportedKey& key, const std::string& keyFile) {
    Data exported;
    gpgme_error_t error = gpgme_op_export(context_->ctx, key.fingerprint.c_str(), 0, exported.data);
    std::string text = exported.release();
    if (error || text.empty())
        throw Error("cannot export the public key " + key.fingerprint + ": " + gpgText(error),
                    {keyFile});
    return text;
}

}  // namespace twoliter
