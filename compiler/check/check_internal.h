// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the check files (check_container.cc, check_network.cc, check_limits.cc).
#pragma once

#include <string>
#include <vector>

#include "compiler/ast/ast.h"
#include "compiler/diag/diagnostics.h"

namespace policyc::check::detail {

inline std::string in_quotes(const std::string& text) { return "\"" + text + "\""; }

// "did you mean \"x\"?" when one of `candidates` is close to `word`, else "one of: a, b, c".
std::string suggestion(const std::string& word, const std::vector<std::string>& candidates);

bool has_namespace(const ast::Container& c, const std::string& name);

// An absolute path without ".." components; reports otherwise, naming `what` ("mount target").
void require_absolute_path(const ast::Word& path, const std::string& what, Diagnostics& diags);

void check_network(const ast::Container& c, Diagnostics& diags);
void check_limits(const ast::Container& c, Diagnostics& diags);
void check_devices(const ast::Container& c, Diagnostics& diags);   // check_devices.cc
void check_landlock(const ast::Container& c, Diagnostics& diags);  // check_landlock.cc

}  // namespace policyc::check::detail
