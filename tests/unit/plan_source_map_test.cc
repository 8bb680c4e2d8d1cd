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
  EXPECT_EQ(plan::describe_condition(s.rules[2].conditions[0], plan::MaskNotation::Hex), "(arg2 & 0x4) != 0")
      << "policyc's messages write a mask as the policy does";
}

TEST(PlanSourceMap, NumbersNewerThanTheTableAreNamedByTheEnosysReason) {
  plan::SeccompSource s = sample();
  s.unknown_from = 463;
  s.unknown_ret = 0x50026;
  s.rules.push_back({"syscall_470", 470, "allow", 0x7fff0000, {}, "app.pol", 8});
  const plan::Decision newer = plan::decide(s, "errno(EPERM)", 463, {});
  EXPECT_EQ(newer.ret, 0x50026u);
  EXPECT_EQ(newer.reason, "app.pol:3: syscall 463 is newer than policyc's syscall table (x86_64 ends at 462): "
                          "errno(ENOSYS), not the default errno(EPERM)");
  EXPECT_EQ(plan::decide(s, "errno(EPERM)", 0x3fffffff, {}).ret, 0x50026u) << "up to the x32 bit";
  EXPECT_EQ(plan::decide(s, "errno(EPERM)", 470, {}).reason, "app.pol:8: allow syscall_470") << "a rule by number wins";
  EXPECT_EQ(plan::decide(s, "errno(EPERM)", 462, {}).reason, "app.pol:3: default errno(EPERM)");
  EXPECT_EQ(plan::decide(s, "errno(EPERM)", 0x40000000, {}).ret, 0x50001u) << "x32 numbers are not x86_64's";
  EXPECT_EQ(plan::decide(s, "errno(EPERM)", 41, {16}).reason, "app.pol:4: errno(EACCES) socket if arg0 == 16");

  s.unknown_from.reset();
  s.unknown_ret.reset();
  EXPECT_EQ(plan::decide(s, "errno(EPERM)", 463, {}).reason, "app.pol:3: default errno(EPERM)")
      << "without the fields (an allow or log default) the default decides";
}

}  // namespace
