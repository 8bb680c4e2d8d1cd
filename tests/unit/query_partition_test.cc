// SPDX-License-Identifier: Apache-2.0
// The value classes query and diff are exact by: every test has one truth value per class,
// the classes cover every value, and the IR's conditions read as the tests they are.
#include <gtest/gtest.h>

#include <random>

#include "compiler/query/cases.h"
#include "compiler/query/ir_explore.h"
#include "compiler/query/partition.h"
#include "tests/support/random_policy.h"
#include "tests/support/test_rounds.h"

namespace policyc::query {
namespace {

std::uint64_t random_value(std::mt19937_64& rng, const std::vector<query::Test>& tests) {
  switch (rng() % 4) {
    case 0: return testing::edge_values()[rng() % testing::edge_values().size()];
    case 1: {
      if (tests.empty()) return rng();
      const query::Test& t = tests[rng() % tests.size()];
      return (t.value + (rng() % 3) - 1) | (rng() % 2 ? ~t.mask : 0);
    }
    case 2: return rng() % 64;
    default: return rng();
  }
}

std::vector<query::Test> random_tests(std::mt19937_64& rng, bool one_mask) {
  static const std::uint64_t masks[] = {~0ULL, 0xffffffffULL, 0xff, 0x10, 0x80000001ULL, 0xf0f0ULL};
  const std::uint64_t shared = masks[rng() % 6];
  std::vector<query::Test> tests;
  const std::size_t n = rng() % 7;
  for (std::size_t i = 0; i < n; ++i) {
    query::Test t;
    t.mask = one_mask ? shared : masks[rng() % 6];
    t.cmp = static_cast<Cmp>(rng() % 6);
    t.value = rng() % 2 ? (rng() % 40) & t.mask : rng() & t.mask;
    if (rng() % 5 == 0) t.value = rng();  // sometimes outside the mask: an == that never holds
    tests.push_back(t);
  }
  return tests;
}

// The one class `x` falls in, checked against the tests' truth on the class's witness.
void expect_in_exactly_one_class(const Partition& p, std::uint64_t x) {
  std::size_t hits = 0;
  for (const ValueClass& cls : p.classes) {
    bool in;
    if (p.common_mask) {
      const std::uint64_t y = x & *p.common_mask;
      in = y >= cls.range.lo && y <= cls.range.hi;
    } else {
      in = true;
      for (std::size_t t = 0; t < p.tests.size(); ++t) in = in && holds(p.tests[t], x) == cls.truth[t];
    }
    if (!in) continue;
    ++hits;
    for (const query::Test& t : p.tests) {
      EXPECT_EQ(holds(t, x), holds(t, cls.witness)) << std::hex << "x 0x" << x << " witness 0x" << cls.witness << " mask 0x"
                                                    << t.mask << " value 0x" << t.value << " cmp " << static_cast<int>(t.cmp);
    }
  }
  EXPECT_EQ(hits, 1u) << std::hex << "x 0x" << x;
}

TEST(QueryPartition, EveryValueFallsInOneClassWhereNoTestChanges) {
  std::mt19937_64 rng(7);
  const int rounds = testsupport::test_rounds(3000);
  for (int round = 0; round < rounds; ++round) {
    const bool one_mask = round % 2 == 0;
    const std::vector<query::Test> tests = random_tests(rng, one_mask);
    const Partition p = partition(tests, ~0ULL);
    ASSERT_FALSE(p.classes.empty());
    for (const ValueClass& cls : p.classes) {
      if (p.common_mask) {
        EXPECT_EQ(cls.witness & ~*p.common_mask, 0u);
        EXPECT_GE(cls.witness & *p.common_mask, cls.range.lo);
        EXPECT_LE(cls.witness & *p.common_mask, cls.range.hi);
      }
    }
    for (int i = 0; i < 60; ++i) expect_in_exactly_one_class(p, random_value(rng, tests));
  }
}

TEST(QueryPartition, WordDomainKeepsWitnessesInThirtyTwoBits) {
  const Partition p = partition({{0xffffffffULL, Cmp::Gt, 5}, {0xff, Cmp::Eq, 3}}, 0xffffffffULL);
  ASSERT_FALSE(p.common_mask);
  for (const ValueClass& cls : p.classes) EXPECT_LE(cls.witness, 0xffffffffULL);
  EXPECT_EQ(p.classes.size(), 4u);  // each of (<= 5, > 5) with and without low byte 3: 0, 3, 6, 0x103
}

TEST(QueryPartition, EqualityCutsThreeRanges) {
  const Partition p = partition({{~0ULL, Cmp::Eq, 16}}, ~0ULL);
  ASSERT_TRUE(p.common_mask);
  ASSERT_EQ(p.classes.size(), 3u);
  EXPECT_EQ(p.classes[0].range, (Interval{0, 15}));
  EXPECT_EQ(p.classes[1].range, (Interval{16, 16}));
  EXPECT_EQ(p.classes[2].range, (Interval{17, ~0ULL}));
}

TEST(QueryPartition, SmallestSubmask) {
  EXPECT_EQ(smallest_submask_at_least(0xf0, 0x13), 0x20u);
  EXPECT_EQ(smallest_submask_at_least(0xf0, 0x20), 0x20u);
  EXPECT_EQ(smallest_submask_at_least(0x10, 0x11), std::nullopt);
  EXPECT_EQ(smallest_submask_at_least(~0ULL, 12345), 12345u);
  EXPECT_EQ(smallest_submask_at_least(0x8000000000000001ULL, 2), 0x8000000000000000ULL);
}

// to_test is the one place query reads an ArgCondition: it must mean what ir.h's
// condition_holds means, for every operator, width and mask (a new IR field must come here).
TEST(QueryPartition, TestsMeanWhatTheIrMeans) {
  std::mt19937_64 rng(11);
  for (int round = 0; round < 200; ++round) {
    const seccomp::Filter filter = testing::random_filter(rng);
    for (const seccomp::Rule& rule : filter.rules) {
      for (const seccomp::ArgCondition& c : rule.conditions) {
        for (int i = 0; i < 40; ++i) {
          std::array<std::uint64_t, 6> args{};
          args[c.arg] = i % 2 ? rng() : (c.value + (rng() % 3) - 1) ^ (rng() % 2 ? 0x100000000ULL : 0);
          EXPECT_EQ(holds(to_test(c), args[c.arg]), seccomp::condition_holds(c, args));
        }
      }
    }
  }
}

}  // namespace
}  // namespace policyc::query
