// SPDX-License-Identifier: Apache-2.0
// Diagnostics: every stage adds to one list instead of stopping at the first problem, so the
// user sees all errors of a policy at once, each as file:line:col with the source line and a
// caret under the spot.
#pragma once

#include <map>
#include <ostream>
#include <string>
#include <vector>

namespace policyc {

struct Location {
  std::string file;       // as the user named it (or "<name> (imported)" for generated text)
  unsigned line = 0;      // 1-based; 0 = no position (whole file)
  unsigned column = 0;    // 1-based
  unsigned length = 1;    // how many characters the caret line underlines
  bool operator==(const Location&) const = default;
};

enum class Severity { Error, Warning, Note };

struct Diagnostic {
  Severity severity = Severity::Error;
  Location where;
  std::string message;    // what is wrong: "unknown syscall \"opnat\""
  std::string hint;       // what to do: "did you mean \"openat\"?" (may be empty)
};

class Diagnostics {
 public:
  void error(const Location& where, std::string message, std::string hint = {});
  void warning(const Location& where, std::string message, std::string hint = {});
  void note(const Location& where, std::string message, std::string hint = {});

  // Registers a file's text so rendering can quote the offending line.
  void add_source(const std::string& file, std::string text);

  bool has_errors() const;
  std::size_t error_count() const;
  const std::vector<Diagnostic>& all() const { return items_; }

  // Renders every diagnostic in the order added:
  //   hello.pol:12:9: error: unknown syscall "opnat"
  //      12 |   allow opnat
  //         |         ^~~~~
  //   hint: did you mean "openat"?
  void render(std::ostream& out) const;

 private:
  std::vector<Diagnostic> items_;
  std::map<std::string, std::string> sources_;
};

// The closest of `candidates` to `word` by edit distance, or "" when none is close enough to
// be a plausible typo. Used for syscall, constant, capability and keyword suggestions.
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace policyc
