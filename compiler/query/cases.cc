// SPDX-License-Identifier: Apache-2.0
#include "compiler/query/cases.h"

#include <algorithm>

namespace policyc::query {
namespace {

// One literal when a single test's truth tells the chosen classes from the others; otherwise
// each chosen class as the conjunction of all the tests' truths.
std::vector<std::vector<Literal>> describe_truth_classes(const Partition& split, const std::vector<std::size_t>& chosen) {
  std::vector<bool> in(split.classes.size(), false);
  for (std::size_t i : chosen) in[i] = true;
  for (std::size_t t = 0; t < split.tests.size(); ++t) {
    for (bool wanted : {true, false}) {
      bool separates = true;
      for (std::size_t i = 0; i < split.classes.size() && separates; ++i) {
        separates = (split.classes[i].truth[t] == wanted) == in[i];
      }
      if (separates) return {{{split.tests[t], wanted}}};
    }
  }
  std::vector<std::vector<Literal>> out;
  for (std::size_t i : chosen) {
    std::vector<Literal> all;
    for (std::size_t t = 0; t < split.tests.size(); ++t) all.push_back({split.tests[t], split.classes[i].truth[t]});
    out.push_back(std::move(all));
  }
  return out;
}

Constraint constraint_for(unsigned var, const Partition& split, const std::vector<std::size_t>& chosen) {
  Constraint c;
  c.var = var;
  c.witness = split.classes[chosen.front()].witness;
  if (split.common_mask) {
    c.interval_form = true;
    c.mask = *split.common_mask;
    std::vector<Interval> ranges;
    for (std::size_t i : chosen) ranges.push_back(split.classes[i].range);
    c.ranges = merge_intervals(std::move(ranges));
  } else {
    c.any_of = describe_truth_classes(split, chosen);
  }
  return c;
}

}  // namespace

std::vector<Case> merge_split(unsigned var, const Partition& split, const std::vector<std::vector<Case>>& children) {
  std::vector<Case> distinct;
  std::vector<std::vector<std::size_t>> classes_of;  // per distinct case, the classes it appears under
  for (std::size_t i = 0; i < children.size(); ++i) {
    for (const Case& c : children[i]) {
      const auto found = std::find(distinct.begin(), distinct.end(), c);
      if (found == distinct.end()) {
        distinct.push_back(c);
        classes_of.push_back({i});
      } else {
        classes_of[static_cast<std::size_t>(found - distinct.begin())].push_back(i);
      }
    }
  }
  for (std::size_t d = 0; d < distinct.size(); ++d) {
    if (classes_of[d].size() == split.classes.size()) continue;  // holds for every value of var
    Case& c = distinct[d];
    c.constraints.insert(c.constraints.begin(), constraint_for(var, split, classes_of[d]));
  }
  return distinct;
}

bool constraint_holds(const Constraint& c, std::uint64_t x) {
  if (c.interval_form) {
    const std::uint64_t y = x & c.mask;
    return std::any_of(c.ranges.begin(), c.ranges.end(), [&](const Interval& r) { return y >= r.lo && y <= r.hi; });
  }
  return std::any_of(c.any_of.begin(), c.any_of.end(), [&](const std::vector<Literal>& conj) {
    return std::all_of(conj.begin(), conj.end(), [&](const Literal& l) { return holds(l.first, x) == l.second; });
  });
}

}  // namespace policyc::query
