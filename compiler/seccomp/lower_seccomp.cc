// PLACEHOLDER (owner: seccomp engineer) - replaced by the real lowering.
#include "compiler/seccomp/lower_seccomp.h"

namespace policyc::seccomp {
std::optional<Filter> lower_seccomp(const ast::Seccomp& block, Diagnostics& diags) {
  diags.error(block.where, "seccomp lowering is not implemented yet");
  return std::nullopt;
}
std::optional<std::uint64_t> constant_value(const std::string&) { return std::nullopt; }
const std::vector<std::string>& all_constant_names() { static std::vector<std::string> none; return none; }
std::optional<int> errno_value(const std::string&) { return std::nullopt; }
std::string errno_name(int value) { return std::to_string(value); }
}  // namespace policyc::seccomp
