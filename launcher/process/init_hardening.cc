#include "launcher/process/init_hardening.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "launcher/host/error.h"
#include "launcher/process/init_filter.h"
#include "launcher/host/kernel.h"

namespace launcher {

namespace {

bool has_effective(cap_value_t cap) {
  cap_t caps = cap_get_proc();
  cap_flag_value_t value = CAP_CLEAR;
  if (caps) cap_get_flag(caps, cap, CAP_EFFECTIVE, &value);
  cap_free(caps);
  return value == CAP_SET;
}

// The bounding set only limits what an execve could gain, and init never execs (its filter
// has no execve); it is emptied when init still has CAP_SETPCAP (the plan kept it, e.g. Docker's
// defaults), otherwise it stays the plan's `keep` list, which the command has anyway.
void drop_all_capabilities() {
  if (has_effective(CAP_SETPCAP)) {
    for (int cap = 0; cap <= last_capability(); ++cap) {  // dropping one not in the set is fine
      check(::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0), "init", "drop capability " + std::to_string(cap) + " from the init's bounding set");
    }
  }
  check(::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "init", "clear the init's ambient capabilities");
  cap_t none = cap_init();
  if (!none) throw StepError("init", "allocate a capability set", errno);
  const int rc = cap_set_proc(none);
  const int err = errno;
  cap_free(none);
  if (rc != 0) throw StepError("init", "clear the init's permitted/effective/inheritable capabilities", err);
}

// close_range, or one close per descriptor below RLIMIT_NOFILE on kernels before 5.9.
void close_all_but(int keep) {
  auto close_range = [](unsigned first, unsigned last) {
    if (first > last || ::syscall(SYS_close_range, first, last, 0) == 0) return;
    if (errno != ENOSYS) {
      throw StepError("init", "close the init's descriptors " + std::to_string(first) + ".." + std::to_string(last), errno);
    }
    struct rlimit limit {};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    const unsigned top = limit.rlim_cur == RLIM_INFINITY ? 65536u : static_cast<unsigned>(limit.rlim_cur);
    for (unsigned fd = first; fd <= last && fd < top; ++fd) ::close(static_cast<int>(fd));
  };
  if (keep < 0) return close_range(0, ~0U);
  if (keep > 0) close_range(0, static_cast<unsigned>(keep) - 1);
  close_range(static_cast<unsigned>(keep) + 1, ~0U);
}

void load_init_filter(pid_t command, int error_fd) {
  std::vector<sock_filter> program = init_seccomp_filter(command, error_fd);
  sock_fprog prog{static_cast<unsigned short>(program.size()), program.data()};
  check(::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog), "init",
        "load the init's own seccomp filter (" + std::to_string(program.size()) + " instructions)");
}

}  // namespace

void harden_init(pid_t command, int error_fd) {
  drop_all_capabilities();
  check(::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "init", "make the init process non-dumpable");
  close_all_but(error_fd);
  check(::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "init", "set no_new_privs on the init process");
  load_init_filter(command, error_fd);
}

}  // namespace launcher
