// SPDX-License-Identifier: Apache-2.0
// AST seccomp block -> IR. The steps, in order: arches, default action, groups, rules (names
// expanded and resolved, conditions in DNF), then the checks that need the whole rule list
// (shadowed rules, conflicting unconditional actions, rules that equal the default).
#include "compiler/lower/lower_seccomp.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "compiler/lower/dnf.h"
#include "compiler/seccomp/constants.h"
#include "compiler/seccomp/groups.h"
#include "compiler/seccomp/syscalls.h"

namespace policyc::seccomp {
namespace {

constexpr std::uint32_t kMaxErrno = 4095;   // the kernel's MAX_ERRNO
constexpr std::uint32_t kMaxTrace = 65535;  // SECCOMP_RET_DATA
constexpr std::uint32_t kX32SyscallBit = 0x40000000;

SourceRef to_ref(const Location& where) { return {where.file, where.line, where.column}; }
std::string at(const SourceRef& ref) {
  return "line " + std::to_string(ref.line) + ":" + std::to_string(ref.column);
}

std::optional<std::uint32_t> parse_small_number(const std::string& text) {
  if (text.empty() || text.size() > 9) return std::nullopt;
  std::uint32_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint32_t>(c - '0');
  }
  return value;
}

std::optional<Action> resolve_errno_action(const ast::Action& written, Diagnostics& diags) {
  const ast::Word& arg = *written.argument;
  if (auto number = parse_small_number(arg.text)) {
    if (*number <= kMaxErrno) return Action{ActionKind::Errno, *number};
    diags.error(arg.where, "errno " + arg.text + " is out of range (0..4095)",
                "the kernel treats larger return values as valid results, not errors");
    return std::nullopt;
  }
  if (auto value = errno_value(arg.text)) return Action{ActionKind::Errno, static_cast<std::uint32_t>(*value)};
  std::string guess = did_you_mean(arg.text, all_errno_names());
  diags.error(arg.where, "unknown errno name \"" + arg.text + "\"",
              guess.empty() ? "use a name such as EPERM or ENOSYS, or a number 0..4095"
                            : "did you mean \"" + guess + "\"?");
  return std::nullopt;
}

std::optional<Action> resolve_trace_action(const ast::Action& written, Diagnostics& diags) {
  const ast::Word& arg = *written.argument;
  auto number = parse_small_number(arg.text);
  if (number && *number <= kMaxTrace) return Action{ActionKind::Trace, *number};
  diags.error(arg.where, "trace(" + arg.text + "): the message must be a number 0..65535",
              "the tracer reads it with PTRACE_GETEVENTMSG");
  return std::nullopt;
}

// trap(N): the SIGSYS handler reads N from si_errno (SECCOMP_RET_DATA, 16 bits).
std::optional<Action> resolve_trap_action(const ast::Action& written, Diagnostics& diags) {
  if (!written.argument) return Action{ActionKind::Trap, 0};
  const ast::Word& arg = *written.argument;
  auto number = parse_small_number(arg.text);
  if (number && *number <= kMaxTrace) return Action{ActionKind::Trap, *number};
  diags.error(arg.where, "trap(" + arg.text + "): the value must be a number 0..65535",
              "the SIGSYS handler reads it from si_errno; write `trap` for 0");
  return std::nullopt;
}

std::optional<Action> resolve_action(const ast::Action& written, Diagnostics& diags) {
  static const std::map<std::string, ActionKind> kinds = {
      {"allow", ActionKind::Allow},           {"errno", ActionKind::Errno},
      {"kill_thread", ActionKind::KillThread}, {"kill_process", ActionKind::KillProcess},
      {"trap", ActionKind::Trap},             {"log", ActionKind::Log},
      {"trace", ActionKind::Trace},           {"notify", ActionKind::Notify}};
  const std::string& kind = written.kind.text;
  auto it = kinds.find(kind);
  if (it == kinds.end()) {
    std::vector<std::string> names;
    for (const auto& [name, k] : kinds) names.push_back(name);
    std::string guess = did_you_mean(kind, names);
    diags.error(written.kind.where, "unknown action \"" + kind + "\"",
                guess.empty() ? "use allow, errno(E), kill_thread, kill_process, trap, trap(N), log, trace(N) or notify"
                              : "did you mean \"" + guess + "\"?");
    return std::nullopt;
  }
  bool needs_argument = it->second == ActionKind::Errno || it->second == ActionKind::Trace;
  if (it->second == ActionKind::Trap) return resolve_trap_action(written, diags);
  if (needs_argument && !written.argument) {
    diags.error(written.kind.where, "action " + kind + " needs an argument",
                kind == "errno" ? "write errno(EPERM) or errno(1)" : "write trace(N), N in 0..65535");
    return std::nullopt;
  }
  if (!needs_argument && written.argument) {
    diags.error(written.argument->where, "action " + kind + " takes no argument",
                "only errno(...), trace(...) and trap(...) take one");
    return std::nullopt;
  }
  if (it->second == ActionKind::Errno) return resolve_errno_action(written, diags);
  if (it->second == ActionKind::Trace) return resolve_trace_action(written, diags);
  return Action{it->second, 0};
}

std::string join_words(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " and ") + w;
  return out;
}

