#include "spec/sdk.h"

#include <sstream>

#include "util/error.h"
#include "util/files.h"
#include "util/strings.h"

namespace twoliter {

std::vector<std::string> Sdk::macroFiles(Arch arch) const {
    if (isRegularFile(path))
        return {path};
    std::string platform =
        path + "/usr/lib/rpm/platform/" + archName(arch) + "-bottlerocket/macros";
    if (isRegularFile(platform))
        return {platform};
    for (const std::string& folder : {path + "/macros", path}) {
        if (!isRegularFile(folder + "/" + archName(arch)))
            continue;
        std::vector<std::string> files;
        for (const std::string name : {archName(arch), "shared", "rust", "cargo"}) {
            if (isRegularFile(folder + "/" + name))
                files.push_back(folder + "/" + name);
        }
        return files;
    }
    throw Error(std::string("no RPM macros for ") + archName(arch) + " in the SDK at " + path, {},
                "an SDK has usr/lib/rpm/platform/<arch>-bottlerocket/macros or macros/<arch>");
}

std::vector<std::string> Sdk::provides() const {
    std::vector<std::string> capabilities;
    for (const std::string& file :
         {path + "/usr/share/twoliter/sdk-provides", path + "/provides"}) {
        auto content = readFileIfExists(file);
        if (!content || !isRegularFile(file))
            continue;
        std::istringstream lines(*content);
        for (std::string line; std::getline(lines, line);) {
            line = trimString(line.substr(0, line.find('#')));
            if (!line.empty())
                capabilities.push_back(line);
        }
        break;
    }
    return capabilities;
}

}  // namespace twoliter
