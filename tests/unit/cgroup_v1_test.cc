// SPDX-License-Identifier: Apache-2.0
// The cgroup v1 backend against a fake cgroupfs laid out like a hybrid host: every directory
// made, every file written with its value and in order, the cpuset copy, attach, the OOM and
// stats reading, cleanup, best effort, and leftover removal.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

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

const std::map<std::string, std::string> kMemoryFiles = {
    {"cgroup.procs", ""},
    {"memory.limit_in_bytes", "9223372036854771712\n"},
    {"memory.memsw.limit_in_bytes", "9223372036854771712\n"},
    {"memory.soft_limit_in_bytes", "9223372036854771712\n"},
    {"memory.failcnt", "0\n"},
    {"memory.max_usage_in_bytes", "0\n"},
    {"memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n"}};

class CgroupV1Test : public ::testing::Test {
 protected:
  void SetUp() override {
    // Hybrid like this host, except cpu and cpuacct share one hierarchy (as on most distros).
    std::map<std::string, std::string> memory = kMemoryFiles;
    if (!with_memsw_) memory.erase("memory.memsw.limit_in_bytes");
    fake_->set_files("memory", memory);
    fake_->set_files("cpu,cpuacct", {{"cgroup.procs", ""},
                                     {"cpu.cfs_period_us", "100000\n"},
                                     {"cpu.cfs_quota_us", "-1\n"},
                                     {"cpu.shares", "1024\n"},
                                     {"cpu.stat", "nr_periods 0\nnr_throttled 0\nthrottled_time 0\n"},
                                     {"cpuacct.usage", "0\n"}});
    fake_->set_files("cpuset", {{"cgroup.procs", ""}, {"cpuset.cpus", "\n"}, {"cpuset.mems", "\n"}});
    fake_->set_files("pids", {{"cgroup.procs", ""}, {"pids.max", "max\n"}, {"pids.peak", "0\n"}});
    for (const char* dir : {"memory/session/abc", "cpu,cpuacct", "cpuset", "pids"}) fake_->make_existing(dir);
    write_text(root() + "/cpuset/cpuset.cpus", "0-3\n");
    write_text(root() + "/cpuset/cpuset.mems", "0\n");
    fake_->writes_.clear();
  }

  std::string root() const { return tmp_.path(); }

  CgroupLayout layout() const {
    std::string r = root();
    return parse_cgroup_layout("32 31 0:29 / " + r + "/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n" +
                                   "34 31 0:31 / " + r + "/cpuset rw - cgroup cgroup rw,cpuset\n" + "35 31 0:32 / " + r +
                                   "/memory rw - cgroup cgroup rw,memory\n" + "39 31 0:36 / " + r +
                                   "/pids rw - cgroup cgroup rw,pids\n" + "41 31 0:38 / " + r +
                                   "/unified rw - cgroup2 cgroup2 rw\n",
                               "8:pids:/\n4:memory:/session/abc\n3:cpuset:/\n1:cpu,cpuacct:/\n0::/\n");
  }

  static plan::Cgroups limits() {
    plan::Cgroups c;
    c.memory_max_bytes = 262144000;
    c.v1 = {{"cpuset", {{"cpuset.cpus", "1"}, {"cpuset.mems", "0"}}},
            {"memory", {{"memory.limit_in_bytes", "262144000"}, {"memory.memsw.limit_in_bytes", "262144000"}}},
            {"cpu", {{"cpu.cfs_period_us", "100000"}, {"cpu.cfs_quota_us", "50000"}, {"cpu.shares", "1024"}}},
            {"pids", {{"pids.max", "64"}}}};
    return c;
  }

  std::unique_ptr<ContainerCgroup> make(const plan::Cgroups& c, const std::string& name = "web") {
    CgroupEnv env;
    env.layout = layout();
    env.fs = fake_;
    env.spawn_reaper = false;
    env.warn = warnings_.sink();
    return make_cgroup_backend(c, name, 4242, std::move(env));
  }

  bool with_memsw_ = true;
  TempDir tmp_;
  std::shared_ptr<FakeCgroupFs> fake_ = std::make_shared<FakeCgroupFs>(tmp_.path());
  Warnings warnings_;
};

