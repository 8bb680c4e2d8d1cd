// SPDX-License-Identifier: Apache-2.0
#include "tests/support/pty_session.h"

#include "tests/support/plan_exec_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace testsupport {

PtySession::PtySession(const std::vector<std::string>& argv, const std::vector<std::string>& env, unsigned short rows,
                       unsigned short cols) {
  master_ = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master_ < 0 || grantpt(master_) != 0 || unlockpt(master_) != 0) throw std::runtime_error("cannot open a pty");
  slave_ = open(ptsname(master_), O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave_ < 0) throw std::runtime_error(std::string("cannot open the pty slave: ") + std::strerror(errno));
  resize(rows, cols);
  initial_ = settings();
  std::vector<std::string> full_env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
  full_env.insert(full_env.end(), env.begin(), env.end());
  std::vector<char*> cargv, cenv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  for (const auto& e : full_env) cenv.push_back(const_cast<char*>(e.c_str()));
  cargv.push_back(nullptr);
  cenv.push_back(nullptr);
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    // A login shell's position: session leader, the slave as controlling terminal and stdio.
    if (setsid() < 0 || ioctl(slave_, TIOCSCTTY, 0) != 0) _exit(124);
    for (int fd = 0; fd <= 2; ++fd) dup2(slave_, fd);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execve(cargv[0], cargv.data(), cenv.data());
    _exit(127);
  }
}

PtySession::~PtySession() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (master_ >= 0) close(master_);
  if (slave_ >= 0) close(slave_);
}

void PtySession::read_available(int timeout_ms) {
  pollfd p{master_, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) <= 0 || !(p.revents & POLLIN)) return;
  char buf[4096];
  const ssize_t n = read(master_, buf, sizeof buf);
  if (n > 0) out_.append(buf, static_cast<std::size_t>(n));
}

bool PtySession::wait_for_output(const std::string& text, int timeout_ms) {
  const long deadline = now_ms() + timeout_ms;
  while (out_.find(text) == std::string::npos) {
    const long left = deadline - now_ms();
    if (left <= 0) return false;
    read_available(static_cast<int>(left < 50 ? left : 50));
  }
  return true;
}

void PtySession::type(const std::string& bytes) {
  if (write(master_, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) {
    throw std::runtime_error("cannot write to the pty master");
  }
}

void PtySession::resize(unsigned short rows, unsigned short cols) {
  winsize size{};
  size.ws_row = rows;
  size.ws_col = cols;
  if (ioctl(master_, TIOCSWINSZ, &size) != 0) throw std::runtime_error("cannot set the pty's window size");
}

termios PtySession::settings() const {
  termios t{};
  if (tcgetattr(slave_, &t) != 0) throw std::runtime_error("tcgetattr on the pty slave failed");
  return t;
}

int PtySession::finish(int timeout_seconds) {
  const long deadline = now_ms() + timeout_seconds * 1000L;
  int status = 0;
  for (;;) {
    read_available(20);
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) break;
    if (now_ms() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      pid_ = -1;
      return -2;
    }
  }
  pid_ = -1;
  for (int i = 0; i < 50; ++i) {  // what is still in the pty
    const std::size_t before = out_.size();
    read_available(10);
    if (out_.size() == before) break;
  }
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

std::string PtySession::pending_input() {
  std::string input;
  char buf[4096];
  for (;;) {
    pollfd p{slave_, POLLIN, 0};
    if (poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN)) break;
    const ssize_t n = read(slave_, buf, sizeof buf);
    if (n <= 0) break;
    input.append(buf, static_cast<std::size_t>(n));
  }
  return input;
}

bool same_settings(const termios& a, const termios& b) {
  return a.c_iflag == b.c_iflag && a.c_oflag == b.c_oflag && a.c_cflag == b.c_cflag && a.c_lflag == b.c_lflag &&
         std::memcmp(a.c_cc, b.c_cc, sizeof a.c_cc) == 0 && cfgetispeed(&a) == cfgetispeed(&b) &&
         cfgetospeed(&a) == cfgetospeed(&b);
}

}  // namespace testsupport
