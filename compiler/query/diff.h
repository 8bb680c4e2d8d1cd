// SPDX-License-Identifier: Apache-2.0
// policyc diff: the calls two filters decide differently, per syscall, as argument ranges
// (`socket: arg0 == AF_NETLINK  allow -> errno(EPERM)`), plus default-action and arch changes.
// Exact, not sampled: from the IR when both inputs have one (each syscall's argument space cut
// by the conditions of both filters, abi.h's per-ABI rules), otherwise from both BPF programs
// (seccomp_data's words cut by the constants the programs compare them with).
#pragma once

#include <string>
#include <vector>

#include "compiler/query/cases.h"
#include "compiler/query/source.h"
#include "compiler/seccomp/abi.h"

namespace policyc::query {

struct Difference {
  std::string line;          // as printed
  bool note = false;         // a heading for the lines after it (an arch one filter alone serves), not a difference
  // For checking: the calls it covers. By IR: `abi`, `nr` and constraints on argument
  // indexes; by BPF: constraints on seccomp_data words (arch, nr and argument words).
  bool by_bpf = false;
  seccomp::Abi abi = seccomp::Abi::X86_64;
  std::uint32_t nr = 0;
  bool every_syscall = false;  // IR: the syscalls neither filter has a rule for; or a whole arch
  Case change;               // outcomes: {a, b}
  bool unknown_numbers = false;  // IR, with every_syscall: only the numbers newer than the table
};

struct DiffResult {
  bool by_bpf = false;
  std::vector<Difference> differences;  // in print order, notes included
  std::size_t count() const;            // the differences proper; 0: equivalent
};

// Throws QueryError when a program cannot be followed.
DiffResult diff_filters(const FilterSource& a, const FilterSource& b);

std::string render_diff(const FilterSource& a, const FilterSource& b, const DiffResult& result);

}  // namespace policyc::query
