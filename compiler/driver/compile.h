// SPDX-License-Identifier: Apache-2.0
// The whole compiler as one call: parse -> checks -> lowering -> backend. Used by every
// policyc subcommand (compile, check, --emit-bpf, export-docker, export-oci, explain).
#pragma once

#include <optional>
#include <string>

#include "compiler/ast/ast.h"
#include "compiler/backend/backend.h"
#include "compiler/diag/diagnostics.h"
#include "compiler/seccomp/ir.h"
#include "plan/plan.h"

namespace policyc {

struct CompileOptions {
  // Our own generator is the default: the differential tests prove it gives libseccomp's
  // verdicts (x86_64, x32 and i386 calls) with fewer instructions.
  seccomp::Backend backend = seccomp::Backend::Policyc;
  const seccomp::FrequencyProfile* profile = nullptr;  // for the policyc backend's layout
  bool require_container = false;   // true for plans plan-exec will run (rootfs etc. needed)
  bool lint = true;                 // the linter's warnings (compiler/lint/lint.h)
  std::size_t max_syntax_errors = RenderLimits::kDefault;  // per file; 0 = all (ParseOptions)
};

struct CompileResult {
  ast::Policy policy;
  std::optional<seccomp::Filter> filter;   // the lowered rules, when the policy has a seccomp block
  plan::Plan plan;                         // with the compiled filter in plan.seccomp
};

// The filter IR restated with lines (plan.h SeccompSource): plan-exec names the rule that
// denied a call from it, --learn adds lines before the block's closing brace. Only x86_64 rules
// (a negative pseudo number names a syscall of another arch). `block` null: no file or lines.
plan::SeccompSource seccomp_source_map(const seccomp::Filter& filter, const ast::Seccomp* block);

// All diagnostics go to `diags`; nullopt when there was any error.
std::optional<CompileResult> compile_policy(const std::string& path, const CompileOptions& options,
                                            Diagnostics& diags);

}  // namespace policyc
