// SPDX-License-Identifier: Apache-2.0
// Landlock on this kernel, as root and rootless: reads, directory listings, writes, exec, TCP
// bind and connect inside and outside the plan's rules (the probe, tests/programs/
// probe_landlock.c, prints what each attempt got); a section needing more than the kernel's ABI
// (played with the test-only PLAN_EXEC_TEST_LANDLOCK_ABI) refused before anything runs, or run
// with best_effort's warning; a command the section would not let start refused up front.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>

#include "plan/landlock.h"
#include "tests/support/host_state.h"
#include "tests/support/plan_builder.h"
#include "tests/support/plan_exec_runner.h"
#include "tests/support/rootfs.h"

namespace launcher_landlock_test {
namespace {

using namespace testsupport;

constexpr std::uint64_t kReadRights = (1ULL << 2) | (1ULL << 3);
constexpr std::uint64_t kExecRight = 1ULL << 0;

std::uint64_t keyword(const char* name) { return *plan::landlock_fs_keyword(name); }

class LauncherLandlock : public ::testing::TestWithParam<bool> {
 protected:
  bool rootless() const { return GetParam(); }
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (and uid 65534 for the rootless runs)";
    if (rootless() && !unprivileged_userns_available()) GTEST_SKIP() << "unprivileged user namespaces are disabled";
    scratch_ = std::make_unique<ScratchDir>("launcher-landlock");
    build_rootfs(scratch_->path() + "/rootfs");
    before_ = snapshot_host();
  }
  void TearDown() override {
    if (!scratch_) return;
    EXPECT_EQ(new_entries(before_.mounts, snapshot_host().mounts, scratch_->path()), std::vector<std::string>{});
  }

  // Loopback network of its own; the probe may run from /home, read /home and /etc/hostname,
  // write /tmp, bind 8080 and connect to 8081.
  plan::Plan landlocked() const {
    plan::Plan p = container_plan(scratch_->path() + "/rootfs");
    p.namespaces.push_back(plan::Namespace::Net);
    p.network.mode = plan::NetworkMode::Loopback;
    plan::Landlock l;
    l.handled_fs = plan::landlock_rights_up_to(plan::LandlockClass::Fs, 6);
    l.handled_net = plan::kLandlockNetBindTcp | plan::kLandlockNetConnectTcp;
    l.paths = {{"/home", kReadRights | kExecRight}, {"/etc/hostname", kReadRights}, {"/tmp", keyword("write")}};
    l.ports = {{8080, plan::kLandlockNetBindTcp}, {8081, plan::kLandlockNetConnectTcp}};
    p.landlock = l;
    return p;
  }
  ProcessResult run(const plan::Plan& p, const std::vector<std::string>& command, std::vector<std::string> env = {}) {
    const std::string file = write_plan(p, scratch_->path() + "/plan.json");
    ::chmod(file.c_str(), 0644);
    std::vector<std::string> args = {file, "--"};
    args.insert(args.end(), command.begin(), command.end());
    return run_plan_exec(args, ProcessOptions{std::move(env), rootless() ? testsupport::kNobody : -1, 30});
  }

