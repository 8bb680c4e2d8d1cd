// SPDX-License-Identifier: Apache-2.0
#include "compiler/diag/diagnostics.h"

#include <algorithm>
#include <cctype>
#include <sstream>

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

std::string line_of(const std::string& text, unsigned line) {
  std::istringstream in(text);
  std::string current;
  for (unsigned n = 1; std::getline(in, current); ++n) {
    if (n == line) return current;
  }
  return {};
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      std::size_t cost = tolower(a[i - 1]) == tolower(b[j - 1]) ? 0 : 1;
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + cost});
      diagonal = above;
    }
  }
  return row[b.size()];
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
  sources_[file] = std::move(text);
}

bool Diagnostics::has_errors() const { return error_count() > 0; }

std::size_t Diagnostics::error_count() const {
  return static_cast<std::size_t>(std::count_if(items_.begin(), items_.end(),
                                                [](const Diagnostic& d) { return d.severity == Severity::Error; }));
}

void Diagnostics::render(std::ostream& out) const {
  for (const auto& d : items_) {
    out << d.where.file;
    if (d.where.line > 0) out << ':' << d.where.line << ':' << d.where.column;
    out << ": " << severity_name(d.severity) << ": " << d.message << '\n';
    auto source = sources_.find(d.where.file);
    if (d.where.line > 0 && source != sources_.end()) {
      std::string text = line_of(source->second, d.where.line);
      std::string number = std::to_string(d.where.line);
      std::string gutter(number.size(), ' ');
      out << ' ' << number << " | " << text << '\n';
      std::string caret;
      // Keep tabs so the caret lines up under the same column in any tab width.
      for (unsigned i = 1; i < d.where.column && i - 1 < text.size(); ++i) {
        caret += text[i - 1] == '\t' ? '\t' : ' ';
      }
      caret += '^';
      if (d.where.length > 1) caret += std::string(d.where.length - 1, '~');
      out << ' ' << gutter << " | " << caret << '\n';
    }
    if (!d.hint.empty()) out << "hint: " << d.hint << '\n';
  }
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
  std::size_t allowed = std::max<std::size_t>(2, word.size() / 3);
  return best_distance > 0 && best_distance <= allowed ? best : std::string();
}

}  // namespace policyc