TEST_F(CgroupV1Test, PrepareChoosesOneDirectoryPerHierarchyUnderTheCallersCgroup) {
  auto cg = make(limits());
  std::vector<std::string> expected = {
      root() + "/cpuset/plan-exec/web-4242", root() + "/memory/session/abc/plan-exec/web-4242",
      root() + "/cpu,cpuacct/plan-exec/web-4242", root() + "/pids/plan-exec/web-4242"};
  EXPECT_EQ(cg->paths(), expected);
  EXPECT_NE(cg->describe().find("cgroup v1"), std::string::npos) << cg->describe();
  EXPECT_TRUE(fake_->made_.empty()) << "prepare must not touch the filesystem";
  EXPECT_TRUE(fake_->writes_.empty());
  EXPECT_EQ(cg->clone_into_fd(), -1);
}

TEST_F(CgroupV1Test, CreateWritesEveryLimitInPlanOrderAfterFillingTheCpuset) {
  auto cg = make(limits());
  cg->create();
  std::vector<Write> expected = {
      // A new v1 cpuset is empty and refuses tasks: filled from its parent, top-down.
      {"cpuset/plan-exec/cpuset.cpus", "0-3"},
      {"cpuset/plan-exec/cpuset.mems", "0"},
      {"cpuset/plan-exec/web-4242/cpuset.cpus", "0-3"},
      {"cpuset/plan-exec/web-4242/cpuset.mems", "0"},
      {"cpuset/plan-exec/web-4242/cpuset.cpus", "1"},
      {"cpuset/plan-exec/web-4242/cpuset.mems", "0"},
      // memory.limit_in_bytes before memory.memsw.limit_in_bytes (the kernel demands it).
      {"memory/session/abc/plan-exec/web-4242/memory.limit_in_bytes", "262144000"},
      {"memory/session/abc/plan-exec/web-4242/memory.memsw.limit_in_bytes", "262144000"},
      // cfs_period_us before cfs_quota_us.
      {"cpu,cpuacct/plan-exec/web-4242/cpu.cfs_period_us", "100000"},
      {"cpu,cpuacct/plan-exec/web-4242/cpu.cfs_quota_us", "50000"},
      {"cpu,cpuacct/plan-exec/web-4242/cpu.shares", "1024"},
      {"pids/plan-exec/web-4242/pids.max", "64"}};
  EXPECT_EQ(fake_->writes_, expected);
  std::vector<std::string> made = {"cpuset/plan-exec", "cpuset/plan-exec/web-4242",
                                   "memory/session/abc/plan-exec", "memory/session/abc/plan-exec/web-4242",
                                   "cpu,cpuacct/plan-exec", "cpu,cpuacct/plan-exec/web-4242",
                                   "pids/plan-exec", "pids/plan-exec/web-4242"};
  EXPECT_EQ(fake_->made_, made);
  EXPECT_EQ(read_text(root() + "/memory/session/abc/plan-exec/web-4242/memory.limit_in_bytes"), "262144000");
  EXPECT_EQ(read_text(root() + "/cpuset/plan-exec/web-4242/cpuset.cpus"), "1");
  EXPECT_TRUE(warnings_.lines.empty());
  cg->finish();
}

TEST_F(CgroupV1Test, StatsHierarchiesAreJoinedWithoutLimits) {
  plan::Cgroups c;
  c.v1 = {{"pids", {{"pids.max", "16"}}}};
  auto cg = make(c);
  cg->create();
  // memory and cpuacct are joined for --stats, with nothing written.
  EXPECT_EQ(cg->paths().size(), 3u);
  EXPECT_EQ(fake_->writes_, (std::vector<Write>{{"pids/plan-exec/web-4242/pids.max", "16"}}));
  cg->finish();
}

TEST_F(CgroupV1Test, AttachMovesTheChildIntoEveryHierarchy) {
  auto cg = make(limits());
  cg->create();
  fake_->writes_.clear();
  cg->attach(777);
  std::vector<Write> expected = {{"cpuset/plan-exec/web-4242/cgroup.procs", "777"},
                                 {"memory/session/abc/plan-exec/web-4242/cgroup.procs", "777"},
                                 {"cpu,cpuacct/plan-exec/web-4242/cgroup.procs", "777"},
                                 {"pids/plan-exec/web-4242/cgroup.procs", "777"}};
  EXPECT_EQ(fake_->writes_, expected);
  cg->finish();
}

