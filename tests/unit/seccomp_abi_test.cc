// SPDX-License-Identifier: Apache-2.0
// abi.h: how the rules of an x86_64 policy reach x32 and i386 callers (renumbering by name,
// 32-bit argument compares, i386's socketcall/ipc multiplexers), the reference verdict, and
// what `explain` reports for those ABIs. The differential tests compare whole filters with
// libseccomp; these pin the individual rules down.
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/seccomp.h>

#include "compiler/bpf/explain.h"
#include "compiler/bpf/frequency.h"
#include "compiler/codegen/codegen.h"
#include "compiler/seccomp/abi.h"
#include "tests/support/random_policy.h"
#include "tests/support/seccomp_kernel.h"
#include "tests/support/policy_text.h"

namespace policyc::seccomp {
namespace {

constexpr std::uint32_t kSocketcall = 102, kIpc = 117, kI386Socket = 359, kI386Shmat = 397;

using policyc::testing::make_rule;
using policyc::testing::kAllow;

Filter filter_with(std::vector<Rule> rules, std::vector<std::string> arches = {"x86_64", "x32", "x86"}) {
  Filter f;
  f.arches = std::move(arches);
  f.default_action = {ActionKind::Errno, 1};
  f.rules = std::move(rules);
  return f;
}

bpf::SeccompData call(std::uint32_t arch, std::uint32_t nr, std::array<std::uint64_t, 6> args = {}) {
  bpf::SeccompData data;
  data.arch = arch;
  data.nr = static_cast<int>(nr);
  data.args = args;
  return data;
}

TEST(SeccompAbi, SocketCallsAlsoHoldForSocketcallWithTheirCallNumber) {
  // socket(arg0 != AF_VSOCK): on i386 both the direct socket (359) and socketcall(SYS_SOCKET);
  // the multiplexed copy loses its own arg0 test (arg0 is the call number there).
  const Filter f = filter_with({make_rule("socket", 41, kAllow, {{0, CmpOp::Ne, 40, seccomp::kNoMask, 64}, {1, CmpOp::Eq, 1, seccomp::kNoMask, 64}})});
  const std::vector<AbiRule> i386 = rules_for_abi(f, Abi::I386);
  ASSERT_EQ(i386.size(), 2u);
  EXPECT_EQ(i386[0].nr, kI386Socket);
  ASSERT_EQ(i386[0].conditions.size(), 2u);
  EXPECT_EQ(i386[0].conditions[0].width, 32u);
  EXPECT_EQ(i386[1].nr, kSocketcall);
  ASSERT_EQ(i386[1].conditions.size(), 2u);
  EXPECT_EQ(i386[1].conditions[0], (ArgCondition{0, CmpOp::Eq, 1, seccomp::kNoMask, 32}));  // SYS_SOCKET
  EXPECT_EQ(i386[1].conditions[1].arg, 1u);

  const ReferenceFilter reference(f);
  const std::uint32_t allow = SECCOMP_RET_ALLOW, eperm = SECCOMP_RET_ERRNO | 1;
  EXPECT_EQ(reference.verdict(call(AUDIT_ARCH_I386, kSocketcall, {1, 1})), allow);
  EXPECT_EQ(reference.verdict(call(AUDIT_ARCH_I386, kSocketcall, {2, 1})), eperm);  // SYS_BIND
  EXPECT_EQ(reference.verdict(call(AUDIT_ARCH_I386, kI386Socket, {40, 1})), eperm);
  EXPECT_EQ(reference.verdict(call(AUDIT_ARCH_X86_64, 41, {40, 1})), eperm);
}

TEST(SeccompAbi, IpcCallsGoThroughIpcAndTheirDirectNumber) {
  const Filter f = filter_with({make_rule("shmat", 30, {ActionKind::Errno, 5}), make_rule("semop", 65, kAllow)});
  const std::vector<AbiRule> i386 = rules_for_abi(f, Abi::I386);
  ASSERT_EQ(i386.size(), 3u);  // shmat: 397 and ipc(SHMAT); semop: ipc(SEMOP) only
  EXPECT_EQ(i386[0].nr, kI386Shmat);
  EXPECT_EQ(i386[1].nr, kIpc);
  EXPECT_EQ(i386[1].conditions.at(0).value, 21u);
  EXPECT_EQ(i386[2].nr, kIpc);
  EXPECT_EQ(i386[2].conditions.at(0).value, 1u);
}

TEST(SeccompAbi, ThirtyTwoBitAbisCompareTheLowWordOnly) {
  const Filter f = filter_with({make_rule("personality", 135, kAllow, {{0, CmpOp::Eq, 0x100000008ULL, seccomp::kNoMask, 64}})});
  const ReferenceFilter reference(f);
  const std::uint32_t allow = SECCOMP_RET_ALLOW, eperm = SECCOMP_RET_ERRNO | 1;
  EXPECT_EQ(reference.verdict(call(AUDIT_ARCH_X86_64, 135, {8})), eperm);           // 64-bit: no
  EXPECT_EQ(reference.verdict(call(AUDIT_ARCH_X86_64, 135, {0x100000008ULL})), allow);
  EXPECT_EQ(reference.verdict(call(AUDIT_ARCH_X86_64, 0x40000000U | 135, {8})), allow);  // x32
  EXPECT_EQ(reference.verdict(call(AUDIT_ARCH_I386, 136, {8})), allow);             // i386 personality
}

TEST(SeccompAbi, NamesOfOneArchOnlyApplyThere) {
  const Filter f = filter_with({make_rule("socketcall", -10060, kAllow), make_rule("_llseek", -10025, kAllow)});
  EXPECT_TRUE(rules_for_abi(f, Abi::X86_64).empty());
  EXPECT_TRUE(rules_for_abi(f, Abi::X32).empty());
  EXPECT_EQ(rules_for_abi(f, Abi::I386).size(), 2u);
}

TEST(SeccompAbi, ArchesNotListedGetTheBadArchAction) {
  const Filter f = filter_with({make_rule("getpid", 39, kAllow)}, {"x86_64"});
  const ReferenceFilter reference(f);
  EXPECT_EQ(reference.verdict(call(AUDIT_ARCH_I386, 20)), SECCOMP_RET_KILL_PROCESS);
  EXPECT_EQ(reference.verdict(call(AUDIT_ARCH_X86_64, 0x40000000U | 39)), SECCOMP_RET_KILL_PROCESS);
  EXPECT_EQ(reference.verdict(call(AUDIT_ARCH_X86_64, 0xffffffffU)), SECCOMP_RET_ERRNO | 1);  // a tracer's skip
  EXPECT_EQ(reference.verdict(call(AUDIT_ARCH_X86_64, 39)), SECCOMP_RET_ALLOW);
}

TEST(SeccompAbi, ExplainReportsTheOtherAbisWorstCase) {
  const Filter refusing = filter_with({make_rule("socket", 41, kAllow, {{0, CmpOp::Ne, 40, seccomp::kNoMask, 64}})}, {"x86_64"});
  const Filter allowing = filter_with({make_rule("socket", 41, kAllow, {{0, CmpOp::Ne, 40, seccomp::kNoMask, 64}})});
  Diagnostics diags;
  const FilterCost refused = measure_filter(generate_policyc(refusing, diags, nullptr), default_frequency_profile());
  const FilterCost allowed = measure_filter(generate_policyc(allowing, diags, nullptr), default_frequency_profile());
  ASSERT_FALSE(diags.has_errors());
  EXPECT_EQ(refused.i386_worst, 3u);  // ld arch; jeq; ret kill
  EXPECT_GT(allowed.i386_worst, refused.i386_worst);
  EXPECT_GT(allowed.x32_worst, 3u);
}

// i386 calls through `int 0x80` from this 64-bit process, under our generated filter, each in
// a child (tests/support/seccomp_kernel.h): the kernel must give the reference's verdicts,
// socketcall multiplexing included.
TEST(SeccompAbi, I386CallsInTheKernelGetTheReferenceVerdicts) {
  Filter f = filter_with({make_rule("getpid", 39, kAllow), make_rule("getuid", 102, {ActionKind::Errno, 201}),
                          make_rule("socket", 41, {ActionKind::Errno, 203})});
  f.default_action = {ActionKind::Errno, 202};
  Diagnostics diags;
  const std::vector<sock_filter> program = generate_policyc(f, diags, nullptr);
  ASSERT_FALSE(program.empty());
  const std::vector<sock_filter> allow_all = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
  const auto probe = testing::run_i386_syscall_under_filter(allow_all, 20);  // is int 0x80 there?
  if (probe.kind != testing::KernelOutcome::Kind::Returned || probe.ret <= 0) {
    GTEST_SKIP() << "this kernel refuses int 0x80 (no IA32 emulation): " << probe.to_string();
  }
  const ReferenceFilter reference(f);
  struct Probe { long nr, arg0; const char* what; };
  const Probe probes[] = {{20, 0, "getpid"}, {24, 0, "getuid"}, {64, 0, "getppid (default)"},
                          {102, 1, "socketcall(SYS_SOCKET)"}, {102, 2, "socketcall(SYS_BIND)"}};
  for (const Probe& p : probes) {
    const auto got = testing::run_i386_syscall_under_filter(program, p.nr, {static_cast<std::uint64_t>(p.arg0)});
    const std::uint32_t want = reference.verdict(call(AUDIT_ARCH_I386, static_cast<std::uint32_t>(p.nr), {static_cast<std::uint64_t>(p.arg0)}));
    ASSERT_EQ(got.kind, testing::KernelOutcome::Kind::Returned) << p.what << ": " << got.to_string();
    if ((want & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ERRNO) {
      EXPECT_EQ(got.ret, -1) << p.what;
      EXPECT_EQ(static_cast<std::uint32_t>(got.error), want & SECCOMP_RET_DATA) << p.what;
    } else {
      EXPECT_GT(got.ret, 0) << p.what << ": " << got.to_string();
    }
  }
}

}  // namespace
}  // namespace policyc::seccomp
