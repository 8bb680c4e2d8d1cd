// SPDX-License-Identifier: Apache-2.0
#include "launcher/process/spawn.h"

#include <fcntl.h>
#include <poll.h>
#include <linux/sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace launcher {

Pipe make_pipe(const char* purpose) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw StepError("clone", std::string("create the ") + purpose + " pipe", errno);
  return Pipe{fds[0], fds[1]};
}

void close_pipe(Pipe& p) {
  if (p.read_fd >= 0) ::close(p.read_fd);
  if (p.write_fd >= 0) ::close(p.write_fd);
  p = Pipe{};
}

pid_t clone_child(unsigned long long namespace_flags, int cgroup_fd) {
  clone_args args{};
  args.flags = namespace_flags;
  args.exit_signal = SIGCHLD;
  if (cgroup_fd >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<unsigned long long>(cgroup_fd);
  }
  // No stack given: like fork(), the child continues on a copy of ours.
  long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid >= 0) return static_cast<pid_t>(pid);
  if (errno != ENOSYS) {
    throw StepError("clone", "create the container process (clone3 with the plan's namespaces)", errno);
  }
  if (cgroup_fd >= 0 || (namespace_flags & CLONE_NEWTIME)) {
    throw StepError("clone", "this kernel lacks clone3, needed for CLONE_INTO_CGROUP or the time namespace", ENOSYS);
  }
  pid = ::syscall(SYS_clone, static_cast<unsigned long>(namespace_flags) | SIGCHLD, nullptr, nullptr, nullptr, 0);
  if (pid < 0) throw StepError("clone", "create the container process (clone with the plan's namespaces)", errno);
  return static_cast<pid_t>(pid);
}

CpuSpread CpuSpread::prepare() {
  CpuSpread spread;
  const int here = ::sched_getcpu();
  if (here < 0 || here >= CPU_SETSIZE || ::sched_getaffinity(0, sizeof spread.inherited_, &spread.inherited_) != 0) {
    return spread;  // more CPUs than a cpu_set_t holds, or no way to tell: run as we are
  }
  spread.elsewhere_ = spread.inherited_;
  CPU_CLR(static_cast<std::size_t>(here), &spread.elsewhere_);
  spread.active_ = CPU_COUNT(&spread.elsewhere_) > 0;
  return spread;
}

void CpuSpread::move_child(pid_t child) const {
  if (active_) ::sched_setaffinity(child, sizeof elsewhere_, &elsewhere_);
}

void CpuSpread::restore_in_child() const {
  if (active_ && ::sched_setaffinity(0, sizeof inherited_, &inherited_) != 0) {
    throw StepError("clone", "restore the CPU affinity plan-exec was started with", errno);
  }
}

int open_self_pidfd() {
  const int fd = static_cast<int>(::syscall(SYS_pidfd_open, ::getpid(), 0));
  if (fd < 0) throw StepError("clone", "open a pidfd of plan-exec (Linux 5.3 or later is needed)", errno);
  return fd;
}

bool bind_lifetime_to_parent(pid_t parent, int parent_pidfd) {
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) return false;
  pollfd exited{parent_pidfd, POLLIN, 0};
  const int ready = ::poll(&exited, 1, 0);
  ::close(parent_pidfd);
  if (ready != 0) return false;  // exited (or cannot tell): do not run orphaned
  const pid_t ppid = ::getppid();
  return ppid == parent || ppid == 0;  // 0: our parent is outside our new pid namespace
}

bool wait_for_release(int sync_read_fd) {
  char go = 0;
  ssize_t n;
  do {
    n = ::read(sync_read_fd, &go, 1);
  } while (n < 0 && errno == EINTR);
  ::close(sync_read_fd);
  return n == 1 && go == 'G';
}

void release_child(int sync_write_fd) {
  const char go = 'G';
  ssize_t n;
  do {
    n = ::write(sync_write_fd, &go, 1);
  } while (n < 0 && errno == EINTR);
  const int err = errno;
  ::close(sync_write_fd);
  if (n != 1) throw StepError("release", "release the container process (it died before starting?)", err);
}

// Record: "<errno>\0<step>\0<message>", at most PIPE_BUF bytes so the write is atomic.
void send_child_error_raw(int error_fd, int err, const char* step, const char* verb, const char* object) {
  char record[4096];
  std::size_t len = static_cast<std::size_t>(std::snprintf(record, 32, "%d", err)) + 1;
  auto append = [&](const char* text, bool terminate) {
    const std::size_t room = sizeof record - len - 1;
    const std::size_t n = std::min(std::strlen(text), room);
    std::memcpy(record + len, text, n);
    len += n;
    if (terminate) record[len++] = '\0';
  };
  append(step, true);
  append(verb, false);
  if (object && *object) {
    append(" ", false);
    append(object, false);
  }
  record[len++] = '\0';
  ssize_t ignored = ::write(error_fd, record, len);
  (void)ignored;
}

void send_child_error(int error_fd, const StepError& error) {
  send_child_error_raw(error_fd, error.error_number(), error.step().c_str(), error.what(), "");
}

std::optional<StepError> receive_child_error(int error_read_fd) {
  std::string data;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(error_read_fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    data.append(buf, static_cast<std::size_t>(n));
  }
  if (data.empty()) return std::nullopt;
  const std::size_t a = data.find('\0');
  const std::size_t b = a == std::string::npos ? std::string::npos : data.find('\0', a + 1);
  if (b == std::string::npos) return StepError("child", "the container process sent a malformed error report");
  const int err = std::atoi(data.substr(0, a).c_str());
  std::string step = data.substr(a + 1, b - a - 1);
  std::string message = data.substr(b + 1);
  if (!message.empty() && message.back() == '\0') message.pop_back();
  return StepError(step, message, err);
}

}  // namespace launcher
