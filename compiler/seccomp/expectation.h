// SPDX-License-Identifier: Apache-2.0
// An `expect` line of a seccomp block, resolved: what the compiled filter must answer to every
// call of a syscall whose written arguments have the given values (the others are free).
// Checked at compile time (compiler/expect/); it never changes the filter.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "compiler/diag/diagnostics.h"
#include "compiler/seccomp/ir.h"

namespace policyc::seccomp {

struct Expectation {
  std::optional<Action> action;                         // nullopt: `kill` (kill_thread or kill_process)
  std::string syscall;                                  // as written
  std::array<std::optional<std::uint64_t>, 6> args;     // nullopt: any value
  std::size_t written_args = 0;                         // how many arguments were written
  Location where;                                       // the whole expect line

  bool accepts(std::uint32_t ret) const;                // does the filter's answer `ret` match?
  std::string verdict_text() const;                     // "errno(EPERM)", "kill"
};

}  // namespace policyc::seccomp
