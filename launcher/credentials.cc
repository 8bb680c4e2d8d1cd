// Groups, gid, uid: in that order (after setuid we could no longer change groups).
// PR_SET_KEEPCAPS keeps the permitted set across setuid so drop_capabilities, which runs next,
// decides what remains; the effective set the kernel cleared is raised again from it.
#include <grp.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>

#include "launcher/error.h"
#include "launcher/steps.h"

namespace launcher {

static void set_groups(const plan::User& user, bool setgroups_allowed) {
  if (!setgroups_allowed) return;  // validation refused supplementary groups in this case
  std::vector<gid_t> groups(user.groups.begin(), user.groups.end());
  // Also when empty: root's own supplementary groups must not leak into the container.
  check(::setgroups(groups.size(), groups.data()), "credentials",
        "set " + std::to_string(groups.size()) + " supplementary groups");
}

static void raise_effective_from_permitted() {
  cap_t caps = cap_get_proc();
  if (!caps) throw StepError("credentials", "read capabilities after setuid", errno);
  cap_value_t last = static_cast<cap_value_t>(last_capability());
  for (cap_value_t c = 0; c <= last; ++c) {
    cap_flag_value_t permitted = CAP_CLEAR;
    cap_get_flag(caps, c, CAP_PERMITTED, &permitted);
    cap_set_flag(caps, CAP_EFFECTIVE, 1, &c, permitted);
  }
  int rc = cap_set_proc(caps);
  int err = errno;
  cap_free(caps);
  if (rc != 0) throw StepError("credentials", "raise effective capabilities after setuid", err);
}

void switch_credentials(const plan::User& user, bool setgroups_allowed) {
  set_groups(user, setgroups_allowed);
  check(::setresgid(user.gid, user.gid, user.gid), "credentials", "set gid " + std::to_string(user.gid));
  check(::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), "credentials", "keep capabilities across setuid");
  check(::setresuid(user.uid, user.uid, user.uid), "credentials",
        "set uid " + std::to_string(user.uid) + " (is it mapped in the user namespace?)");
  check(::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0), "credentials", "reset keep-capabilities");
  if (user.uid != 0) raise_effective_from_permitted();
}

}  // namespace launcher
