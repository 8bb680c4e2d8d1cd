// SPDX-License-Identifier: Apache-2.0
#include "launcher/process/init.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "launcher/host/error.h"
#include "launcher/host/fault.h"
#include "launcher/host/kernel.h"
#include "launcher/process/init_hardening.h"
#include "launcher/host/signals.h"

namespace launcher {

namespace {

// pid 1 only receives signals it has a handler for; the handler never runs (they stay
// blocked and are taken with sigwaitinfo), it only makes them deliverable.
void deliverable(int) {}

// exit_group itself: the loop runs under the init's filter, and a wrapped _exit (the
// sanitizers' interceptor calls sigaltstack first) would be killed by it.
[[noreturn]] void exit_init(int code) {
  for (;;) ::syscall(SYS_exit_group, code);
}

[[noreturn]] void init_loop(pid_t command) {
  sigset_t set = forwarded_signal_set();
  sigaddset(&set, SIGCHLD);
  for (;;) {
    siginfo_t info{};
    if (::sigwaitinfo(&set, &info) < 0) continue;
    if (info.si_signo != SIGCHLD) {
      // From our terminal (-t: SI_KERNEL) they went to the whole foreground group, the
      // command included: forwarding them would deliver them twice.
      if (info.si_code != SI_KERNEL) ::kill(command, info.si_signo);
      continue;
    }
    int status = 0;
    pid_t pid;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
      if (pid != command) continue;
      exit_init(WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status));
    }
  }
}

}  // namespace

pid_t fork_under_init(int error_fd, int command_only_fd) {
  sigset_t set = forwarded_signal_set();
  sigaddset(&set, SIGCHLD);
  // Blocked before fork, so the release below cannot arrive before the command waits for it.
  const int release_signal = init_release_signal();
  sigset_t blocked = set;
  sigaddset(&blocked, release_signal);
  sigset_t previous;
  sigprocmask(SIG_BLOCK, &blocked, &previous);
  ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);  // orphans come to us even without a pid namespace
  const pid_t init = ::getpid();
  const pid_t command = ::fork();
  if (command < 0) throw StepError("init", "fork the command under the init process", errno);
  if (command == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (::getppid() != init) _exit(125);  // init died before PDEATHSIG was armed
    // Nothing of the command runs while init is still dumpable, capable or unfiltered: it
    // waits until init has locked itself down and says so (a kill its own filter allows).
    sigset_t release;
    sigemptyset(&release);
    sigaddset(&release, release_signal);
    while (::sigwaitinfo(&release, nullptr) < 0) {
    }
    sigprocmask(SIG_SETMASK, &previous, nullptr);
    return 0;
  }
  struct sigaction action {};
  action.sa_handler = deliverable;
  for (int sig : kForwardedSignals) sigaction(sig, &action, nullptr);
  if (command_only_fd >= 0) ::close(command_only_fd);
  // Before the loop, in init only: the command, forked above, keeps the plan's capabilities
  // and gets the plan's no_new_privs and filter instead. On failure the command dies with us.
  if (!defence_disabled("init-hardening")) {
    try {
      harden_init(real_kernel(), command, error_fd);
    } catch (...) {
      ::kill(command, SIGKILL);
      throw;
    }
  }
  ::kill(command, release_signal);
  ::close(error_fd);  // the command's exec closes its copy: the parent then sees EOF
  init_loop(command);
}

}  // namespace launcher
