// SPDX-License-Identifier: Apache-2.0
// compile(): one entry point, two backends with identical verdicts.
#include "compiler/backend/backend.h"

#include "compiler/codegen/codegen.h"
#include "compiler/libseccomp/libseccomp_backend.h"

namespace policyc::seccomp {

std::vector<sock_filter> compile(const Filter& filter, Backend backend, Diagnostics& diags,
                                 const FrequencyProfile* profile) {
  switch (backend) {
    case Backend::Libseccomp: return compile_libseccomp(filter, diags, 2);
    case Backend::Policyc: return generate_policyc(filter, diags, profile);
  }
  diags.error({}, "internal: unknown seccomp backend", "choose libseccomp or policyc");
  return {};
}

}  // namespace policyc::seccomp
