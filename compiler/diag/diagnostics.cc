// SPDX-License-Identifier: Apache-2.0
#include "compiler/diag/diagnostics.h"

#include <algorithm>
#include <cctype>
#include <cstdint>

#include "compiler/diag/printable.h"

namespace policyc {
namespace {

const char* severity_name(Severity s) {
  switch (s) {
    case Severity::Error: return "error";
    case Severity::Warning: return "warning";
    case Severity::Note: return "note";
  }
  return "error";
}

std::string plural(std::size_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

// How wide a printed character is on screen: an escape is as wide as its text, a UTF-8
// character one column (wide CJK characters are not measured).
std::size_t screen_width(const std::string& piece) {
  bool utf8_character = !piece.empty() && static_cast<unsigned char>(piece[0]) >= 0x80;
  return utf8_character ? 1 : piece.size();
}

// The caret line under a quoted source line: each character before `column` becomes as much
// blank as it takes on screen (a tab stays a tab, so any tab width lines up), then ^~~ under
// `length` characters.
std::string caret_line(const std::vector<std::string>& printed, unsigned column, unsigned length) {
  std::string caret;
  std::size_t index = 0;
  for (; index + 1 < column && index < printed.size(); ++index) {
    if (printed[index] == "\t") caret += '\t';
    else caret += std::string(screen_width(printed[index]), ' ');
  }
  std::size_t underline = 0;
  for (std::size_t i = 0; i < std::max(length, 1u) && index + i < printed.size(); ++i) {
    underline += screen_width(printed[index + i]);
  }
  caret += '^';
  if (underline > 1) caret += std::string(underline - 1, '~');
  return caret;
}

// Edits between two words, case-insensitive, where swapping two neighbours counts as one
// edit (optimal string alignment): "pdi" is one edit from "pid".
std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  auto same = [](char x, char y) { return tolower(x) == tolower(y); };
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t cost = same(a[i - 1], b[j - 1]) ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && same(a[i - 1], b[j - 2]) && same(a[i - 2], b[j - 1])) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

}  // namespace

void Diagnostics::error(const Location& where, std::string message, std::string hint) {
  items_.push_back({Severity::Error, where, std::move(message), std::move(hint)});
}
void Diagnostics::warning(const Location& where, std::string message, std::string hint) {
  items_.push_back({Severity::Warning, where, std::move(message), std::move(hint)});
}
void Diagnostics::note(const Location& where, std::string message, std::string hint) {
  items_.push_back({Severity::Note, where, std::move(message), std::move(hint)});
}

void Diagnostics::add_source(const std::string& file, std::string text) {
  Source source{std::move(text), {0}};
  for (std::size_t i = 0; i < source.text.size(); ++i) {
    if (source.text[i] == '\n') source.line_starts.push_back(i + 1);
  }
  sources_[file] = std::move(source);
}

std::optional<std::string> Diagnostics::source_line(const std::string& file, unsigned line) const {
  auto it = sources_.find(file);
  if (it == sources_.end() || line == 0 || line > it->second.line_starts.size()) return std::nullopt;
  const Source& source = it->second;
  std::size_t begin = source.line_starts[line - 1];
  std::size_t end = line < source.line_starts.size() ? source.line_starts[line] - 1 : source.text.size();
  if (begin > source.text.size()) return std::nullopt;
  std::string text = source.text.substr(begin, end - begin);
  if (!text.empty() && text.back() == '\r') text.pop_back();
  return text;
}

bool Diagnostics::has_errors() const { return error_count() > 0; }

std::size_t Diagnostics::error_count() const {
  return static_cast<std::size_t>(std::count_if(items_.begin(), items_.end(),
                                                [](const Diagnostic& d) { return d.severity == Severity::Error; }));
}

std::size_t Diagnostics::warning_count() const {
  return static_cast<std::size_t>(std::count_if(items_.begin(), items_.end(),
                                                [](const Diagnostic& d) { return d.severity == Severity::Warning; }));
}

std::vector<bool> Diagnostics::shown(const RenderLimits& limits) const {
  std::vector<bool> show(items_.size(), false);
  std::size_t errors = 0, warnings = 0;
  bool previous_shown = true;   // a note before any error or warning is about the whole run
  for (std::size_t i = 0; i < items_.size(); ++i) {
    const Diagnostic& d = items_[i];
    if (d.severity == Severity::Error) {
      previous_shown = limits.max_errors == 0 || ++errors <= limits.max_errors;
      show[i] = previous_shown;
    } else if (d.severity == Severity::Warning) {
      previous_shown = limits.show_warnings && (limits.max_warnings == 0 || ++warnings <= limits.max_warnings);
      show[i] = previous_shown;
    } else {
      show[i] = previous_shown && limits.show_notes;
    }
  }
  return show;
}

void Diagnostics::render_one(std::ostream& out, const Diagnostic& d) const {
  out << printable(d.where.file);
  if (d.where.line > 0) out << ':' << d.where.line << ':' << d.where.column;
  out << ": " << severity_name(d.severity) << ": " << printable(d.message) << '\n';
  if (d.where.line > 0) {
    if (auto text = source_line(d.where.file, d.where.line)) {
      std::vector<std::string> printed = printable_characters(*text);
      std::string number = std::to_string(d.where.line);
      std::string gutter(number.size(), ' ');
      out << ' ' << number << " | ";
      for (const auto& piece : printed) out << piece;
      out << '\n' << ' ' << gutter << " | " << caret_line(printed, d.where.column, d.where.length) << '\n';
    }
  }
  if (!d.hint.empty()) out << "hint: " << printable(d.hint) << '\n';
}

void Diagnostics::render(std::ostream& out, const RenderLimits& limits) const {
  std::vector<bool> show = shown(limits);
  std::size_t hidden_errors = 0, hidden_warnings = 0;
  for (std::size_t i = 0; i < items_.size(); ++i) {
    if (show[i]) {
      render_one(out, items_[i]);
    } else if (items_[i].severity == Severity::Error) {
      ++hidden_errors;
    } else if (items_[i].severity == Severity::Warning && limits.show_warnings) {
      ++hidden_warnings;
    }
  }
  if (hidden_errors == 0 && hidden_warnings == 0) return;
  out << "policyc: ";
  if (hidden_errors) out << plural(hidden_errors, "more error");
  if (hidden_errors && hidden_warnings) out << " and ";
  if (hidden_warnings) out << plural(hidden_warnings, "more warning");
  out << " not shown (--max-errors N shows N of each, 0 all)\n";
}

std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_distance = SIZE_MAX;
  for (const auto& candidate : candidates) {
    std::size_t d = edit_distance(word, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  // A typo is one or two edits, or a third of a long name; anything further is a different word.
  // A word of three letters or fewer is one edit from its intended form, or another word
  // ("add" is two edits from "pid", "all" from "kill").
  std::size_t allowed = word.size() <= 3 ? 1 : std::max<std::size_t>(2, word.size() / 3);
  return best_distance > 0 && best_distance <= allowed ? best : std::string();
}

}  // namespace policyc
