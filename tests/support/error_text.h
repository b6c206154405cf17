#pragma once

#include <functional>
#include <string>

#include "util/error.h"

namespace twoliter::testing {

// The one-line description of the Error action throws, or "no error".
inline std::string errorText(const std::function<void()>& action) {
    try {
        action();
    } catch (const Error& error) {
        return error.describe();
    }
    return "no error";
}

}  // namespace twoliter::testing
