// SPDX-License-Identifier: Apache-2.0
// The shipped policies under a real kernel, as a user meets them: a program stopped in a sleep
// and continued (Ctrl-Z, fg) resumes through restart_syscall, which the filter sees; before
// @default, hello.pol and strict.pol answered it with EPERM and the sleep failed. Also: a
// syscall number newer than the filter's table gets ENOSYS in the kernel, not the default.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "plan/syscall_table.h"
#include "tests/support/plan_exec_runner.h"
#include "tests/support/proof_env.h"
#include "tests/support/rootfs_suite.h"

using namespace testsupport;

namespace {

class LauncherSeccompGroups : public RootfsSuite<LauncherSeccompGroups> {
 public:
  static constexpr const char* kScratch = "launcher-seccomp-groups";

 protected:
  static std::string hello_plan() {
    return proof::compile_hello_variant(scratch_->path(), "hello", rootfs(), "10.231.45");
  }
  static std::string strict_plan() {
    const std::string pol = scratch_->path() + "/strict.pol", plan = scratch_->path() + "/strict.plan";
    proof::write_policy_variant(std::string(SOURCE_DIR) + "/policies/strict.pol", pol,
                                {{"\"/var/lib/policyc/busybox\"", "\"" + rootfs() + "\""}});
    proof::compile_policy_file(pol, plan);
    return plan;
  }
};

char process_state(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::size_t paren = text.rfind(')');
  return paren == std::string::npos || paren + 2 >= text.size() ? '?' : text[paren + 2];
}

// Runs `/home/probe nanosleep 1500` under `plan`, stops the probe in its sleep and continues it.
ProcessResult stop_and_continue_a_sleep(const std::string& plan) {
  const std::string marker = "/home/probe nanosleep 1500";
  Background pe({PLAN_EXEC_BIN, plan, "--", "/home/probe", "nanosleep", "1500"});
  EXPECT_TRUE(pe.wait_for_output("nanosleep-started=1", 10000));
  std::vector<pid_t> probes;  // plan-exec's own processes carry the command line too
  for (pid_t pid : proof::processes_with(marker)) {
    std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
    std::string name;
    std::getline(comm, name);
    if (name == "probe") probes.push_back(pid);
  }
  EXPECT_EQ(probes.size(), 1u) << "no single probe process to stop";
  if (probes.size() == 1) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // inside nanosleep by now
    EXPECT_EQ(kill(probes[0], SIGSTOP), 0);
    for (int i = 0; i < 100 && process_state(probes[0]) != 'T'; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_EQ(process_state(probes[0]), 'T') << "the probe did not stop";
    EXPECT_EQ(kill(probes[0], SIGCONT), 0);
  }
  return pe.finish(20);
}

TEST_F(LauncherSeccompGroups, HelloPolResumesAStoppedSleep) {
  const ProcessResult r = stop_and_continue_a_sleep(hello_plan());
  EXPECT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_EQ(probe_value(r.out, "nanosleep"), "ok") << r.summary();
}

TEST_F(LauncherSeccompGroups, StrictPolResumesAStoppedSleep) {
  const ProcessResult r = stop_and_continue_a_sleep(strict_plan());
  EXPECT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_EQ(probe_value(r.out, "nanosleep"), "ok") << r.summary();
}

// In the kernel: a number above the table gets ENOSYS (38), a known unlisted one (sethostname)
// the default EPERM (1).
TEST_F(LauncherSeccompGroups, StrictPolAnswersANumberNewerThanItsTableWithEnosys) {
  std::uint32_t highest = 0;
  for (const plan::SyscallEntry& e : plan::syscall_table(plan::SyscallAbi::X86_64)) highest = std::max(highest, e.nr);
  const std::string newer = std::to_string(highest + 1);
  const ProcessResult r =
      run_plan_exec({strict_plan(), "--", "/home/probe", "syscall", newer, "syscall", "170"});  // 170: sethostname
  EXPECT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_EQ(probe_value(r.out, "syscall:" + newer), "-1 errno=38") << r.summary();
  EXPECT_EQ(probe_value(r.out, "syscall:170"), "-1 errno=1") << r.summary();
}

}  // namespace
