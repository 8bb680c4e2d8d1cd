// SPDX-License-Identifier: Apache-2.0
// The source map as plan-exec reads it: the first rule of the syscall whose conditions all hold
// decides (width 32 compares the low words, a mask applies before the comparison), and a rule
// is named with its file, line, action and conditions.
#include <gtest/gtest.h>

#include "plan/source_map.h"

namespace {

plan::SeccompSource sample() {
  plan::SeccompSource s;
  s.file = "app.pol";
  s.default_line = 3;
  s.default_ret = 0x50001;
  s.rules = {
      {"socket", 41, "errno(EACCES)", 0x5000d, {{0, plan::CmpOp::Eq, 16, std::nullopt, 64}}, "app.pol", 4},
      {"socket", 41, "allow", 0x7fff0000, {{0, plan::CmpOp::Lt, 11, std::nullopt, 32}}, "inc.pol", 7},
      {"mmap", 9, "kill_process", 0x80000000, {{2, plan::CmpOp::Ne, 0, 0x4, 64}}, "app.pol", 5},
      {"read", 0, "allow", 0x7fff0000, {}, "app.pol", 6},
  };
  return s;
}

TEST(PlanSourceMap, TheFirstRuleWhoseConditionsHoldDecides) {
  const plan::SeccompSource s = sample();
  EXPECT_EQ(plan::deciding_rule(s, 41, {16})->line, 4u);
  EXPECT_EQ(plan::deciding_rule(s, 41, {2})->line, 7u);
  EXPECT_EQ(plan::deciding_rule(s, 41, {0xffffffff00000002ULL})->line, 7u) << "width 32: the low word only";
  EXPECT_EQ(plan::deciding_rule(s, 41, {12}), nullptr) << "no rule holds: the default";
  EXPECT_EQ(plan::deciding_rule(s, 9, {0, 0, 0x7})->line, 5u);
  EXPECT_EQ(plan::deciding_rule(s, 9, {0, 0, 0x3}), nullptr) << "(arg2 & 4) == 0";
  EXPECT_EQ(plan::deciding_rule(s, 0, {})->line, 6u);
  EXPECT_EQ(plan::deciding_rule(s, 1, {}), nullptr);
}

TEST(PlanSourceMap, RulesAreNamedWithFileLineActionAndConditions) {
  const plan::SeccompSource s = sample();
  EXPECT_EQ(plan::describe_rule(s.rules[0]), "app.pol:4: errno(EACCES) socket if arg0 == 16");
  EXPECT_EQ(plan::describe_rule(s.rules[1]), "inc.pol:7: allow socket if u32(arg0) < 11");
  EXPECT_EQ(plan::describe_rule(s.rules[2]), "app.pol:5: kill_process mmap if (arg2 & 4) != 0");
  EXPECT_EQ(plan::describe_rule(s.rules[3]), "app.pol:6: allow read");
  EXPECT_EQ(plan::describe_default(s, "errno(EPERM)"), "app.pol:3: default errno(EPERM)");
  plan::SeccompCondition big{1, plan::CmpOp::Ge, 0x40000000, std::nullopt, 64};
  EXPECT_EQ(plan::describe_condition(big), "arg1 >= 0x40000000");
}

}  // namespace
