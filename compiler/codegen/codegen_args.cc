// SPDX-License-Identifier: Apache-2.0
// Argument decisions: the ordered rules of one syscall, compiled into chains of 32-bit word
// tests. BPF sees one 32-bit word at a time, so a 64-bit compare is a test on the high word
// then one on the low word; width-32 compares test the low word only. Every jump tells the
// emitter what it knows, so a failed rule falls straight into the first test of the next
// rule that is not already decided. Runs of rules that only say "this argument lies in some
// values" become one value-set test (codegen_valueset.h): personality's five `arg0 == K` rules
// test the high word once and the low word with two compares.
#include <algorithm>
#include <bit>
#include <iterator>
#include <map>

#include "compiler/codegen/codegen_emitter.h"
#include "compiler/codegen/codegen_rules.h"
#include "compiler/codegen/codegen_valueset.h"

namespace policyc::seccomp::codegen {
namespace {

struct Words {            // a 64-bit quantity as the two words BPF compares
  std::uint32_t hi, lo;
  explicit Words(std::uint64_t v) : hi(static_cast<std::uint32_t>(v >> 32)), lo(static_cast<std::uint32_t>(v)) {}
};

// The cheapest test of `(word & mask) == value` (value within mask, mask != 0).
struct MaskedTest {
  std::uint16_t op;
  std::uint32_t k;
  std::uint32_t and_mask;  // kPlain: no `and` needed
  bool passes_when;        // the jump outcome that means "equal"
};

MaskedTest masked_test(std::uint32_t mask, std::uint32_t value) {
  if (mask == kPlain) return {BPF_JEQ, value, kPlain, true};
  if (value == 0) return {BPF_JSET, mask, kPlain, false};               // no bit of mask set
  if (std::popcount(mask) == 1) return {BPF_JSET, mask, kPlain, true};  // value == mask
  return {BPF_JEQ, value, mask, true};
}

Fact passed(std::uint32_t word, const MaskedTest& test) {
  return {word, test.and_mask, test.op, test.k, test.passes_when};
}

Target emit_masked_test(Emitter& e, std::uint32_t word, const MaskedTest& test, Target pass, Target fail,
                        const Knowledge& prior) {
  const Knowledge known = prior.holding(word, test.and_mask);
  if (test.passes_when) e.jump(test.op, test.k, pass, fail, &known);
  else e.jump(test.op, test.k, fail, pass, &known);
  if (test.and_mask != kPlain) e.and_mask(test.and_mask);
  return e.load(word);
}

struct Compare {          // one ArgCondition, split into words
  std::uint32_t hi_word, lo_word;
  bool has_hi;            // width 64; width 32 compares treat the high word as 0
  Words value;
  Words mask;
};

Compare split(const ArgCondition& c) {
  const std::uint64_t bits = width_bits(c);
  return {high_word(c.arg), low_word(c.arg), c.width == 64, Words(c.value & bits), Words(c.mask & bits)};
}

// x == v: T when equal, F otherwise.
Target emit_equal(Emitter& e, const Compare& c, Target t, Target f, const Knowledge& prior) {
  Knowledge low = prior;
  if (c.has_hi) low = low.with({c.hi_word, kPlain, BPF_JEQ, c.value.hi, true});
  low = low.holding(c.lo_word);
  e.jump(BPF_JEQ, c.value.lo, t, f, &low);
  const Target low_start = e.load(c.lo_word);
  if (!c.has_hi) return low_start;
  const Knowledge high = prior.holding(c.hi_word);
  e.jump(BPF_JEQ, c.value.hi, low_start, f, &high);
  return e.load(c.hi_word);
}

// `ld word; and mask` (no `and` for kPlain): the start of a test on a masked word.
Target load_masked(Emitter& e, std::uint32_t word, std::uint32_t mask) {
  if (mask != kPlain) e.and_mask(mask);
  return e.load(word);
}

// y > v (strict) or y >= v, unsigned, where y = x & mask (no mask: all ones):
// yh > vh || (yh == vh && yl >(=) vl). A mask word of 0 makes that word of y a constant 0.
Target emit_greater(Emitter& e, const Compare& c, bool strict, Target t, Target f, const Knowledge& prior) {
  if (c.has_hi && c.mask.hi == 0 && c.value.hi != 0) return f;  // yh == 0 < vh
  enum class Low { Always, Never, Test } low_result = Low::Test;
  if (c.mask.lo == 0) low_result = !strict && c.value.lo == 0 ? Low::Always : Low::Never;  // 0 >(=) vl
  else if (!strict && c.value.lo == 0) low_result = Low::Always;
  Target low_start = low_result == Low::Always ? t : f;
  if (low_result == Low::Test) {
    Knowledge low = prior;
    if (c.has_hi) low = low.with({c.hi_word, c.mask.hi, BPF_JEQ, c.value.hi, true});
    low = low.holding(c.lo_word, c.mask.lo);
    e.jump(strict ? BPF_JGT : BPF_JGE, c.value.lo, t, f, &low);
    low_start = load_masked(e, c.lo_word, c.mask.lo);
  }
  if (!c.has_hi) return low_start;
  if (c.mask.hi == 0) return c.value.hi == 0 ? low_start : f;  // yh == 0: equal to vh, or below it
  const Knowledge high = prior.holding(c.hi_word, c.mask.hi);
  if (low_result == Low::Always) {
    e.jump(BPF_JGE, c.value.hi, t, f, &high);
  } else if (low_result == Low::Never) {
    e.jump(BPF_JGT, c.value.hi, t, f, &high);
  } else if (c.value.hi == 0) {
    e.jump(BPF_JGT, 0, t, low_start, &high);
  } else if (c.value.hi == 0xffffffffU) {
    e.jump(BPF_JEQ, c.value.hi, low_start, f, &high);
  } else {
    const Knowledge not_above = high.with({c.hi_word, c.mask.hi, BPF_JGT, c.value.hi, false});
    const Target equal = e.jump(BPF_JEQ, c.value.hi, low_start, f, &not_above);
    e.jump(BPF_JGT, c.value.hi, t, equal, &high);
  }
  return load_masked(e, c.hi_word, c.mask.hi);
}

bool tests_high_mask(const Compare& c) { return c.has_hi && c.mask.hi != 0; }

// (x & m) == v, with v inside m (constant_truth dropped the rest).
Target emit_masked(Emitter& e, const Compare& c, Target t, Target f, const Knowledge& prior) {
  Target low_start = t;
  if (c.mask.lo != 0) {
    Knowledge low = prior;
    if (tests_high_mask(c)) low = low.with(passed(c.hi_word, masked_test(c.mask.hi, c.value.hi)));
    low_start = emit_masked_test(e, c.lo_word, masked_test(c.mask.lo, c.value.lo), t, f, low);
  }
  if (!tests_high_mask(c)) return low_start;
  return emit_masked_test(e, c.hi_word, masked_test(c.mask.hi, c.value.hi), low_start, f, prior);
}

Target emit_condition(Emitter& e, const ArgCondition& condition, Target pass, Target fail, const Knowledge& prior) {
  const Compare c = split(condition);
  const bool masked = is_masked(condition);
  switch (condition.op) {
    case CmpOp::Eq: return masked ? emit_masked(e, c, pass, fail, prior) : emit_equal(e, c, pass, fail, prior);
    case CmpOp::Ne: return masked ? emit_masked(e, c, fail, pass, prior) : emit_equal(e, c, fail, pass, prior);
    case CmpOp::Gt: return emit_greater(e, c, true, pass, fail, prior);
    case CmpOp::Le: return emit_greater(e, c, true, fail, pass, prior);
    case CmpOp::Ge: return emit_greater(e, c, false, pass, fail, prior);
    case CmpOp::Lt: return emit_greater(e, c, false, fail, pass, prior);
  }
  return fail;
}

// What is known about the arguments once `condition` held (only the equalities, masked or
// not; the orderings and inequalities hold on two different paths and are left out).
std::vector<Fact> facts_after(const ArgCondition& condition) {
  const Compare c = split(condition);
  std::vector<Fact> facts;
  if (is_masked_eq(condition)) {
    if (tests_high_mask(c)) facts.push_back(passed(c.hi_word, masked_test(c.mask.hi, c.value.hi)));
    if (c.mask.lo != 0) facts.push_back(passed(c.lo_word, masked_test(c.mask.lo, c.value.lo)));
  } else if (condition.op == CmpOp::Eq) {
    if (c.has_hi) facts.push_back({c.hi_word, kPlain, BPF_JEQ, c.value.hi, true});
    facts.push_back({c.lo_word, kPlain, BPF_JEQ, c.value.lo, true});
  }
  return facts;
}

Target emit_rule(Emitter& e, const ArgRule& rule, Target fail) {
  std::vector<Knowledge> before(rule.conditions.size());
  Knowledge known;
  for (std::size_t i = 0; i < rule.conditions.size(); ++i) {
    before[i] = known;
    for (const Fact& fact : facts_after(rule.conditions[i])) known = known.with(fact);
  }
  Target next = Target::ret_of(seccomp_ret(rule.action));
  for (std::size_t i = rule.conditions.size(); i-- > 0;) {
    next = emit_condition(e, rule.conditions[i], next, fail, before[i]);
  }
  return next;
}

// The rules [first, end) that form one value-set test ending at rule end-1: consecutive, one
// action, each only comparing the same argument at the same width (then their order cannot
// matter). Worth it for two rules or more, or one rule with several comparisons.
struct Run {
  std::size_t first;
  ArgKey key;
  ValueSet values;
};

// A run's values as they grow, one rule at a time: sorted disjoint intervals in a map (lo -> hi),
// so adding a rule costs a few lookups however long the run is.
class GrowingValueSet {
 public:
  std::size_t size() const { return intervals_.size(); }
  void add(std::uint64_t lo, std::uint64_t hi) {
    // Intervals that overlap or touch [lo, hi] are merged into it.
    auto it = intervals_.upper_bound(lo);
    if (it != intervals_.begin() && (std::prev(it)->second == ~0ULL || std::prev(it)->second + 1 >= lo)) --it;
    while (it != intervals_.end() && (hi == ~0ULL || it->first <= hi + 1)) {
      lo = std::min(lo, it->first);
      hi = std::max(hi, it->second);
      it = intervals_.erase(it);
    }
    intervals_.emplace(lo, hi);
  }
  ValueSet values() const { return ValueSet(intervals_.begin(), intervals_.end()); }

