// SPDX-License-Identifier: Apache-2.0
// The cgroup v2 backend against a fake unified cgroupfs: subtree_control enabling top-down,
// every limit file and value in order, the CLONE_INTO_CGROUP fd, attach, OOM from
// memory.events, stats, cleanup via cgroup.kill, best effort, and the parent choice.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "tests/unit/cgroup_fake_fs.h"

namespace launcher {
namespace {

using cgroup_test::FakeCgroupFs;
using cgroup_test::message_of;
using cgroup_test::read_text;
using cgroup_test::TempDir;
using cgroup_test::Warnings;
using cgroup_test::Write;
using cgroup_test::write_text;

class CgroupV2Test : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_->set_files("", {{"cgroup.procs", ""},
                          {"cgroup.controllers", "cpuset cpu io memory pids\n"},
                          {"cgroup.subtree_control", "\n"},
                          {"cgroup.kill", ""},
                          {"memory.max", "max\n"},
                          {"memory.swap.max", "max\n"},
                          {"memory.low", "0\n"},
                          {"memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n"},
                          {"memory.peak", "0\n"},
                          {"cpu.max", "max 100000\n"},
                          {"cpu.weight", "100\n"},
                          {"cpu.stat", "usage_usec 0\nuser_usec 0\nsystem_usec 0\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\n"},
                          {"pids.max", "max\n"},
                          {"pids.peak", "0\n"},
                          {"cpuset.cpus", "\n"}});
    fake_->make_existing("user.slice/session-1.scope");
    // The root passes memory down already (systemd does); cpu, pids and cpuset it does not.
    write_text(root() + "/cgroup.subtree_control", "memory\n");
    fake_->writes_.clear();
  }

  std::string root() const { return tmp_.path(); }
  std::string leaf() const { return root() + "/user.slice/plan-exec/web-4242"; }

  CgroupLayout layout(const std::string& caller = "/user.slice/session-1.scope") const {
    return parse_cgroup_layout("30 25 0:26 / " + root() + " rw - cgroup2 cgroup2 rw,nsdelegate\n", "0::" + caller + "\n");
  }

  static plan::Cgroups limits() {
    plan::Cgroups c;
    c.memory_max_bytes = 262144000;
    c.v2 = {{"memory.max", "262144000"}, {"memory.swap.max", "0"}, {"memory.low", "104857600"},
            {"cpu.max", "50000 100000"},  {"cpu.weight", "100"},     {"pids.max", "64"},
            {"cpuset.cpus", "0-1"}};
    return c;
  }

  std::unique_ptr<ContainerCgroup> make(const plan::Cgroups& c, const std::string& caller = "/user.slice/session-1.scope") {
    CgroupEnv env;
    env.layout = layout(caller);
    env.fs = fake_;
    env.spawn_reaper = false;
    env.warn = warnings_.sink();
    return make_cgroup_backend(c, "web", 4242, std::move(env));
  }

  TempDir tmp_;
  std::shared_ptr<FakeCgroupFs> fake_ = std::make_shared<FakeCgroupFs>(tmp_.path());
  Warnings warnings_;
};

TEST_F(CgroupV2Test, ParentGoesNextToTheCallersLeafCgroup) {
  auto cg = make(limits());
  EXPECT_EQ(cg->paths(), std::vector<std::string>{leaf()});
  EXPECT_NE(cg->describe().find("cgroup v2"), std::string::npos) << cg->describe();
  EXPECT_TRUE(fake_->made_.empty());
  EXPECT_TRUE(fake_->writes_.empty());
}

TEST_F(CgroupV2Test, CallerAtTheRootUsesTheRoot) {
  auto cg = make(limits(), "/");
  EXPECT_EQ(cg->paths(), std::vector<std::string>{root() + "/plan-exec/web-4242"});
}

