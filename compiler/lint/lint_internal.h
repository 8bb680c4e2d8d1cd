// SPDX-License-Identifier: Apache-2.0
// Shared by the linter's files: the x86_64 rules of one syscall and their verdict.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "compiler/diag/diagnostics.h"
#include "compiler/seccomp/abi.h"
#include "compiler/seccomp/ir.h"

namespace policyc::lint {

Location location_of(const seccomp::SourceRef& ref);

// allow and log let the call run.
bool lets_through(const seccomp::Action& action);

// The x86_64 rules of syscall `nr`, in order (first match wins).
std::vector<const seccomp::AbiRule*> rules_of(const std::vector<seccomp::AbiRule>& all, std::uint32_t nr);

// The rule that decides a call with `args`, or nullptr for the default action.
const seccomp::AbiRule* deciding_rule(const std::vector<const seccomp::AbiRule*>& rules,
                                      const std::array<std::uint64_t, 6>& args);

bool rule_holds(const seccomp::AbiRule& rule, const std::array<std::uint64_t, 6>& args);

// The rules of one syscall, indexed by the value a plain `argN == V` of theirs pins an argument
// to: a call is tested against the rules whose pin it meets and those without a pin, not all
// of them, so a long list of `allow socket if arg0 == K` costs one test per call.
class RuleIndex {
 public:
  explicit RuleIndex(const std::vector<const seccomp::AbiRule*>& rules);
  const std::vector<const seccomp::AbiRule*>& rules() const { return rules_; }
  // Positions (in rules()) of the rules that may hold for `args`, ascending.
  void candidates(const std::array<std::uint64_t, 6>& args, std::vector<std::size_t>& out) const;
  // The first rule that holds for `args` (first match decides), or nullptr. `tests`: rules tested.
  const seccomp::AbiRule* deciding(const std::array<std::uint64_t, 6>& args, std::size_t& tests) const;

 private:
  using Pin = std::tuple<unsigned, unsigned, std::uint64_t>;   // arg, width, value
  std::vector<const seccomp::AbiRule*> rules_;
  std::map<Pin, std::vector<std::size_t>> pinned_;
  std::vector<std::size_t> unpinned_;
  std::set<unsigned> pinned_args_;
};

}  // namespace policyc::lint
