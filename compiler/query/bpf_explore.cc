// SPDX-License-Identifier: Apache-2.0
#include "compiler/query/bpf_explore.h"

#include <algorithm>
#include <cstring>
#include <set>
#include <string>

namespace policyc::query {
namespace {

// What the accumulator, X or a scratch word holds on one abstract path.
struct Value {
  enum Kind : std::uint8_t { Const, Word, Computed } kind = Const;
  std::uint32_t constant = 0;  // Const
  std::uint8_t word = 0;       // Word: (word of seccomp_data) & mask
  std::uint32_t mask = 0;
};

struct State {
  std::size_t pc = 0;
  Value a, x;
  std::array<Value, BPF_MEMWORDS> mem{};
  std::string key() const {
    std::string out(reinterpret_cast<const char*>(&pc), sizeof pc);
    auto add = [&](const Value& v) {
      out.push_back(static_cast<char>(v.kind));
      out.append(reinterpret_cast<const char*>(&v.constant), sizeof v.constant);
      out.push_back(static_cast<char>(v.word));
      out.append(reinterpret_cast<const char*>(&v.mask), sizeof v.mask);
    };
    add(a);
    add(x);
    for (const Value& m : mem) add(m);
    return out;
  }
};

Value constant(std::uint32_t c) { return {Value::Const, c, 0, 0}; }

std::optional<std::uint32_t> alu(std::uint16_t op, std::uint32_t a, std::uint32_t operand) {
  switch (op) {
    case BPF_ADD: return a + operand;
    case BPF_SUB: return a - operand;
    case BPF_MUL: return a * operand;
    case BPF_DIV: if (operand == 0) return std::nullopt; return a / operand;
    case BPF_MOD: if (operand == 0) return std::nullopt; return a % operand;
    case BPF_AND: return a & operand;
    case BPF_OR: return a | operand;
    case BPF_XOR: return a ^ operand;
    case BPF_LSH: return operand >= 32 ? 0 : a << operand;
    case BPF_RSH: return operand >= 32 ? 0 : a >> operand;
    case BPF_NEG: return -a;
    default: return std::nullopt;
  }
}

Test test_of(std::uint16_t op, std::uint32_t mask, std::uint32_t k) {
  switch (op) {
    case BPF_JEQ: return {mask, Cmp::Eq, k};
    case BPF_JGT: return {mask, Cmp::Gt, k};
    case BPF_JGE: return {mask, Cmp::Ge, k};
    default: return {mask & k, Cmp::Ne, 0};  // JSET
  }
}

[[noreturn]] void refuse(std::size_t pc, const std::string& what) {
  throw QueryError{"instruction " + std::to_string(pc) + " " + what +
                   ": query/diff follow only filters that compare (masked) seccomp_data words with constants, "
                   "as policyc, libseccomp and Docker generate them"};
}

// What is known of each word on the path being explored: its value, or tests it passed/failed.
struct WordState {
  std::optional<std::uint32_t> value;
  std::vector<Literal> literals;
};
using Region = std::array<WordState, 16>;

std::uint32_t witness_of(const WordState& w) {
  if (w.value) return *w.value;
  return static_cast<std::uint32_t>(solve(w.literals, 0xffffffffULL).value_or(0));
}

class Walker {
 public:
  Walker(const std::vector<sock_filter>& program, const Region& region) : program_(program), region_(region) {}

  std::vector<WordTest> run() {
    push(State{});
    while (!stack_.empty()) {
      State s = stack_.back();
      stack_.pop_back();
      step_until_branch(s);
    }
    return found_;
  }

 private:
  void push(const State& s) {
    if (s.pc >= program_.size()) return;  // the interpreter reports this path as an error
    if (!seen_.insert(s.key()).second) return;
    if (seen_.size() > 2000000) throw QueryError{"the filter has too many paths to follow"};
    stack_.push_back(s);
  }

  Value load(std::uint32_t offset) const {
    if (offset % 4 != 0 || offset + 4 > 64) return {Value::Computed, 0, 0, 0};
    const unsigned word = offset / 4;
    if (region_[word].value) return constant(*region_[word].value);
    return {Value::Word, 0, static_cast<std::uint8_t>(word), 0xffffffffU};
  }

  void record(const WordTest& t) {
    const bool known = std::any_of(found_.begin(), found_.end(), [&](const WordTest& f) { return f.word == t.word && f.test == t.test; });
    if (!known) found_.push_back(t);
  }

