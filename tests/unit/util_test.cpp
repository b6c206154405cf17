#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <functional>

#include "support/temp_tree.h"
#include "util/binary_codec.h"
#include "util/child_process.h"
#include "util/digest.h"
#include "util/error.h"
#include "util/files.h"
#include "util/json_writer.h"
#include "util/strings.h"

using namespace twoliter;

TEST_CASE("sha256 matches the standard test vector") {
    CHECK(sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(Sha256().add("ab").add("c").hex() == sha256Hex("abc"));
}

TEST_CASE("length-prefixed fields keep field boundaries") {
    CHECK(Sha256().addField("ab").addField("c").hex() !=
          Sha256().addField("a").addField("bc").hex());
}

TEST_CASE("binary records round-trip and reject truncation") {
    BinaryWriter out;
    out.putVarint(300);
    out.putString("spec");
    out.putStrings({"a", "", "ccc"});
    BinaryReader in(out.bytes());
    CHECK(in.getVarint() == 300);
    CHECK(in.getString() == "spec");
    CHECK(in.getStrings() == std::vector<std::string>{"a", "", "ccc"});
    CHECK(in.atEnd());
    BinaryReader truncated(std::string_view(out.bytes()).substr(0, out.bytes().size() - 1));
    truncated.getVarint();
    truncated.getString();
    CHECK_THROWS_AS(truncated.getStrings(), Error);
}

TEST_CASE("errors describe file, line, key and hint on one line") {
    Error error("unknown key", {"packages/x/Cargo.toml", 7, "package.metadata.build-package.foo"},
                "did you mean 'bar'?");
    CHECK(error.describe() ==
          "packages/x/Cargo.toml:7: package.metadata.build-package.foo: unknown key (hint: did "
          "you mean 'bar'?)");
    CHECK(Error("plain").describe() == "plain");
}

TEST_CASE("closest match suggests typos only") {
    std::vector<std::string> names = {"package-name", "external-files", "source-groups"};
    CHECK(closestMatch("package-nam", names) == "package-name");
    CHECK(closestMatch("sourcegroups", names) == "source-groups");
    CHECK(closestMatch("completely-different", names).empty());
}

TEST_CASE("string helpers") {
    CHECK(splitString("a-b--c", '-') == std::vector<std::string>{"a", "b", "", "c"});
    CHECK(joinStrings({"x", "y"}, ", ") == "x, y");
    CHECK(trimString("  x y \n") == "x y");
    CHECK(lowercase("Bearer ReALM") == "bearer realm");
    CHECK(uniqueSuffix() != uniqueSuffix());
    CHECK(startsWith("bottlerocket-os", "bottlerocket-"));
    CHECK(endsWith("Twoliter.toml", ".toml"));
}

TEST_CASE("json writer escapes and nests") {
    JsonWriter json(false);
    json.beginObject().key("name").value("a\"b\n").key("list").stringArray({"x"});
    json.key("n").value(int64_t{3}).key("ok").value(true).key("empty").beginArray().endArray();
    json.endObject();
    CHECK(json.str() == R"({"name":"a\"b\n","list":["x"],"n":3,"ok":true,"empty":[]})");
}

TEST_CASE("jq's string form differs from the writer's in backspace, form feed and DEL only") {
    std::string text = "q\"s\\\b\f\n\r\t\x01\x7f\xc3\xa9";
    CHECK(jqString(text) == R"("q\"s\\\b\f\n\r\t\u0001\u007f)"
                            "\xc3\xa9\"");
    CHECK(jsonEscape(text) == R"(q\"s\\\u0008\u000c\n\r\t\u0001)"
                              "\x7f\xc3\xa9");
}

TEST_CASE("UTC timestamps to the second") {
    CHECK(utcTimestamp(0) == "1970-01-01T00:00:00Z");
    CHECK(utcTimestamp(1700000000) == "2023-11-14T22:13:20Z");
}

