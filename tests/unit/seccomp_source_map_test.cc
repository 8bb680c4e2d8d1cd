// SPDX-License-Identifier: Apache-2.0
// The plan's source map names the rule that decides a call exactly as the filter decides it:
// on random filters, for every probe call of x86_64 the filter does not allow (the calls reports
// and --learn meet), the rule plan/source_map.h picks (or the default) carries the very return
// value the compiled BPF gives; the map leaves the allow rules out; and the plan rules refuse a
// source map that belongs to another filter.
#include <gtest/gtest.h>

#include <random>

#include "compiler/backend/backend.h"
#include "compiler/bpf/bpf_interp.h"
#include "compiler/driver/compile.h"
#include "plan/encoding.h"
#include "plan/rules.h"
#include "plan/source_map.h"
#include "compiler/seccomp/abi.h"
#include "tests/support/random_policy.h"

namespace policyc {
namespace {

TEST(SeccompSourceMap, TheDecidingRuleGivesTheFiltersVerdictOnRandomFilters) {
  std::mt19937_64 rng(15);
  std::size_t checked = 0, newer_checked = 0, allowed_skipped = 0;
  for (int i = 0; i < 150; ++i) {
    const seccomp::Filter filter = testing::random_filter(rng);
    Diagnostics diags;
    const auto program = seccomp::compile(filter, seccomp::Backend::Policyc, diags);
    if (program.empty()) continue;
    const plan::SeccompSource source = seccomp_source_map(filter, nullptr);
    for (const auto& rule : source.rules) ASSERT_NE(rule.action, "allow") << testing::describe_filter(filter);
    for (const auto& call : testing::probe_calls(filter, rng, 8)) {
      if (call.arch != bpf::kAuditArchX86_64 || call.nr < 0 || call.nr >= bpf::kX32SyscallBit) continue;
      const auto verdict = bpf::run(program, call);
      ASSERT_TRUE(verdict);
      if (verdict->ret == SECCOMP_RET_ALLOW) {  // never reported, never learned
        ++allowed_skipped;
        continue;
      }
      const plan::Decision decision = plan::decide(source, filter.default_action.to_string(), call.nr, call.args);
      ASSERT_EQ(decision.ret, verdict->ret) << testing::describe_filter(filter) << testing::describe_call(call);
      // Numbers newer than the syscall table that no rule names: errno(ENOSYS) from no line of
      // the policy (abi.h; the IR's own verdict knows nothing of it), and the report says so
      // instead of naming the default.
      const bool newer = plan::deciding_rule(source, call.nr, call.args) == nullptr &&
                         seccomp::unknown_numbers_get_enosys(filter) &&
                         seccomp::is_unknown_number(seccomp::Abi::X86_64, static_cast<std::uint32_t>(call.nr));
      if (!newer) {
        ASSERT_EQ(decision.ret, seccomp::seccomp_ret(seccomp::ir_verdict(filter, call.nr, call.args)));
      } else {
        ASSERT_NE(decision.reason.find("is newer than policyc's syscall table"), std::string::npos) << decision.reason;
        ++newer_checked;
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 5000u);
  EXPECT_GT(allowed_skipped, 1000u) << "the probe calls include allowed ones";
  EXPECT_GT(newer_checked, 10u) << "the probe calls include numbers newer than the table";
}

plan::Plan plan_with(const seccomp::Filter& filter) {
  Diagnostics diags;
  plan::Plan p;
  plan::Seccomp s;
  s.default_action = filter.default_action.to_string();
  s.backend = "policyc";
  s.bpf = bpf::encode(seccomp::compile(filter, seccomp::Backend::Policyc, diags));
  s.sha256 = plan::sha256_hex(s.bpf);
  s.source = seccomp_source_map(filter, nullptr);
  s.source->file = "app.pol";
  s.source->default_line = 1;
  for (auto& rule : s.source->rules) {
    rule.file = "app.pol";
    rule.line = 2;
  }
  p.seccomp = s;
  return p;
}

std::string seccomp_violations(const plan::Plan& p) {
  std::string text;
  for (const auto& v : plan::check_plan(p)) {
    if (v.key.rfind("plan.seccomp", 0) == 0) text += v.text() + "\n";
  }
  return text;
}

TEST(SeccompSourceMap, ThePlanRulesRefuseASourceMapOfAnotherFilter) {
  seccomp::Filter filter;
  filter.rules.push_back(testing::make_rule("openat", 257, {seccomp::ActionKind::Errno, 13}));
  filter.rules.push_back(testing::make_rule("read", 0, {seccomp::ActionKind::Allow, 0}));
  plan::Plan p = plan_with(filter);
  EXPECT_EQ(seccomp_violations(p), "");

  plan::Plan wrong_rule = p;
  wrong_rule.seccomp->source->rules[0].ret = seccomp::seccomp_ret({seccomp::ActionKind::Errno, 1});
  EXPECT_NE(seccomp_violations(wrong_rule).find("plan.seccomp.source.rules[0].ret"), std::string::npos)
      << seccomp_violations(wrong_rule);

  plan::Plan wrong_default = p;
  wrong_default.seccomp->source->default_ret = seccomp::seccomp_ret({seccomp::ActionKind::KillProcess, 0});
  EXPECT_NE(seccomp_violations(wrong_default).find("plan.seccomp.source.default_ret"), std::string::npos);

  ASSERT_TRUE(p.seccomp->source->unknown_ret) << "errno(EPERM) default: numbers newer than the table get ENOSYS";
  plan::Plan wrong_unknown = p;
  wrong_unknown.seccomp->source->unknown_from = 300;  // a known number: the default decides it
  EXPECT_NE(seccomp_violations(wrong_unknown).find("does not return errno(ENOSYS) for syscall 300"), std::string::npos)
      << seccomp_violations(wrong_unknown);
  plan::Plan not_enosys = p;
  not_enosys.seccomp->source->unknown_ret = seccomp::seccomp_ret({seccomp::ActionKind::Errno, 1});
  EXPECT_NE(seccomp_violations(not_enosys).find("plan.seccomp.source.unknown_ret: must be errno(ENOSYS)"),
            std::string::npos)
      << seccomp_violations(not_enosys);

  plan::Plan no_line = p;
  no_line.seccomp->source->rules[0].line = 0;
  EXPECT_NE(seccomp_violations(no_line).find("rules[0]: needs a syscall"), std::string::npos);

  // default_nr: a number no rule names, which the filter answers with the default.
  ASSERT_EQ(p.seccomp->source->rules.size(), 1u) << "read's allow rule is left out";
  ASSERT_EQ(p.seccomp->source->default_nr, 1u) << "read (0) is named by its allow rule";
  plan::Plan allowed_default = p;
  allowed_default.seccomp->source->default_nr = 0;  // read: allowed, not the default errno(EPERM)
  EXPECT_NE(seccomp_violations(allowed_default).find("plan.seccomp.source.default_ret"), std::string::npos)
      << seccomp_violations(allowed_default);
  plan::Plan named_default = p;
  named_default.seccomp->source->default_nr = 257;
  EXPECT_NE(seccomp_violations(named_default).find("plan.seccomp.source.default_nr: syscall 257 is named by a rule"),
            std::string::npos)
      << seccomp_violations(named_default);
}

// A conditional allow rule before a listed rule of the same syscall may let the zero-argument
// call through: the map, which leaves it out, is still this filter's.
TEST(SeccompSourceMap, AListedRuleBehindALeftOutConditionalAllowIsAccepted) {
  seccomp::Filter filter;
  filter.rules.push_back(testing::make_rule("read", 0, {seccomp::ActionKind::Allow, 0}, {{0, seccomp::CmpOp::Eq, 0}}));
  filter.rules.push_back(testing::make_rule("read", 0, {seccomp::ActionKind::Errno, 13}));
  const plan::Plan p = plan_with(filter);
  ASSERT_EQ(p.seccomp->source->rules.size(), 1u);
  EXPECT_EQ(p.seccomp->source->rules[0].action, "errno(EACCES)");
  EXPECT_EQ(seccomp_violations(p), "");
}

}  // namespace
}  // namespace policyc
