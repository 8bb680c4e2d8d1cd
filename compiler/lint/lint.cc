#include "compiler/lint/lint.h"

#include <algorithm>

#include "compiler/lint/lint_internal.h"

namespace policyc::lint {

Location location_of(const seccomp::SourceRef& ref) { return {ref.file, ref.line, ref.column, 1}; }

std::string line_col(const seccomp::SourceRef& ref) {
  return "line " + std::to_string(ref.line) + ":" + std::to_string(ref.column);
}

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

void lint_seccomp(const ast::Seccomp& block, const seccomp::Filter& filter, Diagnostics& diags) {
  lint_arches(block, diags);
  lint_surface(filter, block.default_action.kind.where, diags);
  lint_rule_order(filter, diags);
}

}  // namespace policyc::lint
