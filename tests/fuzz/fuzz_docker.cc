// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the Docker seccomp JSON importer. Any bytes end in .pol text or in
// diagnostics, never in a crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include "compiler/docker/import.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  policyc::Diagnostics diags;
  policyc::docker::ImportOptions options;
  options.kernel = "6.1";  // fixed, so a run does not depend on the host's kernel
  (void)policyc::docker::import_to_pol(text, "fuzz.json", options, diags);
  return 0;
}
