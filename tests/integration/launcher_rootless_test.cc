// SPDX-License-Identifier: Apache-2.0
// Rootless: plan-exec run by an unprivileged uid (65534) adds a user namespace, maps that uid
// to the plan's user (root inside), and refuses what needs host root (veth, limits) clearly.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <csignal>
#include <unistd.h>

#include "tests/support/host_state.h"
#include "tests/support/plan_builder.h"
#include "tests/support/plan_exec_runner.h"
#include "tests/support/rootfs.h"

using namespace testsupport;

namespace {


class LauncherRootless : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "the test needs root to switch to uid 65534";
    if (!unprivileged_userns_available()) GTEST_SKIP() << "unprivileged user namespaces are disabled here";
    scratch_ = std::make_unique<ScratchDir>("launcher-rootless");
    build_rootfs(scratch_->path() + "/rootfs");
    mkdir((scratch_->path() + "/rootfs/out").c_str(), 0755);  // the caller cannot create it in a root-owned rootfs
    out_ = scratch_->path() + "/out";
    mkdir(out_.c_str(), 0755);
    ASSERT_EQ(chown(out_.c_str(), kNobody, kNobody), 0);
    before_ = snapshot_host();
  }
  void TearDown() override {
    if (scratch_) {
      EXPECT_EQ(new_entries(before_.mounts, snapshot_host().mounts, scratch_->path()), std::vector<std::string>{});
    }
  }
  plan::Plan base() const {
    plan::Plan p = container_plan(scratch_->path() + "/rootfs");
    p.mounts.push_back(bind_mount(out_, "/out", false));
    return p;
  }
  ProcessResult run_as_nobody(const plan::Plan& p, std::vector<std::string> extra = {}) {
    const std::string file = write_plan(p, scratch_->path() + "/plan.json");
    chmod(file.c_str(), 0644);
    extra.insert(extra.begin(), file);
    return run_plan_exec(extra, ProcessOptions{{"HOME=" + out_}, kNobody, 30});
  }

  std::unique_ptr<ScratchDir> scratch_;
  std::string out_;
  HostState before_;
};

