// SPDX-License-Identifier: Apache-2.0
// The filter's rules as the calls of one ABI see them, and the reference verdict every backend
// must give. Both backends, the libseccomp translation check and the differential tests use
// these, so "what a filter means" on x32 and i386 is written down once.
//
// A policy names x86_64 system calls (or, when its `arch` list allows them, names that exist
// only on another listed arch, like socketcall). For each ABI the rules are renumbered by name,
// the way libseccomp (our oracle, and what Docker runs) does it:
//   - x86_64: the numbers as written; names that do not exist there drop out.
//   - x32 (AUDIT_ARCH_X86_64, nr | 0x40000000): the x32 numbers of the same names.
//   - i386 (AUDIT_ARCH_I386): the i386 numbers; the socket calls (socket, bind, recvmmsg...)
//     and the SysV IPC calls (semop, shmat...) also reach the kernel through the multiplexers
//     socketcall(2) and ipc(2), so a rule for one of them also holds for the multiplexer with
//     arg0 == the call's number (SYS_SOCKET, SHMAT...), its own arg0 test replaced by that one,
//     exactly libseccomp's translation.
//   - On the 32-bit ABIs (x32, i386) every comparison looks at the low 32 bits of the argument
//     and of the value (libseccomp's arch size; the kernel hands i386 arguments zero-extended).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "compiler/bpf/bpf_interp.h"
#include "compiler/seccomp/ir.h"

namespace policyc::seccomp {

enum class Abi { X86_64, X32, I386 };

struct AbiRule {
  std::uint32_t nr = 0;                  // the number a call of this ABI carries
  std::vector<ArgCondition> conditions;  // all must hold (already narrowed for 32-bit ABIs)
  Action action;
  const Rule* source = nullptr;          // the policy rule it came from
};

// The filter's rules for calls through `abi`, in the filter's order (first match wins).
std::vector<AbiRule> rules_for_abi(const Filter& filter, Abi abi);

// True when calls through `abi` pass the filter's arch check.
bool abi_allowed(const Filter& filter, Abi abi);

// `name`'s number on `abi` (x32: with the x32 bit), from libseccomp or else the generated
// table (plan/syscall_table.h); nullopt when neither knows it there (or libseccomp gives only a
// pseudo number: socketcall's children on i386).
std::optional<std::uint32_t> number_on_abi(Abi abi, const std::string& name);

// The name of number `nr` on `abi` (x32: with the x32 bit), from libseccomp or else the
// generated table; "" when neither has one.
std::string name_on_abi(Abi abi, std::uint32_t nr);

// Syscall numbers newer than the syscall tables policyc was built with (ir.h, "Unknown
// numbers"). Inclusive bounds.
struct NumberRange {
  std::uint32_t lo = 0;
  std::uint32_t hi = 0;
  bool operator==(const NumberRange&) const = default;
};

// The numbers of `abi` above every syscall libseccomp and the generated table know, ascending:
//   x86_64: (highest, 0x3fffffff];
//   x32:    (highest number of the common block, 0x400001ff] (new syscalls are added to the
//           common block, below the x32-only block 512..547) and (highest, 0xfffffffe];
//   i386:   (highest, 0xfffffffe].
// 0xffffffff (nr -1, a tracer's "skip this call") is in none of them.
const std::vector<NumberRange>& unknown_numbers(Abi abi);
bool is_unknown_number(Abi abi, std::uint32_t nr);  // nr lies in unknown_numbers(abi)

// True when `filter` answers an unknown number no rule names with errno(ENOSYS) instead of its
// default action, so a program probing a syscall newer than the table falls back the way it
// does on an older kernel (runc does the same): when the default action refuses (not allow or
// log; with those the call reaches the kernel, which answers ENOSYS itself if it lacks it).
bool unknown_numbers_get_enosys(const Filter& filter);

// The errno(ENOSYS) verdict those calls get.
inline constexpr Action kUnknownSyscallAction{ActionKind::Errno, 38};  // ENOSYS

// How a call of syscall `name` reaches the filter through `abi`: its number there, and for
// i386's multiplexed calls also socketcall/ipc with arg0 = the call's selector (the call's own
// arguments are then in memory, out of the filter's sight). Empty when `abi` has no such call.
struct AbiCall {
  std::uint32_t nr = 0;
  bool multiplexed = false;      // socketcall(2)/ipc(2): arg0 = selector, the rest a pointer
  std::uint32_t selector = 0;    // SYS_SOCKET, SHMAT, ... when multiplexed
  std::string via;               // "socketcall" or "ipc" when multiplexed
};
std::vector<AbiCall> abi_calls(const std::string& name, Abi abi);

// ir.h's semantics, arch check included: the verdict (SECCOMP_RET_* | data) every backend
// must give a call. Built once per filter (the renumbered rules, by ABI and number).
class ReferenceFilter {
 public:
  explicit ReferenceFilter(const Filter& filter);
  std::uint32_t verdict(const bpf::SeccompData& call) const;
  // The renumbered rules it decides with (empty for an ABI the filter refuses).
  const std::vector<AbiRule>& rules(Abi abi) const;

 private:
  std::uint32_t first_match(const std::vector<AbiRule>& rules, std::uint32_t nr,
                            const std::array<std::uint64_t, 6>& args) const;
  // first_match, or ENOSYS for an unknown number of `abi` that no rule names.
  std::uint32_t decide(Abi abi, const std::vector<AbiRule>& rules, std::uint32_t nr,
                       const std::array<std::uint64_t, 6>& args) const;
  const Filter& filter_;
  bool x32_ = false, i386_ = false, enosys_ = false;
  std::vector<AbiRule> x86_64_, x32_rules_, i386_rules_;
};

}  // namespace policyc::seccomp
