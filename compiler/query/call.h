// SPDX-License-Identifier: Apache-2.0
// The call a query asks about, written as strace prints calls:
//   openat(AT_FDCWD, "/etc/hosts", O_RDONLY|O_CLOEXEC)      numbers, constants, A|B flags
//   socket(AF_INET6, ...)                                    `...`: the rest unspecified
//   read                                                     no parentheses: all unspecified
// A string, a {struct} or an [array] is a pointer: the filter cannot see what it points to and
// its address is not fixed, so it is a value the query leaves open, like an argument not written.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace policyc::query {

enum class ArgKind { Value, Pointer, Unspecified };

struct CallArg {
  ArgKind kind = ArgKind::Unspecified;
  std::uint64_t value = 0;   // Value
  std::string text;          // as written
};

struct Call {
  std::string name;
  std::array<CallArg, 6> args;
  std::size_t written = 0;   // arguments given (before `...`)
};

// nullopt with `error` set ("argument 2: unknown constant \"O_RDONY\"; did you mean O_RDONLY?").
std::optional<Call> parse_call(const std::string& text, std::string& error);

}  // namespace policyc::query