TEST_F(CgroupV2Test, CreateEnablesControllersTopDownThenWritesEveryLimitInOrder) {
  auto cg = make(limits());
  cg->create();
  std::vector<Write> expected = {
      // Root: memory is already enabled, the others are added one by one (precise errors).
      {"cgroup.subtree_control", "+cpu"},
      {"cgroup.subtree_control", "+pids"},
      {"cgroup.subtree_control", "+cpuset"},
      {"user.slice/cgroup.subtree_control", "+memory"},
      {"user.slice/cgroup.subtree_control", "+cpu"},
      {"user.slice/cgroup.subtree_control", "+pids"},
      {"user.slice/cgroup.subtree_control", "+cpuset"},
      {"user.slice/plan-exec/cgroup.subtree_control", "+memory"},
      {"user.slice/plan-exec/cgroup.subtree_control", "+cpu"},
      {"user.slice/plan-exec/cgroup.subtree_control", "+pids"},
      {"user.slice/plan-exec/cgroup.subtree_control", "+cpuset"},
      {"user.slice/plan-exec/web-4242/memory.max", "262144000"},
      {"user.slice/plan-exec/web-4242/memory.swap.max", "0"},
      {"user.slice/plan-exec/web-4242/memory.low", "104857600"},
      {"user.slice/plan-exec/web-4242/cpu.max", "50000 100000"},
      {"user.slice/plan-exec/web-4242/cpu.weight", "100"},
      {"user.slice/plan-exec/web-4242/pids.max", "64"},
      {"user.slice/plan-exec/web-4242/cpuset.cpus", "0-1"}};
  EXPECT_EQ(fake_->writes_, expected);
  EXPECT_EQ(fake_->made_, (std::vector<std::string>{"user.slice/plan-exec", "user.slice/plan-exec/web-4242"}));
  EXPECT_EQ(read_text(leaf() + "/cpu.max"), "50000 100000");
  EXPECT_EQ(read_text(leaf() + "/memory.swap.max"), "0");
  EXPECT_TRUE(warnings_.lines.empty());
  cg->finish();
}

TEST_F(CgroupV2Test, AlreadyEnabledControllersAreNotWrittenAgain) {
  write_text(root() + "/cgroup.subtree_control", "cpuset cpu memory pids\n");
  write_text(root() + "/user.slice/cgroup.subtree_control", "cpuset cpu memory pids\n");
  plan::Cgroups c;
  c.v2 = {{"pids.max", "16"}};
  auto cg = make(c);
  cg->create();
  EXPECT_EQ(fake_->writes_, (std::vector<Write>{{"user.slice/plan-exec/cgroup.subtree_control", "+pids"},
                                                {"user.slice/plan-exec/web-4242/pids.max", "16"}}));
  cg->finish();
}

TEST_F(CgroupV2Test, CloneIntoFdIsTheLeafDirectory) {
  auto cg = make(limits());
  EXPECT_EQ(cg->clone_into_fd(), -1) << "no fd before create()";
  cg->create();
  int fd = cg->clone_into_fd();
  ASSERT_GE(fd, 0);
  struct stat by_fd {}, by_path {};
  ASSERT_EQ(fstat(fd, &by_fd), 0);
  ASSERT_EQ(stat(leaf().c_str(), &by_path), 0);
  EXPECT_EQ(by_fd.st_ino, by_path.st_ino);
  EXPECT_TRUE(S_ISDIR(by_fd.st_mode));
  EXPECT_NE(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0) << "the container must not inherit it";
  cg->finish();
  EXPECT_EQ(cg->clone_into_fd(), -1);
  EXPECT_EQ(fcntl(fd, F_GETFD), -1) << "closed by finish()";
}

TEST_F(CgroupV2Test, AttachWritesCgroupProcs) {
  auto cg = make(limits());
  cg->create();
  fake_->writes_.clear();
  cg->attach(777);
  EXPECT_EQ(fake_->writes_, (std::vector<Write>{{"user.slice/plan-exec/web-4242/cgroup.procs", "777"}}));
  cg->finish();
}

TEST_F(CgroupV2Test, FinishReadsOomAndStatsThenKillsWithCgroupKillAndRemoves) {
  auto cg = make(limits());
  cg->create();
  cg->attach(777);
  write_text(leaf() + "/memory.events", "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n");
  write_text(leaf() + "/memory.peak", "262000000\n");
  write_text(leaf() + "/cpu.stat", "usage_usec 1500000\nuser_usec 1400000\nsystem_usec 100000\n"
                                   "nr_periods 30\nnr_throttled 25\nthrottled_usec 2400000\n");
  write_text(leaf() + "/pids.peak", "3\n");
  fake_->writes_.clear();
  CgroupReport report = cg->finish();
  EXPECT_TRUE(report.oom_killed);
  EXPECT_EQ(report.oom_kills, 1u);
  EXPECT_EQ(report.memory_peak_bytes, 262000000u);
  EXPECT_EQ(report.cpu_usage_us, 1500000u);
  EXPECT_EQ(report.nr_throttled, 25u);
  EXPECT_EQ(report.throttled_us, 2400000u);
  EXPECT_EQ(report.pids_peak, 3u);
  ASSERT_FALSE(fake_->writes_.empty());
  EXPECT_EQ(fake_->writes_.front(), (Write{"user.slice/plan-exec/web-4242/cgroup.kill", "1"}));
  EXPECT_TRUE(fake_->kills_.empty()) << "cgroup.kill does it, no pid-by-pid kill";
  EXPECT_FALSE(std::filesystem::exists(root() + "/user.slice/plan-exec"));
  EXPECT_TRUE(std::filesystem::exists(root() + "/user.slice/session-1.scope"));
}

