// SPDX-License-Identifier: Apache-2.0
#include "compiler/codegen/codegen_valueset.h"

#include <algorithm>
#include <bit>
#include <map>
#include <set>
#include <tuple>

namespace policyc::seccomp::codegen {
namespace {

constexpr std::uint32_t kWordMax = 0xffffffffU;
// The exact search below is O(m^3) in the segments of one word; real policies have a handful.
constexpr std::size_t kMaxSegments = 64;

// All combinations of the bits of `mask` over `base` (base & mask == 0): `size` values.
struct Cube {
  std::uint32_t base = 0, mask = 0;
  std::size_t size = 0;
  std::size_t cost() const { return base == 0 ? 1 : 2; }  // jset ~mask, or and ~mask; jeq base
  bool contains(std::uint32_t x) const { return (x & ~mask) == base; }
};

// The largest cube among `points` (greedy over the bits that flip one point into another).
Cube largest_cube(const std::vector<std::uint32_t>& points) {
  const std::set<std::uint32_t> in(points.begin(), points.end());
  Cube best;
  for (const std::uint32_t base : points) {
    std::vector<std::uint32_t> members{base};
    std::uint32_t mask = 0;
    for (const std::uint32_t p : points) {
      const std::uint32_t bit = p ^ base;
      if (std::popcount(bit) != 1 || (base & bit) != 0 || (mask & bit) != 0) continue;
      const bool closed = std::all_of(members.begin(), members.end(), [&](std::uint32_t m) { return in.count(m | bit) > 0; });
      if (!closed) continue;
      const std::size_t before = members.size();
      for (std::size_t i = 0; i < before; ++i) members.push_back(members[i] | bit);
      mask |= bit;
    }
    if (members.size() > best.size) best = {base, mask, members.size()};
  }
  return best;
}

// A decision over segments i..j: one outcome; a chain of tests on isolated points over a
// background outcome; or a `jge` split.
struct Plan {
  enum Kind { Single, Chain, Split } kind = Single;
  std::size_t worst = 0;       // compares executed at most
  std::size_t size = 0;        // compares emitted
  std::size_t split = 0;       // Split: segments i..split go below
  std::size_t background = 0;  // Chain: the outcome when no point matches
  std::optional<Cube> cube;    // Chain: points of one outcome partly tested as a cube
  bool better_than(const Plan& other) const { return std::tie(worst, size) < std::tie(other.worst, other.size); }
};

class WordSearch {
 public:
  explicit WordSearch(const std::vector<Segment>& segments)
      : s_(segments), m_(segments.size()), plans_(m_ * m_), solved_(m_ * m_, false) {}

  const Plan& plan(std::size_t i, std::size_t j) {
    if (!solved_[i * m_ + j]) {
      plans_[i * m_ + j] = solve(i, j);
      solved_[i * m_ + j] = true;
    }
    return plans_[i * m_ + j];
  }

  Target emit(Emitter& e, std::uint32_t word, std::size_t i, std::size_t j, const std::vector<Target>& outcomes,
              const Knowledge& prior) {
    const Plan& p = plan(i, j);
    if (p.kind == Plan::Single) return outcomes[s_[i].outcome];
    if (p.kind == Plan::Chain) return emit_chain(e, word, i, j, p, outcomes, prior);
    const std::uint32_t bound = s_[p.split + 1].lo;
    const Target above = emit(e, word, p.split + 1, j, outcomes, prior.with({word, kPlain, BPF_JGE, bound, true}));
    const Target below = emit(e, word, i, p.split, outcomes, prior.with({word, kPlain, BPF_JGE, bound, false}));
    const Knowledge known = prior.holding(word);
    return e.jump(BPF_JGE, bound, above, below, &known);
  }

 private:
  bool is_point(std::size_t k) const { return s_[k].lo == s_[k].hi; }

  // The points of i..j to test (outcome != background), ascending.
  std::vector<std::size_t> exceptions(std::size_t i, std::size_t j, std::size_t background) const {
    std::vector<std::size_t> out;
    for (std::size_t k = i; k <= j; ++k) {
      if (s_[k].outcome != background) out.push_back(k);
    }
    return out;
  }

  std::optional<Plan> chain(std::size_t i, std::size_t j) const {
    std::optional<std::size_t> background;
    for (std::size_t k = i; k <= j; ++k) {
      if (is_point(k)) continue;
      if (background && *background != s_[k].outcome) return std::nullopt;  // two wide outcomes
      background = s_[k].outcome;
    }
    if (!background) {  // only points: the most frequent outcome needs no test
      std::map<std::size_t, std::size_t> count;
      for (std::size_t k = i; k <= j; ++k) ++count[s_[k].outcome];
      background = std::max_element(count.begin(), count.end(), [](auto& a, auto& b) { return a.second < b.second; })->first;
    }
    const std::vector<std::size_t> tested = exceptions(i, j, *background);
    Plan p{Plan::Chain, tested.size(), tested.size(), 0, *background, std::nullopt};
    const bool one_outcome = std::all_of(tested.begin(), tested.end(), [&](std::size_t k) { return s_[k].outcome == s_[tested[0]].outcome; });
    if (tested.size() >= 2 && one_outcome) {
      std::vector<std::uint32_t> values;
      for (const std::size_t k : tested) values.push_back(s_[k].lo);
      const Cube cube = largest_cube(values);
      const std::size_t with_cube = tested.size() - cube.size + cube.cost();
      if (with_cube < p.worst) p.worst = p.size = with_cube, p.cube = cube;
    }
    return p;
  }

