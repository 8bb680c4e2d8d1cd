// SPDX-License-Identifier: Apache-2.0
#include "compiler/lower/lower_expect.h"

#include <algorithm>

#include "compiler/lower/dnf.h"
#include "compiler/lower/lower_seccomp.h"
#include "compiler/seccomp/syscalls.h"

namespace policyc::seccomp {
namespace {

constexpr std::size_t kSyscallArgs = 6;

// The verdict: an action as the rules write it, or `kill` for either kill action.
bool lower_verdict(const ast::Expect& written, Expectation& out, Diagnostics& diags) {
  if (written.action) {
    out.action = resolve_written_action(*written.action, diags);
    return out.action.has_value();
  }
  if (written.verdict.text == "kill") return true;
  const std::vector<std::string> verdicts = {"kill", "allow", "kill_process", "kill_thread", "trap", "log", "notify"};
  const std::string guess = did_you_mean(written.verdict.text, verdicts);
  diags.error(written.verdict.where, "unknown verdict \"" + written.verdict.text + "\" in expect",
              guess.empty() ? "write an action (allow, errno(EPERM), kill_process, kill_thread, trap, log, "
                              "trace(N), notify) or kill (either kill action)"
                            : "did you mean \"" + guess + "\"?");
  return false;
}

bool lower_syscall(const ast::Expect& written, const Filter& filter, Expectation& out, Diagnostics& diags) {
  const ast::Word& name = written.syscall;
  if (!name.text.empty() && name.text[0] == '@') {
    diags.error(name.where, "expect takes one syscall, not a group (" + name.text + ")",
                "write one expect line per syscall you want to test");
    return false;
  }
  const SyscallResolution found = resolve_syscall(name.text);
  if (found.status == SyscallLookup::NotOnArch) {
    const std::vector<std::string> arches = arches_having(name.text);
    const bool served = std::any_of(arches.begin(), arches.end(), [&](const std::string& a) { return allows_arch(filter, a); });
    if (!served) {
      diags.error(name.where, "syscall \"" + name.text + "\" does not exist on the arches this filter serves",
                  "remove this expect line, or add the arch that has it to the `arch` list");
      return false;
    }
  } else if (found.status == SyscallLookup::Unknown) {
    const std::string guess = did_you_mean(name.text, all_syscall_names());
    diags.error(name.where, "unknown syscall \"" + name.text + "\" in expect",
                guess.empty() ? "" : "did you mean \"" + guess + "\"?");
    return false;
  }
  out.syscall = name.text;
  return true;
}

bool lower_args(const ast::Expect& written, Expectation& out, Diagnostics& diags) {
  if (written.args.size() > kSyscallArgs) {
    diags.error(written.args[kSyscallArgs].where, "a syscall has six arguments; this is a seventh",
                "remove the extra values (arguments not written may take any value)");
    return false;
  }
  bool ok = true;
  for (std::size_t i = 0; i < written.args.size(); ++i) {
    const auto value = resolve_value(written.args[i], diags);
    if (value) out.args[i] = *value;
    ok = ok && value.has_value();
  }
  out.written_args = written.args.size();
  return ok;
}

}  // namespace

std::vector<Expectation> lower_expectations(const ast::Seccomp& block, const Filter& filter, Diagnostics& diags) {
  std::vector<Expectation> out;
  for (const auto& statement : block.statements) {
    const auto* written = std::get_if<ast::Expect>(&statement);
    if (!written) continue;
    Expectation expectation;
    expectation.where = written->where;
    const bool verdict = lower_verdict(*written, expectation, diags);
    const bool syscall = lower_syscall(*written, filter, expectation, diags);
    const bool args = lower_args(*written, expectation, diags);
    if (verdict && syscall && args) out.push_back(std::move(expectation));
  }
  return out;
}

}  // namespace policyc::seccomp
