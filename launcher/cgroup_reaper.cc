#include "launcher/cgroup_reaper.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>

#include "launcher/cgroup_fs.h"
#include "launcher/error.h"

namespace launcher {
namespace {

constexpr std::string_view kDone = "done";

// The terminal's signals (^C, ^Z, hangup: INT TSTP HUP ...) go to plan-exec's process group,
// the watcher included; they must not stop or kill it before it cleaned up. Blocking them is
// one syscall (they stay pending, harmlessly); SIGTERM and SIGKILL still end it.
constexpr int kTerminalSignals[] = {SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU};

// Signals plan-exec may have a handler for when it forks the watcher (the forwarding handlers,
// installed at clone: on v1 the cgroups are made after clone). In the watcher they must do what
// they do by default: SIGTERM ends it, instead of being forwarded to the container.
constexpr int kDefaultSignals[] = {SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH, SIGCHLD};

// What the watcher does right after fork, on plan-exec's start path: as little as possible.
// It must not keep plan-exec's stdout/stderr pipes or any other fd open (a test or a shell
// reading plan-exec's output would otherwise wait for the watcher too): stdio on /dev/null,
// every fd but the pipe closed.
void start_quietly(int read_fd) {
  sigset_t blocked;
  sigemptyset(&blocked);
  for (int sig : kTerminalSignals) sigaddset(&blocked, sig);
  ::sigprocmask(SIG_SETMASK, &blocked, nullptr);
  for (int sig : kDefaultSignals) ::signal(sig, SIG_DFL);
  ::prctl(PR_SET_NAME, "plan-exec-reap", 0, 0, 0);
  int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd = 0; fd <= 2 && null_fd >= 0; ++fd) ::dup2(null_fd, fd);
  if (read_fd != 3) ::dup2(read_fd, 3);
  ::close_range(4, ~0U, 0);
}

// Only once woken without "done" (plan-exec died, or its cleanup failed), before the possibly
// slow cleanup: leave the terminal's session for good, ignoring its signals from now on.
void detach_from_plan_exec() {
  ::setsid();
  for (int sig : kTerminalSignals) ::signal(sig, SIG_IGN);
}

bool wait_for_done(int fd) {
  std::string received;
  char buffer[16];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    received.append(buffer, static_cast<std::size_t>(n));
  }
  return received == kDone;
}

[[noreturn]] void run_watcher(int read_fd, const std::vector<std::string>& leaves,
                              const std::vector<std::string>& parents) {
  start_quietly(read_fd);
  if (wait_for_done(3)) ::_exit(0);
  detach_from_plan_exec();
  remove_container_cgroups(leaves, parents);
  ::_exit(0);
}

}  // namespace

std::vector<std::string> remove_container_cgroups(const std::vector<std::string>& leaves,
                                                  const std::vector<std::string>& parents) {
  CgroupFs fs;
  std::vector<std::string> problems;
  for (const auto& leaf : leaves) {
    std::string problem = kill_and_remove_cgroup(fs, leaf);
    if (!problem.empty()) problems.push_back(problem);
  }
  // Shared parents: another instance may still use them (ENOTEMPTY/EBUSY), which is fine.
  for (const auto& parent : parents) fs.remove_dir(parent);
  return problems;
}

void CgroupReaper::start(std::vector<std::string> leaves, std::vector<std::string> parents) {
  int fds[2];
  check(::pipe2(fds, O_CLOEXEC), "cgroups", "create the pipe to the cgroup cleanup watcher");
  pid_t pid = ::fork();
  if (pid < 0) {
    int err = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    throw StepError("cgroups", "fork the cgroup cleanup watcher", err);
  }
  if (pid == 0) {
    ::close(fds[1]);
    run_watcher(fds[0], leaves, parents);
  }
  ::close(fds[0]);
  write_fd_ = fds[1];
  pid_ = pid;
  owner_ = ::getpid();
}

void CgroupReaper::close_and_wait(bool done) {
  if (write_fd_ < 0) return;
  if (::getpid() != owner_) {  // a cloned child's copy: only plan-exec speaks to the watcher
    ::close(write_fd_);
    write_fd_ = -1;
    return;
  }
  if (done) {
    // A failed write leaves the watcher at EOF without "done": it cleans up, which is safe.
    [[maybe_unused]] ssize_t n = ::write(write_fd_, kDone.data(), kDone.size());
  }
  ::close(write_fd_);
  write_fd_ = -1;
  // Waited for even after "done" (measured: not waiting saved nothing visible here), so that
  // plan-exec's exit means none of its processes is left.
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

void CgroupReaper::dismiss() { close_and_wait(true); }
void CgroupReaper::release() { close_and_wait(false); }
CgroupReaper::~CgroupReaper() { release(); }

}  // namespace launcher
