// SPDX-License-Identifier: Apache-2.0
// Internal to the code generator: builds a BPF program from its END backwards, so every jump
// target already has a position when the jump is written (classic BPF jumps only forward).
//   - Returns are shared: one `ret` per distinct value, copied only when the nearest copy is
//     more than 255 instructions away (a copy costs nothing at run time, a trampoline would).
//   - Other far targets get a `ja` trampoline placed right after the jump.
//   - Jump threading: a jump may say what it knows (which word A holds, what earlier tests
//     found); each of its edges is then followed through already-emitted code while the
//     outcome is known, skipping loads of the word A already holds and tests already decided.
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "compiler/codegen/ranges.h"

namespace policyc::seccomp::codegen {

inline constexpr std::uint32_t kPlain = 0xffffffffU;   // "no mask applied" to A

struct Target {
  bool is_ret = false;
  std::uint32_t ret = 0;       // the return value, when is_ret
  std::size_t at = 0;          // position counted from the program's end (0 = last insn)
  static Target ret_of(std::uint32_t value) { return {true, value, 0}; }
  static Target insn(std::size_t at) { return {false, 0, at}; }
};

struct Fact {                  // "test `op k` on word & mask came out `outcome`"
  std::uint32_t word;          // seccomp_data offset
  std::uint32_t mask;          // kPlain, or the `and` mask applied before a jeq
  std::uint16_t op;            // BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET
  std::uint32_t k;
  bool outcome;
};

struct Knowledge {
  std::optional<std::uint32_t> a_word;   // seccomp_data offset loaded in A, if known
  std::uint32_t a_mask = kPlain;         // mask applied to it
  std::vector<Fact> facts;
  Knowledge with(const Fact& fact) const;
  Knowledge holding(std::uint32_t word, std::uint32_t mask = kPlain) const;
  // Outcome of `op k` on A, when the facts decide it.
  std::optional<bool> evaluate(std::uint16_t op, std::uint32_t k) const;
};

class Emitter {
 public:
  Target load(std::uint32_t offset);                          // ld [offset]
  Target and_mask(std::uint32_t mask);                        // and #mask
  Target ret(std::uint32_t value);                            // a fresh ret (rarely needed)
  // A conditional jump on A. With `known` (what holds when A is tested), both edges are threaded.
  Target jump(std::uint16_t op, std::uint32_t k, Target jt, Target jf, const Knowledge* known = nullptr);
  // Makes `target` the next instruction in program order (emits ja or a ret copy if needed).
  Target fall_into(Target target);
  Target thread(Target target, Knowledge known) const;
  std::size_t size() const { return reversed_.size(); }
  // Most instructions executed from `from` to a return (the code is a DAG: jumps go forward).
  std::size_t worst_path(const Target& from) const;
  std::vector<sock_filter> program() const;                    // in execution order

 private:
  std::size_t reach(const Target& target);                     // position usable from the next insn
  std::size_t push(const sock_filter& insn);
  std::vector<sock_filter> reversed_;
  std::map<std::uint32_t, std::size_t> latest_ret_;            // value -> nearest copy
  std::map<std::size_t, std::size_t> latest_trampoline_;       // target -> nearest ja to it
};

// The code of one range's outcome (codegen_args.cc): a shared ret for a constant action, else
// the syscall's rules in order, each a chain of word tests; 64-bit compares as hi/lo words,
// width-32 compares on the low word only.
Target emit_outcome(Emitter& emitter, const Outcome& outcome);

}  // namespace policyc::seccomp::codegen