// A syscall name reached from a rule, with the word to point at (the name, or the @group).
struct NamedSyscall {
  std::string name;
  int nr = -1;
  Location where;
  const BuiltinGroup* builtin = nullptr;  // reached through this built-in group
};

class Lowerer {
 public:
  explicit Lowerer(Diagnostics& diags) : diags_(diags) {}

  std::optional<Filter> run(const ast::Seccomp& block) {
    std::size_t errors_before = diags_.error_count();
    lower_arches(block);
    lower_default(block);
    collect_groups(block);
    for (const auto& statement : block.statements) {
      if (const auto* rule = std::get_if<ast::Rule>(&statement)) lower_rule(*rule);
    }
    check_unconditional_rules();
    check_default_action_rules();
    if (diags_.error_count() > errors_before) return std::nullopt;
    return filter_;
  }

 private:
  void lower_arches(const ast::Seccomp& block) {
    static const std::vector<std::string> supported = {"x86_64", "x86", "x32"};
    static const std::set<std::string> foreign = {"aarch64", "arm", "arm64", "riscv64", "ppc64",
                                                  "ppc64le", "ppc", "s390", "s390x", "mips",
                                                  "mipsel", "mips64", "mips64el", "loongarch64",
                                                  "parisc", "parisc64", "i386", "i686", "amd64"};
    filter_.arches = {"x86_64"};
    std::map<std::string, Location> seen;  // arch name -> where it was first written
    for (const ast::Word& arch : block.arches) {
      if (auto [first, fresh] = seen.emplace(arch.text, arch.where); !fresh) {
        diags_.error(arch.where, "arch \"" + arch.text + "\" is listed twice (first at " + at(to_ref(first->second)) + ")",
                     "remove one of them");
      } else if (arch.text == "i386" || arch.text == "i686") {
        diags_.error(arch.where, "arch \"" + arch.text + "\" is spelled \"x86\" here",
                     "write `arch x86` for 32-bit x86 (int 0x80) calls");
      } else if (arch.text == "amd64") {
        diags_.error(arch.where, "arch \"amd64\" is spelled \"x86_64\" here");
      } else if (foreign.count(arch.text)) {
        diags_.error(arch.where, "arch \"" + arch.text + "\" cannot run on this x86_64 host",
                     "a filter for x86_64 may also allow x86 and x32 calls, nothing else");
      } else if (std::find(supported.begin(), supported.end(), arch.text) == supported.end()) {
        std::string guess = did_you_mean(arch.text, supported);
        diags_.error(arch.where, "unknown arch \"" + arch.text + "\"",
                     guess.empty() ? "use x86_64, x86 or x32" : "did you mean \"" + guess + "\"?");
      } else if (std::find(filter_.arches.begin(), filter_.arches.end(), arch.text) == filter_.arches.end()) {
        filter_.arches.push_back(arch.text);
      }
    }
    lower_bad_arch_action(block);
  }

