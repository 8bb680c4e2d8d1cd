// SPDX-License-Identifier: Apache-2.0
// Capabilities: every set becomes the plan's `keep` list. Bounding first (it needs CAP_SETPCAP,
// which the last step drops), ambient cleared, then permitted/effective/inheritable in one call,
// then the kept ones raised in ambient so a non-root command still has them after execve.
#include <sys/capability.h>
#include <sys/prctl.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "launcher/host/error.h"
#include "launcher/host/kernel.h"
#include "launcher/process/process_steps.h"

namespace launcher {

static bool kept(const std::vector<int>& keep, int cap) {
  return std::find(keep.begin(), keep.end(), cap) != keep.end();
}

static std::string cap_label(int cap) {
  char* name = cap_to_name(static_cast<cap_value_t>(cap));
  std::string label = name ? name : std::to_string(cap);
  cap_free(name);
  return label;
}

// One bit per kept capability; numbers outside 0..63 name no capability and are ignored.
static std::uint64_t bits_of(const std::vector<int>& keep) {
  std::uint64_t bits = 0;
  for (int cap : keep) {
    if (cap >= 0 && cap < 64) bits |= std::uint64_t{1} << cap;
  }
  return bits;
}

static void set_process_sets(Kernel& kernel, const std::vector<int>& keep) {
  const std::uint64_t bits = bits_of(keep);
  CapabilitySets sets;
  sets.effective = sets.permitted = sets.inheritable = bits;
  check(kernel.capset(sets), "capabilities",
        "set permitted/effective/inheritable capabilities to the " + std::to_string(keep.size()) + " kept ones");
}

void drop_capabilities(Kernel& kernel, const std::vector<int>& keep) {
  const int last = kernel.cap_last_cap();
  for (int cap = 0; cap <= last; ++cap) {
    if (kept(keep, cap)) continue;
    if (kernel.prctl(PR_CAPBSET_DROP, static_cast<unsigned long>(cap), 0, 0, 0) != 0 && errno != EINVAL) {
      throw StepError("capabilities", "drop " + cap_label(cap) + " from the bounding set", errno);
    }
  }
  check(kernel.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "capabilities", "clear ambient capabilities");
  set_process_sets(kernel, keep);
  for (int cap : keep) {
    check(kernel.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, static_cast<unsigned long>(cap), 0, 0), "capabilities",
          "raise " + cap_label(cap) + " in the ambient set");
  }
}

}  // namespace launcher
