// SPDX-License-Identifier: Apache-2.0
// The seccomp filter as the compiler understands it once names are resolved: what every
// backend (libseccomp, our own code generator), the Docker exporter and the OCI exporter
// consume. It knows nothing of ANTLR or of the .pol syntax.
//
// Semantics (both backends must give exactly these verdicts):
//   - The arch check comes first: a call from an arch not in `arches` gets `bad_arch_action`
//     (kill_process unless the policy says otherwise). On x86_64, x32 calls (nr >= 0x40000000, same AUDIT_ARCH as x86_64) get
//     `bad_arch_action` too unless "x32" is in `arches`; i386 calls come in with
//     AUDIT_ARCH_I386 and are refused unless "x86" is in `arches`.
//   - For a call of syscall nr, the rules for that nr are tried in order; the first whose
//     conditions all hold (an AND; an empty list always holds) decides. If none holds, the
//     default action decides. A policy's `||` is lowered into several rules (DNF).
//   - Unknown numbers: a number no rule names and newer than every syscall table policyc was
//     built with (libseccomp's and plan/syscall_table.h's, per ABI: abi.h unknown_numbers) gets
//     errno(ENOSYS) instead of the default action when the default action refuses (anything
//     but allow and log), as runc does: a program probing a new syscall (glibc, Go, Rust's std)
//     then falls back as on an older kernel. Known numbers no rule names still get the
//     default. nr -1 (a tracer's "skip") always gets the default.
//   - An argument comparison is `(arg & mask) OP value`; a mask of all ones (kNoMask) is no
//     mask. With `width == 32` it compares only the low 32 bits of the argument, the mask and
//     the value (the kernel passes int arguments sign-extended or not depending on the arch
//     and libc; comparing the low word is what the syscall itself sees).
//   - x32 and i386 calls: the rules are renumbered by syscall name for that ABI, compare the
//     low 32 bits only, and on i386 also cover the socketcall/ipc multiplexers; abi.h says how
//     and holds the reference verdict (ReferenceFilter) both backends are tested against.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "plan/plan.h"

namespace policyc::seccomp {

enum class ActionKind { Allow, Errno, KillThread, KillProcess, Trap, Log, Trace, Notify };

struct Action {
  ActionKind kind = ActionKind::Allow;
  // errno number (Errno, <= 4095), trace message (Trace, <= 65535) or the SIGSYS si_errno
  // (Trap, <= 65535; `trap` alone is 0)
  std::uint32_t data = 0;
  bool operator==(const Action&) const = default;
  std::string to_string() const;         // "allow", "errno(EPERM)", "trace(7)", "trap(3)", "kill_process"
};

enum class CmpOp { Eq, Ne, Lt, Le, Gt, Ge };

inline constexpr std::uint64_t kNoMask = ~std::uint64_t{0};

struct ArgCondition {
  unsigned arg = 0;           // 0..5
  CmpOp op = CmpOp::Eq;
  std::uint64_t value = 0;    // right-hand side
  std::uint64_t mask = kNoMask;  // applied to the argument before `op`: (arg & mask) OP value
  unsigned width = 64;        // 64, or 32 to compare the low word only
  bool operator==(const ArgCondition&) const = default;
};

// The bits a condition compares: the low 32 for width 32, all 64 otherwise.
std::uint64_t width_bits(const ArgCondition& condition);
// True when the condition's mask clears some bit of its width: (arg & mask) OP value.
bool is_masked(const ArgCondition& condition);
// True for (arg & mask) == value with a real mask (libseccomp's SCMP_CMP_MASKED_EQ).
bool is_masked_eq(const ArgCondition& condition);

struct SourceRef {            // where a rule came from, for diagnostics and `explain`
  std::string file;
  unsigned line = 0;
  unsigned column = 0;
  bool operator==(const SourceRef&) const = default;
};

struct Rule {
  std::string syscall;        // name, as written (after group expansion)
  int nr = -1;                // x86_64 number; for a name that exists only on another listed
                              // arch (socketcall), libseccomp's negative pseudo number
  Action action;
  std::vector<ArgCondition> conditions;  // all must hold
  std::string comment;        // carried from Docker JSON or the policy, for exporters
  SourceRef where;
  bool operator==(const Rule&) const = default;
};

struct Filter {
  std::vector<std::string> arches{"x86_64"};  // first one is native; may add "x86", "x32"
  Action default_action{ActionKind::Errno, 1};
  Action bad_arch_action{ActionKind::KillProcess, 0};
  std::vector<Rule> rules;
  bool operator==(const Filter&) const = default;
};

// The kernel's return value for `action`: SECCOMP_RET_* | data (data only where the kernel
// reads it: errno, trace and trap). Every backend and the reference verdict use this one.
std::uint32_t seccomp_ret(const Action& action);

// The condition in the policy language: "(arg2 & 0xff) > 5", "u32(arg0) == 0xffffff9c".
std::string condition_text(const ArgCondition& condition);

// The condition as the plan's source map stores it: the mask only when it clears a bit of the
// width, the value and mask as the IR holds them.
plan::SeccompCondition plan_condition(const ArgCondition& condition);

// True when `args` satisfies `condition` as the IR defines it (width 32: low words only).
bool condition_holds(const ArgCondition& condition, const std::array<std::uint64_t, 6>& args);

// The verdict the IR gives for an x86_64 call `nr(args)`: the first rule that holds, or the
// default action. (Arch checks are not part of it; abi.h's ReferenceFilter adds them.)
Action ir_verdict(const Filter& filter, int nr, const std::array<std::uint64_t, 6>& args);

// True when `filter.arches` names `arch`.
bool allows_arch(const Filter& filter, const std::string& arch);

}  // namespace policyc::seccomp