  // `arch ... otherwise ACTION`: what calls from an arch the filter does not serve get. Letting
  // them through (allow, log) would leave them unfiltered; notify and trace hand a foreign
  // call to a supervisor or tracer that decodes it with the wrong syscall table.
  void lower_bad_arch_action(const ast::Seccomp& block) {
    for (std::size_t i = 0; i < block.bad_arch_actions.size(); ++i) {
      const ast::Action& written = block.bad_arch_actions[i];
      if (i > 0) {
        diags_.error(written.kind.where, "`otherwise` is given twice for the filter's arches",
                     "keep one `otherwise ACTION` (the first is at line " +
                         std::to_string(block.bad_arch_actions[0].kind.where.line) + ")");
        continue;
      }
      std::optional<Action> action = resolve_action(written, diags_);
      if (!action) continue;
      const ActionKind kind = action->kind;
      if (kind == ActionKind::Allow || kind == ActionKind::Log || kind == ActionKind::Notify || kind == ActionKind::Trace) {
        diags_.error(written.kind.where, "calls from other arches cannot get " + action->to_string(),
                     kind == ActionKind::Allow || kind == ActionKind::Log
                         ? "they would run unfiltered; use kill_process, kill_thread, trap or errno(E)"
                         : "a supervisor or tracer would read them with the wrong syscall table; use kill_process, "
                           "kill_thread, trap or errno(E)");
        continue;
      }
      filter_.bad_arch_action = *action;
    }
  }

  void lower_default(const ast::Seccomp& block) {
    std::optional<Action> action = resolve_action(block.default_action, diags_);
    if (!action) return;
    // `default notify` hands every call no rule decides to a supervisor (plan-exec's), which
    // answers it: the filter applies to the command only, never to the supervisor itself.
    filter_.default_action = *action;
  }

  void collect_groups(const ast::Seccomp& block) {
    for (const auto& statement : block.statements) {
      const auto* group = std::get_if<ast::Group>(&statement);
      if (!group) continue;
      const std::string& name = group->name.text;
      if (name.size() < 2 || name[0] != '@') {
        diags_.error(group->name.where, "group name \"" + name + "\" must start with '@'",
                     "write `group @net = socket connect`");
        continue;
      }
      auto [it, inserted] = groups_.emplace(name, group);
      if (!inserted) {
        diags_.error(group->name.where, "group " + name + " is defined twice",
                     "the first definition is at line " + std::to_string(it->second->name.where.line));
      } else if (find_builtin_group(name) != nullptr) {
        // Policies written before the built-in existed keep their meaning.
        diags_.note(group->name.where, "this definition of " + name + " replaces the built-in group " + name +
                                           " in this block",
                    "rename it to use both, or remove it to get the built-in (see `policyc groups " + name + "`)");
      }
    }
  }

  // Expands `word` (a syscall name or a group) into syscalls. `active` holds the groups being
  // expanded, to report a cycle instead of recursing forever.
  void expand(const ast::Word& word, const Location& use, std::vector<std::string>& active,
              std::vector<NamedSyscall>& out) {
    if (word.text.empty() || word.text[0] != '@') {
      resolve_name(word, use, out);
      return;
    }
    auto it = groups_.find(word.text);
    if (it == groups_.end()) {
      if (const BuiltinGroup* builtin = find_builtin_group(word.text)) {
        expand_builtin(*builtin, use, out);
        return;
      }
      std::vector<std::string> names;
      for (const auto& [name, g] : groups_) names.push_back(name);
      for (const BuiltinGroup& g : builtin_groups()) names.emplace_back(g.name);
      std::string guess = did_you_mean(word.text, names);
      report_once(word.where, "unknown group " + word.text,
                  guess.empty() ? "define it first (group " + word.text + " = read write), or see `policyc groups` "
                                  "for the built-in ones"
                                : "did you mean \"" + guess + "\"?");
      return;
    }
    if (std::find(active.begin(), active.end(), word.text) != active.end()) {
      std::string chain;
      for (const auto& g : active) chain += g + " -> ";
      report_once(word.where, "group " + word.text + " includes itself (" + chain + word.text + ")",
                  "remove one of the references so the groups form no cycle");
      return;
    }
    active.push_back(word.text);
    for (const ast::Word& member : it->second->members) expand(member, use, active, out);
    active.pop_back();
  }

