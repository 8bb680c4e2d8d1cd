// SPDX-License-Identifier: Apache-2.0
// Allows that open known escape or kernel attack surface. Each family is a list of calls, some
// narrowed to dangerous argument values (clone with CLONE_NEWUSER, ioctl TIOCSTI); for each, the
// exact argument space (arg_space.h) finds whether some such call is let through (allow or log)
// and by which rule, or by the default action. One warning per family and deciding rule.
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "compiler/lint/lint.h"
#include "compiler/lint/lint_internal.h"
#include "compiler/seccomp/arg_space.h"
#include "compiler/seccomp/constants.h"
#include "compiler/seccomp/syscalls.h"

namespace policyc::lint {
namespace {

using seccomp::AbiRule;
using seccomp::ArgCondition;
using seccomp::CmpOp;
using seccomp::kNoMask;

struct RegionTest {           // the calls of interest are those where `cond` is `holds`
  ArgCondition cond;
  bool holds = true;
};

struct Member {
  std::string syscall;
  std::vector<RegionTest> region;   // all must match; empty = every call
  std::string phrase;               // clone "with" CLONE_NEWUSER; ioctl "" TIOCSTI
  std::string detail;
};

struct Family {
  std::vector<Member> members;
  std::string why;                  // "they ...": after "this rule allows LABELS: "
  std::string instead;              // the hint when a rule lets them through
  std::string deny;                 // a rule that denies them, for when the default action lets them through
};

std::uint64_t constant(const char* name) { return seccomp::constant_value(name).value_or(0); }

std::vector<Member> plain(std::initializer_list<const char*> names) {
  std::vector<Member> out;
  for (const char* name : names) out.push_back({name, {}, "", ""});
  return out;
}

const char* const kCloneNamespaceFlags[] = {"CLONE_NEWNS",  "CLONE_NEWCGROUP", "CLONE_NEWUTS", "CLONE_NEWIPC",
                                            "CLONE_NEWUSER", "CLONE_NEWPID",   "CLONE_NEWNET"};

// clone takes its flags as an unsigned long (64 bits compared); unshare as an int (low word), and
// only unshare can make a time namespace (in clone, 0x80 is part of the exit signal).
std::vector<Member> namespace_flags(const std::string& syscall, unsigned width, bool with_time) {
  std::vector<Member> out;
  std::vector<const char*> flags(std::begin(kCloneNamespaceFlags), std::end(kCloneNamespaceFlags));
  if (with_time) flags.push_back("CLONE_NEWTIME");
  for (const char* flag : flags) {
    const std::uint64_t bit = constant(flag);
    out.push_back({syscall, {{{0, CmpOp::Eq, bit, bit, width}, true}}, "with", flag});
  }
  return out;
}

std::string namespace_mask(bool with_time) {
  std::string out;
  for (const char* flag : kCloneNamespaceFlags) out += (out.empty() ? "" : "|") + std::string(flag);
  return with_time ? out + "|CLONE_NEWTIME" : out;
}

std::vector<Member> ioctl_requests() {
  std::vector<Member> out;
  for (const char* request : {"TIOCSTI", "TIOCLINUX"}) {
    out.push_back({"ioctl", {{{1, CmpOp::Eq, constant(request), kNoMask, 32}, true}}, "", request});
  }
  return out;
}

const std::vector<Family>& families() {
  static const std::vector<Family> all = [] {
    const std::string deny_names = "`errno(EPERM) NAMES`, or `kill_process NAMES`";
    const std::string drop = "remove NAMES from this rule, or deny before it: " + deny_names;
    std::vector<Family> out;
    out.push_back({plain({"ptrace"}),
                   "it reads and writes the memory and registers of every process it may trace, around their filters",
                   drop, deny_names});
    out.push_back({plain({"process_vm_readv", "process_vm_writev"}),
                   "they read and write other processes' memory", drop, deny_names});
    out.push_back({plain({"mount", "umount2", "move_mount", "open_tree", "fsopen", "fsmount", "fsconfig", "fspick",
                          "mount_setattr", "pivot_root"}),
                   "they change the mount tree: with CAP_SYS_ADMIN, or in a user namespace of its own, the process "
                   "can uncover what the container hides or mount over it",
                   drop, deny_names});
    out.push_back({plain({"setns"}),
                   "it enters other namespaces through their file descriptors, the way out when one leaks in", drop,
                   deny_names});
    out.push_back({plain({"bpf"}), "it loads programs into the kernel, a large and often-exploited attack surface",
                   drop, deny_names});
    out.push_back({plain({"perf_event_open"}),
                   "it exposes kernel and CPU internals, a frequent source of kernel exploits and side channels", drop,
                   deny_names});
    out.push_back({plain({"userfaultfd"}),
                   "it lets a process stall the kernel on a page fault in mid-copy, the standard tool to win kernel races",
                   drop, deny_names});
    out.push_back({plain({"io_uring_setup", "io_uring_enter", "io_uring_register"}),
                   "io_uring runs file and network operations the filter never sees, and is a leading source of "
                   "kernel exploits",
                   drop, deny_names});
    out.push_back({plain({"keyctl", "add_key", "request_key"}),
                   "the kernel's keyrings are not namespaced: keys are shared with the host", drop, deny_names});
    out.push_back({plain({"kexec_load", "kexec_file_load"}), "they replace the running kernel", drop, deny_names});
    out.push_back({plain({"init_module", "finit_module", "delete_module"}), "they load and unload kernel code", drop,
                   deny_names});
    out.push_back({plain({"clone3"}),
                   "its flags are in memory the filter cannot read, so namespace flags cannot be excluded",
                   "write `errno(ENOSYS) clone3` instead: glibc then falls back to clone, whose flags the filter can check",
                   "`errno(ENOSYS) clone3`"});
    out.push_back({namespace_flags("clone", 64, false),
                   "new namespaces (a user namespace above all) give the process capabilities inside them and reach "
                   "kernel code an unprivileged process cannot",
                   "allow clone without namespace flags only: `allow clone if (arg0 & " + namespace_mask(false) + ") == 0`",
                   "`errno(EPERM) clone if (arg0 & " + namespace_mask(false) + ") != 0`"});
    out.push_back({namespace_flags("unshare", 32, true),
                   "new namespaces (a user namespace above all) give the process capabilities inside them and reach "
                   "kernel code an unprivileged process cannot",
                   "do not allow unshare, or only without namespace flags: `allow unshare if (u32(arg0) & " +
                       namespace_mask(true) + ") == 0`",
                   "`errno(EPERM) unshare`"});
    out.push_back({{{"personality",
                     {{{0, CmpOp::Eq, constant("PER_LINUX"), kNoMask, 32}, false}, {{0, CmpOp::Eq, 0xffffffffU, kNoMask, 32}, false}},
                     "with flags other than PER_LINUX", ""}},
                   "ADDR_NO_RANDOMIZE turns address randomization off and READ_IMPLIES_EXEC makes data executable",
                   "allow only the default and the query: `allow personality if u32(arg0) == PER_LINUX || u32(arg0) == "
                   "0xffffffff`",
                   "`errno(EPERM) personality if u32(arg0) != PER_LINUX && u32(arg0) != 0xffffffff`, or deny "
                   "personality and allow those two values first"});
    out.push_back({ioctl_requests(),
                   "they push characters into a terminal's input (TIOCLINUX on a virtual console), so a process that "
                   "shares a terminal can type commands into the shell outside",
                   "deny them before this rule: `errno(EPERM) ioctl if u32(arg1) == TIOCSTI || u32(arg1) == TIOCLINUX` "
                   "(u32: the kernel reads the request's low 32 bits)",
                   "`errno(EPERM) ioctl if u32(arg1) == TIOCSTI || u32(arg1) == TIOCLINUX`"});
    return out;
  }();
  return all;
}

bool in_region(const Member& member, const std::array<std::uint64_t, 6>& args) {
  for (const RegionTest& test : member.region) {
    if (seccomp::condition_holds(test.cond, args) != test.holds) return false;
  }
  return true;
}

// The rules that let some call of `member` through (nullptr: the default action). `decided` is
// false when the argument space was too large to enumerate.
std::set<const AbiRule*> letting_through(const std::vector<AbiRule>& all, const seccomp::Action& default_action,
                                         const Member& member, std::uint32_t nr, bool& decided) {
  const std::vector<const AbiRule*> rules = rules_of(all, nr);
  std::vector<ArgCondition> conditions;
  for (const AbiRule* rule : rules) conditions.insert(conditions.end(), rule->conditions.begin(), rule->conditions.end());
  for (const RegionTest& test : member.region) conditions.push_back(test.cond);
  std::set<const AbiRule*> out;
  const auto space = seccomp::call_space(conditions, {}, false);
  decided = space.has_value();
  if (!space) return out;
  const RuleIndex index(rules);
  std::size_t tests = 0;
  space->for_each([&](const std::array<std::uint64_t, 6>& args) {
    if (!in_region(member, args)) return true;
    const AbiRule* rule = index.deciding(args, tests);
    if (lets_through(rule ? rule->action : default_action)) out.insert(rule);
    return true;
  });
  return out;
}

std::string joined(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

std::string with_names(std::string text, const std::vector<std::string>& names) {
  const std::string list = joined(names, " ");
  for (std::size_t at = text.find("NAMES"); at != std::string::npos; at = text.find("NAMES", at + list.size())) {
    text.replace(at, 5, list);
  }
  return text;
}

struct Finding {
  seccomp::SourceRef where;
  std::vector<const Member*> members;
  std::vector<std::string> syscalls;   // distinct names, for the hint
};

void add(Finding& finding, const Member& member) {
  finding.members.push_back(&member);
  if (std::find(finding.syscalls.begin(), finding.syscalls.end(), member.syscall) == finding.syscalls.end()) {
    finding.syscalls.push_back(member.syscall);
  }
}

// "mount, umount2", "clone with CLONE_NEWNS, CLONE_NEWIPC", "ioctl TIOCSTI, TIOCLINUX"
std::string labels(const Finding& finding) {
  std::string out;
  const Member* previous = nullptr;
  for (const Member* m : finding.members) {
    const bool continues = previous && previous->syscall == m->syscall && !m->detail.empty();
    if (continues) {
      out += ", " + m->detail;
    } else {
      out += (out.empty() ? "" : ", ") + m->syscall;
      if (!m->phrase.empty()) out += " " + m->phrase;
      if (!m->detail.empty()) out += " " + m->detail;
    }
    previous = m;
  }
  return out;
}

void lint_family(const Family& family, const seccomp::Filter& filter, const std::vector<AbiRule>& rules,
                 const Location& default_where, Diagnostics& diags) {
  // One written rule names its syscalls at different columns: findings are kept per line.
  std::map<std::tuple<std::string, unsigned>, Finding> by_rule;  // in source order
  std::optional<Finding> by_default;
  for (const Member& member : family.members) {
    const auto resolved = seccomp::resolve_syscall(member.syscall);
    if (resolved.status != seccomp::SyscallLookup::Found) continue;  // unknown to this libseccomp
    bool decided = true;
    for (const AbiRule* rule : letting_through(rules, filter.default_action, member,
                                               static_cast<std::uint32_t>(resolved.nr), decided)) {
      if (!rule) {
        if (!by_default) by_default = Finding{};
        add(*by_default, member);
        continue;
      }
      const seccomp::SourceRef& where = rule->source->where;
      Finding& finding = by_rule[{where.file, where.line}];
      if (finding.members.empty() || where.column < finding.where.column) finding.where = where;
      add(finding, member);
    }
    if (!decided) {
      Finding alone;
      add(alone, member);
      diags.note(default_where, "the linter could not check " + labels(alone) +
                                    ": its rules test too many argument values apart to enumerate");
    }
  }
  for (const auto& [key, finding] : by_rule) {
    diags.warning(location_of(finding.where), "this rule allows " + labels(finding) + ": " + family.why,
                  with_names(family.instead, finding.syscalls));
  }
  if (by_default) {
    diags.warning(default_where,
                  "the default action " + filter.default_action.to_string() + " allows " +
                      labels(*by_default) + ": " + family.why,
                  "deny them in the block: " + with_names(family.deny, by_default->syscalls));
  }
}

}  // namespace

void lint_surface(const seccomp::Filter& filter, const Location& default_where, Diagnostics& diags) {
  const std::vector<AbiRule> rules = seccomp::rules_for_abi(filter, seccomp::Abi::X86_64);
  for (const Family& family : families()) lint_family(family, filter, rules, default_where, diags);
}

}  // namespace policyc::lint
