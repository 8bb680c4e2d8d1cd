// SPDX-License-Identifier: Apache-2.0
// plan-exec's life cycle, as root: exit codes and signals propagate, init mode, child-step
// errors reach the user, bad plans are refused with nothing created, and a plan-exec killed
// after any of its steps leaves no mount and no process behind.
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "plan/encoding.h"
#include "plan/plan_json.h"
#include "tests/support/host_state.h"
#include "tests/support/plan_builder.h"
#include "tests/support/plan_exec_runner.h"
#include "tests/support/rootfs.h"
#include "tests/support/rootfs_suite.h"

using namespace testsupport;

namespace {

class LauncherLifecycle : public HostCheckedSuite<LauncherLifecycle> {
 public:
  static constexpr const char* kScratch = "launcher-lifecycle";

 protected:
  static std::string plan_file(const plan::Plan& p) { return write_plan(p, scratch_->path() + "/plan.json"); }
  static ProcessResult run(const plan::Plan& p, std::vector<std::string> extra = {}, ProcessOptions options = {}) {
    std::vector<std::string> args = {plan_file(p)};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_plan_exec(args, options);
  }
};

TEST_F(LauncherLifecycle, ExitCodeOfTheCommand) {
  auto r = run(container_plan(rootfs()), {"--", "/home/probe", "exit", "42"});
  EXPECT_EQ(r.exit_code, 42) << r.summary();
  r = run(container_plan(rootfs()), {"--", "/bin/true"});
  EXPECT_EQ(r.exit_code, 0) << r.summary();
}

// A small limit in every layout (v1 and v2): the run gets cgroups, and their watcher.
plan::Cgroups pids_limit() {
  plan::Cgroups limits;
  limits.pids_max = 16;
  limits.parent = "plan-exec";
  limits.v2 = {{"pids.max", "16"}};
  limits.v1 = {{"pids", {{"pids.max", "16"}}}};
  return limits;
}

// The line of /proc/self/status that names the CPUs a process may run on.
std::string cpus_allowed_line(const std::string& status) {
  const auto at = status.find("Cpus_allowed_list:");
  return at == std::string::npos ? "" : status.substr(at, status.find('\n', at) - at);
}

// While both set up, plan-exec moves its child to another CPU than its own (CpuSpread, for
// runs where the parent has work after clone: limits here). The command must get back exactly
// the affinity plan-exec was started with: ours, here.
TEST_F(LauncherLifecycle, TheCommandKeepsTheCallersCpuAffinity) {
  cpu_set_t ours;
  ASSERT_EQ(sched_getaffinity(0, sizeof ours, &ours), 0);
  if (CPU_COUNT(&ours) < 2) GTEST_SKIP() << "one CPU: plan-exec does not move its child";
  std::ifstream own("/proc/self/status");
  const std::string expected = cpus_allowed_line(std::string(std::istreambuf_iterator<char>(own), {}));
  ASSERT_FALSE(expected.empty());
  plan::Plan p = container_plan(rootfs());
  p.cgroups = pids_limit();
  for (int i = 0; i < 20; ++i) {  // the child lands on either CPU, and starts at once or not: many runs
    auto r = run(p, {"--", "/bin/cat", "/proc/self/status"});
    ASSERT_EQ(r.exit_code, 0) << r.summary();
    EXPECT_EQ(cpus_allowed_line(r.out), expected) << r.summary();
  }
}

TEST_F(LauncherLifecycle, DeathBySignalIs128PlusSignal) {
  // Without a pid namespace the command is not a pid 1, which ignores default-action signals.
  plan::Plan p = container_plan(rootfs());
  p.namespaces = {plan::Namespace::Mount, plan::Namespace::Uts};
  p.mounts = {dev_mount()};
  auto r = run(p, {"--", "/home/probe", "signal", "15"});
  EXPECT_EQ(r.exit_code, 128 + SIGTERM) << r.summary();
  // Under --init the command is pid 2 and its death by signal is reported the same way.
  r = run(container_plan(rootfs()), {"--init", "--", "/home/probe", "signal", "10"});
  EXPECT_EQ(r.exit_code, 128 + SIGUSR1) << r.summary();
}

TEST_F(LauncherLifecycle, CommandNotFoundIs127AndNotExecutableIs126) {
  auto r = run(container_plan(rootfs()), {"--", "/home/no-such-program"});
  EXPECT_EQ(r.exit_code, 127) << r.summary();
  EXPECT_NE(r.err.find("/home/no-such-program not found"), std::string::npos) << r.err;
  r = run(container_plan(rootfs()), {"--", "no-such-program"});
  EXPECT_EQ(r.exit_code, 127) << r.summary();
  EXPECT_NE(r.err.find("PATH=/bin:/home"), std::string::npos) << r.err;
  r = run(container_plan(rootfs()), {"--", "/etc/passwd"});
  EXPECT_EQ(r.exit_code, 126) << r.summary();
}

TEST_F(LauncherLifecycle, CommandHiddenByAMountFailsAtExecWith127) {
  // The host-side check finds /home/probe, but the plan mounts a tmpfs over /home.
  plan::Plan p = container_plan(rootfs());
  p.mounts.push_back(tmpfs_mount("/home"));
  auto r = run(p);
  EXPECT_EQ(r.exit_code, 127) << r.summary();
  EXPECT_NE(r.err.find("execute /home/probe: No such file or directory (step: exec)"), std::string::npos) << r.err;
}

TEST_F(LauncherLifecycle, SignalsAreForwardedToTheCommand) {
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGUSR1}) {
    Background pe({PLAN_EXEC_BIN, plan_file(container_plan(rootfs())), "--", "/home/probe", "wait-signal"});
    ASSERT_TRUE(pe.wait_for_output("waiting=1", 10000));
    kill(pe.pid(), sig);
    auto r = pe.finish(10);
    EXPECT_EQ(r.exit_code, 100 + sig) << r.summary();
    EXPECT_EQ(probe_value(r.out, "signal"), std::to_string(sig));
  }
}