  // Runs straight-line code; at a jump on an unknown word, queues both successors.
  void step_until_branch(State s) {
    while (s.pc < program_.size()) {
      const sock_filter& insn = program_[s.pc];
      const std::uint16_t cls = BPF_CLASS(insn.code);
      if (cls == BPF_RET) return;
      if (cls == BPF_JMP) {
        jump(s, insn);
        return;
      }
      if (!straight(s, insn)) return;
      ++s.pc;
    }
  }

  bool straight(State& s, const sock_filter& insn) {
    switch (BPF_CLASS(insn.code)) {
      case BPF_LD:
      case BPF_LDX: {
        Value v;
        const std::uint16_t mode = BPF_MODE(insn.code);
        if (mode == BPF_ABS) v = load(insn.k);
        else if (mode == BPF_IMM) v = constant(insn.k);
        else if (mode == BPF_MEM && insn.k < BPF_MEMWORDS) v = s.mem[insn.k];
        else if (mode == BPF_LEN) v = constant(64);
        else return false;
        (BPF_CLASS(insn.code) == BPF_LD ? s.a : s.x) = v;
        return true;
      }
      case BPF_ST: case BPF_STX:
        if (insn.k >= BPF_MEMWORDS) return false;
        s.mem[insn.k] = BPF_CLASS(insn.code) == BPF_ST ? s.a : s.x;
        return true;
      case BPF_ALU: return alu_step(s, insn);
      case BPF_MISC:
        if (BPF_MISCOP(insn.code) == BPF_TAX) s.x = s.a;
        else s.a = s.x;
        return true;
      default: return false;
    }
  }

  bool alu_step(State& s, const sock_filter& insn) {
    const Value operand = BPF_SRC(insn.code) == BPF_X ? s.x : constant(insn.k);
    const std::uint16_t op = BPF_OP(insn.code);
    if (s.a.kind == Value::Const && operand.kind == Value::Const) {
      const auto result = alu(op, s.a.constant, operand.constant);
      if (!result) return false;
      s.a = constant(*result);
    } else if (s.a.kind == Value::Word && op == BPF_AND && operand.kind == Value::Const) {
      s.a.mask &= operand.constant;
    } else {
      s.a = {Value::Computed, 0, 0, 0};  // refused only if a jump ever compares it
    }
    return true;
  }

  void jump(State& s, const sock_filter& insn) {
    const std::uint16_t op = BPF_OP(insn.code);
    const std::size_t next = s.pc + 1;
    if (op == BPF_JA) {
      s.pc = next + insn.k;
      push(s);
      return;
    }
    const Value operand = BPF_SRC(insn.code) == BPF_X ? s.x : constant(insn.k);
    if (operand.kind != Value::Const) refuse(s.pc, "compares with a value loaded from seccomp_data");
    if (s.a.kind == Value::Computed) refuse(s.pc, "compares a value computed from seccomp_data");
    if (s.a.kind == Value::Const) {
      s.pc = next + (plan::bpf::jump_taken(op, s.a.constant, operand.constant) ? insn.jt : insn.jf);
      push(s);
      return;
    }
    const WordTest t{s.a.word, test_of(op, s.a.mask, operand.constant), s.pc};
    const auto [can_hold, can_fail] = outcomes(t);
    if (can_hold && can_fail) record(t);
    State other = s;
    s.pc = next + insn.jt;
    other.pc = next + insn.jf;
    if (can_hold) push(s);
    if (can_fail) push(other);
  }

  // Whether `t` can hold and can fail given what the path knows of its word.
  std::pair<bool, bool> outcomes(const WordTest& t) {
    for (const auto& [seen, answer] : decided_) {
      if (seen.word == t.word && seen.test == t.test) return answer;
    }
    std::vector<Literal> with = region_[t.word].literals;
    with.push_back({t.test, true});
    const bool can_hold = solve(with, 0xffffffffULL).has_value();
    with.back().second = false;
    const bool can_fail = solve(with, 0xffffffffULL).has_value();
    decided_.push_back({t, {can_hold, can_fail}});
    return {can_hold, can_fail};
  }

