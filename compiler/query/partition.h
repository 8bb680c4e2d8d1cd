// SPDX-License-Identifier: Apache-2.0
// The value space of one variable (a syscall argument, or one 32-bit word of seccomp_data) cut
// into classes on which every given test has one truth value, with a witness per class. Query
// and diff are exact because a filter's decision cannot change inside a class: evaluating one
// witness per class covers every value.
//
// A test is `(x & mask) CMP value`. When every test of the variable uses the same mask the
// classes are intervals of `x & mask` (readable as ranges); otherwise they are the distinct
// combinations of truth values the tests can take together, found bit by bit from the top.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace policyc::query {

enum class Cmp { Eq, Ne, Lt, Le, Gt, Ge };

struct Test {
  std::uint64_t mask = ~0ULL;
  Cmp cmp = Cmp::Eq;
  std::uint64_t value = 0;
  bool operator==(const Test&) const = default;
  bool operator<(const Test& o) const;
};

bool holds(const Test& test, std::uint64_t x);

using Literal = std::pair<Test, bool>;  // a test and the truth it must have

// The smallest x inside `domain` for which every literal has its truth, if there is one.
std::optional<std::uint64_t> solve(const std::vector<Literal>& literals, std::uint64_t domain);

struct Interval {
  std::uint64_t lo = 0, hi = 0;  // inclusive
  bool operator==(const Interval&) const = default;
};

struct ValueClass {
  std::uint64_t witness = 0;
  Interval range;            // interval form: the values of `x & mask` in this class
  std::vector<bool> truth;   // truth-table form: the truth of each test, in Partition::tests order
};

struct Partition {
  std::vector<Test> tests;                  // deduplicated, sorted
  std::optional<std::uint64_t> common_mask; // set: interval form (classes by range, in order)
  std::vector<ValueClass> classes;          // every class that has a value; together they cover all
};

// Cuts the values `x` with `x & ~domain == 0` (domain: ~0 for an argument, 0xffffffff for a BPF
// word) by `tests` (masks already inside the domain).
Partition partition(std::vector<Test> tests, std::uint64_t domain);

// The smallest x >= lo with (x & ~mask) == 0, if any.
std::optional<std::uint64_t> smallest_submask_at_least(std::uint64_t mask, std::uint64_t lo);

// Sorted disjoint intervals of the union of `ranges` (adjacent ones merged).
std::vector<Interval> merge_intervals(std::vector<Interval> ranges);

}  // namespace policyc::query
