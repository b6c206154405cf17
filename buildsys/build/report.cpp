#include "build/report.h"

#include <set>
#include <sstream>

#include "util/json_writer.h"
#include "util/strings.h"

namespace twoliter {

namespace {

std::string packageName(const Planner& planner, size_t index) {
    return planner.project().packages[index].packageName;
}

std::vector<std::string> names(const Planner& planner, const std::vector<size_t>& indices) {
    std::vector<std::string> result;
    for (size_t index : indices)
        result.push_back(packageName(planner, index));
    return result;
}

std::vector<size_t> planPackages(const BuildPlan& plan) {
    std::vector<size_t> all;
    for (const auto& level : plan.levels)
        all.insert(all.end(), level.begin(), level.end());
    return all;
}

std::vector<std::string> rpmNames(const PackageSpec& spec) {
    std::vector<std::string> rpms;
    for (const BinaryPackage* binary : spec.builtBinaries())
        rpms.push_back(binary->name);
    return rpms;
}

}  // namespace

std::string formatPlanText(const Planner& planner, const BuildPlan& plan) {
    std::ostringstream out;
    out << "Plan for " << plan.kind << " " << plan.target << " (" << archName(planner.arch())
        << "): " << plan.packageCount() << " packages in " << plan.levels.size() << " levels\n";
    for (size_t level = 0; level < plan.levels.size(); ++level) {
        out << "  level " << level << ": " << joinStrings(names(planner, plan.levels[level]), " ")
            << "\n";
    }
    if (!plan.criticalPath.empty()) {
        out << "Critical path (" << plan.criticalPath.size()
            << "): " << joinStrings(names(planner, plan.criticalPath), " -> ") << "\n";
    }
    if (!plan.imagePackages.empty()) {
        std::vector<std::string> image;
        for (const auto& package : plan.imagePackages) {
            image.push_back(package.name + (package.origin == PackageOrigin::Kit
                                                ? " [" + package.repository + "]"
                                                : ""));
        }
        out << "Image packages (" << image.size() << "): " << joinStrings(image, " ") << "\n";
    }
    return out.str();
}

namespace {

void writePackage(JsonWriter& json, const Planner& planner, size_t index) {
    const PackageSpec& spec = planner.specs()[index];
    const PackageManifest& manifest = planner.project().packages[index];
    json.beginObject();
    json.key("name").value(manifest.packageName);
    json.key("directory").value(planner.project().display(manifest.directory));
    json.key("version").value(spec.version);
    json.key("release").value(spec.release);
    json.key("rpms").stringArray(rpmNames(spec));
    std::vector<std::string> buildRequires;
    for (const auto& dependency : spec.buildRequires)
        buildRequires.push_back(dependency.text());
    json.key("build-requires").stringArray(buildRequires);
    json.key("depends-on").stringArray(names(planner, planner.packages()[index].buildDependencies));
    std::vector<std::string> root;
    for (const auto& package : planner.packages()[index].buildRoot)
        root.push_back(package.name);
    json.key("build-root").stringArray(root);
    json.endObject();
}

}  // namespace

std::string formatPlanJson(const Planner& planner, const BuildPlan& plan) {
    JsonWriter json;
    json.beginObject();
    json.key("kind").value(plan.kind);
    json.key("target").value(plan.target);
    json.key("arch").value(archName(planner.arch()));
    json.key("levels").beginArray();
    for (const auto& level : plan.levels)
        json.stringArray(names(planner, level));
    json.endArray();
    json.key("critical-path").stringArray(names(planner, plan.criticalPath));
    json.key("image-packages").beginArray();
    for (const auto& package : plan.imagePackages) {
        json.beginObject();
        json.key("name").value(package.name);
        json.key("evr").value(package.evr);
        json.key("arch").value(package.arch);
        json.key("repository").value(package.repository);
        json.endObject();
    }
    json.endArray();
    json.endObject();
    return json.str() + "\n";
}

std::string formatGraph(const Planner& planner, const BuildPlan& plan, GraphFormat format) {
    std::vector<size_t> members = planPackages(plan);
    std::set<size_t> inPlan(members.begin(), members.end());
    std::ostringstream out;
    if (format == GraphFormat::Json) {
        JsonWriter json;
        json.beginObject();
        json.key("arch").value(archName(planner.arch()));
        json.key("packages").beginArray();
        for (size_t index : members)
            writePackage(json, planner, index);
        json.endArray();
        json.key("levels").beginArray();
        for (const auto& level : plan.levels)
            json.stringArray(names(planner, level));
        json.endArray();
        json.key("critical-path").stringArray(names(planner, plan.criticalPath));
        json.endObject();
        return json.str() + "\n";
    }
    if (format == GraphFormat::Dot) {
        out << "digraph packages {\n  rankdir=LR;\n  node [shape=box];\n";
        for (size_t index : members)
            out << "  \"" << packageName(planner, index) << "\";\n";
        for (size_t index : members) {
            for (size_t dependency : planner.packages()[index].buildDependencies) {
                if (!inPlan.count(dependency))
                    continue;
                out << "  \"" << packageName(planner, index) << "\" -> \""
                    << packageName(planner, dependency) << "\";\n";
            }
        }
        out << "}\n";
        return out.str();
    }
    for (size_t level = 0; level < plan.levels.size(); ++level) {
        for (size_t index : plan.levels[level]) {
            const auto& dependencies = planner.packages()[index].buildDependencies;
            out << packageName(planner, index) << " [level " << level << "]";
            out << " rpms: " << joinStrings(rpmNames(planner.specs()[index]), " ");
            if (!dependencies.empty()) {
                out << "\n  needs: " << joinStrings(names(planner, dependencies), " ");
            }
            out << "\n";
        }
    }
    return out.str();
}

std::string formatExplanation(const std::vector<DependencyStep>& path) {
    std::ostringstream out;
    for (size_t i = 0; i < path.size(); ++i) {
        out << std::string(2 * i, ' ') << path[i].from << " -> " << path[i].to << "  ("
            << path[i].dependency << ")\n";
    }
    return out.str();
}

std::vector<std::string> describeDisagreements(const Planner& planner) {
    std::vector<std::string> lines;
    const Project& project = planner.project();
    for (const auto& disagreement : planner.disagreements()) {
        const PackageManifest& package = project.packages[disagreement.package];
        const std::string& other = project.packages[disagreement.other].packageName;
        std::string manifest = project.display(package.manifestPath);
        if (disagreement.missingFromCargo) {
            lines.push_back(manifest + ": build-dependencies: BuildRequires of " +
                            package.packageName + " need " + other +
                            ", which Cargo.toml does not declare");
        } else {
            lines.push_back(manifest + ": build-dependencies: declares " + other +
                            ", which no BuildRequires of " + package.packageName + " needs");
        }
    }
    return lines;
}

}  // namespace twoliter
