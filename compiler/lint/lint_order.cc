// SPDX-License-Identifier: Apache-2.0
// Rules that can never decide. Per syscall, the rules of one written rule (a `||` lowers to
// several) form a unit; a unit never decides when no call satisfies it (a condition that can
// never hold) or when every call it matches is already decided by an earlier rule (shadowed;
// a duplicate when that is one rule with the same condition and action). Decided exactly over
// the argument classes of the syscall's conditions (arg_space.h). A unit after an unconditional
// rule is left to the lowering, which already reports it.
//
// All units of a syscall are decided in one pass over the calls their conditions tell apart:
// each call is decided by the first rule that holds for it (found through a RuleIndex, so a
// long list of `arg0 == K` rules costs one test per call), and a unit that decides no call is
// reported. The work is linear in the rules for such lists; in all cases it stays within a
// budget of rule tests per filter, beyond which the linter says nothing rather than guess.
#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "compiler/lint/lint.h"
#include "compiler/lint/lint_internal.h"
#include "compiler/seccomp/arg_space.h"

namespace policyc::lint {
namespace {

using seccomp::AbiRule;

enum class Kind { NeverHolds, Duplicate, Shadowed };

struct Report {
  seccomp::SourceRef where;
  Kind kind = Kind::Shadowed;
  std::vector<const AbiRule*> deciders;   // the earlier rules that decide its calls
  bool same_action = true;
  std::vector<std::string> syscalls;
};

// One written rule names its syscalls at different columns: reports are kept per line.
using Key = std::tuple<std::string, unsigned, Kind, std::string>;

struct Unit {
  std::vector<const AbiRule*> earlier;
  std::vector<const AbiRule*> own;
};

bool same_conditions(const AbiRule& a, const AbiRule& b) {
  auto sorted = [](std::vector<seccomp::ArgCondition> c) {
    std::sort(c.begin(), c.end(), [](const auto& x, const auto& y) {
      return std::tie(x.arg, x.op, x.value, x.mask, x.width) < std::tie(y.arg, y.op, y.value, y.mask, y.width);
    });
    return c;
  };
  return sorted(a.conditions) == sorted(b.conditions);
}

// Above this many rule tests for the whole filter, the rest of the syscalls go unchecked.
constexpr std::size_t kMaxRuleTests = std::size_t{1} << 24;
// A syscall whose calls are too many to decide in one pass is decided unit by unit (each unit
// against the earlier rules only, a smaller space) when it has at most this many units.
constexpr std::size_t kMaxUnitsOneByOne = 64;

// The report on a unit from what the calls showed: whether any call satisfies it, and the
// earlier rules that decide the calls it matches (when it decides none itself).
Report unit_report(const std::vector<const AbiRule*>& own, bool matches_some, const std::set<const AbiRule*>& deciders) {
  Report report;
  report.where = own.front()->source->where;
  if (!matches_some) {
    report.kind = Kind::NeverHolds;
    return report;
  }
  report.deciders.assign(deciders.begin(), deciders.end());
  std::sort(report.deciders.begin(), report.deciders.end(), [](const AbiRule* a, const AbiRule* b) {
    return std::tie(a->source->where.line, a->source->where.column) < std::tie(b->source->where.line, b->source->where.column);
  });
  const seccomp::Action action = own.front()->action;
  report.same_action = std::all_of(report.deciders.begin(), report.deciders.end(),
                                   [&](const AbiRule* r) { return r->action == action; });
  const bool one_to_one = report.deciders.size() == 1 && own.size() == 1;
  report.kind = one_to_one && report.same_action && same_conditions(*report.deciders.front(), *own.front())
                    ? Kind::Duplicate
                    : Kind::Shadowed;
  return report;
}

// Every unit at once (see the top of the file). One entry per unit: its report, or nullopt when
// it decides some call. nullopt when the space is too large or the budget runs out.
std::optional<std::vector<std::optional<Report>>> reports_at_once(const std::vector<std::vector<const AbiRule*>>& units,
                                                                  std::size_t& budget) {
  std::vector<const AbiRule*> rules;
  std::vector<std::size_t> unit_of;
  std::vector<seccomp::ArgCondition> conditions;
  for (std::size_t u = 0; u < units.size(); ++u) {
    for (const AbiRule* rule : units[u]) {
      rules.push_back(rule);
      unit_of.push_back(u);
      conditions.insert(conditions.end(), rule->conditions.begin(), rule->conditions.end());
    }
  }
  const auto space = seccomp::call_space(conditions, {}, false);
  if (!space || space->size() > budget) return std::nullopt;
  const RuleIndex index(rules);
  struct Seen {
    bool matches = false;
    bool decides = false;
    std::set<const AbiRule*> deciders;
  };
  std::vector<Seen> seen(units.size());
  std::vector<std::size_t> positions;
  const bool within_budget = space->for_each([&](const std::array<std::uint64_t, 6>& args) {
    index.candidates(args, positions);
    const std::size_t cost = std::max<std::size_t>(positions.size(), 1);
    if (cost > budget) return false;
    budget -= cost;
    std::optional<std::size_t> first;
    for (std::size_t i : positions) {
      if (!rule_holds(*rules[i], args)) continue;
      if (!first) first = i;
      Seen& unit = seen[unit_of[i]];
      unit.matches = true;
      if (unit_of[*first] == unit_of[i]) unit.decides = true;
      else unit.deciders.insert(rules[*first]);
    }
    return true;
  });
  if (!within_budget) return std::nullopt;
  std::vector<std::optional<Report>> out(units.size());
  for (std::size_t u = 0; u < units.size(); ++u) {
    if (!seen[u].decides) out[u] = unit_report(units[u], seen[u].matches, seen[u].deciders);
  }
  return out;
}

// nullopt: the unit decides some call (or the space was too large to tell).
std::optional<Report> never_decides(const Unit& unit) {
  std::vector<seccomp::ArgCondition> conditions;
  for (const auto* list : {&unit.earlier, &unit.own}) {
    for (const AbiRule* rule : *list) conditions.insert(conditions.end(), rule->conditions.begin(), rule->conditions.end());
  }
  const auto space = seccomp::call_space(conditions, {}, false);
  if (!space) return std::nullopt;
  bool matches_some = false;
  std::set<const AbiRule*> deciders;
  const bool covered = space->for_each([&](const std::array<std::uint64_t, 6>& args) {
    const bool own = std::any_of(unit.own.begin(), unit.own.end(), [&](const AbiRule* r) { return rule_holds(*r, args); });
    if (!own) return true;
    matches_some = true;
    const AbiRule* decider = deciding_rule(unit.earlier, args);
    if (decider) deciders.insert(decider);
    return decider != nullptr;
  });
  if (matches_some && !covered) return std::nullopt;
  return unit_report(unit.own, matches_some, deciders);
}

std::string rules_text(const std::vector<const AbiRule*>& rules) {
  std::vector<std::string> places;
  for (const AbiRule* rule : rules) {
    std::string place = "line " + std::to_string(rule->source->where.line) + " (" + rule->action.to_string() + ")";
    if (std::find(places.begin(), places.end(), place) == places.end()) places.push_back(place);
  }
  std::string out = places.size() == 1 ? "the rule at " : "the rules at ";
  for (std::size_t i = 0; i < places.size(); ++i) out += (i ? (i + 1 == places.size() ? " and " : ", ") : "") + places[i];
  return out;
}

void emit(const Report& report, Diagnostics& diags) {
  std::string names;
  for (const auto& name : report.syscalls) names += (names.empty() ? "" : ", ") + name;
  const Location where = location_of(report.where);
  switch (report.kind) {
    case Kind::NeverHolds:
      diags.warning(where, "the condition of this rule for " + names + " can never hold, so the rule never decides",
                    "check the comparison: arguments are unsigned (`arg0 < 0` never holds) and u32(argN) sees "
                    "only the low 32 bits");
      return;
    case Kind::Duplicate:
      diags.warning(where, "this rule for " + names + " duplicates " + rules_text(report.deciders),
                    "remove one of them");
      return;
    case Kind::Shadowed:
      diags.warning(where,
                    "this rule for " + names + " never decides: " + rules_text(report.deciders) +
                        " already decide" + (report.deciders.size() == 1 ? "s" : "") + " every call it matches",
                    report.same_action ? "remove it: it changes nothing"
                                       : "if its action should win for these calls, move it before line " +
                                             std::to_string(report.deciders.front()->source->where.line) +
                                             "; otherwise remove it");
      return;
  }
}

// The units of one syscall's rules (the rules of one written rule), up to the first unit after an
// unconditional rule: the lowering reports those.
std::vector<std::vector<const AbiRule*>> units_of(const std::vector<const AbiRule*>& list) {
  std::vector<std::vector<const AbiRule*>> units;
  bool unconditional_before = false;
  for (std::size_t begin = 0; begin < list.size() && !unconditional_before;) {
    std::size_t end = begin;
    while (end < list.size() && list[end]->source->where == list[begin]->source->where) ++end;
    units.emplace_back(list.begin() + static_cast<std::ptrdiff_t>(begin), list.begin() + static_cast<std::ptrdiff_t>(end));
    unconditional_before = std::any_of(units.back().begin(), units.back().end(),
                                       [](const AbiRule* r) { return r->conditions.empty(); });
    begin = end;
  }
  return units;
}

// Unit by unit, each against the earlier rules without repeats (a rule identical in conditions
// and action to an earlier one decides no call that one does not).
std::vector<std::optional<Report>> reports_one_by_one(const std::vector<std::vector<const AbiRule*>>& units) {
  std::vector<std::optional<Report>> out;
  std::vector<const AbiRule*> distinct;
  for (const auto& own : units) {
    out.push_back(never_decides(Unit{distinct, own}));
    for (const AbiRule* rule : own) {
      const bool repeat = std::any_of(distinct.begin(), distinct.end(), [&](const AbiRule* d) {
        return d->action == rule->action && d->conditions == rule->conditions;
      });
      if (!repeat) distinct.push_back(rule);
    }
  }
  return out;
}

}  // namespace

void lint_rule_order(const seccomp::Filter& filter, Diagnostics& diags) {
  const std::vector<AbiRule> rules = seccomp::rules_for_abi(filter, seccomp::Abi::X86_64);
  std::map<std::uint32_t, std::vector<const AbiRule*>> by_nr;
  for (const AbiRule& rule : rules) by_nr[rule.nr].push_back(&rule);
  std::map<Key, Report> reports;   // one warning per written rule and finding, in source order
  std::size_t budget = kMaxRuleTests;
  for (const auto& [nr, list] : by_nr) {
    const auto units = units_of(list);
    auto found = reports_at_once(units, budget);
    if (!found && units.size() <= kMaxUnitsOneByOne) found = reports_one_by_one(units);
    if (!found) continue;   // too many calls to tell apart: no finding rather than a guess
    for (std::size_t u = 0; u < units.size(); ++u) {
      const auto& report = (*found)[u];
      if (!report) continue;
      const auto& w = report->where;
      Key key{w.file, w.line, report->kind, rules_text(report->deciders)};
      auto [it, inserted] = reports.emplace(key, *report);
      if (w.column < it->second.where.column) it->second.where = w;
      it->second.syscalls.push_back(units[u].front()->source->syscall);
    }
  }
  for (const auto& [key, report] : reports) emit(report, diags);
}

}  // namespace policyc::lint
