// SPDX-License-Identifier: Apache-2.0
// Unit tests of the policyc seccomp generator's parts: the range IR, condition simplification,
// the frequency profile reader, jump trampolines, the kernel-cache emulation and `explain`.
#include <gtest/gtest.h>
#include <linux/seccomp.h>

#include <random>

#include "compiler/backend/backend.h"
#include "compiler/bpf/bpf_interp.h"
#include "compiler/bpf/explain.h"
#include "compiler/bpf/frequency.h"
#include "compiler/codegen/codegen.h"
#include "compiler/codegen/codegen_rules.h"
#include "compiler/codegen/ranges.h"
#include "compiler/libseccomp/libseccomp_backend.h"
#include "compiler/libseccomp/libseccomp_backend_verify.h"
#include "compiler/seccomp/abi.h"
#include "tests/support/random_policy.h"
#include "tests/support/policy_text.h"

namespace policyc::seccomp {
namespace {

using policyc::testing::make_rule;

using policyc::testing::kAllow;
using policyc::testing::kEperm;
using policyc::testing::kKill;

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
  filter.rules = {make_rule("read", 0, kAllow), make_rule("write", 1, kAllow), make_rule("close", 3, kAllow)};
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
  const auto both = simplify_conditions({{1, CmpOp::Ge, 5, seccomp::kNoMask, 64}, {1, CmpOp::Le, 9, seccomp::kNoMask, 64}, {1, CmpOp::Ge, 3, seccomp::kNoMask, 64}});
  ASSERT_TRUE(both);
  EXPECT_EQ(both->size(), 2U);
  EXPECT_FALSE(simplify_conditions({{0, CmpOp::Gt, 9, seccomp::kNoMask, 64}, {0, CmpOp::Lt, 3, seccomp::kNoMask, 64}}));
  EXPECT_FALSE(simplify_conditions({{0, CmpOp::Eq, 4, seccomp::kNoMask, 64}, {0, CmpOp::Eq, 1, 1, 64}}));  // 4 is even
  const auto always = simplify_conditions({{0, CmpOp::Le, ~0ULL, seccomp::kNoMask, 64}, {2, CmpOp::Eq, 0, 0, 64}});  // (arg2 & 0) == 0
  ASSERT_TRUE(always);
  EXPECT_TRUE(always->empty());
  // u32(arg0) == -1 means the low word is 0xffffffff
  const auto low = simplify_conditions({{0, CmpOp::Eq, ~0ULL, seccomp::kNoMask, 32}});
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
    const FilterCost tuned_cost = measure_filter(tuned, mix), detuned_cost = measure_filter(detuned, mix);
    const double a = tuned_cost.weighted, b = detuned_cost.weighted;
    // The worst case comes first: a profile may take a deeper worst case where that buys it
    // enough, and that tree can happen to serve the mix better too.
    EXPECT_TRUE(a <= b + 1e-9 || tuned_cost.worst < detuned_cost.worst)
        << a << " vs " << b << ", worst " << tuned_cost.worst << " vs " << detuned_cost.worst << "\n"
        << testing::describe_filter(filter);
    strictly_better += a < b - 1e-9;
  }
  EXPECT_GT(strictly_better, 5U);
}

// Many argument rules make the program longer than a conditional jump reaches (255): the
// generator must copy returns or insert `ja` trampolines, and keep every verdict.
TEST(CodegenTrampolines, LongProgramsKeepTheirVerdicts) {
  Filter filter;
  for (int nr = 0; nr < 120; ++nr) {
    filter.rules.push_back(make_rule(std::to_string(nr), nr, Action{ActionKind::Errno, static_cast<std::uint32_t>(nr + 1)},
                                {{0, CmpOp::Eq, 0x100000000ULL + nr, seccomp::kNoMask, 64}, {1, CmpOp::Gt, 7, seccomp::kNoMask, 64}}));
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
      EXPECT_EQ(verdict(program, nr, args), seccomp_ret(ir_verdict(filter, nr, args))) << nr;
    }
  }
}

