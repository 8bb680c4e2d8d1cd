// SPDX-License-Identifier: Apache-2.0
#include "launcher/process/terminal.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "launcher/host/error.h"

namespace launcher {

namespace {

struct Pty {
  int master = -1;
  int slave = -1;
};

// The slave through the master (TIOCGPTPEER), not by its name: no path to resolve, so it is
// surely the peer of this master in the same devpts.
Pty open_pty(const char* ptmx) {
  Pty pty;
  pty.master = ::open(ptmx, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (pty.master < 0) throw StepError("terminal", std::string("open ") + ptmx + " for the command's pseudo-terminal", errno);
  int unlock = 0;
  if (::ioctl(pty.master, TIOCSPTLCK, &unlock) != 0) {
    const int err = errno;
    ::close(pty.master);
    throw StepError("terminal", std::string("unlock the pseudo-terminal of ") + ptmx + " (TIOCSPTLCK)", err);
  }
  pty.slave = ::ioctl(pty.master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (pty.slave < 0) {
    const int err = errno;
    ::close(pty.master);
    throw StepError("terminal", std::string("open the slave of ") + ptmx + " (TIOCGPTPEER)", err);
  }
  return pty;
}

void send_fd(int socket, int fd) {
  char byte = 't';
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
  while (::sendmsg(socket, &msg, MSG_NOSIGNAL) < 0) {
    if (errno != EINTR) throw StepError("terminal", "hand the pseudo-terminal's master to plan-exec", errno);
  }
}

// -1 when the child closed its end without sending (it failed before the terminal step).
int receive_fd(int socket) {
  char byte = 0;
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  while ((n = ::recvmsg(socket, &msg, MSG_CMSG_CLOEXEC)) < 0) {
    if (errno != EINTR) throw StepError("terminal", "receive the container's pseudo-terminal", errno);
  }
  const cmsghdr* c = n > 0 ? CMSG_FIRSTHDR(&msg) : nullptr;
  if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int))) {
    return -1;
  }
  int fd = -1;
  std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

ContainerTerminal ContainerTerminal::prepare(const std::vector<plan::Mount>& mounts, bool dry_run) {
  if (!dry_run && !::isatty(0)) {
    throw StepError("validate", "-t needs a terminal on stdin (it relays your terminal to a pseudo-terminal of the "
                                "command's own); run plan-exec from a terminal, or leave out -t");
  }
  ContainerTerminal t;
  for (const auto& m : mounts) {
    if (m.kind == plan::MountKind::Dev && m.target == "/dev") t.container_devpts_ = true;
  }
  ::ioctl(0, TIOCGWINSZ, &t.size_);  // stays 0x0 when stdin has no size (dry run)
  return t;
}

std::string ContainerTerminal::describe_parent() const {
  return std::string(container_devpts_ ? "receive the container's pty master; "
                                       : "pty from the host's /dev/ptmx (the plan mounts no /dev); ") +
         "caller's terminal raw, bytes copied both ways, window size forwarded, terminal restored at exit";
}

std::string ContainerTerminal::describe_child() const {
  return std::string(container_devpts_ ? "open /dev/ptmx (the container's devpts), master to plan-exec; "
                                       : "the host pty's slave; ") +
         "slave becomes the controlling terminal (TIOCSCTTY) and stdin/stdout/stderr";
}

void ContainerTerminal::open_channel() {
  if (container_devpts_) {
    int fds[2];
    check(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds), "terminal",
          "create the socket that carries the container's pseudo-terminal");
    socket_parent_ = fds[0];
    socket_child_ = fds[1];
    return;
  }
  const Pty pty = open_pty("/dev/ptmx");
  host_master_ = pty.master;
  host_slave_ = pty.slave;
}

void ContainerTerminal::close_child_side() {
  close_fd(socket_child_);
  close_fd(host_slave_);
}

void ContainerTerminal::attach_in_child() const {
  // This process's copies only: none of plan-exec's ends may reach the command.
  for (int fd : {socket_parent_, host_master_}) {
    if (fd >= 0) ::close(fd);
  }
  int slave = host_slave_;
  if (container_devpts_) {
    Pty pty = open_pty("/dev/ptmx");
    send_fd(socket_child_, pty.master);
    ::close(pty.master);
    ::close(socket_child_);
    slave = pty.slave;
  }
  if (size_.ws_row != 0 || size_.ws_col != 0) ::ioctl(slave, TIOCSWINSZ, &size_);
  check(::ioctl(slave, TIOCSCTTY, 0), "terminal", "make the pseudo-terminal the controlling terminal (TIOCSCTTY)");
  for (int fd = 0; fd <= 2; ++fd) {
    check(::dup2(slave, fd), "terminal", "make the pseudo-terminal descriptor " + std::to_string(fd));
  }
  if (slave > 2) ::close(slave);
}

void ContainerTerminal::relay_until_exit(pid_t child) {
  int master = std::exchange(host_master_, -1);
  if (container_devpts_) {
    master = receive_fd(socket_parent_);
    close_fd(socket_parent_);
    if (master < 0) return;
  }
  try {
    relay_terminal(master, child);
  } catch (...) {
    ::close(master);
    throw;
  }
  ::close(master);
}

}  // namespace launcher