  // `allow 462`: an x86_64 syscall number. A number the table names is that syscall (it then
  // applies to the x32/i386 calls of the same name too); one it does not know applies to
  // x86_64 calls with that number only. Either way a warning says which it is.
  void resolve_number(const ast::Word& word, const Location& use, std::vector<NamedSyscall>& out) {
    const std::optional<std::uint32_t> nr = parse_small_number(word.text);
    if (!nr || *nr >= kX32SyscallBit) {
      report_once(word.where, "syscall number " + word.text + " is out of range",
                  "x86_64 syscall numbers are below 1073741824 (0x40000000, the bit x32 calls set)");
      return;
    }
    const int number = static_cast<int>(*nr);
    const std::string name = syscall_name(number);
    if (!name.empty()) {
      report_warning_once(word.where, "syscall " + word.text + " is " + name + " on x86_64",
                          "write `" + name + "`: a name says what the rule is about");
      out.push_back({name, number, use});
      return;
    }
    report_warning_once(word.where, "syscall number " + word.text + " is unknown to this syscall table",
                        "the rule applies to x86_64 calls with that number only (none on x32 or x86)");
    out.push_back({std::to_string(number), number, use});
  }

  // A built-in group's members: those this build's tables do not know, and names of an arch
  // the filter refuses, are skipped without a word (groups.h).
  void expand_builtin(const BuiltinGroup& group, const Location& use, std::vector<NamedSyscall>& out) {
    for (std::string_view member : group.members) {
      const std::string name(member);
      const SyscallResolution found = resolve_syscall(name);
      if (found.status == SyscallLookup::Unknown) continue;
      if (found.status == SyscallLookup::NotOnArch) {
        const std::vector<std::string> arches = arches_having(name);
        if (std::none_of(arches.begin(), arches.end(), [&](const std::string& a) { return allows_arch(filter_, a); })) continue;
      }
      out.push_back({name, found.nr, use, &group});
    }
  }

  void resolve_name(const ast::Word& word, const Location& use, std::vector<NamedSyscall>& out) {
    if (!word.text.empty() && word.text[0] >= '0' && word.text[0] <= '9') {
      resolve_number(word, use, out);
      return;
    }
    SyscallResolution found = resolve_syscall(word.text);
    if (found.status == SyscallLookup::Found) {
      out.push_back({word.text, found.nr, use});
      return;
    }
    if (found.status == SyscallLookup::NotOnArch) {
      // A name of another arch's calls only (socketcall on x86): meaningful when that arch is
      // allowed; it keeps libseccomp's pseudo number, and each backend renumbers it (abi.h).
      const std::vector<std::string> arches = arches_having(word.text);
      if (std::any_of(arches.begin(), arches.end(), [&](const std::string& a) { return allows_arch(filter_, a); })) {
        out.push_back({word.text, found.nr, use});
        return;
      }
      if (arches.empty()) {
        report_once(word.where, "syscall \"" + word.text + "\" does not exist on x86_64",
                    "it exists only on architectures an x86_64 host does not run; remove it");
        return;
      }
      // Another arch's call whose arch this filter refuses anyway: it can match no call (as
      // in libseccomp). Said once per rule (an included Docker profile names dozens).
      inactive_names_.push_back({word.text, join_words(arches)});
      return;
    }
    std::string guess = did_you_mean(word.text, all_syscall_names());
    report_once(word.where, "unknown syscall \"" + word.text + "\"",
                guess.empty() ? "" : "did you mean \"" + guess + "\"?");
  }

  // A misspelled name inside a group is reported once, not once per use of the group.
  void report_once(const Location& where, const std::string& message, const std::string& hint) {
    if (reported_.insert({where.file, where.line, where.column, message}).second) {
      diags_.error(where, message, hint);
    }
  }
  void report_warning_once(const Location& where, const std::string& message, const std::string& hint) {
    if (reported_.insert({where.file, where.line, where.column, message}).second) {
      diags_.warning(where, message, hint);
    }
  }

  void lower_rule(const ast::Rule& rule) {
    std::optional<Action> action = resolve_action(rule.action, diags_);
    std::optional<Dnf> dnf = Dnf{Conjunction{}};
    if (rule.condition) dnf = condition_to_dnf(*rule.condition, diags_);
    std::vector<NamedSyscall> syscalls;
    inactive_names_.clear();
    for (const ast::Word& word : rule.names) {
      std::vector<std::string> active;
      expand(word, word.where, active, syscalls);
    }
    warn_inactive_names(rule);
    if (!action || !dnf) return;
    syscalls = without_decided_members(syscalls, *action, rule.condition == nullptr);
    for (const NamedSyscall& syscall : syscalls) {
      for (const Conjunction& conjunction : *dnf) {
        Rule out{syscall.name, syscall.nr, *action, {}, rule.comment, to_ref(syscall.where)};
        for (const Literal& literal : conjunction) {
          // Several tests of one argument are an AND (a range); the same test twice is one.
          if (std::find(out.conditions.begin(), out.conditions.end(), literal.cond) == out.conditions.end()) {
            out.conditions.push_back(literal.cond);
          }
        }
        note_decision(out, filter_.rules.size());
        filter_.rules.push_back(std::move(out));
        locations_.push_back(syscall.where);
        builtin_of_.push_back(syscall.builtin);
      }
    }
  }