TEST_F(LauncherRootless, RootInsideTheCallerOutside) {
  plan::Plan p = base();
  p.command = {"/home/probe", "status", "write", "/out/made-inside", "exists", "/proc/1/root/work"};
  auto r = run_as_nobody(p);
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_EQ(probe_value(r.out, "uid"), "0");
  EXPECT_EQ(probe_value(r.out, "gid"), "0");
  EXPECT_EQ(probe_value(r.out, "pid"), "2");  // plan-exec's init is pid 1, rootless too
  EXPECT_EQ(probe_value(r.out, "hostname"), "probe-box");
  EXPECT_EQ(probe_value(r.out, "NoNewPrivs"), "1");
  EXPECT_EQ(probe_value(r.out, "write:/out/made-inside"), "ok");
  EXPECT_EQ(probe_value(r.out, "exists:/proc/1/root/work"), "no");
  struct stat st {};
  ASSERT_EQ(stat((out_ + "/made-inside").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, static_cast<uid_t>(kNobody)) << "outside, the file belongs to the caller";
}

// The supervisor takes the command's seccomp listener without privilege (pidfd_getfd on a child
// of the caller in a user namespace it owns) and the verdicts stay the filter's.
TEST_F(LauncherRootless, DenialsAreReportedAndKillsStillKill) {
  plan::Plan p = base();
  p.seccomp = seccomp_of(errno_filter(SYS_getpriority, EACCES), "allow");
  p.command = {"/home/probe", "syscall", std::to_string(SYS_getpriority), "0", "0"};
  auto r = run_as_nobody(p, {"--denials=stderr"});
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_EQ(probe_value(r.out, "syscall:" + std::to_string(SYS_getpriority)), "-1 errno=13");
  EXPECT_NE(r.err.find("plan-exec: denied getpriority(0, 0) = EACCES  pid 2 /home/probe"), std::string::npos) << r.err;

  p.seccomp = seccomp_of(kill_filter(SYS_getpriority), "allow");
  r = run_as_nobody(p, {"--denials=off"});
  EXPECT_EQ(r.exit_code, 128 + SIGSYS) << r.summary();
  EXPECT_NE(r.err.find("plan-exec: denied getpriority(0, 0) = kill_process  pid 2 /home/probe"), std::string::npos) << r.err;
}

TEST_F(LauncherRootless, NonRootPlanUserIsMappedToTheCaller) {
  plan::Plan p = base();
  p.user.uid = 1000;
  p.user.gid = 1000;
  p.command = {"/home/probe", "status", "write", "/out/as-1000"};
  auto r = run_as_nobody(p);
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_EQ(probe_value(r.out, "uid"), "1000");
  EXPECT_EQ(probe_value(r.out, "write:/out/as-1000"), "ok");
}

TEST_F(LauncherRootless, VethAndLimitsAreClearErrors) {
  plan::Plan p = base();
  p.namespaces.push_back(plan::Namespace::Net);
  p.network.mode = plan::NetworkMode::Veth;
  p.network.veth = veth_link("10.200.9.1", "10.200.9.2");
  auto r = run_as_nobody(p);
  EXPECT_EQ(r.exit_code, 125) << r.summary();
  EXPECT_NE(r.err.find("network loopback"), std::string::npos) << r.err;

  p = base();
  p.cgroups = plan::Cgroups{};
  p.cgroups->pids_max = 16;
  p.cgroups->parent = "plan-exec";
  r = run_as_nobody(p);
  EXPECT_EQ(r.exit_code, 125) << r.summary();
  EXPECT_NE(r.err.find("remove `limits`"), std::string::npos) << r.err;

  // Best-effort limits: the rootless run goes on without them, and says so.
  p.cgroups->best_effort = true;
  r = run_as_nobody(p);
  EXPECT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_NE(r.err.find("warning: limits need root on the host (cgroup directories): this rootless run has none"),
            std::string::npos)
      << r.err;
}

// -q is errors only: the run without its best-effort limits goes on in silence.
TEST_F(LauncherRootless, QuietDropsTheBestEffortLimitsWarning) {
  plan::Plan p = base();
  p.cgroups = plan::Cgroups{};
  p.cgroups->pids_max = 16;
  p.cgroups->parent = "plan-exec";
  p.cgroups->best_effort = true;
  auto r = run_as_nobody(p, {"-q"});
  EXPECT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_EQ(r.err.find("warning"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("plan-exec:"), std::string::npos) << r.err;
}

TEST_F(LauncherRootless, LoopbackNetworkAndArchiveRootfs) {
  build_rootfs(scratch_->path() + "/tree");
  mkdir((scratch_->path() + "/tree/out").c_str(), 0755);
  const std::string archive = scratch_->path() + "/rootfs.tar.gz";
  make_tarball(scratch_->path() + "/tree", archive);
  chmod(archive.c_str(), 0644);
  plan::Plan p = base();
  p.rootfs = plan::Rootfs{plan::RootfsKind::Archive, archive, false, false};
  p.namespaces.push_back(plan::Namespace::Net);
  p.network.mode = plan::NetworkMode::Loopback;
  p.command = {"/bin/sh", "-c", "cat /sys/class/net/lo/operstate 2>/dev/null; ip link show lo | head -1; id -u"};
  auto r = run_as_nobody(p);
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_NE(r.out.find("LOOPBACK,UP"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("unpacked"), std::string::npos) << r.err;
  EXPECT_EQ(access((out_ + "/.cache/plan-exec/rootfs").c_str(), F_OK), 0) << "rootless cache goes under $HOME";
}

TEST_F(LauncherRootless, RefusesToRunSetuid) {
  // plan-exec is never installed setuid: a copy made setuid root must refuse, before anything.
  const std::string copy = scratch_->path() + "/plan-exec-setuid";
  testsupport::write_text(copy, testsupport::read_text(PLAN_EXEC_BIN), 04755);
  ASSERT_EQ(chmod(copy.c_str(), 04755), 0);
  const std::string file = write_plan(base(), scratch_->path() + "/plan.json");
  chmod(file.c_str(), 0644);
  auto r = run_process({copy, file}, ProcessOptions{{}, kNobody, 30});
  EXPECT_EQ(r.exit_code, 125) << r.summary();
  EXPECT_NE(r.err.find("setuid"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
}

}  // namespace