  Plan solve(std::size_t i, std::size_t j) {
    if (i == j) return Plan{};
    Plan best;
    best.worst = best.size = ~std::size_t{0};
    if (std::optional<Plan> c = chain(i, j)) best = *c;
    for (std::size_t k = i; k < j; ++k) {
      const Plan& below = plan(i, k);
      const Plan& above = plan(k + 1, j);
      Plan split{Plan::Split, 1 + std::max(below.worst, above.worst), 1 + below.size + above.size, k, 0, std::nullopt};
      if (split.better_than(best)) best = split;
    }
    return best;
  }

  Target emit_chain(Emitter& e, std::uint32_t word, std::size_t i, std::size_t j, const Plan& p,
                    const std::vector<Target>& outcomes, const Knowledge& prior) {
    const Knowledge known = prior.holding(word);
    std::vector<std::size_t> tested = exceptions(i, j, p.background);
    Target next = outcomes[p.background];
    const Cube* cube = p.cube ? &*p.cube : nullptr;
    std::vector<std::size_t> leftovers;
    for (const std::size_t k : tested) {
      if (!cube || !cube->contains(s_[k].lo)) leftovers.push_back(k);
    }
    const Target in_cube = cube ? outcomes[s_[tested[0]].outcome] : next;
    if (cube && cube->base != 0) {  // `and` changes A: this test comes last
      const Knowledge masked = prior.holding(word, ~cube->mask);
      e.jump(BPF_JEQ, cube->base, in_cube, next, &masked);
      next = e.and_mask(~cube->mask);
    }
    for (auto k = leftovers.rbegin(); k != leftovers.rend(); ++k) {
      next = e.jump(BPF_JEQ, s_[*k].lo, outcomes[s_[*k].outcome], next, &known);
    }
    if (cube && cube->base == 0) next = e.jump(BPF_JSET, ~cube->mask, next, in_cube, &known);
    return next;
  }

