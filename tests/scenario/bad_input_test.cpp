// The bad-input corpus: every folder of tests/bad-input holds files laid over
// tests/data/mini-project and an `expected` file whose lines must all appear
// in the error the tool reports.
#include <catch2/catch.hpp>

#include <filesystem>
#include <sstream>

#include "build/planner.h"
#include "support/temp_tree.h"
#include "util/files.h"
#include "util/strings.h"

namespace fs = std::filesystem;
using namespace twoliter;

namespace {

// What `twoliter check` would report for the project at root.
std::string checkProject(const std::string& root) {
    try {
        Project project = loadProject(root);
        PlannerOptions options;
        options.sdkPath = testing::sampleSdk();
        Planner planner(project, options);
        planner.load();
        for (const auto& variant : project.variants)
            planner.resolveVariant(variant.name);
    } catch (const ErrorList& list) {
        std::string all;
        for (const auto& error : list.errors())
            all += error.describe() + "\n";
        return all;
    } catch (const Error& error) {
        return error.describe();
    }
    return "no error";
}

}  // namespace

TEST_CASE("the mini project itself is valid") {
    testing::TempDir dir;
    testing::copyTree(testing::sourceDir() + "/tests/data/mini-project", dir.path());
    CHECK(checkProject(dir.path()) == "no error");
}

TEST_CASE("every bad input gets its one clear error") {
    std::string corpus = testing::sourceDir() + "/tests/bad-input";
    std::vector<std::string> cases = listSubdirectories(corpus);
    REQUIRE(cases.size() >= 15);
    for (const auto& name : cases) {
        DYNAMIC_SECTION(name) {
            testing::TempDir dir;
            testing::copyTree(testing::sourceDir() + "/tests/data/mini-project", dir.path());
            testing::copyTree(corpus + "/" + name, dir.path());
            fs::remove(dir.path() + "/expected");
            std::string reported = checkProject(dir.path());
            INFO("reported: " << reported);
            std::istringstream expected(readFile(corpus + "/" + name + "/expected"));
            for (std::string line; std::getline(expected, line);) {
                if (!trimString(line).empty())
                    CHECK_THAT(reported, Catch::Contains(line));
            }
        }
    }
}