TEST_CASE("atomic writes replace content and leave no temporary file") {
    testing::TempDir dir;
    std::string path = dir.path() + "/nested/state";
    writeFileAtomic(path, "one");
    writeFileAtomic(path, "two");
    CHECK(readFile(path) == "two");
    CHECK(listSubdirectories(dir.path()) == std::vector<std::string>{"nested"});
    CHECK_FALSE(readFileIfExists(dir.path() + "/missing"));
    CHECK_THROWS_AS(readFile(dir.path() + "/missing"), Error);
}

TEST_CASE("reading a folder as a file is an error naming it") {
    testing::TempDir dir;
    try {
        readFile(dir.path());
        FAIL("a folder was read as a file");
    } catch (const Error& e) {
        CHECK(std::string(e.what()) == "cannot read file: Is a directory");
        CHECK(e.location().file == dir.path());
    }
}

TEST_CASE("lock digests: base64 of the raw SHA-256, and back") {
    std::string hex = sha256Hex("abc");
    std::string base64 = base64FromHex(hex);
    CHECK(base64 == "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
    CHECK(hexFromBase64(base64) == hex);
    CHECK(hexFromBase64("not base64!") == "");
}

TEST_CASE("base64 is standard and padded, and decoding refuses anything else") {
    CHECK(base64Encode("") == "");
    CHECK(base64Encode("f") == "Zg==");
    CHECK(base64Encode("fo") == "Zm8=");
    CHECK(base64Encode("foo") == "Zm9v");
    CHECK(base64Encode("\xfb\xff") == "+/8=");
    std::string bytes;
    CHECK(base64Decode("Zm8=", bytes));
    CHECK(bytes == "fo");
    CHECK(base64Decode("+/8=", bytes));
    CHECK(bytes == "\xfb\xff");
    for (const char* bad : {"", "Zm8", "Zm=8", "Z===", " Zm8", "Zm8=\n", "Zm-_"}) {
        INFO(bad);
        CHECK_FALSE(base64Decode(bad, bytes));
    }
}

namespace {

// Runs body in a forked process; its exit status (-1 when it did not exit).
int exitStatusOfForked(const std::function<int()>& body) {
    pid_t pid = ::fork();
    if (pid == 0)
        ::_exit(body());
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST_CASE("a forked child dies with the process that forked it") {
    // A reaper process adopts the grandchild once its parent is gone, so the
    // grandchild's end can be seen: 0 = killed by SIGKILL; 1 = it ran on
    // (its alarm ended it); 2 = something else.
    int outcome = exitStatusOfForked([] {
        ::prctl(PR_SET_CHILD_SUBREAPER, 1);
        int toReaper[2], ready[2];
        if (::pipe(toReaper) != 0 || ::pipe(ready) != 0)
            return 2;
        pid_t parent = ::fork();
        if (parent == 0) {
            pid_t child = forkDyingWithParent();
            if (child == 0) {
                ::alarm(20);
                (void)!::write(ready[1], "r", 1);
                for (;;)
                    ::pause();
            }
            char byte;
            if (::read(ready[0], &byte, 1) == 1)
                (void)!::write(toReaper[1], &child, sizeof child);
            ::_exit(0);  // the child must go with it
        }
        pid_t child = 0;
        if (::read(toReaper[0], &child, sizeof child) != sizeof child)
            return 2;
        int status = 0;
        ::waitpid(parent, &status, 0);
        if (::waitpid(child, &status, 0) != child || !WIFSIGNALED(status))
            return 2;
        return WTERMSIG(status) == SIGKILL ? 0 : 1;
    });
    CHECK(outcome == 0);
}

TEST_CASE("a forked child whose parent is already gone exits at once") {
    int status = exitStatusOfForked([] {
        dieWithParent(::getppid() + 1);  // not its parent: as if the parent had gone
        return 0;
    });
    CHECK(status == 127);
}