  std::unique_ptr<ScratchDir> scratch_;
  HostState before_;
};

TEST_P(LauncherLandlock, AccessesInsideTheRulesWorkAndOutsideAreRefused) {
  const auto r = run(landlocked(), {"/home/probe_landlock",
                                    "read", "/etc/hostname", "read", "/etc/passwd", "list", "/home", "list", "/etc",
                                    "write", "/tmp/inside", "write", "/dev/shm/outside", "mkdir", "/tmp/dir",
                                    "mkdir", "/dev/shm/dir", "exec", "/home/probe_landlock", "exec", "/bin/busybox",
                                    "bind", "8080", "bind", "8081", "connect", "8081", "connect", "8080"});
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_EQ(probe_value(r.out, "read:/etc/hostname"), "ok");
  EXPECT_EQ(probe_value(r.out, "read:/etc/passwd"), "EACCES");
  EXPECT_EQ(probe_value(r.out, "list:/home"), "ok");
  EXPECT_EQ(probe_value(r.out, "list:/etc"), "EACCES");
  EXPECT_EQ(probe_value(r.out, "write:/tmp/inside"), "ok");
  EXPECT_EQ(probe_value(r.out, "write:/dev/shm/outside"), "EACCES");
  EXPECT_EQ(probe_value(r.out, "mkdir:/tmp/dir"), "ok");
  EXPECT_EQ(probe_value(r.out, "mkdir:/dev/shm/dir"), "EACCES");
  EXPECT_EQ(probe_value(r.out, "exec:/home/probe_landlock"), "ok");
  EXPECT_EQ(probe_value(r.out, "exec:/bin/busybox"), "EACCES");
  EXPECT_EQ(probe_value(r.out, "bind:8080"), "ok");
  EXPECT_EQ(probe_value(r.out, "bind:8081"), "EACCES");
  EXPECT_EQ(probe_value(r.out, "connect:8081"), "ECONNREFUSED") << "allowed: nothing listens there";
  EXPECT_EQ(probe_value(r.out, "connect:8080"), "EACCES");
}

TEST_P(LauncherLandlock, WithoutTheSectionTheSameAccessesWork) {
  plan::Plan p = landlocked();
  p.landlock.reset();
  const auto r = run(p, {"/home/probe_landlock", "read", "/etc/passwd", "write", "/dev/shm/outside", "exec",
                         "/bin/busybox", "bind", "8081", "connect", "8080"});
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_EQ(probe_value(r.out, "read:/etc/passwd"), "ok");
  EXPECT_EQ(probe_value(r.out, "write:/dev/shm/outside"), "ok");
  EXPECT_EQ(probe_value(r.out, "exec:/bin/busybox"), "ok");
  EXPECT_EQ(probe_value(r.out, "bind:8081"), "ok");
  EXPECT_EQ(probe_value(r.out, "connect:8080"), "ECONNREFUSED");
}

TEST_P(LauncherLandlock, ScopedSignalsCannotLeaveTheSandbox) {
  // Under --init, pid 1 (plan-exec's init) is outside the command's Landlock domain.
  plan::Plan p = landlocked();
  p.landlock->scoped = plan::kLandlockScopeSignal;
  const auto file = write_plan(p, scratch_->path() + "/plan.json");
  ::chmod(file.c_str(), 0644);
  const auto r = run_plan_exec({"--init", file, "--", "/home/probe_landlock", "kill", "1"},
                               ProcessOptions{{}, rootless() ? testsupport::kNobody : -1, 30});
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_EQ(probe_value(r.out, "kill:1"), "EPERM") << r.summary();
  p.landlock->scoped = 0;
  write_plan(p, file);
  const auto control = run_plan_exec({"--init", file, "--", "/home/probe_landlock", "kill", "1"},
                                     ProcessOptions{{}, rootless() ? testsupport::kNobody : -1, 30});
  EXPECT_EQ(probe_value(control.out, "kill:1"), "ok") << control.summary();
}

TEST_P(LauncherLandlock, ARightBeyondTheKernelsAbiIsRefusedBeforeAnything) {
  plan::Plan p = landlocked();
  const auto r = run(p, {"/home/probe_landlock", "write", "/tmp/x"}, {"PLAN_EXEC_TEST_LANDLOCK_ABI=3"});
  EXPECT_EQ(r.exit_code, 125) << r.summary();
  EXPECT_NE(r.err.find("plan.landlock: this kernel's Landlock ABI is 3, which cannot enforce ioctl_dev (ABI 5), "
                       "bind_tcp, connect_tcp (ABI 4); run on a newer kernel, or add `best_effort`"),
            std::string::npos)
      << r.summary();
  EXPECT_EQ(r.out, "") << "the command must not have run";
}

TEST_P(LauncherLandlock, BestEffortRunsWithAWarningAndWhatTheAbiHasStillHolds) {
  plan::Plan p = landlocked();
  p.landlock->best_effort = true;
  const auto r = run(p, {"/home/probe_landlock", "read", "/etc/passwd", "bind", "8081"}, {"PLAN_EXEC_TEST_LANDLOCK_ABI=3"});
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_NE(r.err.find("warning: landlock: this kernel's Landlock ABI is 3; not enforced in this run (best_effort): "
                       "ioctl_dev (ABI 5), bind_tcp, connect_tcp (ABI 4)"),
            std::string::npos)
      << r.summary();
  EXPECT_EQ(probe_value(r.out, "read:/etc/passwd"), "EACCES") << "ABI 3 still restricts files";
  EXPECT_EQ(probe_value(r.out, "bind:8081"), "ok") << "ABI 3 has no network rights";
}

TEST_P(LauncherLandlock, ACommandTheSectionWouldNotStartIsRefusedUpFront) {
  plan::Plan p = landlocked();
  p.landlock->paths[0].access = kReadRights;  // /home: read, no execute
  const auto r = run(p, {"/home/probe_landlock", "read", "/etc/hostname"});
  EXPECT_EQ(r.exit_code, 126) << r.summary();
  EXPECT_NE(r.err.find("plan.landlock: the command /home/probe_landlock would not start: execve needs `execute` and "
                       "`read` (read_file) beneath it"),
            std::string::npos)
      << r.summary();
  EXPECT_EQ(r.out, "");
}

INSTANTIATE_TEST_SUITE_P(RootAndRootless, LauncherLandlock, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Rootless" : "Root"; });

}  // namespace
}  // namespace launcher_landlock_test
