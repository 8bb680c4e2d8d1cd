// SPDX-License-Identifier: Apache-2.0
// The answer of a query or a diff: cases, each a set of calls (constraints on some variables,
// every other variable free) with the outcome each filter gives them. Built bottom-up while a
// variable's classes are explored: a case found under several classes of a variable is kept
// once, constrained to the union of those classes, so the output reads as ranges, not points.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "compiler/query/partition.h"
#include "compiler/seccomp/ir.h"

namespace policyc::query {

struct Outcome {
  std::uint32_t ret = 0;                     // SECCOMP_RET_* | data
  const seccomp::Rule* rule = nullptr;       // the rule that decided; nullptr: the default (or no IR)
  bool operator==(const Outcome&) const = default;
};

// The values a variable takes in a case.
struct Constraint {
  unsigned var = 0;
  bool interval_form = false;
  std::uint64_t mask = ~0ULL;                // interval form: ranges of `x & mask`
  std::vector<Interval> ranges;
  std::vector<std::vector<Literal>> any_of;  // truth form: one of these conjunctions holds
  std::uint64_t witness = 0;                 // a value meeting it (not part of its identity)
  bool operator==(const Constraint& o) const {
    return var == o.var && interval_form == o.interval_form && mask == o.mask && ranges == o.ranges && any_of == o.any_of;
  }
};

struct Case {
  std::vector<Constraint> constraints;       // by variable, in exploration order
  std::vector<Outcome> outcomes;             // one per filter
  bool operator==(const Case&) const = default;
};

// The cases under each class of `split` (children[i] under class i) as cases of the whole:
// each distinct case once, with a constraint on `var` unless it holds under every class.
std::vector<Case> merge_split(unsigned var, const Partition& split, const std::vector<std::vector<Case>>& children);

bool constraint_holds(const Constraint& constraint, std::uint64_t x);

// Raised when an input is beyond what query/diff can follow (a BPF program computing on
// arguments, or more cases than the limit); the message says which and what to do.
struct QueryError {
  std::string message;
};

}  // namespace policyc::query
