// SPDX-License-Identifier: Apache-2.0
// `plan-exec -t`: the command gets a pseudo-terminal of its own, like runc's `terminal: true`
// or `docker run -t`. Without -t the command has no terminal at all (the `setsid` step): it
// can neither push input into the caller's terminal (TIOCSTI/TIOCLINUX, CVE-2017-5226) nor
// open /dev/tty.
//
// Where the pty comes from: the container's own devpts (the plan's `mount dev at /dev`). The
// container process opens /dev/ptmx inside, after pivot_root, and hands the master to plan-exec
// over a unix socket (SCM_RIGHTS), as runc's console socket does: the pty then belongs to the
// container (its /dev/pts/N, its owner, `tty` names it). A plan without a /dev mount has no
// devpts of its own: plan-exec then opens a pty on the host before clone and the container
// inherits the slave (`tty` cannot name it inside, since the host's /dev/pts is not there).
//
// Container side: a new session (the `setsid` step), the slave as controlling terminal
// (TIOCSCTTY) and as stdin, stdout and stderr, the caller's window size.
// plan-exec's side: the caller's terminal (stdin) in raw mode, so ^C, ^Z and ^\ travel as bytes
// and the pty's line discipline turns them into signals for the container's foreground process
// group (job control works inside); bytes copied both ways; SIGWINCH copies the window size;
// the caller's terminal settings are restored on every way out (the command's exit, its death,
// plan-exec's failure, a signal that ends plan-exec).
#pragma once

#include <sys/ioctl.h>
#include <sys/types.h>
#include <termios.h>

#include <string>
#include <vector>

#include "plan/plan.h"

namespace launcher {

class ContainerTerminal {
 public:
  // Before any side effect: refuses -t when stdin is no terminal (StepError "validate").
  // The pty comes from inside when `mounts` put the minimal /dev (with its devpts) at /dev.
  static ContainerTerminal prepare(const std::vector<plan::Mount>& mounts, bool dry_run);

  std::string describe_parent() const;
  std::string describe_child() const;

  // Parent, before clone: the socket pair (container pty) or the host pty.
  void open_channel();
  // Parent, right after clone: closes the container's ends.
  void close_child_side();
  // Child, in its own session: takes the pty as controlling terminal and stdio. Throws
  // StepError("terminal").
  void attach_in_child() const;
  // Parent, once the child runs: receives the master, relays until the child has exited (it is
  // not reaped), restores the caller's terminal. Returns at once if the child died before it
  // sent the master (its error then comes through the error channel).
  void relay_until_exit(pid_t child);

 private:
  bool container_devpts_ = false;
  winsize size_{};          // the caller's, set on the slave before the command starts
  int socket_parent_ = -1;  // container pty: plan-exec's end, receives the master
  int socket_child_ = -1;
  int host_master_ = -1;    // host pty (no /dev in the plan)
  int host_slave_ = -1;
};

// The parent's copy loop (terminal_relay.cc): caller's stdin -> master -> caller's stdout,
// window-size changes, until `child` has exited; the caller's terminal raw meanwhile.
void relay_terminal(int master, pid_t child);

}  // namespace launcher
