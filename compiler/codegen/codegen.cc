// SPDX-License-Identifier: Apache-2.0
#include "compiler/codegen/codegen.h"

#include <linux/audit.h>

#include <limits>

#include "compiler/bpf/frequency.h"
#include "compiler/codegen/codegen_emitter.h"
#include "compiler/codegen/codegen_tree.h"
#include "compiler/codegen/ranges.h"

namespace policyc::seccomp {
namespace {

using codegen::Emitter;
using codegen::Target;

constexpr std::uint32_t kNrOffset = 0;    // offsetof(struct seccomp_data, nr)
constexpr std::uint32_t kArchOffset = 4;  // offsetof(struct seccomp_data, arch)

class TreeWriter {
 public:
  TreeWriter(Emitter& emitter, const std::vector<Range>& ranges, const codegen::SearchTree& tree)
      : e_(emitter), ranges_(ranges), tree_(tree) {}

  Target write(std::size_t first, std::size_t last) {
    if (first == last) return leaf(first);
    const codegen::Split& split = tree_.split(first, last);
    if (split.hole) {  // [A][x][A]: one jeq on the hole's number
      const Target hole = leaf(first + 1);
      const Target around = leaf(first);
      return e_.jump(BPF_JEQ, ranges_[first + 1].lo, hole, around);
    }
    const Target above = write(split.left_last + 1, last);
    const Target below = write(first, split.left_last);
    return e_.jump(BPF_JGE, ranges_[split.left_last + 1].lo, above, below);
  }

 private:
  // Ranges with equal outcomes share one copy of their code.
  Target leaf(std::size_t index) {
    const Outcome& outcome = ranges_[index].outcome;
    for (const auto& [seen, target] : written_) {
      if (*seen == outcome) return target;
    }
    const Target target = codegen::emit_outcome(e_, outcome);
    if (!outcome.is_constant()) written_.emplace_back(&outcome, target);
    return target;
  }

  Emitter& e_;
  const std::vector<Range>& ranges_;
  const codegen::SearchTree& tree_;
  std::vector<std::pair<const Outcome*, Target>> written_;
};

// How far above the smallest achievable worst case the tree may go to serve hot syscalls.
constexpr std::size_t kWorstCaseSlack = 0;

// The most instructions each range's leaf code executes, measured on a scratch copy.
std::vector<std::size_t> leaf_costs(const std::vector<Range>& ranges) {
  std::vector<std::size_t> costs;
  for (const Range& range : ranges) {
    if (range.outcome.is_constant()) {
      costs.push_back(1);
      continue;
    }
    Emitter scratch;
    costs.push_back(scratch.worst_path(codegen::emit_outcome(scratch, range.outcome)));
  }
  return costs;
}

// Jump threading leaves some instructions no path reaches any more; drop them. Jumps only
// get shorter, so every offset still fits.
std::vector<sock_filter> without_unreachable(const std::vector<sock_filter>& program) {
  std::vector<bool> reached(program.size(), false);
  if (!program.empty()) reached[0] = true;
  for (std::size_t pc = 0; pc < program.size(); ++pc) {
    if (!reached[pc]) continue;
    const sock_filter& insn = program[pc];
    if (BPF_CLASS(insn.code) == BPF_RET) continue;
    if (insn.code == (BPF_JMP | BPF_JA)) reached[pc + 1 + insn.k] = true;
    else if (BPF_CLASS(insn.code) == BPF_JMP) reached[pc + 1 + insn.jt] = reached[pc + 1 + insn.jf] = true;
    else reached[pc + 1] = true;
  }
  std::vector<std::size_t> new_index(program.size() + 1, 0);
  std::size_t kept = 0;
  for (std::size_t pc = 0; pc < program.size(); ++pc) {
    new_index[pc] = kept;
    kept += reached[pc];
  }
  std::vector<sock_filter> out;
  out.reserve(kept);
  for (std::size_t pc = 0; pc < program.size(); ++pc) {
    if (!reached[pc]) continue;
    sock_filter insn = program[pc];
    const std::size_t here = new_index[pc];
    if (insn.code == (BPF_JMP | BPF_JA)) {
      insn.k = static_cast<std::uint32_t>(new_index[pc + 1 + insn.k] - here - 1);
    } else if (BPF_CLASS(insn.code) == BPF_JMP) {
      insn.jt = static_cast<std::uint8_t>(new_index[pc + 1 + insn.jt] - here - 1);
      insn.jf = static_cast<std::uint8_t>(new_index[pc + 1 + insn.jf] - here - 1);
    }
    out.push_back(insn);
  }
  return out;
}

// One audit arch's dispatch, entered with A = arch: `ld nr` and the search over its ranges
// (or straight to the verdict when every number gets the same one).
Target write_dispatch(Emitter& e, const std::vector<Range>& ranges, const FrequencyProfile& profile) {
  const std::vector<double> weights = codegen::range_weights(ranges, profile);
  const codegen::SearchTree tree(ranges, weights, leaf_costs(ranges), kWorstCaseSlack);
  TreeWriter writer(e, ranges, tree);
  const Target dispatch = writer.write(0, ranges.size() - 1);
  if (dispatch.is_ret) return dispatch;
  e.fall_into(dispatch);
  return e.load(kNrOffset);
}

}  // namespace

std::vector<sock_filter> generate_policyc(const Filter& filter, Diagnostics& diags, const FrequencyProfile* profile) {
  const std::optional<std::vector<Range>> native = build_x86_64_ranges(filter, diags);
  const std::optional<std::vector<Range>> i386 = native ? build_i386_ranges(filter, diags) : std::nullopt;
  if (!native || !i386) return {};

  // Emitted from the end: the i386 dispatch (if allowed), then x86_64's, then the arch check:
  //   ld arch; jeq X86_64 -> x86_64 dispatch; jeq I386 -> i386 dispatch; ret bad-arch.
  // x86_64 calls pay 2 instructions for it; the i386 check sits on the colder path.
  Emitter e;
  Target not_native = Target::ret_of(seccomp_ret(filter.bad_arch_action));
  if (!i386->empty()) {
    // i386 callers are rare and run other programs: no frequency profile, a balanced tree.
    const Target i386_dispatch = write_dispatch(e, *i386, FrequencyProfile{});
    not_native = e.jump(BPF_JEQ, AUDIT_ARCH_I386, i386_dispatch, not_native);
  }
  const Target native_dispatch = write_dispatch(e, *native, profile ? *profile : default_frequency_profile());
  e.jump(BPF_JEQ, AUDIT_ARCH_X86_64, native_dispatch, not_native);
  e.load(kArchOffset);

  std::vector<sock_filter> program = without_unreachable(e.program());
  if (program.size() > BPF_MAXINSNS) {
    diags.error({}, "the generated seccomp filter has " + std::to_string(program.size()) +
                    " instructions, more than the kernel's limit of " + std::to_string(BPF_MAXINSNS),
                "split the policy's argument conditions into fewer rules, or use --backend libseccomp");
    return {};
  }
  return program;
}

}  // namespace policyc::seccomp
