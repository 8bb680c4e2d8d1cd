// PLACEHOLDER (owner: Docker/OCI engineer) - replaced by the real importer.
#include "compiler/docker/import.h"

namespace policyc::docker {
std::optional<std::string> import_to_pol(const std::string&, const std::string& file_name,
                                         const ImportOptions&, Diagnostics& diags) {
  diags.error({file_name}, "importing Docker seccomp profiles is not implemented yet");
  return std::nullopt;
}
}  // namespace policyc::docker
