// SPDX-License-Identifier: Apache-2.0
// Test helpers from policy text to the seccomp IR and BPF, through the real front end
// (parse_text) and the real lowering, keeping every diagnostic for the test to inspect.
#pragma once

#include <linux/filter.h>

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

// Every diagnostic rendered as text (file:line:col: severity: message + hint), for failure output.
std::string render(const Diagnostics& diags);

}  // namespace policyc::testing
