// SPDX-License-Identifier: Apache-2.0
// plan-exec's seccomp supervisor: it holds the listener of the filter copy notify_filter.h makes
// and decides every call that copy hands it, as the plan's own filter would, after reporting it.
//
// The hand-over (the filter applies to the command process the moment it is loaded, so that
// process cannot rely on any syscall after loading, and execve closes the O_CLOEXEC listener):
//   1. parent, before clone: a socketpair, the channel; the child keeps its end through close-fds.
//   2. command process, right before loading: sends "the listener will be fd N" (N = its lowest
//      free descriptor); the kernel attaches its pid as the parent sees it (SCM_CREDENTIALS).
//   3. it loads the filter with SECCOMP_FILTER_FLAG_NEW_LISTENER and waits for an ack, with read,
//      recvfrom or ppoll: the first the loaded copy lets through or hands to the supervisor.
//   4. the supervisor thread copies fd N out of it (pidfd_getfd), checks it is a seccomp
//      listener, and acks; the command process execs.
//   Any call the command process itself makes between 3 and its execve (the read of the ack, an
//   error report after a failed execve) is the launcher's own code, not the command's: while that
//   process still holds its end of the channel (execve closes it), its notifications are let
//   through (SECCOMP_USER_NOTIF_FLAG_CONTINUE) whatever the policy says.
//
// The verdicts: errno -> the same errno; log -> let through; kill_process/kill_thread -> reported
// first, then SIGSYS to the thread when SIGSYS would kill it (not pid 1 of a pid namespace, not
// caught, blocked or ignored: the exit status is the same 128+31), else SIGKILL, whose status
// plan-exec reports as 128+31 too; a notify the plan itself returns -> ENOSYS, as without a
// listener. Unlike the kernel's, a kill_thread in a multi-threaded program ends the whole process
// (nothing outside can end one thread of it). Memory of the caller is read only before a check that the call is still
// pending (SECCOMP_IOCTL_NOTIF_ID_VALID), so a report never shows what another process wrote there.
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "launcher/supervisor/call_format.h"
#include "launcher/supervisor/denial_log.h"
#include "launcher/supervisor/notify_filter.h"
#include "plan/plan.h"

namespace launcher {

// One call the supervisor was handed, as --learn records it.
struct ObservedCall {
  int nr = 0;
  std::uint32_t arch = 0;
  Args args{};
  std::string call;       // formatted, strings included
  std::uint32_t ret = 0;  // the plan's verdict for it
};

struct SupervisorConfig {
  Watch watch = Watch::Denials;
  DenialLog* log = nullptr;                         // denials go here (never null when reporting)
  std::function<void(const ObservedCall&)> learn;   // set: learn mode, every call is let through
};

class Supervisor {
 public:
  Supervisor(const plan::Seccomp& seccomp, SupervisorConfig config);
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Parent, before clone: the channel. Throws StepError("supervisor").
  void open_channel();
  int child_end() const { return child_end_; }
  // Parent, after clone: drops its copy of the child's end and starts the thread.
  void start();
  // Parent, once the command has exited: ends the thread (a listener kept by an orphan the
  // pid namespace did not take along is closed: its denied calls then fail with ENOSYS).
  void stop();
  // What went wrong in the thread, if anything ("" = nothing).
  std::string failure() const { return failure_; }
  // Whether the supervisor SIGKILLed process `pid` (plan-exec's pid) to carry out a kill verdict
  // SIGSYS could not; plan-exec then reports 128+SIGSYS, the status the kernel's kill gives.
  bool killed_by_sigkill(pid_t pid) const;
  // The command process, as plan-exec sees it (0 until it announced its listener).
  pid_t command() const { return command_; }

 private:
  void run();
  bool take_listener();
  void serve(int listener);
  void handle(int listener, void* notif, void* resp);
  void kill_caller(int listener, std::uint64_t id, pid_t tid, pid_t inner);

  const plan::Seccomp seccomp_;  // a copy: the plan it came from moves
  std::vector<sock_filter> program_;
  SupervisorConfig config_;
  int parent_end_ = -1, child_end_ = -1, stop_fd_ = -1, listener_ = -1;
  pid_t command_ = 0;
  bool command_execed_ = false;
  std::string failure_;
  std::set<pid_t> sigsys_sent_;
  mutable std::mutex killed_mutex_;
  std::set<pid_t> killed_;
  std::thread thread_;
};

// Command process, after no_new_privs: steps 2 and 3 above, then waits for the ack. Throws
// StepError("seccomp") for a failure before the filter is loaded; after it, it exits 125.
void load_filter_handing_listener(const std::vector<std::uint8_t>& bpf, int channel);

}  // namespace launcher
