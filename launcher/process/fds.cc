// Close every inherited descriptor but 0, 1, 2 (runc CVE-2024-21626: a leaked directory fd is a
// way out of the rootfs). `keep` is the error channel, O_CLOEXEC, so execve closes it too.
#include <sys/resource.h>

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

void close_inherited_fds(Kernel& kernel, int keep) {
  if (keep < 3) return close_between(kernel, 3, ~0u);
  close_between(kernel, 3, static_cast<unsigned>(keep) - 1);
  close_between(kernel, static_cast<unsigned>(keep) + 1, ~0u);
}

}  // namespace launcher
