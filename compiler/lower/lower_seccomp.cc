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
                guess.empty() ? "use allow, errno(E), kill_thread, kill_process, trap, log, trace(N) or notify"
                              : "did you mean \"" + guess + "\"?");
    return std::nullopt;
  }
  bool needs_argument = it->second == ActionKind::Errno || it->second == ActionKind::Trace;
  if (needs_argument && !written.argument) {
    diags.error(written.kind.where, "action " + kind + " needs an argument",
                kind == "errno" ? "write errno(EPERM) or errno(1)" : "write trace(N), N in 0..65535");
    return std::nullopt;
  }
  if (!needs_argument && written.argument) {
    diags.error(written.argument->where, "action " + kind + " takes no argument",
                "only errno(...) and trace(...) take one");
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
    for (const ast::Word& arch : block.arches) {
      if (arch.text == "i386" || arch.text == "i686") {
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
  }

  void lower_default(const ast::Seccomp& block) {
    std::optional<Action> action = resolve_action(block.default_action, diags_);
    if (!action) return;
    if (action->kind == ActionKind::Notify) {
      diags_.error(block.default_action.kind.where, "notify cannot be the default action",
                   "the supervisor would have to answer every syscall, including its own "
                   "process's; use notify on chosen syscalls only");
      return;
    }
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
    std::vector<Conjunction> conjunctions;
    for (const Conjunction& conjunction : *dnf) {
      if (auto checked = check_one_comparison_per_arg(conjunction)) conjunctions.push_back(*checked);
    }
    for (const NamedSyscall& syscall : syscalls) {
      for (const Conjunction& conjunction : conjunctions) {
        Rule out{syscall.name, syscall.nr, *action, {}, rule.comment, to_ref(syscall.where)};
        for (const Literal& literal : conjunction) out.conditions.push_back(literal.cond);
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
      std::optional<std::size_t> decided;
      const Rule* narrowed = nullptr;
      for (std::size_t i = 0; i < filter_.rules.size() && !decided; ++i) {
        const Rule& earlier = filter_.rules[i];
        if (earlier.nr != syscall.nr) continue;
        if (earlier.conditions.empty()) decided = i;
        else if (earlier.action == action && narrowed == nullptr) narrowed = &earlier;
      }
      if (decided) {
        shields_builtin_.insert(*decided);  // not a rule without effect: it keeps the group off
        continue;
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

  // libseccomp takes one comparison per argument in a rule; some runtimes split two into two
  // rules, which turns AND into OR. We refuse it (identical duplicates are merged).
  std::optional<Conjunction> check_one_comparison_per_arg(const Conjunction& conjunction) {
    Conjunction kept;
    bool ok = true;
    for (const Literal& literal : conjunction) {
      auto same_arg = std::find_if(kept.begin(), kept.end(), [&](const Literal& k) {
        return k.cond.arg == literal.cond.arg;
      });
      if (same_arg == kept.end()) {
        kept.push_back(literal);
      } else if (!(same_arg->cond == literal.cond)) {
        std::string arg = "arg" + std::to_string(literal.cond.arg);
        if (reported_.insert({literal.where.file, literal.where.line, literal.where.column, "twice"}).second) {
          diags_.error(literal.where,
                       arg + " is compared twice in one condition (also at line " +
                           std::to_string(same_arg->where.line) + ":" +
                           std::to_string(same_arg->where.column) + ")",
                       "a filter rule tests each argument once, and splitting the rule would turn && "
                       "into ||; write one comparison of " + arg + " per rule, e.g. put the "
                       "exception in an earlier rule with its own action (first match wins)");
        }
        ok = false;
      }
    }
    if (!ok) return std::nullopt;
    return kept;
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
    for (std::size_t i = 0; i < rules.size(); ++i) {
      if (!(rules[i].action == filter_.default_action)) continue;
      bool shields_later = shields_builtin_.count(i) > 0 ||
                           std::any_of(rules.begin() + static_cast<std::ptrdiff_t>(i) + 1, rules.end(), [&](const Rule& later) {
                             return later.nr == rules[i].nr && !(later.action == filter_.default_action);
                           });
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
};

}  // namespace

std::optional<Filter> lower_seccomp(const ast::Seccomp& block, Diagnostics& diags) {
  return Lowerer(diags).run(block);
}

std::optional<Action> resolve_written_action(const ast::Action& written, Diagnostics& diags) {
  return resolve_action(written, diags);
}

}  // namespace policyc::seccomp