TEST_F(CgroupV1Test, FinishReportsOomAndUsageThenKillsAndRemovesEverything) {
  auto cg = make(limits());
  cg->create();
  cg->attach(777);
  std::string mem = root() + "/memory/session/abc/plan-exec/web-4242";
  write_text(mem + "/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n");
  write_text(mem + "/memory.max_usage_in_bytes", "262144000\n");
  write_text(root() + "/cpu,cpuacct/plan-exec/web-4242/cpuacct.usage", "2500000000\n");
  write_text(root() + "/cpu,cpuacct/plan-exec/web-4242/cpu.stat",
             "nr_periods 40\nnr_throttled 7\nthrottled_time 3000000000\n");
  write_text(root() + "/pids/plan-exec/web-4242/pids.peak", "5\n");

  CgroupReport report = cg->finish();
  EXPECT_TRUE(report.oom_killed);
  EXPECT_EQ(report.oom_kills, 1u);
  EXPECT_EQ(report.memory_peak_bytes, 262144000u);
  EXPECT_EQ(report.cpu_usage_us, 2500000u);
  EXPECT_EQ(report.nr_throttled, 7u);
  EXPECT_EQ(report.throttled_us, 3000000u);
  EXPECT_EQ(report.pids_peak, 5u);
  // The still-running child was killed (once per hierarchy it was listed in at most).
  ASSERT_FALSE(fake_->kills_.empty());
  EXPECT_EQ(fake_->kills_.front(), 777);
  for (const char* gone : {"memory/session/abc/plan-exec", "cpu,cpuacct/plan-exec", "cpuset/plan-exec", "pids/plan-exec"})
    EXPECT_FALSE(std::filesystem::exists(root() + "/" + gone)) << gone;
  EXPECT_TRUE(std::filesystem::exists(root() + "/memory/session/abc")) << "the caller's own cgroup stays";
  // finish() is idempotent.
  EXPECT_TRUE(cg->finish().oom_killed);
}

TEST_F(CgroupV1Test, NoOomWhenTheCounterDidNotMove) {
  auto cg = make(limits());
  cg->create();
  EXPECT_FALSE(cg->finish().oom_killed);
}

TEST_F(CgroupV1Test, OlderKernelsWithoutOomKillFallBackToFailcnt) {
  auto cg = make(limits());
  cg->create();
  std::string mem = root() + "/memory/session/abc/plan-exec/web-4242";
  write_text(mem + "/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\n");
  write_text(mem + "/memory.failcnt", "12\n");
  const CgroupReport report = cg->finish();
  EXPECT_TRUE(report.oom_killed);
  EXPECT_FALSE(report.oom_kills) << "no counter: how many is unknown";
}

TEST_F(CgroupV1Test, ExistingLeafIsALeftoverAndAnError) {
  fake_->make_existing("pids/plan-exec/web-4242");
  auto cg = make(limits());
  std::string message = message_of([&] { cg->create(); });
  EXPECT_NE(message.find("already exists"), std::string::npos) << message;
  EXPECT_NE(message.find("plan-exec --cleanup"), std::string::npos) << message;
  // Rolled back: what this run made is gone, the leftover is not ours to touch here.
  EXPECT_FALSE(std::filesystem::exists(root() + "/memory/session/abc/plan-exec"));
  EXPECT_FALSE(std::filesystem::exists(root() + "/cpuset/plan-exec"));
  EXPECT_TRUE(std::filesystem::exists(root() + "/pids/plan-exec/web-4242"));
}

TEST_F(CgroupV1Test, InvalidNamesAndFilesAreRejectedBeforeAnySideEffect) {
  EXPECT_NE(message_of([&] { make(limits(), "../evil"); }).find("cannot name a cgroup"), std::string::npos);
  plan::Cgroups c = limits();
  c.parent = "a/../b";
  EXPECT_NE(message_of([&] { make(c); }).find("invalid component \"..\""), std::string::npos);
  c = limits();
  c.v1[0].writes.push_back({"cgroup.procs", "1"});
  EXPECT_NE(message_of([&] { make(c); }).find("not a limit file"), std::string::npos);
  EXPECT_TRUE(fake_->made_.empty());
}

TEST_F(CgroupV1Test, AbsoluteParentStartsAtTheMountPointAndIsKept) {
  fake_->make_existing("memory/mine");
  plan::Cgroups c;
  c.parent = "/mine";
  c.v1 = {{"memory", {{"memory.limit_in_bytes", "1048576"}}}};
  auto cg = make(c);
  cg->create();
  EXPECT_TRUE(std::filesystem::exists(root() + "/memory/mine/web-4242"));
  EXPECT_TRUE(std::filesystem::exists(root() + "/pids/mine/web-4242"));
  cg->finish();
  EXPECT_TRUE(std::filesystem::exists(root() + "/memory/mine")) << "the user's parent stays";
  EXPECT_FALSE(std::filesystem::exists(root() + "/pids/mine")) << "a parent this run made goes";
}

