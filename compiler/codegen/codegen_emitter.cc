// SPDX-License-Identifier: Apache-2.0
#include "compiler/codegen/codegen_emitter.h"

#include <algorithm>
#include <limits>

namespace policyc::seccomp::codegen {
namespace {

constexpr std::size_t kNowhere = std::numeric_limits<std::size_t>::max();
constexpr std::uint16_t kLoadAbs = BPF_LD | BPF_W | BPF_ABS;
constexpr std::uint16_t kAndK = BPF_ALU | BPF_AND | BPF_K;

// A jump written at position `from` (counted from the end) can reach `to` when `to` lies
// after it by at most 255 instructions.
bool within_reach(std::size_t from, std::size_t to) {
  return to != kNowhere && to < from && from - to - 1 <= 255;
}

// What the plain (unmasked) facts say about one 32-bit word: an interval and excluded values.
struct WordBounds {
  std::uint64_t lo = 0, hi = 0xffffffffULL;
  std::vector<std::uint32_t> not_equal;
  bool exact() const { return lo == hi; }
};

WordBounds bounds_of(const std::vector<Fact>& facts, std::uint32_t word) {
  WordBounds b;
  for (const Fact& f : facts) {
    if (f.word != word || f.mask != kPlain) continue;
    const std::uint64_t k = f.k;
    switch (f.op) {
      case BPF_JEQ:
        if (f.outcome) b.lo = std::max(b.lo, k), b.hi = std::min(b.hi, k);
        else b.not_equal.push_back(f.k);
        break;
      case BPF_JGT:
        if (f.outcome) b.lo = std::max(b.lo, k + 1); else b.hi = std::min(b.hi, k);
        break;
      case BPF_JGE:
        if (f.outcome) b.lo = std::max(b.lo, k); else if (k > 0) b.hi = std::min(b.hi, k - 1);
        break;
      default: break;
    }
  }
  return b;
}

std::optional<bool> evaluate_plain(const std::vector<Fact>& facts, std::uint32_t word, std::uint16_t op,
                                   std::uint32_t k) {
  const WordBounds b = bounds_of(facts, word);
  if (b.lo > b.hi) return std::nullopt;  // contradictory facts: the path is dead, decide nothing
  switch (op) {
    case BPF_JEQ:
      if (k < b.lo || k > b.hi) return false;
      if (b.exact()) return true;
      if (std::find(b.not_equal.begin(), b.not_equal.end(), k) != b.not_equal.end()) return false;
      return std::nullopt;
    case BPF_JGT:
      if (b.lo > k) return true;
      if (b.hi <= k) return false;
      return std::nullopt;
    case BPF_JGE:
      if (b.lo >= k) return true;
      if (b.hi < k) return false;
      return std::nullopt;
    case BPF_JSET:
      if (b.exact()) return (b.lo & k) != 0;
      for (const Fact& f : facts) {  // (word & k) == 0 known from a masked jeq
        if (f.word == word && f.mask == k && f.op == BPF_JEQ && f.k == 0) return !f.outcome;
      }
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

}  // namespace

Knowledge Knowledge::with(const Fact& fact) const {
  Knowledge next = *this;
  next.facts.push_back(fact);
  return next;
}

Knowledge Knowledge::holding(std::uint32_t word, std::uint32_t mask) const {
  Knowledge next = *this;
  next.a_word = word;
  next.a_mask = mask;
  return next;
}

std::optional<bool> Knowledge::evaluate(std::uint16_t op, std::uint32_t k) const {
  if (!a_word) return std::nullopt;
  for (const Fact& f : facts) {
    if (f.word == *a_word && f.mask == a_mask && f.op == op && f.k == k) return f.outcome;
  }
  if (a_mask == kPlain) return evaluate_plain(facts, *a_word, op, k);
  if (op != BPF_JEQ) return std::nullopt;
  const WordBounds b = bounds_of(facts, *a_word);
  if (b.exact()) return (static_cast<std::uint32_t>(b.lo) & a_mask) == k;
  for (const Fact& f : facts) {  // A & mask equals some other value
    if (f.word == *a_word && f.mask == a_mask && f.op == BPF_JEQ && f.outcome && f.k != k) return false;
  }
  return std::nullopt;
}

std::size_t Emitter::push(const sock_filter& insn) {
  reversed_.push_back(insn);
  return reversed_.size() - 1;
}

Target Emitter::load(std::uint32_t offset) { return Target::insn(push({kLoadAbs, 0, 0, offset})); }

Target Emitter::and_mask(std::uint32_t mask) { return Target::insn(push({kAndK, 0, 0, mask})); }

Target Emitter::ret(std::uint32_t value) {
  const std::size_t at = push({BPF_RET | BPF_K, 0, 0, value});
  latest_ret_[value] = at;
  return Target::insn(at);
}

// The nearest existing position that executes `target` (a ret copy or a trampoline), or kNowhere.
std::size_t Emitter::reach(const Target& target) {
  if (target.is_ret) {
    auto it = latest_ret_.find(target.ret);
    return it == latest_ret_.end() ? kNowhere : it->second;
  }
  auto it = latest_trampoline_.find(target.at);
  return it == latest_trampoline_.end() ? target.at : it->second;
}

Target Emitter::jump(std::uint16_t op, std::uint32_t k, Target jt, Target jf, const Knowledge* known) {
  if (known && known->a_word) {
    const Fact taken{*known->a_word, known->a_mask, op, k, true};
    Fact not_taken = taken;
    not_taken.outcome = false;
    jt = thread(jt, known->with(taken));
    jf = thread(jf, known->with(not_taken));
  }
  for (;;) {
    const std::size_t here = size();
    for (const Target* edge : {&jt, &jf}) {
      if (within_reach(here, reach(*edge))) continue;
      if (edge->is_ret) {
        ret(edge->ret);
      } else {  // trampoline: ja has a 32-bit offset
        const std::size_t to = reach(*edge);
        latest_trampoline_[edge->at] = push({BPF_JMP | BPF_JA, 0, 0, static_cast<std::uint32_t>(size() - to - 1)});
      }
      break;
    }
    const std::size_t at = size();
    const std::size_t t = reach(jt), f = reach(jf);
    if (within_reach(at, t) && within_reach(at, f)) {
      return Target::insn(push({static_cast<std::uint16_t>(BPF_JMP | op | BPF_K),
                                static_cast<std::uint8_t>(at - t - 1), static_cast<std::uint8_t>(at - f - 1), k}));
    }
  }
}

Target Emitter::fall_into(Target target) {
  const std::size_t next = size() - 1;
  if (!reversed_.empty() && reach(target) == next) return Target::insn(next);
  if (target.is_ret) return ret(target.ret);
  const std::size_t to = reach(target);
  return Target::insn(push({BPF_JMP | BPF_JA, 0, 0, static_cast<std::uint32_t>(size() - to - 1)}));
}

Target Emitter::thread(Target target, Knowledge known) const {
  if (target.is_ret) return target;
  std::size_t at = target.at;
  std::optional<std::size_t> first_effect;  // where execution must resume to set A as `known` says
  const std::optional<std::uint32_t> source_word = known.a_word;  // A at the jump being threaded
  const std::uint32_t source_mask = known.a_mask;
  for (int steps = 0; steps < 512; ++steps) {
    const sock_filter& insn = reversed_[at];
    if (insn.code == (BPF_RET | BPF_K)) return Target::ret_of(insn.k);  // verdict reached: go straight there
    if (insn.code == kLoadAbs) {
      const bool and_follows = at > 0 && reversed_[at - 1].code == kAndK;
      if (and_follows && known.a_word == insn.k && known.a_mask == reversed_[at - 1].k) {
        at -= 2;
        continue;
      }
      if (known.a_word == insn.k && known.a_mask == kPlain) {
        at -= 1;
        continue;
      }
      // A load overwrites A: whatever an earlier pending load put there only fed jumps we
      // decided statically, so execution may start right here - or after it, when A still
      // holds that word at the jump we are threading.
      const bool source_has_it = source_word == insn.k && source_mask == kPlain && !and_follows;
      if (source_has_it) first_effect.reset();
      else first_effect = at;
      known = known.holding(insn.k);
      if (source_has_it) {
        at -= 1;
        continue;
      }
      at -= 1;
      continue;
    }
    if (insn.code == kAndK && known.a_word) {
      if (!first_effect) first_effect = at;
      known.a_mask = known.a_mask & insn.k;
      at -= 1;
      continue;
    }
    if (insn.code == (BPF_JMP | BPF_JA)) {
      at = at - 1 - insn.k;
      continue;
    }
    if (BPF_CLASS(insn.code) == BPF_JMP && BPF_SRC(insn.code) == BPF_K) {
      const std::uint16_t op = BPF_OP(insn.code);
      const std::optional<bool> outcome = known.evaluate(op, insn.k);
      if (!outcome) break;
      known = known.with({*known.a_word, known.a_mask, op, insn.k, *outcome});
      at = at - 1 - (*outcome ? insn.jt : insn.jf);
      continue;
    }
    break;
  }
  return Target::insn(first_effect ? *first_effect : at);
}

std::size_t Emitter::worst_path(const Target& from) const {
  if (from.is_ret) return 1;
  std::vector<std::size_t> longest(from.at + 1, 0);  // by position from the end; targets lie below
  for (std::size_t at = 0; at <= from.at; ++at) {
    const sock_filter& insn = reversed_[at];
    std::size_t next = 0;
    if (BPF_CLASS(insn.code) == BPF_RET) next = 0;
    else if (insn.code == (BPF_JMP | BPF_JA)) next = longest[at - 1 - insn.k];
    else if (BPF_CLASS(insn.code) == BPF_JMP) next = std::max(longest[at - 1 - insn.jt], longest[at - 1 - insn.jf]);
    else next = longest[at - 1];
    longest[at] = 1 + next;
  }
  return longest[from.at];
}

std::vector<sock_filter> Emitter::program() const {
  return std::vector<sock_filter>(reversed_.rbegin(), reversed_.rend());
}

}  // namespace policyc::seccomp::codegen