TEST_F(LauncherLifecycle, InitIsPid1ReapsAndForwards) {
  auto r = run(container_plan(rootfs()), {"--init", "--", "/home/probe", "status"});
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_EQ(probe_value(r.out, "pid"), "2");
  EXPECT_EQ(probe_value(r.out, "ppid"), "1");
  // A command without handlers (sleep) still dies of SIGTERM under init: it is not pid 1.
  Background pe({PLAN_EXEC_BIN, "--init", plan_file(container_plan(rootfs())), "--", "/bin/sh", "-c",
                 "echo started; exec sleep 30"});
  ASSERT_TRUE(pe.wait_for_output("started", 10000));
  kill(pe.pid(), SIGTERM);
  r = pe.finish(10);
  EXPECT_EQ(r.exit_code, 128 + SIGTERM) << r.summary();
  // Orphans are reaped: a background child of sh is left to init, and the run still ends.
  r = run(container_plan(rootfs()), {"--init", "--", "/bin/sh", "-c", "sleep 0.2 & echo parent-done"});
  EXPECT_EQ(r.exit_code, 0) << r.summary();
}

TEST_F(LauncherLifecycle, ChildStepErrorsArePrintedWithTheirStep) {
  plan::Plan p = container_plan(rootfs());
  // Options of the right form (the plan's rules pass them) that the kernel refuses: gid > 2^32-1.
  p.mounts.push_back(plan::Mount{plan::MountKind::Devpts, "devpts", "/mnt", "devpts", MS_NOSUID | MS_NOEXEC,
                                 "newinstance,gid=4294967296", false});
  auto r = run(p);
  EXPECT_EQ(r.exit_code, 125) << r.summary();
  EXPECT_NE(r.err.find("plan-exec: mount devpts at " + rootfs() + "/mnt (options \"newinstance,gid=4294967296\"): "
                       "Invalid argument (step: mounts)"),
            std::string::npos)
      << r.err;
}

