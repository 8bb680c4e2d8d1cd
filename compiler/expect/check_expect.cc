// SPDX-License-Identifier: Apache-2.0
#include "compiler/expect/check_expect.h"

#include <linux/seccomp.h>

#include <algorithm>
#include <map>
#include <optional>
#include <sstream>

#include "compiler/bpf/bpf_interp.h"
#include "compiler/seccomp/abi.h"
#include "compiler/seccomp/arg_space.h"

namespace policyc::expect {
namespace {

using seccomp::Abi;
using seccomp::AbiCall;
using seccomp::AbiRule;

// One ABI the filter serves, with its rules filed by syscall number and each number's argument
// classes computed on first use: an expect line costs the calls it checks, not a pass over
// every rule of the policy (many expect lines on a long policy stay linear).
struct Served {
  Abi abi;
  const char* name;
  std::uint32_t audit_arch;
  std::vector<AbiRule> rules;
  std::map<std::uint32_t, std::vector<const AbiRule*>> by_nr;
  mutable std::map<std::uint32_t, seccomp::ArgClasses> classes;

  const std::vector<const AbiRule*>& rules_of(std::uint32_t nr) const {
    static const std::vector<const AbiRule*> none;
    auto it = by_nr.find(nr);
    return it == by_nr.end() ? none : it->second;
  }
  const seccomp::ArgClasses& classes_of(std::uint32_t nr) const {
    auto it = classes.find(nr);
    if (it != classes.end()) return it->second;
    std::vector<seccomp::ArgCondition> conditions;
    for (const AbiRule* rule : rules_of(nr)) conditions.insert(conditions.end(), rule->conditions.begin(), rule->conditions.end());
    return classes.emplace(nr, seccomp::arg_classes(conditions, abi == Abi::I386)).first->second;
  }
};

std::vector<Served> served_abis(const seccomp::Filter& filter) {
  std::vector<Served> out;
  out.push_back({Abi::X86_64, "x86_64", bpf::kAuditArchX86_64, seccomp::rules_for_abi(filter, Abi::X86_64), {}, {}});
  if (seccomp::abi_allowed(filter, Abi::X32)) {
    out.push_back({Abi::X32, "x32", bpf::kAuditArchX86_64, seccomp::rules_for_abi(filter, Abi::X32), {}, {}});
  }
  if (seccomp::abi_allowed(filter, Abi::I386)) {
    out.push_back({Abi::I386, "x86", bpf::kAuditArchI386, seccomp::rules_for_abi(filter, Abi::I386), {}, {}});
  }
  for (Served& served : out) {
    for (const AbiRule& rule : served.rules) served.by_nr[rule.nr].push_back(&rule);
  }
  return out;
}

// The filter's answer as an action, for messages.
std::string ret_text(std::uint32_t ret) {
  using seccomp::ActionKind;
  const std::uint32_t data = ret & SECCOMP_RET_DATA;
  switch (ret & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_ALLOW: return "allow";
    case SECCOMP_RET_ERRNO: return seccomp::Action{ActionKind::Errno, data}.to_string();
    case SECCOMP_RET_KILL_THREAD: return "kill_thread";
    case SECCOMP_RET_KILL_PROCESS: return "kill_process";
    case SECCOMP_RET_TRAP: return "trap";
    case SECCOMP_RET_LOG: return "log";
    case SECCOMP_RET_TRACE: return seccomp::Action{ActionKind::Trace, data}.to_string();
    case SECCOMP_RET_USER_NOTIF: return "notify";
    default: break;
  }
  std::ostringstream out;
  out << "0x" << std::hex << ret;
  return out.str();
}

std::string number_text(std::uint64_t value) {
  std::ostringstream out;
  if (value < 4096) out << value;
  else out << "0x" << std::hex << value;
  return out.str();
}

struct Failure {
  const Served* abi = nullptr;
  AbiCall call;
  std::array<std::uint64_t, 6> args{};
  std::size_t shown_args = 0;
  std::uint32_t ret = 0;
  const AbiRule* decider = nullptr;   // by the rules (ir.h's semantics); nullptr: the default
  std::uint32_t rules_ret = 0;        // what the rules say, to catch a backend that disagrees
};

std::string call_text(const seccomp::Expectation& e, const Failure& f) {
  std::string out = f.call.multiplexed ? f.call.via : e.syscall;
  out += "(";
  for (std::size_t i = 0; i < f.shown_args; ++i) out += (i ? ", " : "") + number_text(f.args[i]);
  if (f.shown_args < 6) out += f.shown_args ? ", ..." : "...";
  return out + ")";
}

const AbiRule* first_match(const std::vector<const AbiRule*>& rules, const std::array<std::uint64_t, 6>& args) {
  for (const AbiRule* rule : rules) {
    if (std::all_of(rule->conditions.begin(), rule->conditions.end(),
                    [&](const seccomp::ArgCondition& c) { return seccomp::condition_holds(c, args); })) {
      return rule;
    }
  }
  return nullptr;
}

enum class Outcome { Holds, Fails, Undecided };

// Runs every call `expectation` describes for one way (`call`) into the filter on one ABI.
Outcome check_call(const seccomp::Expectation& expectation, const seccomp::Filter& filter,
                   const std::vector<sock_filter>& program, const Served& abi, const AbiCall& call, Failure& failure) {
  std::array<std::optional<std::uint64_t>, 6> fixed{};
  if (call.multiplexed) {
    fixed[0] = call.selector;          // the call's own arguments are in memory, out of sight
  } else {
    fixed = expectation.args;
    if (abi.abi == Abi::I386) {
      for (auto& value : fixed) if (value) *value &= 0xffffffffU;  // i386 arguments are 32 bits
    }
  }
  const auto space = seccomp::call_space(abi.classes_of(call.nr), fixed);
  if (!space) return Outcome::Undecided;
  bpf::SeccompData data;
  data.arch = abi.audit_arch;
  data.nr = static_cast<int>(call.nr);
  std::size_t shown = call.multiplexed ? 1 : expectation.written_args;
  for (std::size_t i = 0; i < 6; ++i) {
    if (space->values[i].size() > 1) shown = std::max(shown, i + 1);
  }
  const bool holds = space->for_each([&](const std::array<std::uint64_t, 6>& args) {
    data.args = args;
    std::string error;
    const auto verdict = bpf::run(program, data, &error);
    const std::uint32_t ret = verdict ? verdict->ret : SECCOMP_RET_KILL_PROCESS;
    if (verdict && expectation.accepts(ret)) return true;
    const AbiRule* decider = first_match(abi.rules_of(call.nr), args);
    failure = {&abi, call, args, shown, ret, decider,
               seccomp::seccomp_ret(decider ? decider->action : filter.default_action)};
    return false;
  });
  return holds ? Outcome::Holds : Outcome::Fails;
}

void report_failure(const seccomp::Expectation& e, const Failure& f, const Location& default_where,
                    const std::vector<std::string>& also, Diagnostics& diags) {
  std::string decided_by;
  std::string hint;
  if (f.decider) {
    const seccomp::SourceRef& w = f.decider->source->where;
    decided_by = "the rule at " + w.file + ":" + std::to_string(w.line) + ":" + std::to_string(w.column) + " (" +
                 f.decider->action.to_string() + " " + f.decider->source->syscall + ")";
    hint = "rules are tried in order and the first that holds decides: put a rule for this call before line " +
           std::to_string(w.line) + ", change that rule, or change the expectation";
  } else {
    decided_by = "the default action at " + default_where.file + ":" + std::to_string(default_where.line) + ":" +
                 std::to_string(default_where.column);
    hint = "no rule for " + e.syscall + " holds for this call: add one, or change the expectation";
  }
  std::string message = "expect " + e.verdict_text() + " " + e.syscall + " fails on " + f.abi->name + ": " +
                        call_text(e, f) + (f.call.multiplexed ? " (i386's multiplexer, whose arguments the filter cannot see)" : "") +
                        " gets " + ret_text(f.ret) + " from " + decided_by;
  if (f.call.multiplexed) {
    hint = "through " + f.call.via + " the call's own arguments are in memory the filter cannot read: remove x86 from "
           "the arch list, or refuse that path before line " + std::to_string(f.decider ? f.decider->source->where.line : 0) +
           ": `errno(EPERM) " + f.call.via + " if arg0 == " + std::to_string(f.call.selector) + "`";
    if (!f.decider) hint = "add a rule for " + f.call.via + " if arg0 == " + std::to_string(f.call.selector) +
                           ", or change the expectation";
  }
  if (!also.empty()) {
    message += " (fails on";
    for (const auto& a : also) message += " " + a;
    message += " too)";
  }
  if (f.rules_ret != f.ret) {
    message += "; the rules say " + ret_text(f.rules_ret) + ", so the compiled filter is wrong";
    hint = "this is a compiler bug: try --backend libseccomp and report the policy";
  }
  diags.error(e.where, message, hint);
}

bool check_one(const seccomp::Expectation& e, const seccomp::Filter& filter, const std::vector<sock_filter>& program,
               const std::vector<Served>& abis, const Location& default_where, Diagnostics& diags) {
  std::optional<Failure> first;
  std::vector<std::string> also;
  bool reachable = false;
  for (const Served& abi : abis) {
    bool failed_here = false;
    for (const AbiCall& call : seccomp::abi_calls(e.syscall, abi.abi)) {
      reachable = true;
      Failure failure;
      const Outcome outcome = check_call(e, filter, program, abi, call, failure);
      if (outcome == Outcome::Undecided) {
        diags.error(e.where, "expect " + e.syscall + ": the filter tests too many argument values apart on " +
                                 std::string(abi.name) + " to check every call",
                    "write more of the arguments, so fewer are free");
        return false;
      }
      if (outcome == Outcome::Fails && !failed_here) {
        failed_here = true;
        if (!first) first = failure;
        else also.push_back(abi.name);
      }
    }
  }
  if (!reachable) {
    diags.error(e.where, "expect " + e.syscall + ": no arch this filter serves has this syscall",
                "remove the line, or add the arch that has it to the `arch` list");
    return false;
  }
  if (!first) return true;
  report_failure(e, *first, default_where, also, diags);
  return false;
}

}  // namespace

bool check_expectations(const seccomp::Filter& filter, const std::vector<sock_filter>& program,
                        const std::vector<seccomp::Expectation>& expectations, const Location& default_where,
                        Diagnostics& diags) {
  if (expectations.empty()) return true;
  const std::vector<Served> abis = served_abis(filter);
  bool all = true;
  for (const auto& e : expectations) all = check_one(e, filter, program, abis, default_where, diags) && all;
  return all;
}

}  // namespace policyc::expect
