// SPDX-License-Identifier: Apache-2.0
#include "launcher/instances/pidfd.h"

#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "launcher/host/process_stat.h"
#include "launcher/registry/instance_record.h"

namespace launcher {

int open_recorded_pidfd(pid_t pid, std::uint64_t start_time, const std::string& what) {
  const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0 && errno == ESRCH) throw RegistryError(what + " is no longer running");
  if (fd < 0) throw RegistryError("open a pidfd of " + what + ": " + std::strerror(errno) + " (Linux 5.3 or later is needed)");
  const auto now = live_process_start_time(pid);
  if (!now || *now != start_time) {
    ::close(fd);
    throw RegistryError(what + " is no longer running" + (now ? " (its pid now belongs to another process)" : ""));
  }
  return fd;
}

bool wait_for_exit(int pidfd, int timeout_ms) {
  timespec start{};
  ::clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    const long elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
    if (elapsed >= timeout_ms) return false;
    pollfd p{pidfd, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(timeout_ms - elapsed));
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return false;
  }
}

}  // namespace launcher
