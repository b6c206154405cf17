#pragma once

#include <string>
#include <vector>

#include "build/planner.h"

namespace twoliter {

// Renderings of what the planner derived. Pure functions of their inputs.

std::string formatPlanText(const Planner& planner, const BuildPlan& plan);
std::string formatPlanJson(const Planner& planner, const BuildPlan& plan);

enum class GraphFormat { Text, Json, Dot };
// The package graph restricted to plan's packages.
std::string formatGraph(const Planner& planner, const BuildPlan& plan, GraphFormat format);

std::string formatExplanation(const std::vector<DependencyStep>& path);

// One line per Cargo/spec disagreement.
std::vector<std::string> describeDisagreements(const Planner& planner);

}  // namespace twoliter
