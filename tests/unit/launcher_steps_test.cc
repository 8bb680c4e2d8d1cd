// SPDX-License-Identifier: Apache-2.0
// Pure parts of the launcher steps, no root needed: id maps, command resolution, plan
// validation, the child's error channel, the dry-run's order against the fault-injection list.
#include <gtest/gtest.h>
#include <linux/sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "launcher/dry_run.h"
#include "launcher/sequence.h"
#include "launcher/process/spawn.h"
#include "launcher/process/process_steps.h"
#include "launcher/rootfs/mount_steps.h"
#include "launcher/validate.h"
#include "tests/support/plan_builder.h"
#include "tests/support/plan_exec_runner.h"
#include "tests/support/rootfs.h"

using namespace launcher;
namespace fs = std::filesystem;

namespace {

TEST(LauncherUserns, RootlessMapsOnlyTheCallerOntoThePlansUser) {
  plan::User user;
  user.uid = 0;
  user.gid = 0;
  user.uid_map = {{0, 100000, 65536}};  // needs root: ignored when rootless
  IdMaps maps = choose_id_maps(user, true, 1000, 1001);
  EXPECT_EQ(maps.uid_map, "0 1000 1\n");
  EXPECT_EQ(maps.gid_map, "0 1001 1\n");
  EXPECT_TRUE(maps.deny_setgroups);
}

TEST(LauncherUserns, RootUsesThePlansMappingsOrTheCaller) {
  plan::User user;
  user.uid = 5;
  user.gid = 6;
  user.uid_map = {{0, 100000, 65536}, {70000, 300000, 10}};
  user.gid_map = {{0, 200000, 65536}};
  IdMaps maps = choose_id_maps(user, false, 0, 0);
  EXPECT_EQ(maps.uid_map, "0 100000 65536\n70000 300000 10\n");
  EXPECT_EQ(maps.gid_map, "0 200000 65536\n");
  EXPECT_TRUE(maps.deny_setgroups);  // no supplementary groups to set
  user.groups = {10};
  user.uid_map.clear();
  maps = choose_id_maps(user, false, 0, 0);
  EXPECT_EQ(maps.uid_map, "5 0 1\n");
  EXPECT_FALSE(maps.deny_setgroups);
  EXPECT_NE(describe_id_maps(maps).find("setgroups allow"), std::string::npos);
}

class LauncherResolve : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(scratch_.path() + "/root/bin");
    fs::create_directories(scratch_.path() + "/root/usr/bin");
    fs::create_directories(scratch_.path() + "/bound");
    testsupport::write_text(scratch_.path() + "/root/bin/tool", "#!/bin/sh\n", 0755);
    testsupport::write_text(scratch_.path() + "/root/usr/bin/data", "x", 0644);
    testsupport::write_text(scratch_.path() + "/bound/inside-bind", "#!/bin/sh\n", 0755);
    // An absolute symlink in the image must resolve inside it, never on the host.
    fs::create_symlink("/bin/tool", scratch_.path() + "/root/usr/bin/link-to-tool");
    fs::create_symlink("/bin/sh", scratch_.path() + "/root/usr/bin/host-sh");  // no /bin/sh in this root
  }
  std::string root() const { return scratch_.path() + "/root"; }
  int exit_code_of(const std::string& argv0, const std::string& path = "/usr/bin:/bin",
                   const std::vector<plan::Mount>& mounts = {}) {
    try {
      resolve_command(root(), argv0, path, mounts);
      return 0;
    } catch (const CommandError& e) {
      return e.exit_code();
    }
  }
  testsupport::ScratchDir scratch_{"launcher-resolve"};
};

TEST_F(LauncherResolve, FindsAbsoluteAndPathCommandsInsideTheRoot) {
  EXPECT_EQ(resolve_command(root(), "/bin/tool", "", {}), "/bin/tool");
  EXPECT_EQ(resolve_command(root(), "tool", "/usr/bin:/bin", {}), "/bin/tool");
  EXPECT_EQ(resolve_command(root(), "link-to-tool", "/usr/bin:/bin", {}), "/usr/bin/link-to-tool");
}

TEST_F(LauncherResolve, NotFoundIs127NotExecutableIs126) {
  EXPECT_EQ(exit_code_of("/bin/missing"), 127);
  EXPECT_EQ(exit_code_of("missing"), 127);
  EXPECT_EQ(exit_code_of("relative/tool"), 127);
  EXPECT_EQ(exit_code_of("/usr/bin/data"), 126);
  EXPECT_EQ(exit_code_of("data"), 126);
  EXPECT_EQ(exit_code_of("/usr/bin/host-sh"), 127) << "a symlink to a host path must not find the host's file";
}

