// SPDX-License-Identifier: Apache-2.0
// Test helpers from policy text to the seccomp IR and BPF, through the real front end
// (parse_text) and the real lowering, keeping every diagnostic for the test to inspect.
#pragma once

#include <linux/filter.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compiler/ast/ast.h"
#include "compiler/diag/diagnostics.h"
#include "compiler/seccomp/ir.h"

namespace policyc::testing {

// Parses `text` (a bare seccomp block or a container) named `file`; nullopt if it has no
// seccomp block or did not parse (diagnostics say why).
std::optional<ast::Seccomp> parse_seccomp(const std::string& text, Diagnostics& diags,
                                          const std::string& file = "test.pol");

// parse_seccomp + lower_seccomp.
std::optional<seccomp::Filter> lower_text(const std::string& text, Diagnostics& diags,
                                          const std::string& file = "test.pol");

// lower_text + compile_libseccomp (optimize 2). Empty on any error.
std::vector<sock_filter> bpf_from_text(const std::string& text, Diagnostics& diags,
                                       const std::string& file = "test.pol");

// A seccomp block `seccomp default DEFAULT_ACTION { BODY }` lowered, with its diagnostics.
// (A unique_ptr, so that the diagnostics a test holds stay where the filter's errors point.)
struct LoweredBlock {
  Diagnostics diags;
  std::optional<seccomp::Filter> filter;
};
std::unique_ptr<LoweredBlock> lower_block(const std::string& body,
                                          const std::string& default_action = "errno(EPERM)");

// The actions tests write most often.
inline const seccomp::Action kAllow{seccomp::ActionKind::Allow, 0};
inline const seccomp::Action kEperm{seccomp::ActionKind::Errno, 1};
inline const seccomp::Action kKill{seccomp::ActionKind::KillProcess, 0};

// Every diagnostic rendered as text (file:line:col: severity: message + hint), for failure output.
std::string render(const Diagnostics& diags);

}  // namespace policyc::testing
