// SPDX-License-Identifier: Apache-2.0
#include "compiler/driver/import_filter.h"

#include "compiler/diag/input_file.h"

#include "compiler/lower/lower_seccomp.h"
#include "compiler/parse/parse.h"

namespace policyc {

std::optional<seccomp::Filter> import_filter_file(const std::string& path, const docker::ImportOptions& options,
                                                  Diagnostics& diags) {
  InputFile json = read_input_file(path);
  if (!json.text) {
    diags.error({path, 0, 0, 1}, "cannot read Docker profile: " + json.error, "check the path");
    return std::nullopt;
  }
  const std::optional<std::string> pol = docker::import_to_pol(*json.text, path, options, diags);
  if (!pol) return std::nullopt;
  const std::optional<ast::Policy> policy = parse_text(*pol, path + " (imported)", diags);
  if (!policy || !policy->seccomp_block()) return std::nullopt;
  return seccomp::lower_seccomp(*policy->seccomp_block(), diags);
}

}  // namespace policyc
