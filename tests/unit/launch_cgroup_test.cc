// SPDX-License-Identifier: Apache-2.0
// The launch-speed changes to the cgroup backends, against the fake cgroupfs:
//   - v1: the container joins by itself, writing "0" into each hierarchy's `tasks` through a
//     descriptor opened at create() (no pid written into cgroup.procs by the parent);
//   - without --stats (usage_report false) no hierarchy is made only to measure usage, and
//     finish() reads only the OOM counters, yet still reports an OOM kill;
//   - an empty cgroup is removed with one rmdir, nothing read, nothing killed.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "tests/unit/cgroup_fake_fs.h"

namespace launcher {
namespace {

using cgroup_test::FakeCgroupFs;
using cgroup_test::read_text;
using cgroup_test::TempDir;
using cgroup_test::Warnings;
using cgroup_test::Write;
using cgroup_test::write_text;

class LaunchCgroupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Like this host: cpu and cpuacct mounted apart, so cpuacct is a stats-only hierarchy.
    fake_->set_files("memory", {{"cgroup.procs", ""}, {"tasks", ""}, {"memory.limit_in_bytes", "max\n"},
                                {"memory.failcnt", "0\n"}, {"memory.max_usage_in_bytes", "0\n"},
                                {"memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n"}});
    fake_->set_files("cpu", {{"cgroup.procs", ""}, {"tasks", ""}, {"cpu.cfs_quota_us", "-1\n"},
                             {"cpu.stat", "nr_periods 0\nnr_throttled 0\nthrottled_time 0\n"}});
    fake_->set_files("cpuacct", {{"cgroup.procs", ""}, {"tasks", ""}, {"cpuacct.usage", "0\n"}});
    fake_->set_files("pids", {{"cgroup.procs", ""}, {"tasks", ""}, {"pids.max", "max\n"}, {"pids.peak", "0\n"}});
    for (const char* dir : {"memory", "cpu", "cpuacct", "pids"}) fake_->make_existing(dir);
    fake_->writes_.clear();
  }

  std::string root() const { return tmp_.path(); }

  CgroupLayout layout() const {
    const std::string r = root();
    return parse_cgroup_layout("32 31 0:29 / " + r + "/cpu rw - cgroup cgroup rw,cpu\n" + "33 31 0:30 / " + r +
                                   "/cpuacct rw - cgroup cgroup rw,cpuacct\n" + "35 31 0:32 / " + r +
                                   "/memory rw - cgroup cgroup rw,memory\n" + "39 31 0:36 / " + r +
                                   "/pids rw - cgroup cgroup rw,pids\n",
                               "8:pids:/\n4:memory:/\n2:cpuacct:/\n1:cpu:/\n");
  }

  std::unique_ptr<ContainerCgroup> make(const plan::Cgroups& c, bool usage_report, bool spawn_reaper = false) {
    CgroupEnv env;
    env.layout = layout();
    env.fs = fake_;
    env.spawn_reaper = spawn_reaper;
    env.usage_report = usage_report;
    env.warn = warnings_.sink();
    return make_cgroup_backend(c, "web", 4242, std::move(env));
  }

  static plan::Cgroups memory_and_cpu() {
    plan::Cgroups c;
    c.memory_max_bytes = 64 << 20;
    c.v1 = {{"memory", {{"memory.limit_in_bytes", "67108864"}}}, {"cpu", {{"cpu.cfs_quota_us", "50000"}}}};
    return c;
  }

  std::vector<std::string> made_leaves() const {
    std::vector<std::string> leaves;
    for (const auto& dir : fake_->made_)
      if (dir.ends_with("/web-4242")) leaves.push_back(dir);
    return leaves;
  }

  TempDir tmp_;
  std::shared_ptr<FakeCgroupFs> fake_ = std::make_shared<FakeCgroupFs>(tmp_.path());
  Warnings warnings_;
};

