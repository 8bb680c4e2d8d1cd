// SPDX-License-Identifier: Apache-2.0
#include "launcher/host/signals.h"

#include <unistd.h>

#include <cerrno>

namespace launcher {

const int kForwardedSignals[7] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

namespace {

volatile sig_atomic_t g_child = 0;
volatile sig_atomic_t g_forward_terminal = 1;
volatile sig_atomic_t g_stop_fd = -1;
bool g_hangup_ignored = false;

bool kept_ignored(int sig) { return sig == SIGHUP && g_hangup_ignored; }

void forward(int sig, siginfo_t* info, void*) {
  const int saved = errno;
  if (g_stop_fd >= 0 && (sig == SIGINT || sig == SIGTERM)) {
    const unsigned char number = static_cast<unsigned char>(sig);
    (void)::write(g_stop_fd, &number, 1);  // a full pipe: the timer has plenty to read already
  }
  errno = saved;
  // Signals the terminal sends (SI_KERNEL: ^C, ^\, hangup, window size) go to its foreground
  // process group. A container in its own session (the default) is not in it: they are
  // forwarded, or ^C would no longer stop the command. One that shares our process group got
  // them already; forwarding them too would deliver them twice.
  if (info && info->si_code == SI_KERNEL && !g_forward_terminal) return;
  if (g_child > 0) ::kill(static_cast<pid_t>(g_child), sig);
  errno = saved;
}

}  // namespace

sigset_t forwarded_signal_set() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : kForwardedSignals) sigaddset(&set, sig);
  return set;
}

sigset_t block_forwarded_signals() {
  sigset_t set = forwarded_signal_set();
  sigset_t previous;
  sigprocmask(SIG_BLOCK, &set, &previous);
  return previous;
}

void forward_terminal_signals(bool forward) { g_forward_terminal = forward ? 1 : 0; }

void forward_signals_to(pid_t child, const sigset_t& previous_mask) {
  g_child = child;
  struct sigaction action {};
  action.sa_sigaction = forward;
  action.sa_flags = SA_SIGINFO | SA_RESTART;
  sigfillset(&action.sa_mask);
  for (int sig : kForwardedSignals) {
    if (!kept_ignored(sig)) sigaction(sig, &action, nullptr);
  }
  sigprocmask(SIG_SETMASK, &previous_mask, nullptr);
}

void restore_signal_mask(const sigset_t& previous_mask) {
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  for (int sig : kForwardedSignals) sigaction(sig, kept_ignored(sig) ? &ignore : &default_action, nullptr);
  sigprocmask(SIG_SETMASK, &previous_mask, nullptr);
}

void keep_hangup_ignored() {
  struct sigaction current {};
  g_hangup_ignored = sigaction(SIGHUP, nullptr, &current) == 0 && current.sa_handler == SIG_IGN;
}

void stop_forwarding() { g_child = 0; }

void notify_stop_signals_to(int fd) { g_stop_fd = fd; }

}  // namespace launcher
