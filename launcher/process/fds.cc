// SPDX-License-Identifier: Apache-2.0
// Close every inherited descriptor but 0, 1, 2 (runc CVE-2024-21626: a leaked directory fd is a
// way out of the rootfs). The kept ones (the error channel, the supervisor's channel) are
// O_CLOEXEC, so execve closes them too.
#include <sys/resource.h>

#include <algorithm>
#include <cerrno>

#include "launcher/host/error.h"
#include "launcher/host/kernel.h"
#include "launcher/process/process_steps.h"

namespace launcher {

static void close_between(Kernel& kernel, unsigned first, unsigned last) {
  if (first > last) return;
  if (kernel.close_range(first, last, 0) == 0) return;
  if (errno != ENOSYS) throw StepError("fds", "close descriptors " + std::to_string(first) + ".." + std::to_string(last), errno);
  // Kernels before 5.9: one close per descriptor up to the soft limit.
  struct rlimit limit {};
  kernel.prlimit(0, RLIMIT_NOFILE, nullptr, &limit);
  const unsigned top = limit.rlim_cur == RLIM_INFINITY ? 65536u : static_cast<unsigned>(limit.rlim_cur);
  for (unsigned fd = first; fd <= last && fd < top; ++fd) kernel.close(static_cast<int>(fd));
}

void close_inherited_fds(Kernel& kernel, int keep, int keep_too) {
  unsigned next = 3;  // the first descriptor not yet closed or kept
  for (int fd : {std::min(keep, keep_too), std::max(keep, keep_too)}) {
    if (fd < static_cast<int>(next)) continue;
    close_between(kernel, next, static_cast<unsigned>(fd) - 1);
    next = static_cast<unsigned>(fd) + 1;
  }
  close_between(kernel, next, ~0u);
}

}  // namespace launcher
