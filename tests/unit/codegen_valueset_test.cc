// SPDX-License-Identifier: Apache-2.0
// Unit tests of the code generator's worst-case work: value-set leaves
// (codegen_valueset.h: one membership test for runs of one-argument rules, cubes, the high
// word tested once) and the search tree's looser budget for x32 numbers (codegen_tree.h).
// Each test checks both the verdicts (against ir.h's semantics) and the instruction counts
// the feature exists for, so it fails if either broke.
#include <gtest/gtest.h>
#include <linux/seccomp.h>

#include <functional>
#include <random>
#include <set>

#include "compiler/bpf/bpf_interp.h"
#include "compiler/bpf/explain.h"
#include "compiler/bpf/frequency.h"
#include "compiler/codegen/codegen.h"
#include "compiler/codegen/codegen_emitter.h"
#include "compiler/codegen/codegen_tree.h"
#include "compiler/codegen/codegen_valueset.h"
#include "compiler/docker/import.h"
#include "compiler/driver/import_filter.h"
#include "compiler/libseccomp/libseccomp_backend_verify.h"
#include "tests/support/policy_text.h"

namespace policyc::seccomp {
namespace {

using policyc::testing::kAllow;
using policyc::testing::kEperm;
const Action kEacces{ActionKind::Errno, 13};

ArgCondition cmp(CmpOp op, std::uint64_t value, unsigned width = 64, unsigned arg = 0) {
  return {arg, op, value, seccomp::kNoMask, width};
}

// One syscall's outcome compiled alone: its program and the most instructions it executes.
struct Leaf {
  std::vector<sock_filter> program;
  std::size_t worst = 0;
};

Leaf compile_leaf(const Outcome& outcome) {
  codegen::Emitter e;
  const codegen::Target entry = e.fall_into(codegen::emit_outcome(e, outcome));
  return {e.program(), e.worst_path(entry)};
}

// The verdict ir.h gives the outcome's rules for a call with `args`.
std::uint32_t expected(const Outcome& outcome, const std::array<std::uint64_t, 6>& args) {
  Filter filter;
  filter.default_action = outcome.fallback;
  for (const ArgRule& rule : outcome.rules) {
    Rule r;
    r.syscall = "x";
    r.nr = 0;
    r.action = rule.action;
    r.conditions = rule.conditions;
    filter.rules.push_back(r);
  }
  return seccomp_ret(ir_verdict(filter, 0, args));
}

std::uint32_t run_leaf(const Leaf& leaf, const std::array<std::uint64_t, 6>& args, std::size_t* executed = nullptr) {
  bpf::SeccompData data;
  data.args = args;
  std::string error;
  const auto verdict = bpf::run(leaf.program, data, &error);
  EXPECT_TRUE(verdict) << error;
  if (executed && verdict) *executed = verdict->executed;
  return verdict ? verdict->ret : 0xdeadbeef;
}

// Every value in `probes`, each +-1, in arg0 with the high word as given: same verdict as ir.h.
void expect_same_verdicts(const Outcome& outcome, const Leaf& leaf, const std::vector<std::uint64_t>& probes) {
  for (const std::uint64_t base : probes) {
    for (const std::uint64_t v : {base - 1, base, base + 1}) {
      const std::array<std::uint64_t, 6> args{v};
      std::size_t executed = 0;
      EXPECT_EQ(run_leaf(leaf, args, &executed), expected(outcome, args)) << std::hex << "arg0 0x" << v;
      EXPECT_LE(executed, leaf.worst);
    }
  }
}

Outcome personality_like(unsigned width) {
  Outcome o{{}, kEperm};
  for (const std::uint64_t v : {0ULL, 8ULL, 0x20000ULL, 0x20008ULL, 0xffffffffULL}) {
    o.rules.push_back({{cmp(CmpOp::Eq, v, width)}, kAllow});
  }
  return o;
}

// Docker's personality rules: five values, four of them a cube over bits 3 and 17. The
// high word is tested once, the low word with `jeq 0xffffffff; jset ~0x20008` (was 9).
TEST(CodegenValueSet, PersonalityIsOneHighTestAndACube) {
  const Outcome o = personality_like(64);
  const Leaf leaf = compile_leaf(o);
  EXPECT_EQ(leaf.worst, 6U);  // ld hi; jeq 0; ld lo; jeq; jset; ret
  expect_same_verdicts(o, leaf, {0, 8, 0x20000, 0x20008, 0xffffffff, 0x100000000ULL, 0x100000008ULL, 0x7, 0x20010,
                                 0xfffffff7ULL, 0xffffffff00000000ULL, 0xffffffffffffffffULL});
  // As the x32 ABI sees it (width 32): no high word at all.
  const Outcome o32 = personality_like(32);
  const Leaf leaf32 = compile_leaf(o32);
  EXPECT_EQ(leaf32.worst, 4U);  // ld lo; jeq; jset; ret
  expect_same_verdicts(o32, leaf32, {0, 8, 0x20000, 0x20008, 0xffffffff, 0x100000000ULL, 0x100000008ULL,
                                     0xffffffff00000008ULL, 0x7fffffff});
}

// A cube whose base is not 0 costs `and ~bits; jeq base` and must come after the leftovers.
TEST(CodegenValueSet, CubeWithABaseAndLeftovers) {
  Outcome o{{}, kEperm};
  for (const std::uint64_t v : {0x13ULL, 0x10ULL, 0x12ULL, 0x50ULL, 0x18ULL, 0x1aULL, 0x11ULL, 0x19ULL, 0x1bULL}) {
    o.rules.push_back({{cmp(CmpOp::Eq, v, 32, 0)}, kAllow});
  }
  const Leaf leaf = compile_leaf(o);
  // 0x10..0x13 and 0x18..0x1b are the cube 0x10 + {0,1,2,3,8,9,10,11}; 0x50 is left over.
  EXPECT_EQ(leaf.worst, 5U);  // ld lo; jeq 0x50; and; jeq 0x10; ret (a jeq chain: 11)
  std::vector<std::uint64_t> all;
  for (std::uint64_t v = 0; v < 0x80; ++v) all.push_back(v);
  all.push_back(0x100000012ULL);
  expect_same_verdicts(o, leaf, all);
}

// socket's rules in Docker's profile: arg0 < 38, == 39, > 40 (everything but 38 and 40).
TEST(CodegenValueSet, IntervalsBecomeTestsOnTheirComplement) {
  const Outcome o{{{{cmp(CmpOp::Lt, 38)}, kAllow}, {{cmp(CmpOp::Eq, 39)}, kAllow}, {{cmp(CmpOp::Gt, 40)}, kAllow}},
                  kEperm};
  const Leaf leaf = compile_leaf(o);
  EXPECT_EQ(leaf.worst, 6U);  // ld hi; jeq 0; ld lo; jeq 38; jeq 40; ret (was 7)
  expect_same_verdicts(o, leaf, {0, 38, 39, 40, 41, 0x100000026ULL, 0x100000028ULL, 0xffffffffULL,
                                 0xffffffffffffffffULL});
}

// Runs stop at a rule with another action or another argument: order still decides there.
TEST(CodegenValueSet, RunsKeepRuleOrder) {
  const Outcome o{{{{cmp(CmpOp::Eq, 5)}, kAllow},
                   {{cmp(CmpOp::Ge, 3)}, kEacces},      // 5 was allowed before this
                   {{cmp(CmpOp::Eq, 4)}, kAllow},       // shadowed by >= 3: EACCES wins
                   {{cmp(CmpOp::Eq, 1)}, kAllow},
                   {{cmp(CmpOp::Eq, 2, 64, 1)}, kAllow},  // another argument
                   {{cmp(CmpOp::Eq, 0)}, kAllow}},
                  kEperm};
  const Leaf leaf = compile_leaf(o);
  for (std::uint64_t a0 = 0; a0 < 8; ++a0) {
    for (std::uint64_t a1 : {0ULL, 2ULL, 0x100000002ULL}) {
      const std::array<std::uint64_t, 6> args{a0, a1};
      EXPECT_EQ(run_leaf(leaf, args), expected(o, args)) << a0 << " " << a1;
    }
  }
}

// A rule with the fallback's action that no later rule with another action can hold with
// decides nothing and is not tested (a random filter where libseccomp was one cheaper); one
// that overlaps a later rule is kept.
TEST(CodegenValueSet, RulesThatDecideNothingAreNotTested) {
  const Action kEnosys{ActionKind::Errno, 38};
  const ArgRule never_with_allow{{cmp(CmpOp::Gt, 9, 64, 5), {1, CmpOp::Eq, 0x20, 0xe5c260a2, 64}}, kEnosys};
  const ArgRule allow{{cmp(CmpOp::Eq, 0x1000000d8ULL, 64, 1), cmp(CmpOp::Eq, 0xe897f6de0b50b8acULL, 64, 0)}, kAllow};
  const Outcome o{{never_with_allow, allow}, kEnosys};
  const Leaf leaf = compile_leaf(o);
  for (const sock_filter& insn : leaf.program) EXPECT_NE(insn.code, BPF_ALU | BPF_AND | BPF_K);  // no masked test
  EXPECT_EQ(leaf.worst, 9U);  // the allow rule alone: two 64-bit compares + ret
  std::vector<std::array<std::uint64_t, 6>> calls;
  for (std::uint64_t a0 : {0ULL, 0xe897f6de0b50b8acULL}) {
    for (std::uint64_t a1 : {0ULL, 0x20ULL, 0x1000000d8ULL, 0x1000000a0ULL}) {
      for (std::uint64_t a5 : {0ULL, 10ULL}) calls.push_back({a0, a1, 0, 0, 0, a5});
    }
  }
  for (const auto& args : calls) EXPECT_EQ(run_leaf(leaf, args), expected(o, args));
  // (arg1 & 0xe5c260a2) == 0x80 can hold with arg1 == 0x1000000d8: the rule stays and wins.
  const ArgRule overlapping{{cmp(CmpOp::Gt, 9, 64, 5), {1, CmpOp::Eq, 0x80, 0xe5c260a2, 64}}, kEnosys};
  const Outcome kept{{overlapping, allow}, kEnosys};
  const Leaf with_rule = compile_leaf(kept);
  EXPECT_GT(with_rule.worst, 9U);
  for (const auto& args : calls) EXPECT_EQ(run_leaf(with_rule, args), expected(kept, args));
  EXPECT_EQ(run_leaf(with_rule, {0xe897f6de0b50b8acULL, 0x1000000d8ULL, 0, 0, 0, 10}), seccomp_ret(kEnosys));
}

// Rules that can never hold across widths (the range IR simplifies each width on its own)
// cost nothing: a 64-bit bound on a low word, and a masked value above the largest argument.
TEST(CodegenValueSet, RulesThatCannotHoldAcrossWidthsAreNotTested) {
  const Action kTrace{ActionKind::Trace, 7};
  const Outcome o{{{{cmp(CmpOp::Eq, 0x5d, 32, 2), cmp(CmpOp::Le, 7, 64, 2)}, kTrace},
                   {{{0, CmpOp::Eq, 0x7fff0000, 0xffff0000, 32}, cmp(CmpOp::Le, 1, 64, 0)}, kAllow}},
                  kEperm};
  const Leaf leaf = compile_leaf(o);
  EXPECT_EQ(leaf.worst, 1U);  // ret errno(EPERM)
  for (const std::uint64_t v : {0ULL, 1ULL, 7ULL, 0x5dULL, 0x7fff0000ULL, 0x10000005dULL}) {
    const std::array<std::uint64_t, 6> args{v, 0, v};
    EXPECT_EQ(run_leaf(leaf, args), expected(o, args)) << v;
  }
  // With `arg2 <= 0x10000005d` the call 0x10000005d matches both: the rule stays.
  const Outcome possible{{{{cmp(CmpOp::Eq, 0x5d, 32, 2), cmp(CmpOp::Le, 0x10000005dULL, 64, 2)}, kTrace}}, kEperm};
  const Leaf kept = compile_leaf(possible);
  EXPECT_GT(kept.worst, 1U);
  for (const std::uint64_t v : {0x5dULL, 0x10000005dULL, 0x20000005dULL, 7ULL}) {
    const std::array<std::uint64_t, 6> args{0, 0, v};
    EXPECT_EQ(run_leaf(kept, args), expected(possible, args)) << v;
  }
}

TEST(CodegenValueSet, ValuesOfConditions) {
  using codegen::ValueSet;
  const auto v = codegen::values_of({cmp(CmpOp::Ge, 3), cmp(CmpOp::Le, 9), cmp(CmpOp::Ne, 5), cmp(CmpOp::Ne, 9)});
  ASSERT_TRUE(v);
  EXPECT_EQ(v->second, (ValueSet{{3, 4}, {6, 8}}));
  EXPECT_EQ(codegen::values_of({cmp(CmpOp::Gt, 9), cmp(CmpOp::Lt, 3)})->second, ValueSet{});
  EXPECT_EQ(codegen::values_of({cmp(CmpOp::Ne, 0xffffffff, 32)})->second, (ValueSet{{0, 0xfffffffe}}));
  EXPECT_FALSE(codegen::values_of({cmp(CmpOp::Eq, 1), cmp(CmpOp::Eq, 1, 64, 1)}));  // two arguments
  EXPECT_FALSE(codegen::values_of({cmp(CmpOp::Eq, 1), cmp(CmpOp::Eq, 1, 32)}));     // two widths
  EXPECT_FALSE(codegen::values_of({{0, CmpOp::Eq, 0, 4, 64}}));
  EXPECT_EQ(codegen::unite({{1, 3}, {10, 12}}, {{4, 5}, {11, 20}, {~0ULL, ~0ULL}}),
            (ValueSet{{1, 5}, {10, 20}, {~0ULL, ~0ULL}}));
}

// Random runs of one-argument rules (all operators, both widths, values near a few high
// words, two actions) against ir.h on every constant and its neighbours.
TEST(CodegenValueSet, RandomRunsMatchTheSemantics) {
  std::mt19937_64 rng(7);
  const std::vector<std::uint64_t> highs = {0, 1, 0xffffffffULL};
  const std::vector<std::uint64_t> lows = {0, 1, 2, 3, 7, 8, 9, 0x7fffffff, 0x80000000ULL, 0xfffffffeULL, 0xffffffffULL};
  auto pick = [&](const std::vector<std::uint64_t>& from) { return from[rng() % from.size()]; };
  for (int round = 0; round < 400; ++round) {
    Outcome o{{}, rng() % 2 ? kEperm : kAllow};
    const unsigned width = rng() % 3 ? 64 : 32;
    std::set<std::uint64_t> probes;
    const int rules = 1 + static_cast<int>(rng() % 6);
    for (int r = 0; r < rules; ++r) {
      std::vector<ArgCondition> conditions;
      const int count = 1 + static_cast<int>(rng() % 2);
      for (int c = 0; c < count; ++c) {
        const std::uint64_t value = pick(highs) << 32 | pick(lows);
        conditions.push_back(cmp(static_cast<CmpOp>(rng() % 6), value, width));
        probes.insert(value);
        probes.insert(value & 0xffffffffULL);
      }
      o.rules.push_back({conditions, rng() % 4 ? kAllow : kEacces});
    }
    const Leaf leaf = compile_leaf(o);
    std::vector<std::uint64_t> all(probes.begin(), probes.end());
    for (const std::uint64_t h : highs) all.push_back(h << 32 | 5);
    expect_same_verdicts(o, leaf, all);
    if (HasFailure()) break;
  }
}

// Tree depth of every range, from the SearchTree's splits.
std::vector<std::size_t> depths(const codegen::SearchTree& tree, std::size_t n) {
  std::vector<std::size_t> depth(n, 0);
  std::function<void(std::size_t, std::size_t, std::size_t)> walk = [&](std::size_t i, std::size_t j, std::size_t d) {
    if (i == j) {
      depth[i] = d;
      return;
    }
    const codegen::Split& s = tree.split(i, j);
    if (s.hole) {
      depth[i] = depth[i + 2] = d + 1, depth[i + 1] = d + 1;
      return;
    }
    walk(i, s.left_last, d + 1);
    walk(s.left_last + 1, j, d + 1);
  };
  walk(0, n - 1, 0);
  return depth;
}

// Distinct outcomes, so no two ranges share a leaf or form a one-compare hole.
Outcome nth_errno(std::uint32_t k) { return Outcome{{}, Action{ActionKind::Errno, 1 + k % 4000}}; }

// 16 native ranges and 200 x32 ones (numbers >= 0x40000000): with one budget for all, 216
// ranges put some native range at depth 7 or more; with x32 allowed 3 deeper, every native
// range fits in depth 6 (16/64 + 200/512 <= 1) while x32 ones stay within native + 3.
TEST(CodegenTreeBudget, X32RangesGoDeeperThanNativeOnes) {
  std::vector<Range> ranges;
  for (std::uint32_t k = 0; k < 16; ++k) ranges.push_back({k, k, nth_errno(k), ""});
  ranges.back().hi = 0x3fffffff;
  for (std::uint32_t k = 0; k < 200; ++k) ranges.push_back({0x40000000U + k, 0x40000000U + k, nth_errno(16 + k), ""});
  ranges.back().hi = 0xffffffffU;
  // x32 as hot as native: only the budget differs
  const std::vector<double> weights(ranges.size(), 1.0 / static_cast<double>(ranges.size()));
  const std::vector<std::size_t> leaf_costs(ranges.size(), 1);
  const codegen::SearchTree tree(ranges, weights, leaf_costs);
  const std::vector<std::size_t> depth = depths(tree, ranges.size());
  std::size_t native = 0, x32 = 0;
  for (std::size_t i = 0; i < ranges.size(); ++i) (i < 16 ? native : x32) = std::max(i < 16 ? native : x32, depth[i]);
  EXPECT_LE(native, 6U);
  EXPECT_LE(x32, native + 3);
  EXPECT_GE(x32, 8U);  // 200 ranges cannot all be shallower
}

// 64 equally cold ranges fit a balanced tree of depth 6, but one range taking 90% of the calls
// then pays 6 compares: one more instruction in the worst case (depth 7) lets it pay 1, which
// saves far more than an instruction per call, so the tree takes it; a uniform profile does not.
TEST(CodegenTreeBudget, TradesOneWorstCaseInstructionOnlyForAWholeOneOnAverage) {
  std::vector<Range> ranges;
  for (std::uint32_t k = 0; k < 64; ++k) ranges.push_back({k, k, nth_errno(k), ""});
  ranges.back().hi = 0xffffffffU;
  std::vector<double> skewed(ranges.size(), 0.1 / 63);
  skewed[0] = 0.9;
  const std::vector<std::size_t> leaf_costs(ranges.size(), 1);
  const std::vector<std::size_t> hot = depths(codegen::SearchTree(ranges, skewed, leaf_costs), ranges.size());
  EXPECT_EQ(hot[0], 1U);
  EXPECT_EQ(*std::max_element(hot.begin(), hot.end()), 7U);
  const std::vector<double> uniform(ranges.size(), 1.0 / 64);
  const std::vector<std::size_t> flat = depths(codegen::SearchTree(ranges, uniform, leaf_costs), ranges.size());
  EXPECT_EQ(*std::max_element(flat.begin(), flat.end()), 6U);
}

// The worst-case targets on Docker's default profile (arches x86_64 and x32): worst case at
// most 12 instructions per x86_64 syscall, at most 8 on average over the shared syscall mix.
TEST(CodegenTreeBudget, DockerProfileMeetsTheTargets) {
  Diagnostics diags;
  std::optional<Filter> filter =
      import_filter_file(std::string(SHARED_TESTDATA_DIR) + "/seccomp/docker-default.json", {}, diags);
  ASSERT_TRUE(filter);
  filter->arches = {"x86_64", "x32"};
  const auto mix = load_frequency_profile(std::string(SHARED_TESTDATA_DIR) + "/syscall-mix/tar-python.tsv", diags);
  ASSERT_TRUE(mix);
  const std::vector<sock_filter> program = generate_policyc(*filter, diags, &*mix);
  ASSERT_FALSE(program.empty());
  const FilterCost cost = measure_filter(program, *mix);
  EXPECT_LE(cost.worst, 12U);
  EXPECT_LE(cost.weighted, 8.0);
  EXPECT_LE(cost.x32_worst, cost.worst + 3);
}

}  // namespace
}  // namespace policyc::seccomp
