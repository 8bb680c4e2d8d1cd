// Close every inherited descriptor but 0, 1, 2 (runc CVE-2024-21626: a leaked directory fd is a
// way out of the rootfs). `keep` is the error channel, O_CLOEXEC, so execve closes it too.
#include <linux/close_range.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "launcher/error.h"
#include "launcher/steps.h"

namespace launcher {

static void close_between(unsigned first, unsigned last) {
  if (first > last) return;
  if (::syscall(SYS_close_range, first, last, 0) == 0) return;
  if (errno != ENOSYS) throw StepError("fds", "close descriptors " + std::to_string(first) + ".." + std::to_string(last), errno);
  struct rlimit limit {};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  const unsigned top = limit.rlim_cur == RLIM_INFINITY ? 65536u : static_cast<unsigned>(limit.rlim_cur);
  for (unsigned fd = first; fd <= last && fd < top; ++fd) ::close(static_cast<int>(fd));
}

void close_inherited_fds(int keep) {
  if (keep < 3) return close_between(3, ~0u);
  close_between(3, static_cast<unsigned>(keep) - 1);
  close_between(static_cast<unsigned>(keep) + 1, ~0u);
}

}  // namespace launcher
