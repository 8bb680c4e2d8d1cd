// PLACEHOLDER (owner: seccomp engineer) - replaced by the real backends.
#include "compiler/seccomp/backend.h"

namespace policyc::seccomp {
std::vector<sock_filter> compile(const Filter&, Backend, Diagnostics& diags, const FrequencyProfile*) {
  diags.error({}, "seccomp backend is not implemented yet");
  return {};
}
std::vector<sock_filter> compile_libseccomp(const Filter&, Diagnostics& diags, int) {
  diags.error({}, "libseccomp backend is not implemented yet");
  return {};
}
}  // namespace policyc::seccomp
