// SPDX-License-Identifier: Apache-2.0
// A filter as query and diff see it: always its BPF program, and its IR when the input has
// one (a policy, or a Docker profile imported into the IR). A plan carries only BPF, so
// answers about a plan come from the BPF interpreter and name no rule.
#pragma once

#include <linux/filter.h>

#include <optional>
#include <string>
#include <vector>

#include "compiler/seccomp/ir.h"

namespace policyc::query {

struct FilterSource {
  std::string name;                                // the path as given
  std::string kind;                                // "policy", "plan", "Docker profile"
  std::optional<seccomp::Filter> filter;           // the IR, when known
  std::vector<sock_filter> program;                // the compiled filter
  std::optional<seccomp::SourceRef> default_where; // the `seccomp default ...` line, for policies
};

}  // namespace policyc::query