TEST_F(LauncherLifecycle, DryRunPrintsTheStepsAndDoesNothing) {
  plan::Plan p = container_plan(rootfs());
  p.mounts.push_back(tmpfs_mount("/created-by-a-real-run"));
  auto r = run(p, {"--", "/home/probe", "write", "/tmp/x"});
  r = run_plan_exec({"--dry-run", plan_file(p)});
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  std::size_t last = 0;
  for (const char* step : {"validate", "clone", "release", "mounts-private", "rootfs", "mount", "pivot-root",
                           "hostname", "credentials", "capabilities", "close-fds", "cwd", "no-new-privs", "execve",
                           "wait"}) {
    const std::size_t at = r.out.find(std::string(step) + " ", last);
    ASSERT_NE(at, std::string::npos) << step << " missing or out of order in:\n" << r.out;
    last = at;
  }
  EXPECT_NE(r.out.find("CLONE_NEWNS|CLONE_NEWPID|CLONE_NEWIPC|CLONE_NEWUTS"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("tmpfs at /created-by-a-real-run"), std::string::npos) << r.out;
  // The real run above created the mount point; remove it and dry-run again: still absent.
  rmdir((rootfs() + "/created-by-a-real-run").c_str());
  r = run_plan_exec({"--dry-run", plan_file(p)});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(access((rootfs() + "/created-by-a-real-run").c_str(), F_OK), 0);
}

// ---- bad plans -------------------------------------------------------------------------------

struct BadPlan {
  const char* name;
  std::function<void(nlohmann::json&)> edit;
  const char* expected;  // part of the message
};

TEST_F(LauncherLifecycle, BadPlansExit125WithAClearMessageAndNothingCreated) {
  const std::string good = plan::to_json([&] {
    plan::Plan p = container_plan(rootfs());
    p.seccomp = seccomp_of(errno_filter(1, 1), "allow");
    return p;
  }());
  const std::string cache = scratch_->path() + "/cache";
  auto bpf_of = [](std::size_t bytes) {
    std::vector<std::uint8_t> data(bytes, 0);
    return std::make_pair(plan::base64_encode(data), plan::sha256_hex(data));
  };
  const std::vector<BadPlan> cases = {
      {"wrong version", [](nlohmann::json& j) { j["version"] = 99; }, "version"},
      {"wrong arch", [](nlohmann::json& j) { j["arch"] = "aarch64"; }, "arch"},
      {"bad base64", [](nlohmann::json& j) { j["seccomp"]["bpf"] = "!!not base64!!"; }, "bpf"},
      {"bpf not a multiple of 8",
       [&](nlohmann::json& j) {
         auto [b64, sha] = bpf_of(12);
         j["seccomp"]["bpf"] = b64;
         j["seccomp"]["sha256"] = sha;
       },
       "multiple of 8"},
      {"more than 4096 instructions",
       [&](nlohmann::json& j) {
         auto [b64, sha] = bpf_of(4097 * 8);
         j["seccomp"]["bpf"] = b64;
         j["seccomp"]["sha256"] = sha;
         j["seccomp"]["instructions"] = 4097;
       },
       "4096"},
      {"relative rootfs", [](nlohmann::json& j) { j["rootfs"]["path"] = "relative/rootfs"; }, "rootfs"},
      {"missing rootfs", [&](nlohmann::json& j) { j["rootfs"]["path"] = scratch_->path() + "/no-such-rootfs"; },
       "does not exist"},
      {"hostname without uts namespace", [](nlohmann::json& j) { j["namespaces"] = {"mount", "pid"}; },
       "plan.hostname"},
  };
  for (const auto& c : cases) {
    nlohmann::json j = nlohmann::json::parse(good);
    c.edit(j);
    const std::string file = scratch_->path() + "/bad.json";
    write_text(file, j.dump());
    auto r = run_plan_exec({file}, ProcessOptions{{"PLAN_EXEC_CACHE_DIR=" + cache}});
    EXPECT_EQ(r.exit_code, 125) << c.name << "\n" << r.summary();
    EXPECT_NE(r.err.find(c.expected), std::string::npos) << c.name << ": " << r.err;
    EXPECT_EQ(r.out, "") << c.name;
  }
  // Truncated JSON.
  const std::string file = scratch_->path() + "/truncated.json";
  write_text(file, good.substr(0, good.size() / 2));
  auto r = run_plan_exec({file});
  EXPECT_EQ(r.exit_code, 125) << r.summary();
  EXPECT_NE(r.err.find("truncated.json"), std::string::npos) << r.err;
  // Nothing was created: no cache, no mount point, no host state.
  EXPECT_NE(access(cache.c_str(), F_OK), 0);
  auto after = snapshot_host();
  EXPECT_EQ(new_entries(before_.mounts, after.mounts), std::vector<std::string>{});
}

TEST_F(LauncherLifecycle, UsageErrorsExit125) {
  EXPECT_EQ(run_plan_exec({}).exit_code, 125);
  EXPECT_EQ(run_plan_exec({"--bogus", "x"}).exit_code, 125);
  auto r = run_plan_exec({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("usage: plan-exec"), std::string::npos);
  // (--cleanup itself is not run here: it would remove leftovers other tests may be inspecting.)
  EXPECT_EQ(run_plan_exec({"--cleanup", "extra"}).exit_code, 125);
  r = run_plan_exec({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("plan-exec "), std::string::npos);
}

// ---- killed plan-exec --------------------------------------------------------------------------

// Processes whose command line holds `marker` (our container's command).
std::vector<pid_t> processes_with(const std::string& marker) {
  std::vector<pid_t> pids;
  DIR* proc = opendir("/proc");
  while (dirent* e = readdir(proc)) {
    const pid_t pid = atoi(e->d_name);
    if (pid <= 0) continue;
    // A process may end while it is read (read() then fails with ESRCH): it has no marker then.
    const int fd = ::open(("/proc/" + std::string(e->d_name) + "/cmdline").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    std::string cmdline;
    char buf[4096];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) cmdline.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    if (cmdline.find(marker) != std::string::npos) pids.push_back(pid);
  }
  closedir(proc);
  return pids;
}

TEST_F(LauncherLifecycle, KilledAfterAnyStepLeavesNothingBehind) {
  auto steps_result = run_plan_exec({"--list-steps"});
  ASSERT_EQ(steps_result.exit_code, 0);
  std::vector<std::string> steps;
  std::istringstream lines(steps_result.out);
  for (std::string s; std::getline(lines, s);) steps.push_back(s);
  ASSERT_GE(steps.size(), 8u) << steps_result.out;
  const std::string marker = "marker-" + std::to_string(getpid());
  for (const auto& step : steps) {
    // Up to "release" the container must die with plan-exec; from "wait" on, it ends by itself.
    const bool ends_itself = step == "wait" || step == "network-teardown" || step == "cgroup-finish";
    plan::Plan p = container_plan(rootfs());
    p.command = {"/home/probe", "sleep", ends_itself ? "0" : "20", marker};
    const auto before = snapshot_host();
    auto r = run(p, {}, ProcessOptions{{"PLAN_EXEC_FAULT_AFTER=" + step}, -1, 30});
    // plan-exec died of SIGKILL (or, after "wait", the command had already ended).
    if (!ends_itself) {
      EXPECT_EQ(r.exit_code, 128 + SIGKILL) << step << "\n" << r.summary();
    }
    // A root run always has a (device) cgroup: the reaper removes it asynchronously.
    bool gone = false;
    for (int i = 0; i < 300 && !gone; ++i) {
      gone = processes_with(marker).empty() && new_entries(before.cgroups, snapshot_host().cgroups).empty();
      if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_TRUE(processes_with(marker).empty()) << "container process outlived plan-exec killed after " << step;
    const auto after = snapshot_host();
    EXPECT_EQ(new_entries(before.mounts, after.mounts, scratch_->path()), std::vector<std::string>{}) << step;
    EXPECT_EQ(new_entries(before.cgroups, after.cgroups), std::vector<std::string>{}) << step;
  }
}

TEST_F(LauncherLifecycle, KilledAfterAnyStepWithLimitsAndVethLeavesNothingBehind) {
  auto steps_result = run_plan_exec({"--list-steps"});
  std::vector<std::string> steps;
  std::istringstream lines(steps_result.out);
  for (std::string s; std::getline(lines, s);) steps.push_back(s);
  const std::string marker = "marker-veth-" + std::to_string(getpid());
  const std::string host_if = "pelt" + std::to_string(getpid() % 100000);
  for (const auto& step : steps) {
    const bool ends_itself = step == "wait" || step == "network-teardown" || step == "cgroup-finish";
    plan::Plan p = container_plan(rootfs());
    p.namespaces.push_back(plan::Namespace::Net);
    p.network.mode = plan::NetworkMode::Veth;
    p.network.veth = veth_link("10.200.250.1", "10.200.250.2");
    p.network.veth->host_ifname = host_if;
    p.cgroups = pids_limit();
    p.command = {"/home/probe", "sleep", ends_itself ? "0" : "20", marker};
    const auto before = snapshot_host();
    auto r = run(p, {}, ProcessOptions{{"PLAN_EXEC_FAULT_AFTER=" + step}, -1, 30});
    if (!ends_itself) {
      EXPECT_EQ(r.exit_code, 128 + SIGKILL) << step << "\n" << r.summary();
    }
    bool clean = false;
    for (int i = 0; i < 300 && !clean; ++i) {  // the reaper and the kernel work asynchronously
      const auto now = snapshot_host();
      clean = processes_with(marker).empty() && new_entries(before.cgroups, now.cgroups).empty() &&
              new_entries(before.interfaces, now.interfaces, host_if).empty();
      if (!clean) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    const auto after = snapshot_host();
    EXPECT_TRUE(processes_with(marker).empty()) << "container process outlived plan-exec killed after " << step;
    EXPECT_EQ(new_entries(before.cgroups, after.cgroups), std::vector<std::string>{}) << step;
    EXPECT_EQ(new_entries(before.interfaces, after.interfaces, host_if), std::vector<std::string>{}) << step;
    EXPECT_EQ(new_entries(before.mounts, after.mounts, scratch_->path()), std::vector<std::string>{}) << step;
  }
}

}  // namespace
