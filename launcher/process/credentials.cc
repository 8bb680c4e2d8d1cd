// SPDX-License-Identifier: Apache-2.0
// Groups, gid, uid: in that order (after setuid we could no longer change groups).
// PR_SET_KEEPCAPS keeps the permitted set across setuid so drop_capabilities, which runs next,
// decides what remains; the effective set the kernel cleared is raised again from it.
#include <sys/prctl.h>

#include <cerrno>

#include "launcher/host/error.h"
#include "launcher/host/kernel.h"
#include "launcher/process/process_steps.h"

namespace launcher {

static void set_groups(Kernel& kernel, const plan::User& user, bool setgroups_allowed) {
  if (!setgroups_allowed) return;  // validation refused supplementary groups in this case
  std::vector<gid_t> groups(user.groups.begin(), user.groups.end());
  // Also when empty: root's own supplementary groups must not leak into the container.
  check(kernel.setgroups(groups.size(), groups.data()), "credentials",
        "set " + std::to_string(groups.size()) + " supplementary groups");
}

static void raise_effective_from_permitted(Kernel& kernel) {
  CapabilitySets caps;
  if (kernel.capget(caps) != 0) throw StepError("credentials", "read capabilities after setuid", errno);
  // Capabilities up to cap_last_cap only (the kernel knows no others).
  const int last = kernel.cap_last_cap();
  const std::uint64_t known = last >= 63 ? ~std::uint64_t{0} : (std::uint64_t{1} << (last + 1)) - 1;
  caps.effective = (caps.effective & ~known) | (caps.permitted & known);
  check(kernel.capset(caps), "credentials", "raise effective capabilities after setuid");
}

void switch_credentials(Kernel& kernel, const plan::User& user, bool setgroups_allowed) {
  set_groups(kernel, user, setgroups_allowed);
  check(kernel.setresgid(user.gid, user.gid, user.gid), "credentials", "set gid " + std::to_string(user.gid));
  check(kernel.prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), "credentials", "keep capabilities across setuid");
  check(kernel.setresuid(user.uid, user.uid, user.uid), "credentials",
        "set uid " + std::to_string(user.uid) + " (is it mapped in the user namespace?)");
  check(kernel.prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0), "credentials", "reset keep-capabilities");
  if (user.uid != 0) raise_effective_from_permitted(kernel);
}

}  // namespace launcher
