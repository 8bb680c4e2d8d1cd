// SPDX-License-Identifier: Apache-2.0
// Resource limits, applied before the uid switch (raising a hard limit needs privilege).
#include <sys/resource.h>

#include "launcher/host/error.h"
#include "launcher/host/kernel.h"
#include "launcher/process/process_steps.h"

namespace launcher {

void apply_rlimits(Kernel& kernel, const std::vector<plan::Rlimit>& rlimits) {
  for (const auto& r : rlimits) {
    struct rlimit limit {static_cast<rlim_t>(r.soft), static_cast<rlim_t>(r.hard)};
    check(kernel.prlimit(0, r.resource, &limit, nullptr), "rlimits",
          "set rlimit " + r.name + " to " + std::to_string(r.soft) + " " + std::to_string(r.hard));
  }
}

}  // namespace launcher