  const std::vector<Segment>& s_;
  std::size_t m_;
  std::vector<Plan> plans_;
  std::vector<bool> solved_;
};

// The segments of [0, 2^32) for a set of low-word values: outcome 1 inside, 0 outside.
std::vector<Segment> segments_of(const ValueSet& values) {
  std::vector<Segment> out;
  std::uint64_t next = 0;
  for (const auto& [lo, hi] : values) {
    if (lo > next) out.push_back({static_cast<std::uint32_t>(next), static_cast<std::uint32_t>(lo - 1), 0});
    out.push_back({static_cast<std::uint32_t>(lo), static_cast<std::uint32_t>(hi), 1});
    next = hi + 1;
  }
  if (next <= kWordMax) out.push_back({static_cast<std::uint32_t>(next), kWordMax, 0});
  return out;
}

// A 64-bit set seen from its high word: for each high value, none, all, or some low words.
struct HighView {
  std::vector<Segment> segments;        // outcome 0 = none, 1 = all, 2 + k = lows[k]
  std::vector<ValueSet> lows;           // distinct partial low-word sets
  std::vector<std::optional<std::uint32_t>> only_high;  // lows[k]'s high word, when it has one
};

HighView high_view(const ValueSet& values) {
  std::map<std::uint32_t, ValueSet> partial;                  // high word -> low-word values
  std::vector<std::pair<std::uint32_t, std::uint32_t>> full;  // high words whose lows all count
  for (const auto& [a, b] : values) {
    const auto ha = static_cast<std::uint32_t>(a >> 32), hb = static_cast<std::uint32_t>(b >> 32);
    const auto la = static_cast<std::uint32_t>(a), lb = static_cast<std::uint32_t>(b);
    if (ha == hb) {
      partial[ha].push_back({la, lb});
      continue;
    }
    partial[ha].push_back({la, kWordMax});
    if (hb > ha + 1) full.push_back({ha + 1, hb - 1});
    partial[hb].push_back({0, lb});
  }
  std::vector<Segment> pieces;
  HighView view;
  for (auto& [high, lows] : partial) {
    const ValueSet merged = unite(lows, {});
    if (merged.size() == 1 && merged[0].first == 0 && merged[0].second == kWordMax) {
      full.push_back({high, high});
      continue;
    }
    auto same = std::find(view.lows.begin(), view.lows.end(), merged);
    const std::size_t k = static_cast<std::size_t>(same - view.lows.begin());
    if (same == view.lows.end()) view.lows.push_back(merged), view.only_high.push_back(high);
    else view.only_high[k].reset();
    pieces.push_back({high, high, 2 + k});
  }
  for (const auto& [lo, hi] : full) pieces.push_back({lo, hi, 1});
  std::sort(pieces.begin(), pieces.end(), [](const Segment& x, const Segment& y) { return x.lo < y.lo; });
  std::uint64_t next = 0;
  auto append = [&](Segment piece) {
    if (!view.segments.empty() && view.segments.back().outcome == piece.outcome) view.segments.back().hi = piece.hi;
    else view.segments.push_back(piece);
  };
  for (const Segment& piece : pieces) {
    if (piece.lo > next) append({static_cast<std::uint32_t>(next), piece.lo - 1, 0});
    append(piece);
    next = static_cast<std::uint64_t>(piece.hi) + 1;
  }
  if (next <= kWordMax) append({static_cast<std::uint32_t>(next), kWordMax, 0});
  return view;
}

// Decision on the word at `offset`, preceded by its load; a constant decision loads nothing.
Target emit_loaded(Emitter& e, std::uint32_t offset, const std::vector<Segment>& segments,
                   const std::vector<Target>& outcomes, const Knowledge& prior) {
  if (segments.size() == 1) return outcomes[segments[0].outcome];
  e.fall_into(emit_word_decision(e, offset, segments, outcomes, prior.holding(offset)));
  return e.load(offset);
}

}  // namespace

std::optional<std::pair<ArgKey, ValueSet>> values_of(const std::vector<ArgCondition>& conditions) {
  if (conditions.empty()) return std::nullopt;
  const ArgKey key{conditions[0].arg, conditions[0].width};
  const std::uint64_t max = key.width == 32 ? kWordMax : ~0ULL;
  std::uint64_t lo = 0, hi = max;
  std::vector<std::uint64_t> excluded;
  for (const ArgCondition& c : conditions) {
    if (is_masked(c) || !(ArgKey{c.arg, c.width} == key)) return std::nullopt;
    const std::uint64_t v = c.value & max;
    switch (c.op) {
      case CmpOp::Eq: lo = std::max(lo, v), hi = std::min(hi, v); break;
      case CmpOp::Ne: excluded.push_back(v); break;
      case CmpOp::Lt: if (v == 0) return std::make_pair(key, ValueSet{}); hi = std::min(hi, v - 1); break;
      case CmpOp::Le: hi = std::min(hi, v); break;
      case CmpOp::Gt: if (v == max) return std::make_pair(key, ValueSet{}); lo = std::max(lo, v + 1); break;
      case CmpOp::Ge: lo = std::max(lo, v); break;
    }
  }
  ValueSet set;
  if (lo > hi) return std::make_pair(key, set);
  std::sort(excluded.begin(), excluded.end());
  std::uint64_t from = lo;
  bool open = true;  // values from `from` on are still to add
  for (const std::uint64_t x : excluded) {
    if (!open || x < from || x > hi) continue;
    if (x > from) set.push_back({from, x - 1});
    if (x == hi) open = false;
    else from = x + 1;
  }
  if (open) set.push_back({from, hi});
  return std::make_pair(key, set);
}

ValueSet unite(const ValueSet& a, const ValueSet& b) {
  ValueSet all = a;
  all.insert(all.end(), b.begin(), b.end());
  std::sort(all.begin(), all.end());
  ValueSet out;
  for (const auto& interval : all) {
    if (!out.empty() && (out.back().second == ~0ULL || interval.first <= out.back().second + 1)) {
      out.back().second = std::max(out.back().second, interval.second);
    } else {
      out.push_back(interval);
    }
  }
  return out;
}

std::size_t word_decision_cost(const std::vector<Segment>& segments) {
  WordSearch search(segments);
  return search.plan(0, segments.size() - 1).worst;
}

Target emit_word_decision(Emitter& e, std::uint32_t word, const std::vector<Segment>& segments,
                          const std::vector<Target>& outcomes, const Knowledge& prior) {
  WordSearch search(segments);
  return search.emit(e, word, 0, segments.size() - 1, outcomes, prior);
}

std::optional<Target> emit_value_set(Emitter& e, const ArgKey& key, const ValueSet& values, Target pass, Target fail) {
  const std::uint32_t lo = low_word(key.arg), hi = high_word(key.arg);
  if (key.width == 32) {
    const std::vector<Segment> segments = segments_of(values);
    if (segments.size() > kMaxSegments) return std::nullopt;
    return emit_loaded(e, lo, segments, {fail, pass}, Knowledge{});
  }
  const HighView view = high_view(values);
  if (view.segments.size() > kMaxSegments) return std::nullopt;
  std::vector<std::vector<Segment>> low_segments;
  for (const ValueSet& lows : view.lows) {
    low_segments.push_back(segments_of(lows));
    if (low_segments.back().size() > kMaxSegments) return std::nullopt;
  }
  std::vector<Target> outcomes{fail, pass};
  for (std::size_t k = 0; k < view.lows.size(); ++k) {
    Knowledge prior;
    if (view.only_high[k]) prior = prior.with({hi, kPlain, BPF_JEQ, *view.only_high[k], true});
    outcomes.push_back(emit_loaded(e, lo, low_segments[k], {fail, pass}, prior));
  }
  return emit_loaded(e, hi, view.segments, outcomes, Knowledge{});
}

}  // namespace policyc::seccomp::codegen
