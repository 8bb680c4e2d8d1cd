#include "launcher/init.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "launcher/error.h"
#include "launcher/signals.h"

namespace launcher {

namespace {

// pid 1 only receives signals it has a handler for; the handler never runs (they stay
// blocked and are taken with sigwaitinfo), it only makes them deliverable.
void deliverable(int) {}

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
      _exit(WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status));
    }
  }
}

}  // namespace

pid_t fork_under_init(int error_fd) {
  sigset_t set = forwarded_signal_set();
  sigaddset(&set, SIGCHLD);
  sigset_t previous;
  sigprocmask(SIG_BLOCK, &set, &previous);
  ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);  // orphans come to us even without a pid namespace
  const pid_t init = ::getpid();
  const pid_t command = ::fork();
  if (command < 0) throw StepError("init", "fork the command under the init process", errno);
  if (command == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (::getppid() != init) _exit(125);  // init died before PDEATHSIG was armed
    sigprocmask(SIG_SETMASK, &previous, nullptr);
    return 0;
  }
  ::close(error_fd);  // the command's exec closes its copy: the parent then sees EOF
  struct sigaction action {};
  action.sa_handler = deliverable;
  for (int sig : kForwardedSignals) sigaction(sig, &action, nullptr);
  init_loop(command);
}

}  // namespace launcher