TEST_F(LauncherResolve, LooksThroughBindMounts) {
  const auto bind = testsupport::bind_mount(scratch_.path() + "/bound", "/opt/app", true);
  EXPECT_EQ(resolve_command(root(), "/opt/app/inside-bind", "", {bind}), "/opt/app/inside-bind");
  EXPECT_EQ(resolve_command(root(), "inside-bind", "/opt/app", {bind}), "/opt/app/inside-bind");
}

class LauncherValidate : public ::testing::Test {
 protected:
  void SetUp() override { fs::create_directories(scratch_.path() + "/rootfs"); }
  plan::Plan good() const { return testsupport::container_plan(scratch_.path() + "/rootfs"); }
  std::string rejection(const plan::Plan& p, bool rootless = false) {
    try {
      validate_plan(p, rootless);
    } catch (const StepError& e) {
      EXPECT_EQ(e.step(), "validate");
      return e.what();
    }
    return "(accepted)";
  }
  testsupport::ScratchDir scratch_{"launcher-validate"};
};

TEST_F(LauncherValidate, AcceptsTheBasePlan) { EXPECT_EQ(rejection(good()), "(accepted)"); }

TEST_F(LauncherValidate, EachInconsistencyNamesItsKey) {
  plan::Plan p = good();
  p.rootfs->path = "relative";
  EXPECT_NE(rejection(p).find("plan.rootfs.path"), std::string::npos);
  p = good();
  p.rootfs->path = scratch_.path() + "/missing";
  EXPECT_NE(rejection(p).find("does not exist"), std::string::npos);
  p = good();
  p.rootfs->kind = plan::RootfsKind::Archive;
  p.rootfs->path = scratch_.path() + "/rootfs.tar";
  fs::create_directories(p.rootfs->path);
  EXPECT_NE(rejection(p).find("not a regular file"), std::string::npos);
  p = good();
  fs::create_directory_symlink("/", scratch_.path() + "/host-root");
  p.rootfs->path = scratch_.path() + "/host-root";  // a link to the host's root gives away the host
  EXPECT_NE(rejection(p).find("this host's root directory"), std::string::npos);
  p = good();
  p.namespaces = {plan::Namespace::Pid, plan::Namespace::Uts};
  EXPECT_NE(rejection(p).find("needs the mount namespace"), std::string::npos);
  p = good();
  p.namespaces = {plan::Namespace::Mount, plan::Namespace::Pid};
  EXPECT_NE(rejection(p).find("plan.hostname"), std::string::npos);
  p = good();
  p.namespaces = {plan::Namespace::Mount, plan::Namespace::Uts};
  EXPECT_NE(rejection(p).find("plan.mounts[0]"), std::string::npos) << "proc without a pid namespace";
  p = good();
  p.mounts.push_back(testsupport::bind_mount("/no/such/source", "/x", false));
  EXPECT_NE(rejection(p).find("plan.mounts[3].source"), std::string::npos);
  p = good();
  p.mounts.push_back(testsupport::tmpfs_mount("/a/../../etc"));
  EXPECT_NE(rejection(p).find("plan.mounts[3].target"), std::string::npos);
  p = good();
  p.capabilities = {999};
  EXPECT_NE(rejection(p).find("plan.capabilities[0]"), std::string::npos);
  p = good();
  p.cwd = "home";
  EXPECT_NE(rejection(p).find("plan.cwd"), std::string::npos);
  p = good();
  p.env = {"NOEQUALS"};
  EXPECT_NE(rejection(p).find("plan.env[0]"), std::string::npos);
  p = good();
  p.command.clear();
  EXPECT_NE(rejection(p).find("plan.command"), std::string::npos);
  p = good();
  p.network.mode = plan::NetworkMode::Loopback;
  EXPECT_NE(rejection(p).find("net namespace"), std::string::npos);
  p = good();
  p.seccomp = testsupport::seccomp_of(testsupport::errno_filter(1, 1), "allow");
  p.no_new_privs = false;
  EXPECT_NE(rejection(p).find("plan.no_new_privs"), std::string::npos);
}