TEST(CodegenLimits, RefusesMoreThan4096Instructions) {
  Filter filter;
  for (int nr = 0; nr < 400; ++nr) {
    for (int k = 0; k < 4; ++k) {
      filter.rules.push_back(make_rule(std::to_string(nr), nr, Action{ActionKind::Errno, static_cast<std::uint32_t>(k + 2)},
                                  {{static_cast<unsigned>(k), CmpOp::Eq, 0x500000000ULL + nr * 7 + k, seccomp::kNoMask, 64}}));
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
  filter.rules = {make_rule("read", 0, kAllow), make_rule("socket", 41, kAllow, {{0, CmpOp::Eq, 2, seccomp::kNoMask, 64}}),
                  make_rule("ptrace", 101, kKill)};
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

// Every operator on a masked argument, at both widths, against condition_holds: masks that
// clear a whole word, straddle both words or clear everything, values inside and outside.
TEST(CodegenArgs, EveryOperatorOnAMaskedArgumentMatchesTheIr) {
  const std::uint64_t masks[] = {0xff, 0xffff0000ULL, 0x100000001ULL, 0xff00000000ULL, 0, 0x80000000ULL, 0xfffffffffffffff0ULL};
  const std::uint64_t values[] = {0, 1, 5, 0xff, 0x100, 0x80000000ULL, 0xffff0000ULL, 0x100000000ULL, 0x100000001ULL};
  std::vector<std::uint64_t> probes = {0, 1, 4, 5, 6, 0xfe, 0xff, 0x100, 0x105, 0x7fffffff, 0x80000000, 0xffffffff,
                                       0x100000000, 0x100000001, 0x1000000ff, 0xff00000000, 0xffffffffffffffff};
  for (std::uint64_t v : values) probes.insert(probes.end(), {v, v + 1, v - 1, v | 0xff00ff00ff00ff00ULL});
  std::size_t checked = 0;
  for (int op = 0; op < 6; ++op) {
    for (const std::uint64_t mask : masks) {
      for (const unsigned width : {32U, 64U}) {
        for (const std::uint64_t value : values) {
          const ArgCondition c{2, static_cast<CmpOp>(op), value, mask, width};
          Filter filter;
          filter.rules = {make_rule("read", 0, kAllow, {c})};
          Diagnostics diags;
          const auto program = generate_policyc(filter, diags, nullptr);
          ASSERT_FALSE(program.empty()) << condition_text(c);
          for (const std::uint64_t x : probes) {
            const std::array<std::uint64_t, 6> args{0, 0, x, 0, 0, 0};
            const std::uint32_t want = seccomp_ret(condition_holds(c, args) ? kAllow : kEperm);
            ASSERT_EQ(verdict(program, 0, args), want) << condition_text(c) << " width " << width << " on 0x" << std::hex << x;
            ++checked;
          }
        }
      }
    }
  }
  EXPECT_GT(checked, 10000U);
}

// (arg2 & 0xff) > 5 tests the low word alone: ld, and, jgt - no high-word test, since the
// mask clears it.
TEST(CodegenArgs, AMaskedOrderingLoadsOnlyTheWordsTheMaskKeeps) {
  Filter filter;
  filter.rules = {make_rule("mmap", 9, kAllow, {{2, CmpOp::Gt, 5, 0xff, 64}})};
  Diagnostics diags;
  const auto program = generate_policyc(filter, diags, nullptr);
  std::size_t loads_of_arg2_high = 0, ands = 0;
  for (const sock_filter& insn : program) {
    loads_of_arg2_high += insn.code == (BPF_LD | BPF_W | BPF_ABS) && insn.k == 20 + 8 * 2;
    ands += insn.code == (BPF_ALU | BPF_AND | BPF_K) && insn.k == 0xff;
  }
  EXPECT_EQ(loads_of_arg2_high, 0U);
  EXPECT_EQ(ands, 1U);
  EXPECT_EQ(verdict(program, 9, {0, 0, 0x1234500000106ULL, 0, 0, 0}), SECCOMP_RET_ALLOW);
  EXPECT_EQ(verdict(program, 9, {0, 0, 0x105, 0, 0, 0}), seccomp_ret(kEperm));
}

// Regression (random filter seed 9 #277, worst 19 vs libseccomp's 17): tuxcall's second rule
// re-tested `arg1 < 0x1000000cd`, which holds whenever the first rule (`arg1 >= 0x226ebe34`)
// failed; its leaf cost 15 instead of 11 and pushed the tree deeper.
TEST(CodegenRules, EarlierFailuresDecideLaterComparisons) {
  const Action trap{ActionKind::Trap, 0}, log{ActionKind::Log, 0};
  Outcome tuxcall;
  tuxcall.fallback = trap;
  tuxcall.rules = {{{{1, CmpOp::Ge, 0x226ebe34, seccomp::kNoMask, 64}}, trap},
                   {{{0, CmpOp::Lt, 0x20000010c, seccomp::kNoMask, 64}, {1, CmpOp::Lt, 0x1000000cd, seccomp::kNoMask, 64}}, log}};
  const std::vector<ArgRule> rules = codegen::deciding_rules(tuxcall);
  ASSERT_EQ(rules.size(), 2U);
  EXPECT_EQ(rules[1].conditions, (std::vector<ArgCondition>{{0, CmpOp::Lt, 0x20000010c, seccomp::kNoMask, 64}}));

  // A rule the earlier failures rule out goes; after one that then always holds, nothing counts.
  Outcome narrowed;
  narrowed.fallback = log;
  narrowed.rules = {{{{0, CmpOp::Lt, 10, seccomp::kNoMask, 32}}, kAllow},
                    {{{0, CmpOp::Eq, 5, seccomp::kNoMask, 32}}, kEperm},     // arg0 < 10 already allowed it
                    {{{0, CmpOp::Ge, 10, seccomp::kNoMask, 32}}, kKill},     // always holds once reached
                    {{{1, CmpOp::Eq, 3, seccomp::kNoMask, 64}}, kEperm}};    // never reached
  const std::vector<ArgRule> kept = codegen::deciding_rules(narrowed);
  ASSERT_EQ(kept.size(), 2U);
  EXPECT_EQ(kept[0].action, kAllow);
  EXPECT_EQ(kept[1].action, kKill);
  EXPECT_FALSE(kept[1].conditions.empty());  // never unconditional: ranges.cc relies on it
  // Another width says nothing about this one: `u32(arg0) < 10` failing leaves arg0 == 5 open.
  narrowed.rules[1].conditions[0].width = 64;
  EXPECT_EQ(codegen::deciding_rules(narrowed)[1].action, kEperm);
}

// Regression (random filter seed 13 #527, worst 14 vs 13): two masks of one argument were
// tested one after the other (a load and a jset per word each); together they are one mask.
TEST(CodegenRules, MasksOfOneArgumentMerge) {
  Outcome truncate;
  truncate.fallback = kEperm;
  truncate.rules = {{{{0, CmpOp::Eq, 0, 0x100000001, 64}, {0, CmpOp::Eq, 0, 0xfa761abcf34700a2, 64}}, kKill}};
  const std::vector<ArgRule> rules = codegen::deciding_rules(truncate);
  ASSERT_EQ(rules.size(), 1U);
  EXPECT_EQ(rules[0].conditions, (std::vector<ArgCondition>{{0, CmpOp::Eq, 0, 0xfa761abdf34700a3, 64}}));
  // Masks that disagree on a shared bit are left apart (the rule never holds).
  truncate.rules[0].conditions = {{0, CmpOp::Eq, 1, 3, 64}, {0, CmpOp::Eq, 0, 1, 64}};
  EXPECT_TRUE(codegen::never_holds(truncate.rules[0].conditions));
  // Regression (seed 19 #316, worst 12 vs 8): a u32 mask and a 64-bit one on the same argument
  // merge too, into a 64-bit mask whose low word carries the u32 one...
  truncate.rules[0].conditions = {{2, CmpOp::Eq, 0x0606, 0xffff0f0f, 32}, {2, CmpOp::Eq, 0x100000000, 0x100000000, 64}};
  EXPECT_EQ(codegen::deciding_rules(truncate)[0].conditions,
            (std::vector<ArgCondition>{{2, CmpOp::Eq, 0x100000606, 0x1ffff0f0f, 64}}));
  // ...and when they disagree on a low bit the rule never holds, so the syscall is its fallback.
  truncate.rules[0].conditions = {{2, CmpOp::Eq, 0x46260621, 0xcf7616a9, 32},
                                  {2, CmpOp::Eq, 0x40c1460044092400, 0x50c3ce19f51b3680, 64}};
  EXPECT_TRUE(codegen::deciding_rules(truncate).empty());
}

// Most instructions over native x86_64 calls, as the differential test counts them.
std::size_t native_worst(const std::vector<sock_filter>& program, const std::vector<bpf::SeccompData>& calls) {
  std::size_t worst = 0;
  for (const bpf::SeccompData& call : calls) {
    if (call.arch != bpf::kAuditArchX86_64 || (static_cast<std::uint32_t>(call.nr) >= 0x40000000U && call.nr != -1)) continue;
    worst = std::max(worst, bpf::run(program, call)->executed);
  }
  return worst;
}

// The random filters the two regressions above came from: the same verdicts as the IR, and
// no more instructions than libseccomp's optimize=2 filter on any native call.
TEST(CodegenVsLibseccomp, FiltersThatWereCostlier) {
  const Action trap{ActionKind::Trap, 0}, log{ActionKind::Log, 0}, kill_thread{ActionKind::KillThread, 0};
  Filter seed9;
  seed9.default_action = trap;
  seed9.rules = {make_rule("syncfs", 306, {ActionKind::Errno, 2}, {{1, CmpOp::Eq, 0xc0, seccomp::kNoMask, 64}, {5, CmpOp::Le, 0x7fffffff, seccomp::kNoMask, 64}}),
                 make_rule("move_pages", 279, kKill),
                 make_rule("stat", 4, {ActionKind::Trace, 55771}),
                 make_rule("pkey_free", 331, trap, {{1, CmpOp::Ne, 1, seccomp::kNoMask, 64}}),
                 make_rule("timer_getoverrun", 225, kill_thread, {{2, CmpOp::Eq, 0, 0x400000000, 64}}),
                 make_rule("inotify_init1", 294, kAllow),
                 make_rule("tuxcall", 184, trap, {{1, CmpOp::Ge, 0x226ebe34, seccomp::kNoMask, 64}}),
                 make_rule("stat", 4, {ActionKind::Errno, 13}, {{1, CmpOp::Eq, 0, 0x100000001, 64}}),
                 make_rule("tuxcall", 184, log, {{0, CmpOp::Lt, 0x20000010c, seccomp::kNoMask, 64}, {1, CmpOp::Lt, 0x1000000cd, seccomp::kNoMask, 64}})};
  Filter seed13;
  seed13.arches = {"x86_64", "x86"};
  seed13.default_action = {ActionKind::Errno, 22};
  seed13.rules = {make_rule("truncate", 76, kill_thread,
                       {{0, CmpOp::Eq, 0, 0x100000001, 64}, {0, CmpOp::Eq, 0, 0xfa761abcf34700a2, 64}})};
  for (const Filter* filter : {&seed9, &seed13}) {
    Diagnostics diags;
    const auto ours = generate_policyc(*filter, diags, nullptr);
    const auto theirs = compile_libseccomp(*filter, diags, 2);
    ASSERT_FALSE(ours.empty());
    ASSERT_FALSE(theirs.empty());
    std::mt19937_64 rng(1);
    std::vector<bpf::SeccompData> calls = testing::probe_calls(*filter, rng);
    bpf::SeccompData syncfs_passing;  // seed 9's longest path: syncfs's rule holds
    syncfs_passing.nr = 306;
    syncfs_passing.arch = bpf::kAuditArchX86_64;
    syncfs_passing.args = {0, 0xc0, 0, 0, 0, 1};
    calls.push_back(syncfs_passing);
    const ReferenceFilter reference(*filter);
    for (const bpf::SeccompData& call : calls) {
      ASSERT_EQ(bpf::run(ours, call)->ret, reference.verdict(call)) << testing::describe_call(call);
    }
    EXPECT_LE(native_worst(ours, calls), native_worst(theirs, calls)) << testing::describe_filter(*filter);
  }
}

}  // namespace
}  // namespace policyc::seccomp
