#include "util/error.h"

namespace twoliter {

Error::Error(std::string message, Location location, std::string hint)
    : std::runtime_error(std::move(message)),
      location_(std::move(location)),
      hint_(std::move(hint)) {}

std::string Error::describe() const {
    std::string text;
    if (!location_.file.empty()) {
        text += location_.file;
        if (location_.line > 0)
            text += ":" + std::to_string(location_.line);
        text += ": ";
    }
    if (!location_.key.empty())
        text += location_.key + ": ";
    text += what();
    if (!hint_.empty())
        text += " (hint: " + hint_ + ")";
    return text;
}

}  // namespace twoliter

namespace twoliter {

ErrorList::ErrorList(std::vector<Error> errors)
    : Error(std::to_string(errors.size()) + " errors"), errors_(std::move(errors)) {}

void throwIfAny(const std::vector<Error>& errors) {
    if (errors.size() == 1)
        throw errors.front();
    if (errors.size() > 1)
        throw ErrorList(errors);
}

}  // namespace twoliter
