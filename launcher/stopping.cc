// SPDX-License-Identifier: Apache-2.0
#include "launcher/stopping.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>

#include "launcher/host/error.h"
#include "launcher/host/signals.h"

namespace launcher {

namespace {

using Clock = std::chrono::steady_clock;

// The byte disarm() writes: no signal has number 0.
constexpr unsigned char kQuit = 0;

std::string seconds_text(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%g s", seconds);
  return text;
}

const char* signal_name(int sig) { return sig == SIGINT ? "SIGINT" : "SIGTERM"; }

}  // namespace

std::string kill_container(pid_t first, ContainerCgroup* cgroup) {
  ::kill(first, SIGKILL);
  ::kill(-first, SIGKILL);  // its process group (ESRCH when it has none of its own)
  return cgroup ? cgroup->kill_all() : "";
}

StopTimer::StopTimer(double timeout_seconds, pid_t first) : timeout_seconds_(timeout_seconds), first_(first) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) throw StepError("wait", "create the stop timer's pipe", errno);
  read_fd_ = fds[0];
  write_fd_ = fds[1];
  // The thread takes no signal: the forwarding handler runs in the main thread and writes here.
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &previous);
  thread_ = std::thread([this] { run(); });
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  notify_stop_signals_to(write_fd_);
}

StopTimer::~StopTimer() { disarm(); }

void StopTimer::disarm() {
  if (!thread_.joinable()) return;
  notify_stop_signals_to(-1);
  const unsigned char quit = kQuit;
  while (::write(write_fd_, &quit, 1) < 0 && errno == EINTR) {
  }
  thread_.join();
  ::close(read_fd_);
  ::close(write_fd_);
  read_fd_ = write_fd_ = -1;
}

void StopTimer::kill_now(const std::string& why) {
  killed_ = true;
  const std::string problem = kill_container(first_, cgroup_.load());
  std::fprintf(stderr, "plan-exec: %s: killed everything in the container\n", why.c_str());
  if (!problem.empty()) std::fprintf(stderr, "plan-exec: warning: %s\n", problem.c_str());
}

void StopTimer::run() {
  std::optional<Clock::time_point> deadline;
  int first_signal = 0;
  const bool terminal = ::isatty(STDERR_FILENO) == 1;
  for (;;) {
    int timeout_ms = -1;
    if (deadline && !killed_) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now()).count();
      timeout_ms = static_cast<int>(std::max<long long>(0, static_cast<long long>(left)));
    }
    pollfd ready{read_fd_, POLLIN, 0};
    const int n = ::poll(&ready, 1, timeout_ms);
    if (n < 0) continue;  // EINTR; the thread blocks every signal, so hardly ever
    if (n == 0) {
      kill_now("the container did not exit within " + seconds_text(timeout_seconds_) + " of " +
               signal_name(first_signal) + " (--stop-timeout)");
      continue;
    }
    unsigned char signals[64];
    const ssize_t got = ::read(read_fd_, signals, sizeof signals);
    for (ssize_t i = 0; i < got; ++i) {
      const int sig = signals[i];
      if (sig == kQuit) return;
      if (killed_) continue;
      if (!deadline) {
        first_signal = sig;
        deadline = Clock::now() + std::chrono::milliseconds(std::llround(timeout_seconds_ * 1000));
        if (terminal && timeout_seconds_ > 0) {
          std::fprintf(stderr, "plan-exec: %s sent to the container; everything in it is killed in %s if it has "
                               "not exited by then, at once on another Ctrl-C\n",
                       signal_name(sig), seconds_text(timeout_seconds_).c_str());
        }
      } else if (sig == SIGINT) {
        kill_now("a second SIGINT (Ctrl-C)");
      }
    }
  }
}

int request_stop(pid_t plan_exec, int sig) {
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, plan_exec, 0));
  if (pidfd < 0) return errno;
  const int result = static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
  const int err = result == 0 ? 0 : errno;
  ::close(pidfd);
  return err;
}

}  // namespace launcher
