// SPDX-License-Identifier: Apache-2.0
#include "launcher/instances/stop.h"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "launcher/instances/lookup.h"
#include "launcher/instances/pidfd.h"

namespace launcher {

int stop_command(const std::string& name_or_pid) {
  try {
    const InstanceRecord r = pick_instance(running_instances_of_caller(), name_or_pid);
    const std::string what = "plan-exec " + std::to_string(r.pid) + " of " + r.name;
    const int pidfd = open_recorded_pidfd(r.pid, r.pid_start, what);
    if (::syscall(SYS_pidfd_send_signal, pidfd, SIGTERM, nullptr, 0) != 0) {
      const int err = errno;
      ::close(pidfd);
      throw RegistryError("send SIGTERM to " + what + ": " + std::strerror(err));
    }
    const bool ended = wait_for_exit(pidfd, kStopWaitSeconds * 1000);
    ::close(pidfd);
    if (!ended) {
      std::fprintf(stderr, "plan-exec: stop: %s still runs %d s after SIGTERM (its command ignores it?); "
                   "run plan-exec stop again, or kill -KILL %d\n", what.c_str(), kStopWaitSeconds, static_cast<int>(r.pid));
      return 1;
    }
    std::puts(r.name.c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "plan-exec: stop: %s\n", e.what());
    return 125;
  }
}

}  // namespace launcher
