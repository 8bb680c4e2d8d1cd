// Capabilities: every set becomes the plan's `keep` list. Bounding first (it needs CAP_SETPCAP,
// which the last step drops), ambient cleared, then permitted/effective/inheritable in one call,
// then the kept ones raised in ambient so a non-root command still has them after execve.
#include <sys/capability.h>
#include <sys/prctl.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "launcher/error.h"
#include "launcher/steps.h"

namespace launcher {

int last_capability() {
  static int cached = -1;
  if (cached >= 0) return cached;
  if (FILE* f = std::fopen("/proc/sys/kernel/cap_last_cap", "re")) {
    if (std::fscanf(f, "%d", &cached) != 1) cached = -1;
    std::fclose(f);
  }
  if (cached < 0) cached = CAP_LAST_CAP;
  return cached;
}

static bool kept(const std::vector<int>& keep, int cap) {
  return std::find(keep.begin(), keep.end(), cap) != keep.end();
}

static std::string cap_label(int cap) {
  char* name = cap_to_name(static_cast<cap_value_t>(cap));
  std::string label = name ? name : std::to_string(cap);
  cap_free(name);
  return label;
}

static void set_process_sets(const std::vector<int>& keep) {
  cap_t caps = cap_init();  // all clear
  if (!caps) throw StepError("capabilities", "allocate a capability set", errno);
  std::vector<cap_value_t> values(keep.begin(), keep.end());
  if (!values.empty()) {
    const int n = static_cast<int>(values.size());
    cap_set_flag(caps, CAP_PERMITTED, n, values.data(), CAP_SET);
    cap_set_flag(caps, CAP_EFFECTIVE, n, values.data(), CAP_SET);
    cap_set_flag(caps, CAP_INHERITABLE, n, values.data(), CAP_SET);
  }
  int rc = cap_set_proc(caps);
  int err = errno;
  cap_free(caps);
  if (rc != 0) {
    throw StepError("capabilities", "set permitted/effective/inheritable capabilities to the " +
                                        std::to_string(keep.size()) + " kept ones",
                    err);
  }
}

void drop_capabilities(const std::vector<int>& keep) {
  const int last = last_capability();
  for (int cap = 0; cap <= last; ++cap) {
    if (kept(keep, cap)) continue;
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) {
      throw StepError("capabilities", "drop " + cap_label(cap) + " from the bounding set", errno);
    }
  }
  check(::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "capabilities", "clear ambient capabilities");
  set_process_sets(keep);
  for (int cap : keep) {
    check(::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0), "capabilities",
          "raise " + cap_label(cap) + " in the ambient set");
  }
}

}  // namespace launcher
