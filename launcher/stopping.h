// SPDX-License-Identifier: Apache-2.0
// Stopping a running container, as `docker stop` and Ctrl-C do:
//   1. SIGINT or SIGTERM to plan-exec is forwarded to the container's first process (host/
//      signals.h): plan-exec's minimal init, which passes it on to the command (process/init.h),
//      or the command itself under --no-init / `init none`.
//   2. The first one starts the stop timeout (--stop-timeout, default 10 s); when it runs out
//      and the container still runs, everything in it is killed (kill_container()).
//   3. A SIGINT after that (a second Ctrl-C) kills everything at once.
// The exit code stays the container's: the command's own, or 128+N when a signal N ended it
// (137 when the timeout killed it).
// From another process (`plan-exec stop`), request_stop() does what Ctrl-C does: it signals the
// plan-exec that runs the container, which then goes through the same three steps.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <string>
#include <thread>

#include "launcher/cgroup/cgroup.h"

namespace launcher {

// Everything in the container, now: SIGKILL to its first process (a pid namespace's init: the
// kernel then kills every process in the namespace) and to its process group (it leads a
// session of its own), then the cgroup's kill (cgroup.kill on v2; on v1 SIGKILL to every pid in
// it until none is left), which also reaches what left the session in a container without a pid
// namespace. `first` must not have been reaped (its pid could be reused). Returns "" or what the
// cgroup still holds after 5 s.
std::string kill_container(pid_t first, ContainerCgroup* cgroup);

// The stop timeout of one run: created in the parent right after clone, before the forwarding
// handlers are installed (so no stop signal goes unseen); a thread of its own waits for the
// signals and the deadline, so the timeout holds whatever the main thread is doing (waiting,
// relaying a terminal). Its messages go to stderr.
class StopTimer {
 public:
  StopTimer(double timeout_seconds, pid_t first);
  // The container's cgroup, once created (nullptr: none); what kill_container() kills with it.
  void set_cgroup(ContainerCgroup* cgroup) { cgroup_ = cgroup; }
  ~StopTimer();  // disarm()
  StopTimer(const StopTimer&) = delete;
  StopTimer& operator=(const StopTimer&) = delete;
  // The container has exited (its first process not yet reaped): no kill from here on; the
  // thread ends. Idempotent.
  void disarm();
  // Whether the timeout or a second Ctrl-C killed the container.
  bool killed() const { return killed_.load(); }

 private:
  void run();
  void kill_now(const std::string& why);

  double timeout_seconds_;
  pid_t first_;
  std::atomic<ContainerCgroup*> cgroup_{nullptr};
  int read_fd_ = -1, write_fd_ = -1;
  std::atomic<bool> killed_{false};
  std::thread thread_;
};

// `plan-exec stop`: `sig` (SIGTERM, or SIGINT as Ctrl-C sends it) to the plan-exec process
// `plan_exec`, through a pidfd so that a pid reused meanwhile is not hit; plan-exec forwards it
// and starts its stop timeout. Returns 0 or the errno (ESRCH: that plan-exec has exited).
int request_stop(pid_t plan_exec, int sig);

}  // namespace launcher