  // First match decides, and built-in groups are lists a policy cannot edit, so a member an
  // earlier rule already decides for every call (or that this rule names twice) is dropped
  // without the "never used" or "two different actions" diagnostics an explicit name gets:
  // `kill_process ptrace` then `errno(EPERM) @debug` is how one carves out an exception. A
  // member an earlier rule decides only under a condition with this rule's own action is kept
  // (first match: the group's rule catches the rest) but warned about, since the group then
  // undoes the condition's restriction.
  std::vector<NamedSyscall> without_decided_members(const std::vector<NamedSyscall>& syscalls, const Action& action,
                                                    bool unconditional) {
    std::vector<NamedSyscall> kept;
    for (const NamedSyscall& syscall : syscalls) {
      if (syscall.builtin == nullptr) {
        kept.push_back(syscall);
        continue;
      }
      if (std::any_of(kept.begin(), kept.end(), [&](const NamedSyscall& k) { return k.nr == syscall.nr; })) continue;
      const RulesSoFar& earlier = so_far_[syscall.nr];
      if (earlier.unconditional) {
        shields_builtin_.insert(*earlier.unconditional);  // not a rule without effect: it keeps the group off
        continue;
      }
      const Rule* narrowed = nullptr;
      for (const auto& [earlier_action, index] : earlier.first_conditional) {
        if (earlier_action == action) narrowed = &filter_.rules[index];
      }
      if (narrowed != nullptr && unconditional) {
        diags_.warning(syscall.where,
                       std::string(syscall.builtin->name) + " gives every " + syscall.name + " call " +
                           action.to_string() + ", so the condition of the " + action.to_string() + " rule for " +
                           syscall.name + " at " + at(narrowed->where) + " no longer restricts it",
                       "to keep " + syscall.name + " narrowed, decide its other calls before the group, e.g. `" +
                           filter_.default_action.to_string() + " " + syscall.name + "` right after that rule");
      }
      kept.push_back(syscall);
    }
    return kept;
  }

  // Per syscall number, what the rules so far decide (so a rule looks at its syscall's summary,
  // not at every earlier rule): the first unconditional rule, and the first conditional rule of
  // each action before it.
  struct RulesSoFar {
    std::optional<std::size_t> unconditional;
    std::vector<std::pair<Action, std::size_t>> first_conditional;
  };
  void note_decision(const Rule& rule, std::size_t index) {
    RulesSoFar& so_far = so_far_[rule.nr];
    if (so_far.unconditional) return;
    if (rule.conditions.empty()) {
      so_far.unconditional = index;
      return;
    }
    const bool known = std::any_of(so_far.first_conditional.begin(), so_far.first_conditional.end(),
                                   [&](const auto& entry) { return entry.first == rule.action; });
    if (!known) so_far.first_conditional.emplace_back(rule.action, index);
  }

  void warn_inactive_names(const ast::Rule& rule) {
    if (inactive_names_.empty()) return;
    std::string names, arches;
    for (const auto& [name, where] : inactive_names_) {
      names += (names.empty() ? "" : ", ") + name;
      if (arches.find(where) == std::string::npos) arches += (arches.empty() ? "" : " and ") + where;
    }
    const Location where = rule.names.empty() ? rule.where : rule.names.front().where;
    diags_.warning(where, names + (inactive_names_.size() == 1 ? " exists" : " exist") + " only on " + arches +
                              ", which this filter does not allow: no call can match " +
                              (inactive_names_.size() == 1 ? "it" : "them"),
                   "add `" + arches.substr(0, arches.find(' ')) + "` to the `arch` list to apply " +
                       (inactive_names_.size() == 1 ? "it" : "them") + " to those callers, or remove " +
                       (inactive_names_.size() == 1 ? "it" : "them"));
  }