TEST_F(LauncherValidate, RootlessRefusesWhatNeedsHostRoot) {
  plan::Plan p = good();
  p.cgroups = plan::Cgroups{};
  p.cgroups->parent = "plan-exec";
  EXPECT_NE(rejection(p, true).find("remove `limits`"), std::string::npos);
  p.cgroups->best_effort = true;  // a rootless run then goes without them (prepare_launch warns)
  EXPECT_EQ(rejection(p, true), "(accepted)");
  p = good();
  p.namespaces.push_back(plan::Namespace::Net);
  p.network.mode = plan::NetworkMode::Veth;
  EXPECT_NE(rejection(p, true).find("network loopback"), std::string::npos);
  p = good();
  p.user.groups = {10};
  EXPECT_NE(rejection(p, true).find("plan.user.groups"), std::string::npos);
  EXPECT_EQ(rejection(p, false), "(accepted)");
}

TEST(LauncherValidateCaller, RefusesSetuid) {
  EXPECT_THROW(refuse_setuid(1000, 0, 1000, 1000), StepError);
  EXPECT_THROW(refuse_setuid(1000, 1000, 1000, 0), StepError);
  EXPECT_NO_THROW(refuse_setuid(0, 0, 0, 0));
  EXPECT_NO_THROW(refuse_setuid(1000, 1000, 1000, 1000));
}

TEST(LauncherValidateCaller, RootlessAddsAUserNamespace) {
  plan::Plan p;
  p.namespaces = {plan::Namespace::Mount, plan::Namespace::Pid};
  EXPECT_EQ(clone_flags(effective_namespaces(p, false)), static_cast<unsigned long long>(CLONE_NEWNS | CLONE_NEWPID));
  EXPECT_EQ(clone_flags(effective_namespaces(p, true)),
            static_cast<unsigned long long>(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUSER));
  EXPECT_EQ(describe_clone_flags(CLONE_NEWNS | CLONE_NEWUSER), "CLONE_NEWNS|CLONE_NEWUSER");
}

TEST(LauncherErrorChannel, ARecordCrossesThePipeIntact) {
  Pipe p = make_pipe("test");
  send_child_error(p.write_fd, StepError("mounts", "mount proc at /x/proc", EACCES));
  ::close(p.write_fd);
  auto error = receive_child_error(p.read_fd);
  ::close(p.read_fd);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->step(), "mounts");
  EXPECT_EQ(error->error_number(), EACCES);
  EXPECT_EQ(error->describe(), "mount proc at /x/proc: Permission denied (step: mounts)");
}

TEST(LauncherErrorChannel, EofMeansTheCommandWasExecuted) {
  Pipe p = make_pipe("test");
  ::close(p.write_fd);
  EXPECT_FALSE(receive_child_error(p.read_fd).has_value());
  ::close(p.read_fd);
}

TEST(LauncherErrorChannel, RawRecordForExecFailures) {
  Pipe p = make_pipe("test");
  send_child_error_raw(p.write_fd, ENOENT, "exec", "execute", "/bin/x");
  ::close(p.write_fd);
  auto error = receive_child_error(p.read_fd);
  ::close(p.read_fd);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->describe(), "execute /bin/x: No such file or directory (step: exec)");
}

TEST(LauncherDryRun, PrintsTheParentStepsInTheOrderOfTheFaultList) {
  // Runs the real binary's --dry-run (no root needed: nothing is done) on a full plan.
  testsupport::ScratchDir scratch("launcher-dry-run");
  fs::create_directories(scratch.path() + "/rootfs/home");
  fs::copy_file(std::string(TEST_PROGRAMS_DIR) + "/probe", scratch.path() + "/rootfs/home/probe");
  plan::Plan p = testsupport::container_plan(scratch.path() + "/rootfs");
  p.seccomp = testsupport::seccomp_of(testsupport::errno_filter(1, 1), "allow");
  const std::string file = testsupport::write_plan(p, scratch.path() + "/plan.json");
  auto r = testsupport::run_plan_exec({"--dry-run", file});
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  std::size_t last = 0;
  for (const auto& step : parent_step_names()) {
    const std::size_t at = r.out.find("\n  " + step + " ", last);
    if (at == std::string::npos) continue;  // steps with nothing to do are not printed
    EXPECT_GE(at, last) << step;
    last = at;
  }
  // Seccomp is the last step before execve.
  const std::size_t seccomp = r.out.find("    seccomp ");
  const std::size_t execve = r.out.find("    execve ");
  ASSERT_NE(seccomp, std::string::npos) << r.out;
  EXPECT_LT(seccomp, execve);
  EXPECT_EQ(r.out.find("\n    ", execve + 1) , std::string::npos) << "nothing after execve in the child";
}

}  // namespace
