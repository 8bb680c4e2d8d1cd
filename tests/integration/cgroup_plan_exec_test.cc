// SPDX-License-Identifier: Apache-2.0
// The cgroup scenarios end to end through plan-exec (root, this host's real cgroups): the OOM
// message and exit 137, a workload that fits, --stats, and no cgroup left after plan-exec is
// SIGKILLed mid-run.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "launcher/cgroup/cgroup_layout.h"
#include "tests/support/plan_builder.h"
#include "tests/support/plan_exec_runner.h"
#include "tests/support/rootfs.h"
#include "tests/support/rootfs_suite.h"

using namespace testsupport;

namespace {

namespace fs = std::filesystem;
constexpr std::uint64_t kMiB = 1024 * 1024;

plan::Cgroups memory_limit(std::uint64_t bytes) {
  plan::Cgroups c;
  c.memory_max_bytes = bytes;
  c.swap_max_bytes = 0;
  c.parent = "plan-exec";  // the schema's default, spelled out (write_plan writes every field)
  std::string v = std::to_string(bytes);
  c.v2 = {{"memory.max", v}, {"memory.swap.max", "0"}};
  c.v1 = {{"memory", {{"memory.limit_in_bytes", v}, {"memory.memsw.limit_in_bytes", v}}}};
  return c;
}

// Where plan-exec puts the container's memory cgroup for the default parent, as documented in
// docs/cgroups.md: under the caller's cgroup (v1), next to it (v2).
std::string memory_cgroup_of(const std::string& name, pid_t plan_exec) {
  auto layout = launcher::detect_cgroup_layout();
  std::string leaf = "/plan-exec/" + name + "-" + std::to_string(plan_exec);
  if (layout.kind == launcher::CgroupLayoutKind::Unified) {
    std::string caller = layout.unified->caller_dir().value_or("");
    if (caller != layout.unified->mount_point) caller = caller.substr(0, caller.rfind('/'));
    return caller + leaf;
  }
  const auto* memory = layout.v1_for("memory");
  return memory ? memory->caller_dir().value_or("") + leaf : "";
}

class CgroupPlanExec : public RootfsSuite<CgroupPlanExec> {
 public:
  static constexpr const char* kScratch = "cgroup-plan-exec";

