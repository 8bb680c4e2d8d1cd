// SPDX-License-Identifier: Apache-2.0
// plan-exec's side of -t (terminal.h): the caller's terminal raw, a poll loop copying bytes
// between it and the pty's master, window sizes forwarded, and the caller's settings restored
// on every way out.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <iterator>
#include <string>

#include "launcher/host/error.h"
#include "launcher/process/terminal.h"

namespace launcher {

namespace {

// Signal handlers see these: the settings to restore, and the self-pipe SIGWINCH writes to.
termios g_saved{};
volatile sig_atomic_t g_raw = 0;
volatile sig_atomic_t g_winch_fd = -1;

void restore_caller_terminal() {
  if (g_raw) ::tcsetattr(0, TCSANOW, &g_saved);
  g_raw = 0;
}

void on_window_change(int) {
  const int saved = errno;
  const char byte = 'w';
  if (g_winch_fd >= 0) (void)::write(g_winch_fd, &byte, 1);
  errno = saved;
}

// A signal that ends plan-exec (not one it forwards): the caller gets its terminal back
// first, then the signal takes its default course (SA_RESETHAND).
void restore_and_die(int sig) {
  restore_caller_terminal();
  ::raise(sig);
}

constexpr int kFatalSignals[] = {SIGALRM, SIGVTALRM, SIGPROF, SIGXCPU, SIGXFSZ, SIGABRT, SIGSEGV, SIGBUS, SIGILL, SIGFPE};

// The caller's terminal raw for the scope; the handlers above installed meanwhile.
class RawCallerTerminal {
 public:
  explicit RawCallerTerminal(int winch_fd) {
    g_winch_fd = winch_fd;
    struct sigaction winch {};
    winch.sa_handler = on_window_change;
    winch.sa_flags = SA_RESTART;
    sigfillset(&winch.sa_mask);
    ::sigaction(SIGWINCH, &winch, &old_winch_);
    struct sigaction fatal {};
    fatal.sa_handler = restore_and_die;
    fatal.sa_flags = static_cast<int>(SA_RESETHAND | SA_NODEFER);
    for (std::size_t i = 0; i < std::size(kFatalSignals); ++i) ::sigaction(kFatalSignals[i], &fatal, &old_fatal_[i]);
    if (::tcgetattr(0, &g_saved) != 0) return;  // stdin stopped being a terminal: nothing to restore
    termios raw = g_saved;
    ::cfmakeraw(&raw);
    g_raw = 1;
    if (::tcsetattr(0, TCSANOW, &raw) != 0) g_raw = 0;
  }
  ~RawCallerTerminal() {
    restore_caller_terminal();
    for (std::size_t i = 0; i < std::size(kFatalSignals); ++i) ::sigaction(kFatalSignals[i], &old_fatal_[i], nullptr);
    ::sigaction(SIGWINCH, &old_winch_, nullptr);
    g_winch_fd = -1;
  }
  RawCallerTerminal(const RawCallerTerminal&) = delete;
  RawCallerTerminal& operator=(const RawCallerTerminal&) = delete;

 private:
  struct sigaction old_winch_ {};
  struct sigaction old_fatal_[std::size(kFatalSignals)] {};
};

void copy_window_size(int master) {
  winsize size{};
  if (::ioctl(0, TIOCGWINSZ, &size) == 0) ::ioctl(master, TIOCSWINSZ, &size);
}

// Writes all of it unless the caller's stdout went away (then the output is dropped).
void write_all(int fd, const char* data, std::size_t size, bool& open) {
  while (open && size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      open = false;
      return;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

bool child_exited(pid_t child) {
  siginfo_t info{};
  return ::waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == child;
}

struct Fds {
  int pidfd = -1;
  int winch[2] = {-1, -1};
  ~Fds() {
    for (int fd : {pidfd, winch[0], winch[1]}) {
      if (fd >= 0) ::close(fd);
    }
  }
};

}  // namespace

void relay_terminal(int master, pid_t child) {
  Fds fds;
  // Readable when the child has exited; without pidfds (before 5.3) we poll for it.
  fds.pidfd = static_cast<int>(::syscall(SYS_pidfd_open, child, 0));
  check(::pipe2(fds.winch, O_CLOEXEC | O_NONBLOCK), "terminal", "create the window-size pipe");
  ::fcntl(master, F_SETFL, ::fcntl(master, F_GETFL) | O_NONBLOCK);
  RawCallerTerminal raw(fds.winch[1]);
  copy_window_size(master);  // may have changed since the container set the first size
  std::string to_master;     // typed, not yet taken by the pty
  bool stdin_open = true, master_open = true, stdout_open = true;
  char buf[16384];
  for (;;) {
    pollfd p[4] = {{stdin_open && to_master.size() < sizeof buf ? 0 : -1, POLLIN, 0},
                   {master_open ? master : -1, static_cast<short>(POLLIN | (to_master.empty() ? 0 : POLLOUT)), 0},
                   {fds.winch[0], POLLIN, 0},
                   {fds.pidfd, POLLIN, 0}};
    const int ready = ::poll(p, 4, fds.pidfd >= 0 ? -1 : 100);
    if (ready < 0 && errno != EINTR) throw StepError("terminal", "wait for terminal input or output (poll)", errno);
    if (ready <= 0) {
      if (fds.pidfd < 0 && child_exited(child)) break;
      continue;
    }
    if (p[2].revents & POLLIN) {
      while (::read(fds.winch[0], buf, sizeof buf) > 0) {
      }
      copy_window_size(master);
    }
    if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      const ssize_t n = ::read(0, buf, sizeof buf);
      if (n > 0) to_master.append(buf, static_cast<std::size_t>(n));
      if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) stdin_open = false;
    }
    if (p[1].revents & POLLOUT) {
      const ssize_t n = ::write(master, to_master.data(), to_master.size());
      if (n > 0) to_master.erase(0, static_cast<std::size_t>(n));
      if (n < 0 && errno != EINTR && errno != EAGAIN) to_master.clear();
    }
    if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      const ssize_t n = ::read(master, buf, sizeof buf);
      if (n > 0) write_all(1, buf, static_cast<std::size_t>(n), stdout_open);
      // EIO: no slave is open any more (the command closed it); its exit is still awaited.
      if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) master_open = false;
    }
    if (p[3].revents & POLLIN) break;
  }
  // What the command wrote last is still in the pty.
  for (ssize_t n; master_open && (n = ::read(master, buf, sizeof buf)) > 0;) {
    write_all(1, buf, static_cast<std::size_t>(n), stdout_open);
  }
}

}  // namespace launcher