 private:
  std::map<std::uint64_t, std::uint64_t> intervals_;
};

// A run stops growing (towards earlier rules) beyond this many intervals: emit_value_set takes
// at most a few dozen segments, and a longer run of scattered values would only be built to be
// refused, once for every rule of it (which made long lists of `arg0 == K` quadratic).
constexpr std::size_t kMaxRunIntervals = 64;

std::optional<Run> value_run_ending_at(const std::vector<ArgRule>& rules, std::size_t end) {
  const ArgRule& last = rules[end - 1];
  const auto values = values_of(last.conditions);
  if (!values) return std::nullopt;
  Run run{end - 1, values->first, {}};
  GrowingValueSet grown;
  for (const auto& [lo, hi] : values->second) grown.add(lo, hi);
  while (run.first > 0 && rules[run.first - 1].action == last.action) {
    const auto earlier = values_of(rules[run.first - 1].conditions);
    if (!earlier || !(earlier->first == run.key)) break;
    if (grown.size() + earlier->second.size() > kMaxRunIntervals) break;
    for (const auto& [lo, hi] : earlier->second) grown.add(lo, hi);
    --run.first;
  }
  if (end - run.first < 2 && last.conditions.size() < 2) return std::nullopt;
  run.values = grown.values();
  return run;
}

}  // namespace

Target emit_outcome(Emitter& emitter, const Outcome& outcome) {
  Target next = Target::ret_of(seccomp_ret(outcome.fallback));
  const std::vector<ArgRule> rules = deciding_rules(outcome);
  std::size_t end = rules.size();
  while (end > 0) {
    if (const std::optional<Run> run = value_run_ending_at(rules, end)) {
      const Target pass = Target::ret_of(seccomp_ret(rules[end - 1].action));
      if (const std::optional<Target> test = emit_value_set(emitter, run->key, run->values, pass, next)) {
        next = *test;
        end = run->first;
        continue;
      }
    }
    next = emit_rule(emitter, rules[end - 1], next);
    --end;
  }
  return next;
}

}  // namespace policyc::seccomp::codegen
