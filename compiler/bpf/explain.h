// SPDX-License-Identifier: Apache-2.0
// What a compiled seccomp filter costs and what the kernel makes of it, for `policyc explain`,
// the benchmark and the code generator's tests. Works on any BPF (either backend, or a plan's).
//   - cost: instructions executed per x86_64 syscall (the BPF interpreter), worst, mean and
//     weighted by a frequency profile;
//   - cache: an emulation of the kernel's seccomp action cache (seccomp_cache_prepare,
//     kernel/seccomp.c, Linux >= 5.11), which runs the filter once per syscall number with
//     only nr and arch known and marks the number "always allowed" when the filter reaches
//     `ret ALLOW` through loads of nr/arch, constant jumps and `and` alone. Those syscalls
//     then skip the filter entirely.
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/bpf/frequency.h"

namespace policyc::seccomp {

// x86_64 syscall numbers libseccomp knows a name for (what "every syscall" means below).
const std::vector<int>& known_x86_64_syscalls();

// The kernel's cache decision for each nr in 0..count-1 with `arch`: true = allowed without
// running the filter. A pure function of the program, like the kernel's.
std::vector<bool> kernel_cache_allows(const std::vector<sock_filter>& program, std::uint32_t arch, std::size_t count);

struct SyscallCost {
  int nr = 0;
  std::string name;
  std::uint32_t ret = 0;          // verdict with all arguments 0
  std::size_t executed = 0;       // instructions executed with all arguments 0
  std::size_t worst = 0;          // most instructions over a set of edge argument values
  bool arg_dependent = false;     // some edge argument values change the verdict
  bool cache_allowed = false;     // the kernel's cache skips the filter for it
};

struct FilterCost {
  std::vector<SyscallCost> syscalls;   // every known x86_64 syscall, in nr order
  std::size_t instructions = 0;        // program length
  std::size_t worst = 0;               // max over syscalls and edge argument values
  int worst_nr = -1;
  double mean = 0;                     // mean over syscalls, arguments 0
  double weighted = 0;                 // weighted by the profile, arguments 0
  std::size_t allowed_arg_free = 0;    // syscalls always allowed whatever the arguments
  std::size_t cache_allowed = 0;       // of those, how many the kernel cache skips
  std::size_t x32_worst = 0;           // the same worst case for x32 numbers (nr | 0x40000000)
  std::size_t i386_worst = 0;          // and for i386 calls (AUDIT_ARCH_I386, numbers 0..511)
  bool valid = true;                   // false when the interpreter refused the program
  std::string error;
};

FilterCost measure_filter(const std::vector<sock_filter>& program, const FrequencyProfile& profile);

// The report `policyc explain` prints: the listing with labels and comments, then the per-
// syscall table and the summary.
std::string explain_filter(const std::vector<sock_filter>& program, const FrequencyProfile& profile,
                           const std::string& title);

}  // namespace policyc::seccomp