TEST_F(CgroupV1Test, MissingControllerIsAnErrorUnlessBestEffort) {
  plan::Cgroups c = limits();
  c.v1.push_back({"blkio", {{"blkio.weight", "500"}}});
  std::string message = message_of([&] { make(c); });
  EXPECT_NE(message.find("no blkio controller"), std::string::npos) << message;
  EXPECT_NE(message.find("best_effort"), std::string::npos) << message;
  EXPECT_TRUE(fake_->made_.empty());

  c.best_effort = true;
  auto cg = make(c);
  EXPECT_TRUE(warnings_.mention("no blkio controller")) << ::testing::PrintToString(warnings_.lines);
  cg->create();
  cg->finish();
}

class CgroupV1NoSwapAccountingTest : public CgroupV1Test {
 protected:
  void SetUp() override {
    with_memsw_ = false;
    CgroupV1Test::SetUp();
  }
};

TEST_F(CgroupV1NoSwapAccountingTest, MissingMemswIsAClearErrorAndNothingIsLeft) {
  auto cg = make(limits());
  std::string message = message_of([&] { cg->create(); });
  EXPECT_NE(message.find("memory.memsw.limit_in_bytes"), std::string::npos) << message;
  EXPECT_NE(message.find("swapaccount=1"), std::string::npos) << message;
  EXPECT_NE(message.find("best_effort"), std::string::npos) << message;
  for (const char* gone : {"memory/session/abc/plan-exec", "cpuset/plan-exec", "cpu,cpuacct/plan-exec", "pids/plan-exec"})
    EXPECT_FALSE(std::filesystem::exists(root() + "/" + gone)) << gone;
}

TEST_F(CgroupV1NoSwapAccountingTest, BestEffortWarnsAndAppliesTheRest) {
  plan::Cgroups c = limits();
  c.best_effort = true;
  auto cg = make(c);
  cg->create();
  EXPECT_TRUE(warnings_.mention("memory.memsw.limit_in_bytes")) << ::testing::PrintToString(warnings_.lines);
  EXPECT_EQ(read_text(root() + "/pids/plan-exec/web-4242/pids.max"), "64");
  EXPECT_EQ(read_text(root() + "/memory/session/abc/plan-exec/web-4242/memory.limit_in_bytes"), "262144000");
  cg->finish();
}

TEST_F(CgroupV1Test, DestroyingWithoutFinishStillRemovesTheCgroups) {
  {
    auto cg = make(limits());
    cg->create();
  }
  EXPECT_FALSE(std::filesystem::exists(root() + "/pids/plan-exec"));
  EXPECT_FALSE(std::filesystem::exists(root() + "/memory/session/abc/plan-exec"));
}

TEST_F(CgroupV1Test, AClonedChildsCopyNeverTearsDown) {
  auto cg = make(limits());
  cg->create();
  const std::string leaf = root() + "/pids/plan-exec/web-4242";
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {  // the container child unwinding through the launcher's objects
    cg.reset();
    _exit(std::filesystem::exists(leaf) ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_TRUE(std::filesystem::exists(leaf));
  cg->finish();
  EXPECT_FALSE(std::filesystem::exists(leaf));
}

TEST_F(CgroupV1Test, CleanupRemovesOnlyDeadInstances) {
  fake_->make_existing("memory/session/abc/plan-exec/web-99999");
  fake_->make_existing("memory/session/abc/plan-exec/web-4242");
  fake_->make_existing("pids/plan-exec/db-99999");
  fake_->make_existing("pids/plan-exec/not-an-instance");
  write_text(root() + "/memory/session/abc/plan-exec/web-99999/cgroup.procs", "31337\n");
  auto alive = [](pid_t pid, const std::string&) { return pid == 4242; };
  auto removed = cleanup_cgroup_leftovers_in(layout(), *fake_, alive);
  std::sort(removed.begin(), removed.end());
  EXPECT_EQ(removed, (std::vector<std::string>{root() + "/memory/session/abc/plan-exec/web-99999",
                                               root() + "/pids/plan-exec/db-99999"}));
  EXPECT_EQ(fake_->kills_, std::vector<pid_t>{31337});
  EXPECT_TRUE(std::filesystem::exists(root() + "/memory/session/abc/plan-exec/web-4242"));
  EXPECT_TRUE(std::filesystem::exists(root() + "/pids/plan-exec/not-an-instance"));
}

}  // namespace
}  // namespace launcher
