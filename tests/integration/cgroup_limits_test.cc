// SPDX-License-Identifier: Apache-2.0
// The cgroup backend on this host's real cgroups (root; hybrid here, and unchanged on pure v1
// or v2 hosts): the seed's scenarios with the static stress program in a forked child.
//   memory 250M + 500 MB touched -> OOM-killed, reported from the cgroup's counters
//   memory 550M + 500 MB          -> exit 0
//   cpu 0.1                       -> the same CPU work >= 3x slower, throttling counters > 0
//   pids 16                       -> creating the 17th process fails with EAGAIN
//   after finish() and after SIGKILL of the "plan-exec" side: no directory left.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <fstream>
#include <regex>
#include <thread>

#include "launcher/cgroup/cgroup.h"
#include "launcher/cgroup/cgroup_backend.h"
#include "launcher/cgroup/cgroup_layout.h"
#include "launcher/host/error.h"

namespace launcher {
namespace {

namespace fs = std::filesystem;
constexpr std::uint64_t kMiB = 1024 * 1024;
const std::string kStress = std::string(TEST_PROGRAMS_DIR) + "/stress";

// The same limits spelled for both hierarchies, as policyc lowers them.
plan::Cgroups memory_limit(std::uint64_t bytes) {
  plan::Cgroups c;
  c.memory_max_bytes = bytes;
  c.swap_max_bytes = 0;
  std::string v = std::to_string(bytes);
  c.v2 = {{"memory.max", v}, {"memory.swap.max", "0"}};
  // No swap on this host: memory+swap = memory, so swap cannot stretch the limit.
  c.v1 = {{"memory", {{"memory.limit_in_bytes", v}, {"memory.memsw.limit_in_bytes", v}}}};
  return c;
}

// A CPU quota (or none: quota_us 0) with the highest weight, directly under the hierarchy's
// root (parent "/"): on this busy shared host a new cgroup competes with the other tasks (and
// autogroups) as ONE entity of its parent's weight, so only a top-level cgroup of top weight gets
// a whole CPU for the baseline. The quota run gets the same place: only the quota differs.
plan::Cgroups cpu_limit(std::uint64_t quota_us, std::uint64_t period_us) {
  plan::Cgroups c;
  c.parent = "/";
  if (quota_us) c.cpu_quota_us = quota_us;
  c.cpu_period_us = period_us;
  c.cpu_weight = 10000;
  std::string quota = quota_us ? std::to_string(quota_us) : "max";
  c.v2 = {{"cpu.max", quota + " " + std::to_string(period_us)}, {"cpu.weight", "10000"}};
  c.v1 = {{"cpu",
           {{"cpu.cfs_period_us", std::to_string(period_us)},
            {"cpu.cfs_quota_us", quota_us ? quota : "-1"},
            {"cpu.shares", "262144"}}}};  // the v1 maximum
  return c;
}

plan::Cgroups pids_limit(std::uint64_t max) {
  plan::Cgroups c;
  c.pids_max = max;
  c.v2 = {{"pids.max", std::to_string(max)}};
  c.v1 = {{"pids", {{"pids.max", std::to_string(max)}}}};
  return c;
}

struct ChildRun {
  int status = 0;
  std::string output;
  bool killed_by(int sig) const { return WIFSIGNALED(status) && WTERMSIG(status) == sig; }
  int exit_code() const { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }
};

struct CloneArgs {  // struct clone_args (linux/sched.h), spelled here to avoid header clashes
  std::uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size,
      cgroup;
};
constexpr std::uint64_t kCloneIntoCgroup = 0x200000000ULL;

// Starts `argv` in the cgroup the way plan-exec does: clone3(CLONE_INTO_CGROUP) when the backend
// offers a cgroup2 fd, else fork and attach() before the child may exec.
// `cg` null: no cgroup at all (the unlimited baseline).
pid_t spawn_in(ContainerCgroup* cg, const std::vector<std::string>& argv, int stdout_fd) {
  int go[2];
  if (pipe2(go, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  pid_t pid;
  if (cg && cg->clone_into_fd() >= 0) {
    CloneArgs args{};
    args.flags = kCloneIntoCgroup;
    args.exit_signal = SIGCHLD;
    args.cgroup = static_cast<std::uint64_t>(cg->clone_into_fd());
    pid = static_cast<pid_t>(syscall(SYS_clone3, &args, sizeof args));
  } else {
    pid = fork();
  }
  if (pid == 0) {
    char byte;
    close(go[1]);
    if (read(go[0], &byte, 1) != 1) _exit(120);  // the parent failed to attach us
    if (stdout_fd < 0) stdout_fd = open("/dev/null", O_WRONLY);
    dup2(stdout_fd, 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(go[0]);
  if (pid < 0) {
    close(go[1]);
    throw std::runtime_error("fork/clone3 failed");
  }
  try {
    if (cg) cg->attach(pid);
  } catch (...) {
    close(go[1]);
    waitpid(pid, nullptr, 0);
    throw;
  }
  [[maybe_unused]] ssize_t n = write(go[1], "g", 1);
  close(go[1]);
  return pid;
}

ChildRun run_in(ContainerCgroup* cg, const std::vector<std::string>& argv) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  pid_t pid = spawn_in(cg, argv, out[1]);
  close(out[1]);
  ChildRun run;
  char buffer[512];
  for (ssize_t n; (n = read(out[0], buffer, sizeof buffer)) > 0;) run.output.append(buffer, static_cast<std::size_t>(n));
  close(out[0]);
  waitpid(pid, &run.status, 0);
  return run;
}

double cpu_seconds_in(const std::string& output) {
  std::smatch m;
  std::regex re("cpu work: \\d+ units in ([0-9.]+) s");
  if (!std::regex_search(output, m, re)) return -1;
  return std::stod(m[1]);
}

bool all_gone(const std::vector<std::string>& paths) {
  return std::none_of(paths.begin(), paths.end(), [](const std::string& p) { return fs::exists(p); });
}

class CgroupLimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to create cgroups";
    if (!fs::exists(kStress)) GTEST_FAIL() << kStress << " missing: build the stress target";
    layout_ = detect_cgroup_layout();
    if (layout_.kind == CgroupLayoutKind::None) GTEST_SKIP() << "no cgroup filesystem";
    // The backends run in this test's process: their watcher's cleanup is plan-exec's.
    set_reap_program(PLAN_EXEC_BIN);
  }
  bool has(const std::string& controller) const {
    if (layout_.kind != CgroupLayoutKind::Unified) return layout_.v1_for(controller) != nullptr;
    std::ifstream in(layout_.unified->mount_point + "/cgroup.controllers");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return text.find(controller) != std::string::npos;
  }
  std::unique_ptr<ContainerCgroup> make(const plan::Cgroups& c, const std::string& name) {
    return prepare_cgroups(c, name, getpid());
  }
  // Top-level cgroups in the cpu hierarchy only (v1): the test's processes stay in this
  // session's memory and pids cgroups.
  std::unique_ptr<ContainerCgroup> make_cpu_only(const plan::Cgroups& c, const std::string& name) {
    CgroupEnv env;
    env.layout = layout_;
    std::erase_if(env.layout.v1, [](const CgroupMount& m) { return !m.has_controller("cpu"); });
    return make_cgroup_backend(c, name, getpid(), std::move(env));
  }
  CgroupLayout layout_;
};

TEST_F(CgroupLimitsTest, MemoryLimitOomKillsAndTheCgroupReportsIt) {
  if (!has("memory")) GTEST_SKIP() << "no memory controller: " << layout_.describe();
  auto cg = make(memory_limit(250 * kMiB), "cgtest-oom");
  cg->create();
  auto paths = cg->paths();
  ASSERT_FALSE(paths.empty());
  ChildRun run = run_in(cg.get(), {kStress, "500"});
  CgroupReport report = cg->finish();
  EXPECT_TRUE(run.killed_by(SIGKILL)) << "status " << run.status << ", output: " << run.output;
  EXPECT_EQ(run.output.find("allocated 500 MiB"), std::string::npos) << run.output;
  EXPECT_TRUE(report.oom_killed) << "the kernel's OOM kill must be read from the cgroup";
  ASSERT_TRUE(report.memory_peak_bytes);
  EXPECT_GE(*report.memory_peak_bytes, 240 * kMiB);
  EXPECT_LE(*report.memory_peak_bytes, 251 * kMiB);
  EXPECT_TRUE(all_gone(paths));
}

TEST_F(CgroupLimitsTest, SameWorkloadFitsUnderAHigherLimit) {
  if (!has("memory")) GTEST_SKIP() << "no memory controller: " << layout_.describe();
  auto cg = make(memory_limit(550 * kMiB), "cgtest-fits");
  cg->create();
  auto paths = cg->paths();
  ChildRun run = run_in(cg.get(), {kStress, "500"});
  CgroupReport report = cg->finish();
  EXPECT_EQ(run.exit_code(), 0) << run.output;
  EXPECT_NE(run.output.find("allocated 500 MiB"), std::string::npos) << run.output;
  EXPECT_FALSE(report.oom_killed);
  ASSERT_TRUE(report.memory_peak_bytes);
  EXPECT_GE(*report.memory_peak_bytes, 500 * kMiB);
  EXPECT_TRUE(all_gone(paths));
}

TEST_F(CgroupLimitsTest, CpuQuotaMakesTheSameWorkSeveralTimesSlower) {
  if (!has("cpu")) GTEST_SKIP() << "no cpu controller: " << layout_.describe();
  const std::string units = "120";  // about 0.3 s of CPU here
  auto free_cg = make_cpu_only(cpu_limit(0, 100000), "cgtest-cpufree");  // no quota
  free_cg->create();
  ChildRun free_run = run_in(free_cg.get(), {kStress, "1", units});
  free_cg->finish();
  auto cg = make_cpu_only(cpu_limit(10000, 100000), "cgtest-cpu");  // cpu 0.1
  cg->create();
  auto paths = cg->paths();
  ChildRun slow_run = run_in(cg.get(), {kStress, "1", units});
  CgroupReport report = cg->finish();

  double free_s = cpu_seconds_in(free_run.output), slow_s = cpu_seconds_in(slow_run.output);
  ASSERT_GT(free_s, 0) << free_run.output;
  ASSERT_GT(slow_s, 0) << slow_run.output;
  EXPECT_GE(slow_s / free_s, 3.0) << "unlimited " << free_s << " s, cpu 0.1 " << slow_s << " s";
  std::cout << "same CPU work: unlimited " << free_s << " s, cpu 0.1 " << slow_s << " s, ratio " << slow_s / free_s
            << ", nr_throttled " << report.nr_throttled.value_or(0) << "\n";
  ASSERT_TRUE(report.nr_throttled);
  EXPECT_GT(*report.nr_throttled, 0u);
  ASSERT_TRUE(report.throttled_us);
  EXPECT_GT(*report.throttled_us, 0u);
  if (report.cpu_usage_us) {  // cpuacct (v1) or cpu.stat (v2)
    EXPECT_GT(*report.cpu_usage_us, 50000u);
    EXPECT_LT(*report.cpu_usage_us, static_cast<std::uint64_t>(slow_s * 1e6));
  }
  EXPECT_TRUE(all_gone(paths));
}

TEST_F(CgroupLimitsTest, PidsLimitMakesThe17thProcessFailWithEagain) {
  if (!has("pids")) GTEST_SKIP() << "no pids controller: " << layout_.describe();
  auto cg = make(pids_limit(16), "cgtest-pids");
  cg->create();
  auto paths = cg->paths();
  ChildRun run = run_in(cg.get(), {kStress, "0", "0", "20"});
  CgroupReport report = cg->finish();
  // stress itself is process 1 of 16: 15 children fit, the 16th fork (17th process) fails.
  EXPECT_EQ(run.exit_code(), 3) << run.output;
  EXPECT_NE(run.output.find("forks: 15 ok, fork 16 failed: errno 11"), std::string::npos) << run.output;
  if (report.pids_peak) {
    EXPECT_EQ(*report.pids_peak, 16u);
  }
  EXPECT_TRUE(all_gone(paths));
}

TEST_F(CgroupLimitsTest, FinishKillsWhatIsStillRunning) {
  if (!has("pids")) GTEST_SKIP();
  auto cg = make(pids_limit(64), "cgtest-leftover");
  cg->create();
  auto paths = cg->paths();
  pid_t pid = spawn_in(cg.get(), {kStress, "0", "100000000"}, -1);  // would burn CPU for hours
  cg->finish();
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  EXPECT_TRUE(all_gone(paths));
}

// The "plan-exec" side dies by SIGKILL in the middle of a run: the watcher started by create()
// must kill the workload and remove every directory (it execs plan-exec --reap-cgroups).
TEST_F(CgroupLimitsTest, WatcherCleansUpAfterSigkillOfPlanExec) {
  int report[2];
  ASSERT_EQ(pipe2(report, O_CLOEXEC), 0);  // the workload must not hold it open
  pid_t fake_plan_exec = fork();
  ASSERT_GE(fake_plan_exec, 0);
  if (fake_plan_exec == 0) {
    close(report[0]);
    try {
      auto cg = prepare_cgroups(memory_limit(64 * kMiB), "cgtest-sigkill", getpid());
      cg->create();
      pid_t workload = spawn_in(cg.get(), {kStress, "1", "100000000"}, -1);
      std::string text = std::to_string(workload) + "\n";
      for (const auto& p : cg->paths()) text += p + "\n";
      [[maybe_unused]] ssize_t n = write(report[1], text.data(), text.size());
      close(report[1]);
      pause();  // holding `cg` until the SIGKILL: no destructor runs
    } catch (...) {
    }
    _exit(0);
  }
  close(report[1]);
  std::string text;
  char buffer[1024];
  for (ssize_t n; (n = read(report[0], buffer, sizeof buffer)) > 0;) text.append(buffer, static_cast<std::size_t>(n));
  close(report[0]);
  std::istringstream lines(text);
  pid_t workload = 0;
  lines >> workload;
  std::vector<std::string> paths;
  for (std::string line; lines >> line;) paths.push_back(line);
  ASSERT_GT(workload, 0) << "the fake plan-exec failed to set up: " << text;
  ASSERT_FALSE(paths.empty());
  for (const auto& p : paths) EXPECT_TRUE(fs::exists(p)) << p;

  kill(fake_plan_exec, SIGKILL);
  waitpid(fake_plan_exec, nullptr, 0);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!all_gone(paths) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_TRUE(all_gone(paths)) << "left behind, e.g. " << paths[0];
  // The workload is dead (a zombie at most, until init reaps it).
  std::ifstream stat("/proc/" + std::to_string(workload) + "/stat");
  std::string state;
  if (stat) {
    std::string skip;
    std::getline(stat, skip, ')');
    stat >> state;
  }
  EXPECT_TRUE(state.empty() || state == "Z") << "workload " << workload << " state " << state;
  if (!state.empty() && state != "Z") kill(workload, SIGKILL);
}

TEST_F(CgroupLimitsTest, CleanupRemovesCgroupsOfDeadInstances) {
  if (!has("pids")) GTEST_SKIP();
  pid_t dead = fork();
  if (dead == 0) _exit(0);
  waitpid(dead, nullptr, 0);  // a pid that no longer runs
  auto cg = prepare_cgroups(pids_limit(8), "cgtest-stale", dead);
  cg->create();
  auto paths = cg->paths();
  for (const auto& p : paths) ASSERT_TRUE(fs::exists(p)) << p;
  auto removed = cleanup_cgroup_leftovers();
  for (const auto& p : paths) {
    EXPECT_NE(std::find(removed.begin(), removed.end(), p), removed.end()) << p;
    EXPECT_FALSE(fs::exists(p)) << p;
  }
  cg->finish();  // nothing left to do, and no error for it
  // Our own live instance's cgroups are never touched.
  auto live = make(pids_limit(8), "cgtest-live");
  live->create();
  cleanup_cgroup_leftovers();
  for (const auto& p : live->paths()) EXPECT_TRUE(fs::exists(p)) << p;
  live->finish();
}

}  // namespace
}  // namespace launcher