 protected:
  void SetUp() override {
    RootfsSuite::SetUp();
    if (IsSkipped()) return;
    if (!fs::exists(PLAN_EXEC_BIN)) GTEST_SKIP() << "plan-exec not built";
  }
  static plan::Plan plan_with(const plan::Cgroups& limits, const std::string& name) {
    plan::Plan p = container_plan(rootfs());
    p.name = name;
    p.cgroups = limits;
    return p;
  }
  static std::string plan_file(const plan::Plan& p) { return write_plan(p, scratch_->path() + "/" + p.name + ".json"); }
};

TEST_F(CgroupPlanExec, OutOfMemoryIsReportedAndExits137) {
  auto r = run_plan_exec({plan_file(plan_with(memory_limit(250 * kMiB), "cg-oom")), "--", "/home/stress", "500"});
  EXPECT_EQ(r.exit_code, 137) << r.summary();
  EXPECT_NE(r.err.find("plan-exec: killed: out of memory (limit 250 MiB)"), std::string::npos) << r.summary();
  EXPECT_EQ(r.out.find("allocated 500 MiB"), std::string::npos) << r.summary();
}

// The OOM killer took a child; the command itself exited 0: its exit code, and a warning.
TEST_F(CgroupPlanExec, OutOfMemoryOfAChildIsAWarningAndTheCommandsExitCode) {
  auto r = run_plan_exec({plan_file(plan_with(memory_limit(250 * kMiB), "cg-oom-child")), "--", "/home/stress",
                          "--child", "500"});
  EXPECT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_NE(r.out.find("child: killed by signal 9"), std::string::npos) << r.summary();
  EXPECT_NE(r.err.find("plan-exec: warning: out of memory (limit 250 MiB): the kernel killed 1 process in the "
                       "container, not the command, which exited 0"),
            std::string::npos)
      << r.summary();
  EXPECT_EQ(r.err.find("killed: out of memory"), std::string::npos) << r.summary();
}

// The same under --init: the command is pid 2, and init reports its SIGKILL as 137.
TEST_F(CgroupPlanExec, OutOfMemoryUnderInitBlamesOnlyTheCommandItself) {
  const std::string plan = plan_file(plan_with(memory_limit(250 * kMiB), "cg-oom-init"));
  auto own = run_plan_exec({"--init", plan, "--", "/home/stress", "500"});
  EXPECT_EQ(own.exit_code, 137) << own.summary();
  EXPECT_NE(own.err.find("plan-exec: killed: out of memory (limit 250 MiB)"), std::string::npos) << own.summary();
  auto child = run_plan_exec({"--init", plan, "--", "/home/stress", "--child", "500"});
  EXPECT_EQ(child.exit_code, 0) << child.summary();
  EXPECT_NE(child.err.find("plan-exec: warning: out of memory"), std::string::npos) << child.summary();
}

TEST_F(CgroupPlanExec, TheSameWorkloadFitsUnder550MiB) {
  auto r = run_plan_exec(
      {"--stats", plan_file(plan_with(memory_limit(550 * kMiB), "cg-fits")), "--", "/home/stress", "500"});
  EXPECT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_NE(r.out.find("allocated 500 MiB"), std::string::npos) << r.summary();
  EXPECT_EQ(r.err.find("out of memory"), std::string::npos) << r.summary();
  EXPECT_NE(r.err.find("memory peak: 50"), std::string::npos) << "--stats: " << r.summary();
}

TEST_F(CgroupPlanExec, NoCgroupLeftAfterSigkillOfPlanExec) {
  const std::string name = "cg-sigkill";
  Background pe({PLAN_EXEC_BIN, plan_file(plan_with(memory_limit(64 * kMiB), name)), "--", "/home/stress", "1",
                 "100000000"});
  ASSERT_TRUE(pe.wait_for_output("allocated 1 MiB", 10000)) << "the workload never started";
  const std::string cgroup = memory_cgroup_of(name, pe.pid());
  ASSERT_TRUE(fs::exists(cgroup)) << cgroup;
  std::vector<pid_t> inside;
  {
    std::ifstream procs(cgroup + "/cgroup.procs");
    for (pid_t p; procs >> p;) inside.push_back(p);
  }
  ASSERT_FALSE(inside.empty()) << "the workload must be in " << cgroup;

  ASSERT_EQ(kill(pe.pid(), SIGKILL), 0);
  pe.finish(10);
  bool gone = false;
  for (int i = 0; i < 500 && !gone; ++i) {
    gone = !fs::exists(cgroup);
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(gone) << cgroup << " left behind";
  for (pid_t p : inside) {
    std::ifstream stat("/proc/" + std::to_string(p) + "/stat");
    std::string skip, state;
    if (stat) {
      std::getline(stat, skip, ')');
      stat >> state;
    }
    EXPECT_TRUE(state.empty() || state == "Z") << "pid " << p << " still running (" << state << ")";
  }
}

// plan-exec's test-only fault switch kills it right after a step: whatever the cgroup step had
// made by then must disappear (the watcher's work), in every hierarchy.
TEST_F(CgroupPlanExec, KilledAfterEachCgroupStepLeavesNoCgroup) {
  const std::string name = "cg-fault";
  const std::string parent = memory_cgroup_of(name, 1);
  auto leftovers = [&] {
    std::vector<std::string> found;
    auto layout = launcher::detect_cgroup_layout();
    std::vector<std::string> parents = {parent.substr(0, parent.rfind('/'))};
    for (const auto& m : layout.v1)
      if (m.caller_dir()) parents.push_back(*m.caller_dir() + "/plan-exec");
    for (const auto& dir : parents) {
      std::error_code ec;
      for (const auto& entry : fs::directory_iterator(dir, ec))
        if (entry.path().filename().string().starts_with(name + "-")) found.push_back(entry.path());
    }
    return found;
  };
  for (const char* step : {"cgroup-create", "clone", "cgroup-attach", "release"}) {
    auto r = run_plan_exec({plan_file(plan_with(memory_limit(64 * kMiB), name)), "--", "/home/stress", "1", "100000000"},
                           ProcessOptions{{std::string("PLAN_EXEC_FAULT_AFTER=") + step}, -1, 30});
    EXPECT_EQ(r.exit_code, 128 + SIGKILL) << step << "\n" << r.summary();
    std::vector<std::string> left = leftovers();
    for (int i = 0; i < 250 && !left.empty(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      left = leftovers();
    }
    EXPECT_EQ(left, std::vector<std::string>{}) << "after a kill following " << step;
  }
}

}  // namespace

namespace {

// A cgroup namespace must be rooted at the container's own cgroup. On v1 (and without
// CLONE_INTO_CGROUP) the child joins its cgroup only after clone, so it unshares the cgroup
// namespace itself after that: inside, every hierarchy then reads "/" for its own cgroup.
TEST_F(CgroupPlanExec, CgroupNamespaceIsRootedAtTheContainersCgroup) {
  plan::Plan p = plan_with(memory_limit(64 * kMiB), "cg-ns");
  p.namespaces.push_back(plan::Namespace::Cgroup);
  auto r = run_plan_exec({plan_file(p), "--", "/bin/cat", "/proc/self/cgroup"});
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  bool saw_memory = false;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.find(":memory:") == std::string::npos && line.rfind("0::", 0) != 0) continue;
    saw_memory = saw_memory || line.find(":memory:") != std::string::npos;
    EXPECT_EQ(line.substr(line.rfind(':') + 1), "/") << "inside the container: " << line;
  }
  EXPECT_TRUE(saw_memory || launcher::detect_cgroup_layout().kind == launcher::CgroupLayoutKind::Unified) << r.out;
}

}  // namespace