TEST_F(CgroupV2Test, NoOomWithoutOomKillEvents) {
  auto cg = make(limits());
  cg->create();
  write_text(leaf() + "/memory.events", "low 0\nhigh 0\nmax 40\noom 0\noom_kill 0\n");
  EXPECT_FALSE(cg->finish().oom_killed);
}

TEST_F(CgroupV2Test, ContainerMadeSubCgroupsAreRemovedToo) {
  auto cg = make(limits());
  cg->create();
  ASSERT_EQ(fake_->make_dir(leaf() + "/inner"), 0);
  cg->finish();
  EXPECT_FALSE(std::filesystem::exists(leaf()));
}

TEST_F(CgroupV2Test, MissingControllerIsAnErrorUnlessBestEffort) {
  write_text(root() + "/cgroup.controllers", "cpu memory\n");
  std::string message = message_of([&] { make(limits()); });
  EXPECT_NE(message.find("no pids controller"), std::string::npos) << message;
  EXPECT_NE(message.find("offers: cpu memory"), std::string::npos) << message;
  EXPECT_TRUE(fake_->made_.empty());

  plan::Cgroups c = limits();
  c.best_effort = true;
  auto cg = make(c);
  EXPECT_TRUE(warnings_.mention("no pids controller"));
  EXPECT_TRUE(warnings_.mention("no cpuset controller"));
  cg->create();
  for (const auto& w : fake_->writes_) {
    EXPECT_EQ(w.path.find("pids"), std::string::npos) << w;
    EXPECT_EQ(w.value.find("pids"), std::string::npos) << w;
  }
  EXPECT_EQ(read_text(leaf() + "/memory.max"), "262144000");
  cg->finish();
}

TEST_F(CgroupV2Test, BusyParentIsExplainedAndRolledBack) {
  fake_->fail_write("user.slice/cgroup.subtree_control", EBUSY);
  auto cg = make(limits());
  std::string message = message_of([&] { cg->create(); });
  EXPECT_NE(message.find("user.slice/cgroup.subtree_control"), std::string::npos) << message;
  EXPECT_NE(message.find("holds processes"), std::string::npos) << message;
  EXPECT_FALSE(std::filesystem::exists(root() + "/user.slice/plan-exec"));
}

TEST_F(CgroupV2Test, BestEffortSkipsTheWritesOfAControllerThatCouldNotBeEnabled) {
  fake_->fail_write("user.slice/cgroup.subtree_control", EACCES);
  plan::Cgroups c;
  c.best_effort = true;
  c.v2 = {{"pids.max", "16"}};
  auto cg = make(c);
  cg->create();
  EXPECT_TRUE(warnings_.mention("enable the pids controller")) << ::testing::PrintToString(warnings_.lines);
  EXPECT_EQ(warnings_.lines.size(), 1u) << ::testing::PrintToString(warnings_.lines);
  EXPECT_EQ(read_text(leaf() + "/pids.max"), "max\n");
  cg->finish();
}

TEST_F(CgroupV2Test, AbsoluteParentStartsAtTheRoot) {
  plan::Cgroups c = limits();
  c.parent = "/batch/jobs";
  auto cg = make(c);
  EXPECT_EQ(cg->paths(), std::vector<std::string>{root() + "/batch/jobs/web-4242"});
  cg->create();
  EXPECT_EQ(read_text(root() + "/batch/jobs/web-4242/pids.max"), "64");
  cg->finish();
  EXPECT_FALSE(std::filesystem::exists(root() + "/batch")) << "parents this run made are removed";
}

TEST_F(CgroupV2Test, CleanupFindsLeftoversNextToTheCaller) {
  fake_->make_existing("user.slice/plan-exec/web-99999");
  fake_->make_existing("plan-exec/old-99998");
  auto removed = cleanup_cgroup_leftovers_in(layout(), *fake_, [](pid_t, const std::string&) { return false; });
  std::sort(removed.begin(), removed.end());
  EXPECT_EQ(removed, (std::vector<std::string>{root() + "/plan-exec/old-99998", root() + "/user.slice/plan-exec/web-99999"}));
  EXPECT_FALSE(std::filesystem::exists(root() + "/user.slice/plan-exec"));
}

}  // namespace
}  // namespace launcher