// The watcher's cleanup execs the program set_reap_program() named (plan-exec). This test
// process never names one: create() refuses before any directory exists, instead of starting a
// watcher that would exec the test binary itself.
TEST_F(LaunchCgroupTest, WithoutAReapProgramCreateRefusesBeforeMakingAnything) {
  auto cg = make(memory_and_cpu(), true, /*spawn_reaper=*/true);
  try {
    cg->create();
    FAIL() << "create() started a watcher without a program to clean up with";
  } catch (const launcher::StepError& e) {
    EXPECT_NE(std::string(e.what()).find("set_reap_program"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(made_leaves().empty());
}

TEST_F(LaunchCgroupTest, V1ContainerJoinsByItselfThroughTasks) {
  auto cg = make(memory_and_cpu(), true);
  ASSERT_TRUE(cg->joins_from_child());
  cg->create();
  fake_->writes_.clear();
  // What the child does after release. Here in the test process itself: the fake's `tasks`
  // are plain files, so the "0" lands in each of them.
  cg->join_from_child();
  for (const auto& leaf : made_leaves()) EXPECT_EQ(read_text(root() + "/" + leaf + "/tasks"), "0") << leaf;
  EXPECT_EQ(made_leaves().size(), 4u);  // memory, cpu, cpuacct and pids (usage report on)
  // Nothing went through cgroup.procs: that is the slow path (an RCU grace period).
  EXPECT_TRUE(fake_->writes_.empty());
  cg->finish();
  EXPECT_TRUE(warnings_.lines.empty());
}

TEST_F(LaunchCgroupTest, V1JoinFailureIsAStepErrorUnlessBestEffort) {
  auto cg = make(memory_and_cpu(), false);
  cg->create();
  std::filesystem::remove(root() + "/cpu/plan-exec/web-4242/tasks");  // opened already: still works
  cg->join_from_child();
  cg->finish();

  // A hierarchy whose tasks file could not be opened at create() time: the child reports it.
  fake_->set_files("cpu", {{"cgroup.procs", ""}, {"cpu.cfs_quota_us", "-1\n"}});  // no tasks file
  auto broken = make(memory_and_cpu(), false);
  broken->create();
  try {
    broken->join_from_child();
    ADD_FAILURE() << "a missing tasks file must fail the join";
  } catch (const StepError& e) {
    EXPECT_EQ(e.step(), "cgroups");
    EXPECT_NE(std::string(e.what()).find("cpu/plan-exec/web-4242/tasks"), std::string::npos) << e.what();
  }
  broken->finish();

  plan::Cgroups lenient = memory_and_cpu();
  lenient.best_effort = true;
  auto tolerant = make(lenient, false);
  tolerant->create();
  EXPECT_NO_THROW(tolerant->join_from_child());
  EXPECT_TRUE(warnings_.mention("tasks")) << "best effort warns about the hierarchy it could not join";
  tolerant->finish();
}

TEST_F(LaunchCgroupTest, WithoutUsageReportNoStatsOnlyHierarchyIsMade) {
  auto cg = make(memory_and_cpu(), false);
  cg->create();
  // memory (the plan's, and the OOM report's) and cpu; neither cpuacct nor pids.
  EXPECT_EQ(made_leaves(), (std::vector<std::string>{"memory/plan-exec/web-4242", "cpu/plan-exec/web-4242"}));
  write_text(root() + "/memory/plan-exec/web-4242/memory.max_usage_in_bytes", "5000000\n");
  write_text(root() + "/memory/plan-exec/web-4242/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n");
  CgroupReport report = cg->finish();
  EXPECT_TRUE(report.oom_killed) << "the OOM report does not depend on --stats";
  EXPECT_FALSE(report.memory_peak_bytes.has_value()) << "usage is read only for --stats";
  EXPECT_FALSE(report.cpu_usage_us.has_value());
  EXPECT_FALSE(report.nr_throttled.has_value());
}

TEST_F(LaunchCgroupTest, WithUsageReportTheStatsHierarchiesAreMadeAndRead) {
  auto cg = make(memory_and_cpu(), true);
  cg->create();
  EXPECT_EQ(made_leaves().size(), 4u);
  write_text(root() + "/cpuacct/plan-exec/web-4242/cpuacct.usage", "2000000\n");
  write_text(root() + "/memory/plan-exec/web-4242/memory.max_usage_in_bytes", "5000000\n");
  CgroupReport report = cg->finish();
  EXPECT_EQ(report.cpu_usage_us, 2000u);
  EXPECT_EQ(report.memory_peak_bytes, 5000000u);
  EXPECT_FALSE(report.oom_killed);
}

TEST_F(LaunchCgroupTest, AnEmptyCgroupIsRemovedWithOneRmdir) {
  fake_->make_existing("pids/plan-exec/gone-1");
  fake_->writes_.clear();
  EXPECT_EQ(kill_and_remove_cgroup(*fake_, root() + "/pids/plan-exec/gone-1"), "");
  EXPECT_FALSE(std::filesystem::exists(root() + "/pids/plan-exec/gone-1"));
  EXPECT_TRUE(fake_->kills_.empty());
  EXPECT_TRUE(fake_->writes_.empty());
  // Already gone: nothing to do, no error.
  EXPECT_EQ(kill_and_remove_cgroup(*fake_, root() + "/pids/plan-exec/gone-1"), "");

  // Still populated: the slow path kills, then removes.
  fake_->make_existing("pids/plan-exec/busy-2");
  write_text(root() + "/pids/plan-exec/busy-2/cgroup.procs", "31337\n");
  EXPECT_EQ(kill_and_remove_cgroup(*fake_, root() + "/pids/plan-exec/busy-2"), "");
  EXPECT_EQ(fake_->kills_, std::vector<pid_t>{31337});
  EXPECT_FALSE(std::filesystem::exists(root() + "/pids/plan-exec/busy-2"));
}

TEST_F(LaunchCgroupTest, PlanExecParentsGoWhenEmpty) {
  auto cg = make(memory_and_cpu(), false);
  cg->create();
  cg->finish();
  for (const char* parent : {"memory/plan-exec", "cpu/plan-exec"}) {
    EXPECT_EQ(std::count(fake_->removed_.begin(), fake_->removed_.end(), parent), 1) << parent;
    EXPECT_FALSE(std::filesystem::exists(root() + "/" + parent)) << parent;
  }
}

}  // namespace
}  // namespace launcher