  const std::vector<sock_filter>& program_;
  const Region& region_;
  std::vector<std::pair<WordTest, std::pair<bool, bool>>> decided_;
  std::vector<State> stack_;
  std::set<std::string> seen_;
  std::vector<WordTest> found_;
};

constexpr unsigned kWordOrder[] = {kWordArch, kWordNr, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14, 3, 2};

std::size_t order_of(unsigned word) {
  return static_cast<std::size_t>(std::find(std::begin(kWordOrder), std::end(kWordOrder), word) - std::begin(kWordOrder));
}

// `c` with `literal` added to its constraint on `word` (one conjunction per word, kept sorted
// so equal sets compare equal).
Case with_literal(Case c, unsigned word, const Literal& literal) {
  auto it = std::find_if(c.constraints.begin(), c.constraints.end(), [&](const Constraint& k) { return k.var == word; });
  if (it == c.constraints.end()) {
    Constraint k;
    k.var = word;
    k.any_of = {{}};
    it = c.constraints.insert(std::upper_bound(c.constraints.begin(), c.constraints.end(), k,
                                               [](const Constraint& x, const Constraint& y) { return order_of(x.var) < order_of(y.var); }),
                              k);
  }
  auto& conjunction = it->any_of.front();
  conjunction.push_back(literal);
  std::sort(conjunction.begin(), conjunction.end());
  it->witness = solve(conjunction, 0xffffffffULL).value_or(0);
  return c;
}

// Splits on one test at a time, in the order the programs reach them, so a run of tests that
// each end the path when they fail (libseccomp's bit-by-bit u32 comparisons) costs one split
// per test, not one class per combination.
class BpfExplorer {
 public:
  BpfExplorer(const std::vector<const std::vector<sock_filter>*>& programs, const KeepCase& keep, std::size_t budget)
      : programs_(programs), keep_(keep), budget_(budget) {}

  std::vector<Case> explore(Region& region) {
    if (budget_-- == 0) {
      throw QueryError{"the BPF programs split into more cases than the limit (libseccomp's bit-by-bit 32-bit range "
                       "comparisons do that); compare the policies or profiles they came from, whose rules are read directly"};
    }
    std::optional<WordTest> split;
    for (const auto* program : programs_) {
      for (const WordTest& t : Walker(*program, region).run()) {
        // The earliest jump on the first word: the programs' own decision order, so a chain of
        // tests is taken one link at a time.
        if (!split || std::make_pair(order_of(t.word), t.pc) < std::make_pair(order_of(split->word), split->pc)) split = t;
      }
    }
    if (!split) return leaf(region);
    std::vector<Literal>& literals = region[split->word].literals;
    literals.push_back({split->test, true});
    const std::vector<Case> holds_cases = explore(region);
    literals.back().second = false;
    const std::vector<Case> fails_cases = explore(region);
    literals.pop_back();
    std::vector<Case> out;
    for (const Case& c : holds_cases) {
      const bool both = std::find(fails_cases.begin(), fails_cases.end(), c) != fails_cases.end();
      out.push_back(both ? c : with_literal(c, split->word, {split->test, true}));
    }
    for (const Case& c : fails_cases) {
      if (std::find(holds_cases.begin(), holds_cases.end(), c) == holds_cases.end()) {
        out.push_back(with_literal(c, split->word, {split->test, false}));
      }
    }
    return out;
  }

 private:
  std::vector<Case> leaf(const Region& region) const {
    Words words{};
    for (unsigned w = 0; w < 16; ++w) words[w] = witness_of(region[w]);
    Case out;
    const bpf::SeccompData call = call_of(words);
    for (const auto* program : programs_) {
      std::string error;
      const auto verdict = bpf::run(*program, call, &error);
      if (!verdict) throw QueryError{"the filter fails on a call: " + error};
      out.outcomes.push_back({verdict->ret, nullptr});
    }
    if (!keep_(out.outcomes)) return {};
    return {out};
  }

