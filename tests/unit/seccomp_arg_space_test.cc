// SPDX-License-Identifier: Apache-2.0
// arg_space.h: one representative per class of argument values the conditions tell apart. The
// property that makes the linter and `expect` exact: every value's truths are those of some
// representative, checked against random values on random condition sets.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "compiler/seccomp/arg_space.h"

namespace policyc::seccomp {
namespace {

std::vector<bool> truths(const std::vector<ArgCondition>& conditions, std::uint64_t value) {
  std::array<std::uint64_t, 6> args{};
  args[0] = value;
  std::vector<bool> out;
  for (const auto& c : conditions) out.push_back(condition_holds(c, args));
  return out;
}

TEST(SeccompArgSpace, NoConditionIsOneClass) {
  EXPECT_EQ(class_representatives({}, 0, false), (std::vector<std::uint64_t>{0}));
}

TEST(SeccompArgSpace, EqualityHasTwoClasses) {
  EXPECT_EQ(class_representatives({{0, CmpOp::Eq, 5, kNoMask, 64}}, 0, false), (std::vector<std::uint64_t>{0, 5}));
}

TEST(SeccompArgSpace, ConditionsOnOtherArgumentsAreIgnored) {
  EXPECT_EQ(class_representatives({{1, CmpOp::Eq, 5, kNoMask, 64}}, 0, false), (std::vector<std::uint64_t>{0}));
}

TEST(SeccompArgSpace, ALowWordTestFindsAValueWithHighBitsThatA64BitTestMisses) {
  // u32(arg1) == 7 but arg1 != 7: the value 0x1_00000007 exists, and is found.
  const std::vector<ArgCondition> conditions{{0, CmpOp::Eq, 7, kNoMask, 32}, {0, CmpOp::Eq, 7, kNoMask, 64}};
  const auto reps = class_representatives(conditions, 0, false);
  ASSERT_TRUE(reps);
  std::set<std::vector<bool>> seen;
  for (auto v : *reps) seen.insert(truths(conditions, v));
  EXPECT_TRUE(seen.count({true, false}));
  EXPECT_TRUE(seen.count({true, true}));
  EXPECT_TRUE(seen.count({false, false}));
  EXPECT_EQ(seen.size(), 3u);
  // On i386 the high word is 0: no value has the low word 7 but is not 7.
  const auto narrow = class_representatives(conditions, 0, true);
  ASSERT_TRUE(narrow);
  for (auto v : *narrow) EXPECT_LE(v, 0xffffffffULL);
  EXPECT_EQ(narrow->size(), 2u);
}

TEST(SeccompArgSpace, MaskedTestsSeeEachFlagCombination) {
  const std::vector<ArgCondition> conditions{{0, CmpOp::Eq, 0x10, 0x10, 64},
                                             {0, CmpOp::Eq, 0x20, 0x20, 64},
                                             {0, CmpOp::Eq, 0, 0x30, 64}};
  const auto reps = class_representatives(conditions, 0, false);
  ASSERT_TRUE(reps);
  EXPECT_EQ(reps->size(), 4u);  // none, 0x10, 0x20, both
}

TEST(SeccompArgSpace, EveryRandomValueIsRepresented) {
  std::mt19937_64 random(42);
  const CmpOp ops[] = {CmpOp::Eq, CmpOp::Ne, CmpOp::Lt, CmpOp::Le, CmpOp::Gt, CmpOp::Ge};
  auto interesting = [&]() -> std::uint64_t {
    switch (random() % 5) {
      case 0: return random() % 16;
      case 1: return 0xffffffffULL - random() % 4;
      case 2: return (random() % 3) << 32 | (random() % 8);
      case 3: return ~std::uint64_t{0} - random() % 4;
      default: return random();
    }
  };
  for (int round = 0; round < 300; ++round) {
    std::vector<ArgCondition> conditions;
    const std::size_t count = 1 + random() % 5;
    for (std::size_t i = 0; i < count; ++i) {
      ArgCondition c{0, ops[random() % 6], interesting(), kNoMask, random() % 2 ? 64U : 32U};
      if (random() % 2 == 0) {  // a masked comparison, with any operator
        c.mask = random() % 2 ? interesting() : (std::uint64_t{1} << (random() % 64));
        c.value = random() % 3 ? c.value & c.mask : c.value;
      }
      conditions.push_back(c);
    }
    const bool narrow = random() % 4 == 0;
    const auto reps = class_representatives(conditions, 0, narrow);
    ASSERT_TRUE(reps);
    std::set<std::vector<bool>> seen;
    for (auto v : *reps) {
      if (narrow) {
        EXPECT_LE(v, 0xffffffffULL);
      }
      seen.insert(truths(conditions, v));
    }
    EXPECT_EQ(seen.size(), reps->size()) << "one representative per class";
    for (int sample = 0; sample < 200; ++sample) {
      std::uint64_t v = sample % 2 ? interesting() : random();
      for (const auto& c : conditions) {
        if (sample % 7 == 0) v = c.value + (random() % 3) - 1;  // next to a boundary
      }
      if (narrow) v &= 0xffffffffULL;
      ASSERT_TRUE(seen.count(truths(conditions, v))) << "round " << round << " value " << v;
    }
  }
}

// Plain comparisons of one width take the sorted pass (no bit walk): it must give exactly the
// smallest value of every class, which a brute force over small values finds too (every class
// of thresholds below 40 has its smallest value below 64).
TEST(SeccompArgSpace, PlainComparisonsGiveTheSmallestValueOfEachClass) {
  std::mt19937_64 random(7);
  const CmpOp ops[] = {CmpOp::Eq, CmpOp::Ne, CmpOp::Lt, CmpOp::Le, CmpOp::Gt, CmpOp::Ge};
  for (int round = 0; round < 500; ++round) {
    std::vector<ArgCondition> conditions;
    const unsigned width = round % 2 ? 64U : 32U;
    const std::size_t count = 1 + random() % 8;
    for (std::size_t i = 0; i < count; ++i) conditions.push_back({0, ops[random() % 6], random() % 40, kNoMask, width});
    const auto reps = class_representatives(conditions, 0, round % 3 == 0);
    ASSERT_TRUE(reps);
    std::map<std::vector<bool>, std::uint64_t> smallest;
    for (std::uint64_t v = 0; v < 64; ++v) smallest.emplace(truths(conditions, v), v);
    std::vector<std::uint64_t> expected;
    for (const auto& [t, v] : smallest) expected.push_back(v);
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(*reps, expected) << "round " << round;
  }
}

// Thousands of `==` tests on one argument are not refused: one class per value, plus the rest.
TEST(SeccompArgSpace, ManyEqualitiesAreEnumeratedNotRefused) {
  std::vector<ArgCondition> conditions;
  for (std::uint64_t k = 0; k < 20000; ++k) conditions.push_back({0, CmpOp::Eq, 1000 + 3 * k, kNoMask, 64});
  const auto reps = class_representatives(conditions, 0, false);
  ASSERT_TRUE(reps);
  EXPECT_EQ(reps->size(), 20001u);
  EXPECT_EQ(reps->front(), 0u);
  EXPECT_EQ((*reps)[1], 1000u);
}

TEST(SeccompArgSpace, CallSpaceCombinesArgumentsAndPinsFixedOnes) {
  const std::vector<ArgCondition> conditions{{0, CmpOp::Eq, 2, kNoMask, 64}, {1, CmpOp::Lt, 10, kNoMask, 64}};
  auto space = call_space(conditions, {std::nullopt, std::nullopt, std::uint64_t{9}}, false);
  ASSERT_TRUE(space);
  EXPECT_EQ(space->size(), 4u);
  std::size_t visited = 0;
  space->for_each([&](const std::array<std::uint64_t, 6>& args) {
    EXPECT_EQ(args[2], 9u);
    ++visited;
    return true;
  });
  EXPECT_EQ(visited, 4u);
}

TEST(SeccompArgSpace, TooManyMaskedBitsIsRefusedNotGuessed) {
  std::vector<ArgCondition> conditions;
  for (unsigned bit = 0; bit < 20; ++bit) conditions.push_back({0, CmpOp::Eq, 1ULL << bit, 1ULL << bit, 64});
  EXPECT_FALSE(class_representatives(conditions, 0, false).has_value());
}

}  // namespace
}  // namespace policyc::seccomp
