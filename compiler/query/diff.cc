// SPDX-License-Identifier: Apache-2.0
#include "compiler/query/diff.h"

#include <algorithm>
#include <set>
#include <sstream>

#include "compiler/query/bpf_explore.h"
#include "compiler/query/describe.h"
#include "compiler/query/ir_explore.h"
#include "compiler/query/syscall_abi.h"

namespace policyc::query {
namespace {

using seccomp::Abi;

bool rets_differ(const std::vector<Outcome>& o) { return o[0].ret != o[1].ret; }

std::string change_text(const Case& c) { return ret_text(c.outcomes[0].ret) + " -> " + ret_text(c.outcomes[1].ret); }

std::string prefix(Abi abi) { return abi == Abi::X86_64 ? "" : std::string(abi_name(abi)) + " "; }

std::string name_or_number(Abi abi, std::uint32_t nr) {
  const std::string name = syscall_name_on(abi, nr);
  return name.empty() ? "syscall " + number_text(nr) : name;
}

Case whole(std::uint32_t a, std::uint32_t b) {
  Case c;
  c.outcomes = {{a, nullptr}, {b, nullptr}};
  return c;
}

IrSide without_rules(IrSide side) {
  side.fallback.rule = nullptr;
  for (IrRule& r : side.rules) r.outcome.rule = nullptr;  // a diff compares verdicts, not which rule
  return side;
}

// One filter's rules for an ABI: its renumbered rules, or none and the bad-arch action when it
// refuses the ABI.
struct AbiSide {
  std::vector<seccomp::AbiRule> rules;
  std::uint32_t fallback = 0;
};

AbiSide abi_side(const seccomp::Filter& f, Abi abi) {
  if (!seccomp::abi_allowed(f, abi)) return {{}, seccomp::seccomp_ret(f.bad_arch_action)};
  return {seccomp::rules_for_abi(f, abi), seccomp::seccomp_ret(f.default_action)};
}

bool names(const AbiSide& side, std::uint32_t nr) {
  return std::any_of(side.rules.begin(), side.rules.end(), [&](const seccomp::AbiRule& r) { return r.nr == nr; });
}

// What a call of `nr` gets when none of the side's rules holds: the fallback, or errno(ENOSYS)
// for a number newer than the syscall table that the filter names nowhere (abi.h).
std::uint32_t fallback_for(const seccomp::Filter& f, const AbiSide& side, Abi abi, std::uint32_t nr) {
  if (seccomp::abi_allowed(f, abi) && seccomp::unknown_numbers_get_enosys(f) && seccomp::is_unknown_number(abi, nr) &&
      !names(side, nr)) {
    return seccomp::seccomp_ret(seccomp::kUnknownSyscallAction);
  }
  return side.fallback;
}

std::uint32_t unknown_fallback(const seccomp::Filter& f, const AbiSide& side, Abi abi) {
  if (seccomp::abi_allowed(f, abi) && seccomp::unknown_numbers_get_enosys(f)) {
    return seccomp::seccomp_ret(seccomp::kUnknownSyscallAction);
  }
  return side.fallback;
}

void diff_abi_ir(const seccomp::Filter& a, const seccomp::Filter& b, Abi abi, std::vector<Difference>& out) {
  const bool served_a = seccomp::abi_allowed(a, abi), served_b = seccomp::abi_allowed(b, abi);
  const AbiSide side_a = abi_side(a, abi), side_b = abi_side(b, abi);
  const std::string calls = std::string(abi_name(abi)) + " calls: ";
  if (!served_a && !served_b) {
    if (side_a.fallback == side_b.fallback) return;
    const Case c = whole(side_a.fallback, side_b.fallback);
    out.push_back({calls + "arch served by neither, " + change_text(c), false, false, abi, 0, true, c});
    return;
  }
  if (served_a != served_b) {
    Difference note;
    note.note = true;
    note.line = calls + (served_a ? "served by the rules -> " + ret_text(side_b.fallback) + " (arch not served), which changes:"
                                  : ret_text(side_a.fallback) + " (arch not served) -> served by the rules, which changes:");
    out.push_back(note);
  }
  std::set<std::uint32_t> numbers;
  for (const auto& r : side_a.rules) numbers.insert(r.nr);
  for (const auto& r : side_b.rules) numbers.insert(r.nr);
  for (std::uint32_t nr : numbers) {
    const std::vector<IrSide> sides{without_rules(ir_side(side_a.rules, nr, fallback_for(a, side_a, abi, nr))),
                                    without_rules(ir_side(side_b.rules, nr, fallback_for(b, side_b, abi, nr)))};
    const std::string name = name_or_number(abi, nr);
    // Values are named after the x86_64 call of the same name (the constants are the same).
    for (const Case& c : explore_ir(sides, rets_differ)) {
      std::string conditions;
      for (const Constraint& k : c.constraints) conditions += (conditions.empty() ? "" : " && ") + arg_constraint_text(name, k);
      out.push_back({prefix(abi) + name + ": " + conditions + (conditions.empty() ? "" : "  ") + change_text(c), false, false,
                     abi, nr, false, c});
    }
  }
  if (side_a.fallback != side_b.fallback) {
    const Case c = whole(side_a.fallback, side_b.fallback);
    out.push_back({prefix(abi) + "every syscall neither filter has a rule for: " + change_text(c), false, false, abi, 0, true, c});
  }
  const std::uint32_t unknown_a = unknown_fallback(a, side_a, abi), unknown_b = unknown_fallback(b, side_b, abi);
  if (unknown_a != unknown_b) {
    const Case c = whole(unknown_a, unknown_b);
    out.push_back({prefix(abi) + "every syscall number newer than the syscall table, named by neither: " + change_text(c),
                   false, false, abi, 0, true, c, true});
  }
}

DiffResult diff_ir(const seccomp::Filter& a, const seccomp::Filter& b) {
  DiffResult result;
  for (Abi abi : kAbis) diff_abi_ir(a, b, abi, result.differences);
  const std::uint32_t bad_a = seccomp::seccomp_ret(a.bad_arch_action), bad_b = seccomp::seccomp_ret(b.bad_arch_action);
  if (bad_a != bad_b) {
    const Case c = whole(bad_a, bad_b);
    result.differences.push_back({"other arches (aarch64, ...): " + change_text(c), false, false, Abi::X86_64, 0, true, c});
  }
  return result;
}

const Constraint* constraint_on(const Case& c, unsigned var) {
  for (const Constraint& k : c.constraints) {
    if (k.var == var) return &k;
  }
  return nullptr;
}

bool single_point(const Constraint* k) {
  return k && k->interval_form && k->mask == 0xffffffffULL && k->ranges.size() == 1 && k->ranges[0].lo == k->ranges[0].hi;
}

// The arch a BPF case is about: its ABI when the arch word is one value an x86_64 host runs.
std::optional<Abi> arch_of(const Case& c) {
  const Constraint* arch = constraint_on(c, kWordArch);
  if (!single_point(arch)) return std::nullopt;
  if (arch->ranges[0].lo == bpf::kAuditArchX86_64) return Abi::X86_64;
  if (arch->ranges[0].lo == bpf::kAuditArchI386) return Abi::I386;
  return std::nullopt;
}

std::string arch_label(const Case& c) {
  const Constraint* arch = constraint_on(c, kWordArch);
  if (!arch) return "every arch, ";
  if (const auto abi = arch_of(c)) return *abi == Abi::X86_64 ? "" : std::string(abi_name(*abi)) + " ";
  if (single_point(arch)) return "arch " + number_text(arch->ranges[0].lo) + " ";
  return "other arches, ";
}

void add_bpf_case(const Case& c, std::vector<Difference>& out) {
  const std::optional<Abi> abi = arch_of(c);
  std::string arguments;
  for (const std::string& part : word_constraints_text("", c.constraints)) arguments += (arguments.empty() ? "" : " && ") + part;
  const std::string tail = (arguments.empty() ? "" : arguments + "  ") + change_text(c);
  const Constraint* nr = constraint_on(c, kWordNr);
  if (!nr) {
    out.push_back({arch_label(c) + "every syscall: " + tail, false, true, abi.value_or(Abi::X86_64), 0, true, c});
    return;
  }
  if (!nr->interval_form || nr->mask != 0xffffffffULL) {
    out.push_back({arch_label(c) + "syscall numbers under masked tests: " + tail, false, true, abi.value_or(Abi::X86_64), 0, true, c});
    return;
  }
  for (const Interval& r : nr->ranges) {
    if (!abi || r.hi - r.lo >= 64) {
      out.push_back({arch_label(c) + "syscalls " + number_text(r.lo) + ".." + number_text(r.hi) + ": " + tail, false, true,
                     abi.value_or(Abi::X86_64), static_cast<std::uint32_t>(r.lo), true, c});
      continue;
    }
    for (std::uint64_t n = r.lo; n <= r.hi; ++n) {
      const auto number = static_cast<std::uint32_t>(n);
      const Abi on = *abi == Abi::X86_64 && (number & static_cast<std::uint32_t>(bpf::kX32SyscallBit)) ? Abi::X32 : *abi;
      const std::string name = name_or_number(on, number);
      std::string args;
      for (const std::string& part : word_constraints_text(name, c.constraints)) args += (args.empty() ? "" : " && ") + part;
      out.push_back({prefix(on) + name + ": " + (args.empty() ? "" : args + "  ") + change_text(c), false, true, on, number, false, c});
    }
  }
}

}  // namespace

DiffResult diff_filters(const FilterSource& a, const FilterSource& b) {
  if (a.filter && b.filter) return diff_ir(*a.filter, *b.filter);
  DiffResult result;
  result.by_bpf = true;
  for (const Case& c : explore_bpf({&a.program, &b.program}, Words{}, rets_differ)) add_bpf_case(c, result.differences);
  return result;
}

std::size_t DiffResult::count() const {
  return static_cast<std::size_t>(std::count_if(differences.begin(), differences.end(), [](const Difference& d) { return !d.note; }));
}

std::string render_diff(const FilterSource& a, const FilterSource& b, const DiffResult& result) {
  std::ostringstream out;
  if (result.count() == 0) {
    out << a.name << " and " << b.name << " give every call the same verdict\n";
    return out.str();
  }
  out << "--- " << a.name << " (" << a.kind << ")\n+++ " << b.name << " (" << b.kind << ")\n";
  for (const Difference& d : result.differences) out << d.line << "\n";
  out << result.count() << (result.count() == 1 ? " difference" : " differences");
  if (result.by_bpf) out << " (compared by their BPF programs: a plan carries no rules)";
  out << "\n";
  return out.str();
}

}  // namespace policyc::query
