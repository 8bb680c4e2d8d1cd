// SPDX-License-Identifier: Apache-2.0
#include "launcher/process/init_hardening.h"

#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <cerrno>
#include <string>
#include <vector>

#include "launcher/host/error.h"
#include "launcher/process/init_filter.h"

namespace launcher {

namespace {

bool has_effective(Kernel& kernel, int cap) {
  CapabilitySets sets;
  return kernel.capget(sets) == 0 && (sets.effective >> cap & 1U) != 0;
}

// The bounding set only limits what an execve could gain, and init never execs (its filter
// has no execve); it is emptied when init still has CAP_SETPCAP (the plan kept it, e.g. Docker's
// defaults), otherwise it stays the plan's `keep` list, which the command has anyway.
void drop_all_capabilities(Kernel& kernel) {
  if (has_effective(kernel, CAP_SETPCAP)) {
    for (int cap = 0; cap <= kernel.cap_last_cap(); ++cap) {  // dropping one not in the set is fine
      check(kernel.prctl(PR_CAPBSET_DROP, static_cast<unsigned long>(cap), 0, 0, 0), "init",
            "drop capability " + std::to_string(cap) + " from the init's bounding set");
    }
  }
  check(kernel.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "init", "clear the init's ambient capabilities");
  check(kernel.capset(CapabilitySets{}), "init", "clear the init's permitted/effective/inheritable capabilities");
}

// close_range, or one close per descriptor below RLIMIT_NOFILE on kernels before 5.9.
void close_range_or_each(Kernel& kernel, unsigned first, unsigned last) {
  if (first > last || kernel.close_range(first, last, 0) == 0) return;
  if (errno != ENOSYS) {
    throw StepError("init", "close the init's descriptors " + std::to_string(first) + ".." + std::to_string(last), errno);
  }
  struct rlimit limit {};
  kernel.prlimit(0, RLIMIT_NOFILE, nullptr, &limit);
  const unsigned top = limit.rlim_cur == RLIM_INFINITY ? 65536U : static_cast<unsigned>(limit.rlim_cur);
  for (unsigned fd = first; fd <= last && fd < top; ++fd) kernel.close(static_cast<int>(fd));
}

void close_all_but(Kernel& kernel, int keep) {
  if (keep < 0) return close_range_or_each(kernel, 0, ~0U);
  if (keep > 0) close_range_or_each(kernel, 0, static_cast<unsigned>(keep) - 1);
  close_range_or_each(kernel, static_cast<unsigned>(keep) + 1, ~0U);
}

void load_init_filter(Kernel& kernel, pid_t command, int error_fd) {
  std::vector<sock_filter> program = init_seccomp_filter(command, error_fd);
  sock_fprog prog{static_cast<unsigned short>(program.size()), program.data()};
  check(kernel.seccomp(SECCOMP_SET_MODE_FILTER, 0, &prog), "init",
        "load the init's own seccomp filter (" + std::to_string(program.size()) + " instructions)");
}

}  // namespace

void harden_init(Kernel& kernel, pid_t command, int error_fd) {
  drop_all_capabilities(kernel);
  check(kernel.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "init", "make the init process non-dumpable");
  close_all_but(kernel, error_fd);
  check(kernel.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "init", "set no_new_privs on the init process");
  load_init_filter(kernel, command, error_fd);
}

}  // namespace launcher
