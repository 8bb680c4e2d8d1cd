// SPDX-License-Identifier: Apache-2.0
#include "compiler/lint/lint.h"

#include <algorithm>
#include <optional>
#include <tuple>

#include "compiler/lint/lint_internal.h"

namespace policyc::lint {

Location location_of(const seccomp::SourceRef& ref) { return {ref.file, ref.line, ref.column, 1}; }

bool lets_through(const seccomp::Action& action) {
  return action.kind == seccomp::ActionKind::Allow || action.kind == seccomp::ActionKind::Log;
}

std::vector<const seccomp::AbiRule*> rules_of(const std::vector<seccomp::AbiRule>& all, std::uint32_t nr) {
  std::vector<const seccomp::AbiRule*> out;
  for (const auto& rule : all) {
    if (rule.nr == nr) out.push_back(&rule);
  }
  return out;
}

bool rule_holds(const seccomp::AbiRule& rule, const std::array<std::uint64_t, 6>& args) {
  return std::all_of(rule.conditions.begin(), rule.conditions.end(),
                     [&](const seccomp::ArgCondition& c) { return seccomp::condition_holds(c, args); });
}

const seccomp::AbiRule* deciding_rule(const std::vector<const seccomp::AbiRule*>& rules,
                                      const std::array<std::uint64_t, 6>& args) {
  for (const seccomp::AbiRule* rule : rules) {
    if (rule_holds(*rule, args)) return rule;
  }
  return nullptr;
}

namespace {

std::optional<std::tuple<unsigned, unsigned, std::uint64_t>> pin_of(const seccomp::AbiRule& rule) {
  for (const seccomp::ArgCondition& c : rule.conditions) {
    if (c.op == seccomp::CmpOp::Eq && !seccomp::is_masked(c)) return std::tuple(c.arg, c.width, c.value & seccomp::width_bits(c));
  }
  return std::nullopt;
}

}  // namespace

RuleIndex::RuleIndex(const std::vector<const seccomp::AbiRule*>& rules) : rules_(rules) {
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    if (auto pin = pin_of(*rules_[i])) {
      pinned_[*pin].push_back(i);
      pinned_args_.insert(std::get<0>(*pin));
    } else {
      unpinned_.push_back(i);
    }
  }
}

void RuleIndex::candidates(const std::array<std::uint64_t, 6>& args, std::vector<std::size_t>& out) const {
  out = unpinned_;
  const std::size_t unpinned = out.size();
  for (unsigned arg : pinned_args_) {
    for (unsigned width : {32U, 64U}) {
      const std::uint64_t value = width == 32 ? args[arg] & 0xffffffffU : args[arg];
      auto it = pinned_.find({arg, width, value});
      if (it != pinned_.end()) out.insert(out.end(), it->second.begin(), it->second.end());
    }
  }
  if (out.size() == unpinned) return;
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());  // a rule is filed under one pin only
}

const seccomp::AbiRule* RuleIndex::deciding(const std::array<std::uint64_t, 6>& args, std::size_t& tests) const {
  std::vector<std::size_t> positions;
  candidates(args, positions);
  for (std::size_t i : positions) {
    ++tests;
    if (rule_holds(*rules_[i], args)) return rules_[i];
  }
  return nullptr;
}

// An arch beyond x86_64 adds a second syscall table (other numbers, i386's socketcall/ipc
// multiplexers whose arguments the filter cannot see) that few programs need. A `# comment`
// on the arch line, after the list, is the reason the author gives: then it is not reported.
void lint_arches(const ast::Seccomp& block, Diagnostics& diags) {
  for (const ast::Word& arch : block.arches) {
    if (arch.text != "x86" && arch.text != "x32") continue;
    const bool explained = std::any_of(block.arch_comments.begin(), block.arch_comments.end(),
                                       [&](const ast::Word& c) { return c.where.line == arch.where.line; });
    if (explained) continue;
    if (arch.text == "x86") {
      diags.warning(arch.where,
                    "arch x86 lets 32-bit (int 0x80) calls through: a second syscall table, and the "
                    "socketcall/ipc multiplexers, whose arguments (socket families, ...) the filter cannot see",
                    "remove x86 unless the program is a 32-bit binary; if it is, say so in a comment on "
                    "this line: `arch x86_64 x86  # the game is a 32-bit binary`");
    } else {
      diags.warning(arch.where,
                    "arch x32 lets x32-ABI calls through: a second numbering of the syscalls that almost "
                    "no program uses and most kernels disable",
                    "remove x32; if the program really is an x32 binary, say so in a comment on this line");
    }
  }
}

// The warnings in source order (per file, files in the order they first appear), whichever
// rule found them.
void lint_seccomp(const ast::Seccomp& block, const seccomp::Filter& filter, Diagnostics& diags) {
  Diagnostics found;
  lint_arches(block, found);
  lint_surface(filter, block.default_action.kind.where, found);
  lint_rule_order(filter, found);
  std::vector<std::string> files;
  for (const Diagnostic& d : found.all()) {
    if (std::find(files.begin(), files.end(), d.where.file) == files.end()) files.push_back(d.where.file);
  }
  auto key = [&](const Diagnostic& d) {
    const auto file = static_cast<std::size_t>(std::find(files.begin(), files.end(), d.where.file) - files.begin());
    return std::tuple(file, d.where.line, d.where.column);
  };
  std::vector<Diagnostic> sorted = found.all();
  std::stable_sort(sorted.begin(), sorted.end(), [&](const Diagnostic& a, const Diagnostic& b) { return key(a) < key(b); });
  for (const Diagnostic& d : sorted) {
    if (d.severity == Severity::Warning) diags.warning(d.where, d.message, d.hint);
    else diags.note(d.where, d.message, d.hint);
  }
}

}  // namespace policyc::lint
