// SPDX-License-Identifier: Apache-2.0
// Between the two halves of the parser: parse.cc (the only ANTLR-facing file: text -> AST for
// one file) and includes.cc (files, include resolution, cycles, Docker profiles).
#pragma once

#include <optional>
#include <string>

#include "compiler/ast/ast.h"
#include "compiler/diag/diagnostics.h"

namespace policyc::parse_detail {

// Parses one text into a Policy. `include` statements are kept as ast::Include entries and not
// resolved. Syntax errors go to `diags`; nullopt when the text holds no container and no
// seccomp block at all. After `max_syntax_errors` syntax errors (0: no limit) the rest are
// not reported, and a note says so.
std::optional<ast::Policy> parse_single(const std::string& text, const std::string& file_name,
                                        Diagnostics& diags, std::size_t max_syntax_errors);

// Every keyword of the language, for did-you-mean on misspelled section or option names.
const std::vector<std::string>& keywords();

}  // namespace policyc::parse_detail
