// SPDX-License-Identifier: Apache-2.0
// Removes the container's cgroups even when plan-exec is SIGKILLed.
//
// create() starts one small watcher (terminal signals blocked, stdio on /dev/null, every other
// fd closed, so it holds none of plan-exec's pipes or sockets). It is cloned with CLONE_VM, so
// starting it copies nothing (see cgroup_reaper.cc), and blocks reading a pipe whose only write
// end plan-exec holds (close-on-exec, so the container never inherits it). finish() writes
// "done" after its own cleanup and the watcher exits; if the pipe reaches EOF without "done"
// (plan-exec died, or its cleanup failed), the watcher execs `plan-exec --reap-cgroups LEAF...
// -- PARENT...`, which leaves the terminal's session, kills what is left in the cgroups and
// removes them. The watcher sits in plan-exec's cgroups, never in the container's, so it is not
// killed with it.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace launcher {

class CgroupReaper {
 public:
  CgroupReaper() = default;
  CgroupReaper(const CgroupReaper&) = delete;
  CgroupReaper& operator=(const CgroupReaper&) = delete;
  ~CgroupReaper();  // still armed: release()

  // `leaves`: the container's cgroup directories; `parents`: directories to remove when empty,
  // deepest first. Throws StepError (step "cgroups") when mmap, pipe or clone fails.
  void start(std::vector<std::string> leaves, std::vector<std::string> parents);
  // plan-exec cleaned up itself: tell the watcher "done" and wait for it to exit.
  void dismiss();
  // Let the watcher do the cleanup (plan-exec's own attempt failed), and wait for it.
  void release();
  pid_t pid() const { return pid_; }

 private:
  void close_and_wait(bool done);
  int write_fd_ = -1;
  pid_t pid_ = -1;
  pid_t owner_ = -1;
};

// The program the watcher execs to clean up: plan-exec, which knows --reap-cgroups. plan-exec's
// main() names itself ("/proc/self/exe"); a test that runs the backends in its own process
// names the plan-exec binary (exec'ing the test itself would run its tests again). Unset,
// start() throws instead of starting a watcher.
void set_reap_program(std::string path);

// The watcher's exec'd cleanup: `plan-exec --reap-cgroups LEAF... -- PARENT...` (internal).
inline constexpr const char* kReapOption = "--reap-cgroups";
int reap_cgroups_command(const std::vector<std::string>& leaves, const std::vector<std::string>& parents);

// What the watcher does on EOF; also used by cleanup_cgroup_leftovers(). Returns problems.
std::vector<std::string> remove_container_cgroups(const std::vector<std::string>& leaves,
                                                  const std::vector<std::string>& parents);

}  // namespace launcher
