// PLACEHOLDER (owner: cgroup engineer) - replaced by the real backends.
#include "launcher/cgroup.h"

#include "launcher/error.h"

namespace launcher {
std::unique_ptr<ContainerCgroup> prepare_cgroups(const plan::Cgroups&, const std::string&, pid_t) {
  throw StepError("cgroups", "cgroup limits are not implemented yet");
}
std::vector<std::string> cleanup_cgroup_leftovers() { return {}; }
}  // namespace launcher
