// Unit tests of the policyc seccomp generator's parts: the range IR, condition simplification,
// the frequency profile reader, jump trampolines, the kernel-cache emulation and `explain`.
#include <gtest/gtest.h>
#include <linux/seccomp.h>

#include <random>

#include "compiler/seccomp/bpf_interp.h"
#include "compiler/seccomp/codegen.h"
#include "compiler/seccomp/codegen_rules.h"
#include "compiler/seccomp/explain.h"
#include "compiler/seccomp/frequency.h"
#include "compiler/seccomp/libseccomp_backend_verify.h"
#include "compiler/seccomp/ranges.h"
#include "tests/support/random_policy.h"

namespace policyc::seccomp {
namespace {

Rule rule(const std::string& name, int nr, Action action, std::vector<ArgCondition> conditions = {}) {
  Rule r;
  r.syscall = name;
  r.nr = nr;
  r.action = action;
  r.conditions = std::move(conditions);
  return r;
}

const Action kAllow{ActionKind::Allow, 0};
const Action kEperm{ActionKind::Errno, 1};
const Action kKill{ActionKind::KillProcess, 0};

std::uint32_t verdict(const std::vector<sock_filter>& program, int nr, std::array<std::uint64_t, 6> args = {},
                      std::uint32_t arch = bpf::kAuditArchX86_64) {
  bpf::SeccompData data;
  data.nr = nr;
  data.arch = arch;
  data.args = args;
  std::string error;
  const auto result = bpf::run(program, data, &error);
  EXPECT_TRUE(result) << error;
  return result ? result->ret : 0xdeadbeef;
}

TEST(CodegenRanges, CoverEveryNumberAndMergeEqualNeighbours) {
  Filter filter;
  filter.rules = {rule("read", 0, kAllow), rule("write", 1, kAllow), rule("close", 3, kAllow)};
  Diagnostics diags;
  const auto ranges = build_x86_64_ranges(filter, diags);
  ASSERT_TRUE(ranges);
  ASSERT_GE(ranges->size(), 5U);
  EXPECT_EQ((*ranges)[0].lo, 0U);
  EXPECT_EQ((*ranges)[0].hi, 1U);  // read and write merged
  EXPECT_EQ((*ranges)[1].lo, 2U);  // the gap: default
  EXPECT_EQ((*ranges)[1].outcome.fallback, kEperm);
  std::uint64_t next = 0;
  for (const Range& r : *ranges) {
    EXPECT_EQ(r.lo, next);
    next = static_cast<std::uint64_t>(r.hi) + 1;
  }
  EXPECT_EQ(next, 0x100000000ULL);
  // x32 numbers get the bad-arch action, nr -1 (a tracer's skip) the default
  EXPECT_EQ(ranges->back().lo, 0xffffffffU);
  EXPECT_EQ(ranges->back().outcome.fallback, kEperm);
  EXPECT_EQ((*ranges)[ranges->size() - 2].outcome.fallback, filter.bad_arch_action);
}

TEST(CodegenRanges, ArchGuards) {
  Filter filter;
  filter.default_action = kAllow;
  Diagnostics diags;
  const auto program = generate_policyc(filter, diags, nullptr);
  ASSERT_FALSE(program.empty());
  EXPECT_EQ(verdict(program, 0x40000000), SECCOMP_RET_KILL_PROCESS);
  EXPECT_EQ(verdict(program, 0x40000000 | 59), SECCOMP_RET_KILL_PROCESS);
  EXPECT_EQ(verdict(program, 59, {}, bpf::kAuditArchI386), SECCOMP_RET_KILL_PROCESS);
  EXPECT_EQ(verdict(program, 59, {}, bpf::kAuditArchAarch64), SECCOMP_RET_KILL_PROCESS);
  EXPECT_EQ(verdict(program, 59), SECCOMP_RET_ALLOW);
  filter.arches.push_back("x32");
  const auto with_x32 = generate_policyc(filter, diags, nullptr);
  EXPECT_EQ(verdict(with_x32, 0x40000000 | 59), SECCOMP_RET_ALLOW);
  EXPECT_EQ(verdict(with_x32, 59, {}, bpf::kAuditArchI386), SECCOMP_RET_KILL_PROCESS);
  filter.arches.push_back("x86");
  const auto with_i386 = generate_policyc(filter, diags, nullptr);
  EXPECT_EQ(verdict(with_i386, 59, {}, bpf::kAuditArchI386), SECCOMP_RET_ALLOW);
  EXPECT_EQ(verdict(with_i386, 59, {}, bpf::kAuditArchAarch64), SECCOMP_RET_KILL_PROCESS);
  filter.arches.push_back("aarch64");
  EXPECT_TRUE(generate_policyc(filter, diags, nullptr).empty());
  ASSERT_TRUE(diags.has_errors());
  EXPECT_NE(diags.all().back().message.find("\"aarch64\""), std::string::npos);
}

TEST(CodegenSimplify, IntervalsAndContradictions) {
  const auto both = simplify_conditions({{1, CmpOp::Ge, 5, 0, 64}, {1, CmpOp::Le, 9, 0, 64}, {1, CmpOp::Ge, 3, 0, 64}});
  ASSERT_TRUE(both);
  EXPECT_EQ(both->size(), 2U);
  EXPECT_FALSE(simplify_conditions({{0, CmpOp::Gt, 9, 0, 64}, {0, CmpOp::Lt, 3, 0, 64}}));
  EXPECT_FALSE(simplify_conditions({{0, CmpOp::Eq, 4, 0, 64}, {0, CmpOp::MaskedEq, 1, 1, 64}}));  // 4 is even
  const auto always = simplify_conditions({{0, CmpOp::Le, ~0ULL, 0, 64}, {2, CmpOp::MaskedEq, 0, 0, 64}});
  ASSERT_TRUE(always);
  EXPECT_TRUE(always->empty());
  // u32(arg0) == -1 means the low word is 0xffffffff
  const auto low = simplify_conditions({{0, CmpOp::Eq, ~0ULL, 0, 32}});
  ASSERT_TRUE(low);
  EXPECT_EQ(low->at(0).value, 0xffffffffULL);
}

TEST(CodegenFrequency, ParsesTabsAndSpacesAndReportsBadLines) {
  Diagnostics diags;
  const auto profile = parse_frequency_profile("read\t10\n# comment\nwrite 5\n\nread 2\n", "mix.tsv", diags);
  ASSERT_TRUE(profile);
  EXPECT_EQ(profile->at("read"), 12);
  EXPECT_EQ(profile->at("write"), 5);
  EXPECT_FALSE(parse_frequency_profile("read ten\n", "bad.tsv", diags));
  ASSERT_TRUE(diags.has_errors());
  EXPECT_EQ(diags.all().back().where.line, 1U);
  EXPECT_NE(diags.all().back().message.find("ten"), std::string::npos);
  EXPECT_FALSE(load_frequency_profile("/nonexistent/mix.tsv", diags));
  const auto weights = weights_by_nr(default_frequency_profile(), 512);
  EXPECT_GT(weights[0], 0.15);  // read is the hottest syscall of the built-in mix
}

// The tree is the cheapest for its profile among trees with the same worst case: a filter
// built for the mix never costs more on the mix than one built for another profile.
TEST(CodegenFrequency, TreeIsTunedToItsProfile) {
  std::mt19937_64 rng(11);
  const FrequencyProfile& mix = default_frequency_profile();
  const FrequencyProfile other = {{"getpriority", 1000}, {"kill", 500}, {"mremap", 200}};
  testing::RandomFilterOptions options;
  options.max_rules = 60;
  options.syscall_pool = 40;
  std::size_t strictly_better = 0;
  for (int i = 0; i < 60; ++i) {
    const Filter filter = testing::random_filter(rng, options);
    Diagnostics diags;
    const auto tuned = generate_policyc(filter, diags, &mix);
    const auto detuned = generate_policyc(filter, diags, &other);
    const double a = measure_filter(tuned, mix).weighted, b = measure_filter(detuned, mix).weighted;
    EXPECT_LE(a, b + 1e-9) << testing::describe_filter(filter);
    strictly_better += a < b - 1e-9;
  }
  EXPECT_GT(strictly_better, 5U);
}

// Many argument rules make the program longer than a conditional jump reaches (255): the
// generator must copy returns or insert `ja` trampolines, and keep every verdict.
TEST(CodegenTrampolines, LongProgramsKeepTheirVerdicts) {
  Filter filter;
  for (int nr = 0; nr < 120; ++nr) {
    filter.rules.push_back(rule(std::to_string(nr), nr, Action{ActionKind::Errno, static_cast<std::uint32_t>(nr + 1)},
                                {{0, CmpOp::Eq, 0x100000000ULL + nr, 0, 64}, {1, CmpOp::Gt, 7, 0, 64}}));
  }
  Diagnostics diags;
  const auto program = generate_policyc(filter, diags, nullptr);
  ASSERT_GT(program.size(), 600U);
  bool far_jump_needed = false;
  for (const auto& insn : program) far_jump_needed |= insn.code == (BPF_JMP | BPF_JA);
  EXPECT_TRUE(far_jump_needed || program.size() > 300);
  for (int nr = 0; nr < 125; ++nr) {
    for (std::uint64_t a1 : {7ULL, 8ULL}) {
      const std::array<std::uint64_t, 6> args = {0x100000000ULL + nr, a1};
      EXPECT_EQ(verdict(program, nr, args), seccomp_ret_of(ir_verdict(filter, nr, args))) << nr;
    }
  }
}

TEST(CodegenLimits, RefusesMoreThan4096Instructions) {
  Filter filter;
  for (int nr = 0; nr < 400; ++nr) {
    for (int k = 0; k < 4; ++k) {
      filter.rules.push_back(rule(std::to_string(nr), nr, Action{ActionKind::Errno, static_cast<std::uint32_t>(k + 2)},
                                  {{static_cast<unsigned>(k), CmpOp::Eq, 0x500000000ULL + nr * 7 + k, 0, 64}}));
    }
  }
  Diagnostics diags;
  EXPECT_TRUE(generate_policyc(filter, diags, nullptr).empty());
  ASSERT_TRUE(diags.has_errors());
  EXPECT_NE(diags.all().back().message.find("4096"), std::string::npos);
}

// The kernel's seccomp action cache must be able to skip every syscall our filter allows
// whatever the arguments: the dispatch uses only nr/arch loads, constant jumps and returns.
TEST(CodegenCache, EveryArgumentFreeAllowIsCacheable) {
  std::mt19937_64 rng(5);
  for (int i = 0; i < 200; ++i) {
    const Filter filter = testing::random_filter(rng);
    Diagnostics diags;
    const auto program = generate_policyc(filter, diags, nullptr);
    ASSERT_FALSE(program.empty());
    const auto ranges = build_x86_64_ranges(filter, diags);
    const std::vector<bool> cached = kernel_cache_allows(program, bpf::kAuditArchX86_64, 512);
    for (const Range& r : *ranges) {
      for (std::uint64_t nr = r.lo; nr <= r.hi && nr < 512; ++nr) {
        // Always allowed once the rules that cannot change the verdict are gone (codegen_rules.h:
        // e.g. `u32(arg2) == 5 && arg2 == 3` never holds, so the syscall is just its fallback).
        const bool always_allowed =
            codegen::deciding_rules(r.outcome).empty() && r.outcome.fallback.kind == ActionKind::Allow;
        EXPECT_EQ(cached[nr], always_allowed) << "nr " << nr << "\n" << testing::describe_filter(filter);
      }
    }
  }
}

TEST(CodegenCache, EmulationRefusesArgumentLoads) {
  const std::vector<sock_filter> program = {
      {BPF_LD | BPF_W | BPF_ABS, 0, 0, 16},  // ld arg0.lo
      {BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW}};
  EXPECT_FALSE(kernel_cache_allows(program, bpf::kAuditArchX86_64, 4)[0]);
  const std::vector<sock_filter> by_nr = {
      {BPF_LD | BPF_W | BPF_ABS, 0, 0, 0},
      {BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 2},
      {BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW},
      {BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS}};
  const auto cached = kernel_cache_allows(by_nr, bpf::kAuditArchX86_64, 4);
  EXPECT_TRUE(cached[2]);
  EXPECT_FALSE(cached[1]);
}

TEST(CodegenExplain, ListsLabelsCostsAndCache) {
  Filter filter;
  filter.rules = {rule("read", 0, kAllow), rule("socket", 41, kAllow, {{0, CmpOp::Eq, 2, 0, 64}}),
                  rule("ptrace", 101, kKill)};
  Diagnostics diags;
  const auto program = generate_policyc(filter, diags, nullptr);
  const std::string text = explain_filter(program, default_frequency_profile(), "t.pol");
  EXPECT_NE(text.find("ld arch"), std::string::npos);
  EXPECT_NE(text.find("\nL"), std::string::npos);       // labels on jump targets
  EXPECT_NE(text.find("# allow"), std::string::npos);   // returns annotated
  EXPECT_NE(text.find("socket"), std::string::npos);
  EXPECT_NE(text.find("skipped by the kernel cache: 1"), std::string::npos);
  const FilterCost cost = measure_filter(program, default_frequency_profile());
  EXPECT_TRUE(cost.valid);
  EXPECT_EQ(cost.allowed_arg_free, 1U);
  EXPECT_LE(cost.worst, 12U);
}

}  // namespace
}  // namespace policyc::seccomp
