#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace twoliter {

// Where a problem is: a file, a 1-based line (0 when unknown) and the key or
// name concerned (empty when none).
struct Location {
    std::string file;
    int line = 0;
    std::string key;
};

// The one error type for everything a user can get wrong or a tool can fail
// at. what() is the bare message; describe() is the one-line form the CLI
// prints: "file:line: key: message (hint: ...)".
class Error : public std::runtime_error {
  public:
    explicit Error(std::string message, Location location = {}, std::string hint = {});

    const Location& location() const { return location_; }
    const std::string& hint() const { return hint_; }
    std::string describe() const;

  private:
    Location location_;
    std::string hint_;
};

}  // namespace twoliter

namespace twoliter {

// Several independent errors of one phase, reported together before the run
// stops (a user fixes them all at once instead of one per run).
class ErrorList : public Error {
  public:
    explicit ErrorList(std::vector<Error> errors);
    const std::vector<Error>& errors() const { return errors_; }

  private:
    std::vector<Error> errors_;
};

// Throws errors.front() when there is one, an ErrorList when there are more.
void throwIfAny(const std::vector<Error>& errors);

}  // namespace twoliter
