// SPDX-License-Identifier: Apache-2.0
// Diagnostics: every stage adds to one list instead of stopping at the first problem, so the
// user sees all errors of a policy at once, each as file:line:col with the source line and a
// caret under the spot.
#pragma once

#include <map>
#include <optional>
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

// How many errors and warnings render() prints (0 = all). The rest are counted in one summary
// line, so a policy with thousands of problems cannot flood the terminal. A note belongs to the
// error or warning before it and is shown with it.
struct RenderLimits {
  static constexpr std::size_t kDefault = 20;
  std::size_t max_errors = kDefault;
  std::size_t max_warnings = kDefault;
  bool show_warnings = true;   // false (policyc -q): errors only
  bool show_notes = true;
};

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

  std::size_t warning_count() const;

  // Renders every diagnostic in the order added:
  //   hello.pol:12:9: error: unknown syscall "opnat"
  //      12 |   allow opnat
  //         |         ^~~~~
  //   hint: did you mean "openat"?
  // File names, messages, hints and quoted lines pass through printable() (printable.h).
  void render(std::ostream& out) const { render(out, RenderLimits{0, 0, true, true}); }
  // As above within `limits`, then "N more errors and M more warnings not shown" if any were cut.
  void render(std::ostream& out, const RenderLimits& limits) const;

  // Which diagnostics `limits` shows (same rule as render), for other output formats.
  std::vector<bool> shown(const RenderLimits& limits) const;

  // The source line `line` (1-based) of a registered file; nullopt when unknown.
  std::optional<std::string> source_line(const std::string& file, unsigned line) const;

 private:
  struct Source {
    std::string text;
    std::vector<std::size_t> line_starts;   // offset of each line's first byte
  };
  void render_one(std::ostream& out, const Diagnostic& d) const;

  std::vector<Diagnostic> items_;
  std::map<std::string, Source> sources_;
};

// The closest of `candidates` to `word` by edit distance, or "" when none is close enough to
// be a plausible typo. Used for syscall, constant, capability and keyword suggestions.
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace policyc
