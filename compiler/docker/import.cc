// SPDX-License-Identifier: Apache-2.0
// The importer: JSON -> checked Profile (profile.cc) -> resolved for one container
// (resolve.cc) -> .pol text (here). The text is what a person would write: one statement per
// line, allow-lists wrapped at ~100 columns, each JSON comment above its rule.
#include "compiler/docker/import.h"

#include <sstream>

#include "compiler/diag/printable.h"
#include "compiler/docker/errno_names.h"
#include "compiler/docker/pol_text.h"
#include "compiler/docker/profile.h"
#include "compiler/docker/resolve.h"

namespace policyc::docker {
namespace {

constexpr std::size_t kWrapColumn = 100;

// Comment text comes from the JSON: each line is escaped (printable.h), so a \r or another
// control character cannot end the comment early and turn the rest of it into policy text
// (`"comment": "x\rallow ptrace"` would otherwise add a rule), nor reach a terminal raw.
void comment_lines(std::ostringstream& out, const std::string& text, const std::string& indent) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) out << indent << "# " << printable(line) << "\n";
}

// One statement per output line: a long allow-list becomes several `allow ...` lines, which
// mean the same and stay readable and diffable.
void name_statements(std::ostringstream& out, const std::string& head, const std::vector<std::string>& names) {
  std::string line = "  " + head;
  std::size_t on_line = 0;
  for (const auto& name : names) {
    if (on_line > 0 && line.size() + 1 + name.size() > kWrapColumn) {
      out << line << "\n";
      line = "  " + head;
      on_line = 0;
    }
    line += " " + name;
    ++on_line;
  }
  out << line << "\n";
}

void render_rule(std::ostringstream& out, const ResolvedRule& rule, bool& last_was_block) {
  bool block = !rule.comment.empty() || !rule.why.empty() || rule.conditions.empty();
  if (block || last_was_block) out << "\n";
  if (!rule.why.empty()) comment_lines(out, rule.path + ": " + rule.why, "  ");
  if (!rule.comment.empty()) comment_lines(out, rule.comment, "  ");
  std::string head = pol_action(rule.action);
  if (rule.conditions.empty()) {
    name_statements(out, head, rule.names);
  } else {
    std::string line = "  " + head;
    for (const auto& name : rule.names) line += " " + name;
    out << line << " if " << pol_conjunction(rule.conditions) << "\n";
  }
  last_was_block = block;
}

std::string render(const ResolvedProfile& profile, const std::string& file_name) {
  std::ostringstream out;
  out << "# Imported from " << file_name << " by `policyc import-docker`.\n";
  out << "# Resolved for arch " << profile.arch << ", kernel " << profile.kernel << ", capabilities:\n";
  std::string caps;
  for (const auto& cap : profile.caps) caps += (caps.empty() ? "" : " ") + cap;
  out << "#   " << (caps.empty() ? "(none)" : caps) << "\n";
  for (const auto& remark : profile.remarks) comment_lines(out, remark, "");
  out << "seccomp default " << pol_action(profile.default_action) << " {\n";
  if (!profile.arches.empty()) {
    out << "  arch";
    for (const auto& arch : profile.arches) out << " " << arch;
    out << "\n";
  }
  bool last_was_block = false;
  for (const auto& rule : profile.rules) render_rule(out, rule, last_was_block);
  out << "}\n";
  return out.str();
}

}  // namespace

std::optional<std::string> import_to_pol(const std::string& json_text, const std::string& file_name,
                                         const ImportOptions& options, Diagnostics& diags) {
  auto profile = parse_profile(json_text, file_name, diags);
  if (!profile) return std::nullopt;
  auto resolved = resolve_profile(*profile, file_name, options, diags);
  if (!resolved) return std::nullopt;
  return render(*resolved, file_name);
}

}  // namespace policyc::docker
