// SPDX-License-Identifier: Apache-2.0
// Docker/OCI seccomp JSON -> .pol text (a bare `seccomp default ... { ... }` block): used by
// `policyc import-docker` and by `include "profile.json"` inside a policy, which parses the
// returned text as if it were an included .pol file.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "compiler/diag/diagnostics.h"
#include "compiler/seccomp/ir.h"

namespace policyc::docker {

struct ImportOptions {
  std::vector<std::string> caps;      // CAP_* names the container has; empty = Docker's default set
  std::string arch = "x86_64";        // target arch (SCMP_ARCH_X86_64's short name)
  std::string kernel;                 // "6.1" for minKernel; empty = the running kernel
  // For `include "profile.json"`: the including block's arches, which alone decide (so names
  // of other arches' calls are left out, with one note, instead of one warning per rule).
  std::optional<std::vector<std::string>> including_arches;
};

// Errors name the JSON path ("syscalls[12].args[0].op") or, for syntax errors, line and column,
// with `file_name` as the location's file. Returns nullopt on error.
std::optional<std::string> import_to_pol(const std::string& json_text, const std::string& file_name,
                                         const ImportOptions& options, Diagnostics& diags);

}  // namespace policyc::docker