  // Per syscall: after an unconditional rule, later rules can never decide a call.
  void check_unconditional_rules() {
    std::map<int, const Rule*> first_unconditional;
    std::set<std::tuple<int, std::string, unsigned, unsigned>> reported;  // nr, written rule: a `||` is one rule
    for (std::size_t i = 0; i < filter_.rules.size(); ++i) {
      const Rule& rule = filter_.rules[i];
      auto it = first_unconditional.find(rule.nr);
      if (it != first_unconditional.end()) {
        const Rule& earlier = *it->second;
        if (earlier.where == rule.where) continue;  // one written rule expanded twice
        const Location& written = locations_[i];
        if (!reported.emplace(rule.nr, written.file, written.line, written.column).second) continue;
        if (rule.conditions.empty() && !(rule.action == earlier.action)) {
          diags_.error(locations_[i],
                       rule.syscall + " is given two different unconditional actions: " +
                           earlier.action.to_string() + " at " + at(earlier.where) + " and " +
                           rule.action.to_string() + " here",
                       "keep one of them, or add a condition to the earlier rule");
        } else {
          diags_.warning(locations_[i],
                         "this rule for " + rule.syscall + " is never used: the unconditional rule at " +
                             at(earlier.where) + " already decides every " + rule.syscall + " call",
                         "move this rule before the unconditional one, or remove it");
        }
        continue;
      }
      if (rule.conditions.empty()) first_unconditional.emplace(rule.nr, &rule);
    }
  }

  // A rule with the default action changes nothing unless a later rule for the same syscall,
  // with another action, would otherwise catch some of its calls. A built-in group is judged
  // as a whole: warned about when none of its members has an effect.
  void check_default_action_rules() {
    std::set<std::pair<std::string, std::string>> warned;
    std::map<std::pair<std::string, std::string>, std::pair<std::size_t, bool>> groups;  // first rule, any effect
    const auto& rules = filter_.rules;
    std::map<int, std::size_t> last_other_action;   // per syscall: its last rule with another action
    for (std::size_t i = 0; i < rules.size(); ++i) {
      if (!(rules[i].action == filter_.default_action)) last_other_action[rules[i].nr] = i;
    }
    for (std::size_t i = 0; i < rules.size(); ++i) {
      if (!(rules[i].action == filter_.default_action)) continue;
      const auto later = last_other_action.find(rules[i].nr);
      bool shields_later = shields_builtin_.count(i) > 0 || (later != last_other_action.end() && later->second > i);
      std::string key = at(rules[i].where) + rules[i].where.file;
      if (builtin_of_[i] != nullptr) {
        auto [it, first] = groups.try_emplace({key, std::string(builtin_of_[i]->name)}, i, false);
        it->second.second = it->second.second || shields_later;
        continue;
      }
      if (shields_later) continue;
      if (!warned.insert({key, rules[i].syscall}).second) continue;
      diags_.warning(locations_[i],
                     "this rule for " + rules[i].syscall + " has no effect: its action " +
                         rules[i].action.to_string() + " is the default action",
                     "remove it, or give it another action");
    }
    for (const auto& [key, first_and_effect] : groups) {
      if (first_and_effect.second) continue;
      diags_.warning(locations_[first_and_effect.first],
                     "this rule for " + key.second + " has no effect: its action " +
                         filter_.default_action.to_string() + " is the default action",
                     "remove it, or give it another action");
    }
  }

  Diagnostics& diags_;
  Filter filter_;
  std::vector<Location> locations_;  // of filter_.rules[i], with the caret's full length
  std::vector<const BuiltinGroup*> builtin_of_;  // of filter_.rules[i]: the built-in group it came from
  std::map<std::string, const ast::Group*> groups_;
  std::set<std::tuple<std::string, unsigned, unsigned, std::string>> reported_;
  std::vector<std::pair<std::string, std::string>> inactive_names_;  // name, arches it exists on (this rule)
  std::set<std::size_t> shields_builtin_;  // filter_.rules that keep a later built-in group's member off
  std::map<int, RulesSoFar> so_far_;       // by syscall number
};

}  // namespace

std::optional<Filter> lower_seccomp(const ast::Seccomp& block, Diagnostics& diags) {
  return Lowerer(diags).run(block);
}

std::optional<Action> resolve_written_action(const ast::Action& written, Diagnostics& diags) {
  return resolve_action(written, diags);
}

}  // namespace policyc::seccomp
