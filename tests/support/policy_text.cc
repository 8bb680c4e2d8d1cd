// SPDX-License-Identifier: Apache-2.0
#include "compiler/libseccomp/libseccomp_backend.h"
#include "tests/support/policy_text.h"

#include <sstream>

#include "compiler/backend/backend.h"
#include "compiler/lower/lower_seccomp.h"
#include "compiler/parse/parse.h"

namespace policyc::testing {

std::optional<ast::Seccomp> parse_seccomp(const std::string& text, Diagnostics& diags,
                                          const std::string& file) {
  diags.add_source(file, text);
  std::optional<ast::Policy> policy = parse_text(text, file, diags);
  if (!policy || diags.has_errors()) return std::nullopt;
  const ast::Seccomp* block = policy->seccomp_block();
  if (!block) return std::nullopt;
  return *block;
}

std::optional<seccomp::Filter> lower_text(const std::string& text, Diagnostics& diags,
                                          const std::string& file) {
  std::optional<ast::Seccomp> block = parse_seccomp(text, diags, file);
  if (!block) return std::nullopt;
  return seccomp::lower_seccomp(*block, diags);
}

std::vector<sock_filter> bpf_from_text(const std::string& text, Diagnostics& diags,
                                       const std::string& file) {
  std::optional<seccomp::Filter> filter = lower_text(text, diags, file);
  if (!filter) return {};
  return seccomp::compile_libseccomp(*filter, diags, 2);
}

std::string render(const Diagnostics& diags) {
  std::ostringstream out;
  diags.render(out);
  return out.str();
}

std::unique_ptr<LoweredBlock> lower_block(const std::string& body, const std::string& default_action) {
  auto out = std::make_unique<LoweredBlock>();
  out->filter = lower_text("seccomp default " + default_action + " {\n" + body + "\n}\n", out->diags);
  return out;
}

}  // namespace policyc::testing
