// SPDX-License-Identifier: Apache-2.0
// The container part of a checked policy -> the plan: every name resolved to a number, every
// size to bytes, every default filled in, so plan-exec has nothing left to interpret.
#pragma once

#include <string>
#include <vector>

#include "compiler/ast/ast.h"
#include "plan/plan.h"

namespace policyc::lower {

// Fills the plan's container fields (not arch, source or seccomp). `c` must have passed
// check::check_container: values that fail to parse here are skipped, not reported.
void lower_container(const ast::Container& c, plan::Plan& plan);

// The `limits { ... }` block -> cgroup values and the files to write for v2 and for v1.
plan::Cgroups lower_limits(const std::vector<ast::LimitDecl>& limits);

// The `landlock { ... }` section -> handled rights and rules (lower_landlock.cc).
plan::Landlock lower_landlock(const ast::LandlockDecl& decl);

// runc's defaults, added when /proc is mounted unless the policy says `mask none`.
const std::vector<std::string>& default_masked_paths();
const std::vector<std::string>& default_readonly_paths();

inline constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

}  // namespace policyc::lower