  const std::vector<const std::vector<sock_filter>*>& programs_;
  const KeepCase& keep_;
  std::size_t budget_;
};

constexpr std::uint64_t kWordTop = 0xffffffffULL;

std::vector<Interval> complement_of(const std::vector<Interval>& set) {
  std::vector<Interval> out;
  std::uint64_t next = 0;
  for (const Interval& r : set) {
    if (r.lo > next) out.push_back({next, r.lo - 1});
    next = r.hi + 1;
  }
  if (next <= kWordTop) out.push_back({next, kWordTop});
  return out;
}

// The words w with `(w & mask) CMP value`, when mask keeps the top bits of the word (a prefix,
// as libseccomp's range comparisons and whole-word tests use): w & mask grows with w, so each
// comparison is one interval, or its complement.
std::optional<std::vector<Interval>> test_ranges(const Test& t) {
  const std::uint64_t mask = t.mask, low = kWordTop & ~mask, v = t.value;
  if (mask > kWordTop || ((low + 1) & low) != 0) return std::nullopt;  // not a prefix of the word
  // The smallest w whose w & mask >= x (none when x > mask).
  auto first_at_least = [&](std::uint64_t x) -> std::optional<std::uint64_t> {
    if (x > mask) return std::nullopt;
    return (x + low) & mask;
  };
  auto below = [&](std::optional<std::uint64_t> start) -> std::vector<Interval> {
    if (!start) return {{0, kWordTop}};
    if (*start == 0) return {};
    return {{0, *start - 1}};
  };
  switch (t.cmp) {
    case Cmp::Eq: if (v & ~mask) return std::vector<Interval>{}; return std::vector<Interval>{{v, v | low}};
    case Cmp::Ne: if (v & ~mask) return std::vector<Interval>{{0, kWordTop}}; return complement_of({{v, v | low}});
    case Cmp::Lt: return below(first_at_least(v));
    case Cmp::Ge: return complement_of(below(first_at_least(v)));
    case Cmp::Le: return v >= kWordTop ? std::vector<Interval>{{0, kWordTop}} : below(first_at_least(v + 1));
    case Cmp::Gt: return complement_of(v >= kWordTop ? std::vector<Interval>{{0, kWordTop}} : below(first_at_least(v + 1)));
  }
  return std::nullopt;
}

// A conjunction of prefix-mask comparisons as the ranges of the word it allows.
std::optional<std::vector<Interval>> as_ranges(const std::vector<Literal>& conjunction) {
  std::vector<Interval> set{{0, kWordTop}};
  for (const auto& [test, truth] : conjunction) {
    auto allowed = test_ranges(test);
    if (!allowed) return std::nullopt;
    if (!truth) allowed = complement_of(*allowed);
    std::vector<Interval> next;
    for (const Interval& a : set) {
      for (const Interval& b : *allowed) {
        const Interval i{std::max(a.lo, b.lo), std::min(a.hi, b.hi)};
        if (i.lo <= i.hi) next.push_back(i);
      }
    }
    set = merge_intervals(std::move(next));
  }
  return set;
}

// Whole-word conjunctions read as ranges; then cases that differ only in the ranges of one
// word are joined (socket: arg0 == 38 and arg0 == 40 -> one case), as far as that goes.
std::vector<Case> tidy(std::vector<Case> cases) {
  for (Case& c : cases) {
    for (Constraint& k : c.constraints) {
      if (k.interval_form || k.any_of.size() != 1) continue;
      if (auto ranges = as_ranges(k.any_of.front())) {
        k.interval_form = true;
        k.mask = 0xffffffffULL;
        k.ranges = std::move(*ranges);
        k.any_of.clear();
      }
    }
  }
  for (bool joined = true; joined;) {
    joined = false;
    for (std::size_t i = 0; i < cases.size() && !joined; ++i) {
      for (std::size_t j = i + 1; j < cases.size() && !joined; ++j) {
        Case& a = cases[i];
        const Case& b = cases[j];
        if (a.outcomes != b.outcomes || a.constraints.size() != b.constraints.size()) continue;
        std::size_t differing = 0, at = 0;
        for (std::size_t n = 0; n < a.constraints.size(); ++n) {
          if (!(a.constraints[n] == b.constraints[n])) ++differing, at = n;
        }
        Constraint& ka = a.constraints[at];
        const Constraint& kb = b.constraints[at];
        if (differing != 1 || ka.var != kb.var || !ka.interval_form || !kb.interval_form) continue;
        std::vector<Interval> all = ka.ranges;
        all.insert(all.end(), kb.ranges.begin(), kb.ranges.end());
        ka.ranges = merge_intervals(std::move(all));
        if (ka.ranges.size() == 1 && ka.ranges[0].lo == 0 && ka.ranges[0].hi == 0xffffffffULL) {
          a.constraints.erase(a.constraints.begin() + static_cast<long>(at));
        }
        cases.erase(cases.begin() + static_cast<long>(j));
        joined = true;
      }
    }
  }
  return cases;
}

}  // namespace

std::vector<WordTest> reachable_tests(const std::vector<sock_filter>& program, const Words& known) {
  Region region;
  for (unsigned w = 0; w < 16; ++w) region[w].value = known[w];
  return Walker(program, region).run();
}

bpf::SeccompData call_of(const Words& known) {
  std::uint32_t words[16];
  for (unsigned i = 0; i < 16; ++i) words[i] = known[i].value_or(0);
  bpf::SeccompData data;
  std::memcpy(&data.nr, &words[0], 4);
  std::memcpy(&data.arch, &words[1], 4);
  std::memcpy(&data.instruction_pointer, &words[2], 8);
  std::memcpy(data.args.data(), &words[4], 48);
  return data;
}

std::vector<Case> explore_bpf(const std::vector<const std::vector<sock_filter>*>& programs, const Words& known,
                              const KeepCase& keep, std::size_t budget) {
  Region region;
  for (unsigned w = 0; w < 16; ++w) region[w].value = known[w];
  BpfExplorer explorer(programs, keep, budget);
  return tidy(explorer.explore(region));
}

}  // namespace policyc::query
