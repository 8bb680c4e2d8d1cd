// SPDX-License-Identifier: Apache-2.0
// Rules that can never decide. Per syscall, the rules of one written rule (a `||` lowers to
// several) form a unit; a unit never decides when no call satisfies it (a condition that can
// never hold) or when every call it matches is already decided by an earlier rule (shadowed;
// a duplicate when that is one rule with the same condition and action). Decided exactly over
// the argument classes of the syscall's conditions (arg_space.h). A unit after an unconditional
// rule is left to the lowering, which already reports it.
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
  Report report;
  report.where = unit.own.front()->source->where;
  if (!matches_some) {
    report.kind = Kind::NeverHolds;
    return report;
  }
  if (!covered) return std::nullopt;
  report.deciders.assign(deciders.begin(), deciders.end());
  std::sort(report.deciders.begin(), report.deciders.end(), [](const AbiRule* a, const AbiRule* b) {
    return std::tie(a->source->where.line, a->source->where.column) < std::tie(b->source->where.line, b->source->where.column);
  });
  const seccomp::Action action = unit.own.front()->action;
  report.same_action = std::all_of(report.deciders.begin(), report.deciders.end(),
                                   [&](const AbiRule* r) { return r->action == action; });
  const bool one_to_one = report.deciders.size() == 1 && unit.own.size() == 1;
  report.kind = one_to_one && report.same_action && same_conditions(*report.deciders.front(), *unit.own.front())
                    ? Kind::Duplicate
                    : Kind::Shadowed;
  return report;
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

}  // namespace

void lint_rule_order(const seccomp::Filter& filter, Diagnostics& diags) {
  const std::vector<AbiRule> rules = seccomp::rules_for_abi(filter, seccomp::Abi::X86_64);
  std::map<std::uint32_t, std::vector<const AbiRule*>> by_nr;
  for (const AbiRule& rule : rules) by_nr[rule.nr].push_back(&rule);
  std::map<Key, Report> reports;   // one warning per written rule and finding, in source order
  for (const auto& [nr, list] : by_nr) {
    // The earlier rules without repeats: a rule identical (conditions and action) to an earlier
    // one never decides a call that one does not, so the first of each is enough, and the work
    // per rule stays bounded by the distinct rules instead of growing with the policy.
    std::vector<const AbiRule*> distinct;
    for (std::size_t begin = 0; begin < list.size();) {
      std::size_t end = begin;
      while (end < list.size() && list[end]->source->where == list[begin]->source->where) ++end;
      Unit unit{distinct,
                {list.begin() + static_cast<std::ptrdiff_t>(begin), list.begin() + static_cast<std::ptrdiff_t>(end)}};
      for (const AbiRule* rule : unit.own) {
        const bool repeat = std::any_of(distinct.begin(), distinct.end(), [&](const AbiRule* d) {
          return d->action == rule->action && d->conditions == rule->conditions;
        });
        if (!repeat) distinct.push_back(rule);
      }
      begin = end;
      const bool after_unconditional = std::any_of(unit.earlier.begin(), unit.earlier.end(),
                                                   [](const AbiRule* r) { return r->conditions.empty(); });
      if (after_unconditional) continue;
      auto report = never_decides(unit);
      if (!report) continue;
      const auto& w = report->where;
      Key key{w.file, w.line, report->kind, rules_text(report->deciders)};
      auto [it, inserted] = reports.emplace(key, *report);
      if (w.column < it->second.where.column) it->second.where = w;
      it->second.syscalls.push_back(unit.own.front()->source->syscall);
    }
  }
  for (const auto& [key, report] : reports) emit(report, diags);
}

}  // namespace policyc::lint
