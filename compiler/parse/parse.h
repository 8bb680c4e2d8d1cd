// SPDX-License-Identifier: Apache-2.0
// The front end's entry point: policy text -> AST. parse.cc is the only file in the project
// that includes ANTLR-generated headers; nothing downstream sees ANTLR types.
#pragma once

#include <optional>
#include <string>

#include "compiler/ast/ast.h"
#include "compiler/diag/diagnostics.h"

namespace policyc {

struct ParseOptions {
  // For `include "x.json"` of a Docker profile: the capabilities the container keeps decide
  // the profile's includes/excludes by caps (see compiler/docker/import.h).
  // empty = the container's default set (Docker's without mknod); for a bare seccomp block,
  // Docker's default set.
  std::vector<std::string> docker_caps;
  // Syntax errors reported per file before the parser stops reporting (policyc --max-errors;
  // 0 = all). A binary or garbled file would otherwise give one error per token.
  std::size_t max_syntax_errors = RenderLimits::kDefault;
};

// Parses a file (and, recursively, what it includes; a cycle is an error). Syntax errors are
// added to `diags` with file:line:col; returns nullopt only when nothing usable was parsed.
std::optional<ast::Policy> parse_file(const std::string& path, Diagnostics& diags,
                                      const ParseOptions& options = {});
std::optional<ast::Policy> parse_text(const std::string& text, const std::string& file_name,
                                      Diagnostics& diags, const ParseOptions& options = {});

}  // namespace policyc
