// SPDX-License-Identifier: Apache-2.0
// A Docker profile file straight to the seccomp IR, through the same stages a policy's
// `include "profile.json"` takes (import to .pol text, parse, lower), with the profile's own
// arches: what the benchmark and the differential tests compare backends on.
#pragma once

#include <optional>
#include <string>

#include "compiler/diag/diagnostics.h"
#include "compiler/docker/import.h"
#include "compiler/seccomp/ir.h"

namespace policyc {

// Errors (unreadable file, bad JSON, a rule that does not lower) go to `diags`; nullopt then.
std::optional<seccomp::Filter> import_filter_file(const std::string& path, const docker::ImportOptions& options,
                                                  Diagnostics& diags);

}  // namespace policyc
