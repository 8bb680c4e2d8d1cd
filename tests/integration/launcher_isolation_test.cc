// SPDX-License-Identifier: Apache-2.0
// plan-exec end to end, as root: the container sees only itself, keeps only what the plan
// keeps, and exits the way its command did. Plans are built in C++ (tests/support).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <csignal>

#include "tests/support/host_state.h"
#include "tests/support/plan_builder.h"
#include "tests/support/plan_exec_runner.h"
#include "tests/support/rootfs.h"
#include "tests/support/rootfs_suite.h"

using namespace testsupport;

namespace {

class LauncherIsolation : public HostCheckedSuite<LauncherIsolation> {
 public:
  static constexpr const char* kScratch = "launcher-isolation";

 protected:
  static void SetUpTestSuite() {
    HostCheckedSuite::SetUpTestSuite();
    if (scratch_) write_text(scratch_->path() + "/outside.txt", "host only\n");
  }
  static plan::Plan base() { return container_plan(rootfs()); }
  static ProcessResult run(const plan::Plan& p, std::vector<std::string> extra = {}) {
    const std::string file = write_plan(p, scratch_->path() + "/plan.json");
    extra.insert(extra.begin(), file);
    return run_plan_exec(extra);
  }
};

// pid 1 is plan-exec's minimal init (the default), the command its first child.
TEST_F(LauncherIsolation, CommandIsPid2UnderInitWithThePlansHostname) {
  auto r = run(base());
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_EQ(probe_value(r.out, "pid"), "2") << r.out;
  EXPECT_EQ(probe_value(r.out, "ppid"), "1") << r.out;
  EXPECT_EQ(probe_value(r.out, "hostname"), "probe-box");
  EXPECT_EQ(probe_value(r.out, "uid"), "0");
  EXPECT_EQ(probe_value(r.out, "cwd"), "/");
}

TEST_F(LauncherIsolation, PsShowsOnlyTheContainersProcesses) {
  plan::Plan p = base();
  p.command = {"/bin/ps"};
  auto r = run(p);
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  // Header, the init (pid 1) and ps itself (pid 2).
  int lines = 0;
  for (char c : r.out) lines += c == '\n';
  EXPECT_EQ(lines, 3) << r.out;
  EXPECT_NE(r.out.find("    1 "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("    2 "), std::string::npos) << r.out;
}

TEST_F(LauncherIsolation, HostFilesAreUnreachable) {
  plan::Plan p = base();
  p.command = {"/home/probe", "exists", scratch_->path() + "/outside.txt", "exists", "/etc/secret-in-rootfs",
               "exists", "/proc/1/root" + scratch_->path(), "exists", "/work"};
  auto r = run(p);
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_EQ(probe_value(r.out, "exists:" + scratch_->path() + "/outside.txt"), "no");
  EXPECT_EQ(probe_value(r.out, "exists:/etc/secret-in-rootfs"), "yes");
  EXPECT_EQ(probe_value(r.out, "exists:/proc/1/root" + scratch_->path()), "no");
  EXPECT_EQ(probe_value(r.out, "exists:/work"), "no");
}

TEST_F(LauncherIsolation, MaskedAndReadonlyPaths) {
  plan::Plan p = base();
  p.mounts.push_back(tmpfs_mount("/mnt"));
  p.masked_paths = {"/etc/secret-in-rootfs", "/root", "/proc/kcore", "/does/not/exist"};
  p.readonly_paths = {"/proc/sys", "/mnt"};
  write_text(rootfs() + "/root/in-root-dir", "x");
  p.command = {"/home/probe", "read",  "/etc/secret-in-rootfs", "exists", "/root/in-root-dir", "write",
               "/root/new",   "write", "/mnt/file",             "write",  "/proc/sys/kernel/hostname", "write",
               "/tmp/file"};
  auto r = run(p);
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_EQ(probe_value(r.out, "exists:/root/in-root-dir"), "no") << r.out;
  EXPECT_EQ(probe_value(r.out, "write:/root/new"), "EROFS");
  EXPECT_EQ(probe_value(r.out, "write:/mnt/file"), "EROFS");
  EXPECT_EQ(probe_value(r.out, "write:/proc/sys/kernel/hostname"), "EROFS");
  EXPECT_EQ(probe_value(r.out, "write:/tmp/file"), "ok");
  // The masked file reads as /dev/null: opened fine, no content.
  p.command = {"/bin/cat", "/etc/secret-in-rootfs"};
  r = run(p);
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_EQ(r.out, "");
}

TEST_F(LauncherIsolation, ReadonlyRootfs) {
  plan::Plan p = base();
  p.rootfs->readonly = true;
  p.command = {"/home/probe", "write", "/etc/new-file", "write", "/tmp/new-file", "write", "/dev/null"};
  auto r = run(p);
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_EQ(probe_value(r.out, "write:/etc/new-file"), "EROFS");
  EXPECT_EQ(probe_value(r.out, "write:/tmp/new-file"), "ok");
  EXPECT_EQ(probe_value(r.out, "write:/dev/null"), "ok");
  EXPECT_FALSE(access((rootfs() + "/etc/new-file").c_str(), F_OK) == 0);
}

TEST_F(LauncherIsolation, CapabilitiesNoNewPrivsAndSeccompAsStatusShowsThem) {
  plan::Plan p = base();
  p.capabilities = {10};  // CAP_NET_BIND_SERVICE
  p.seccomp = seccomp_of(errno_filter(SYS_getpriority, EACCES), "allow");
  p.command = {"/home/probe", "status", "syscall", std::to_string(SYS_getpriority), "0", "0"};
  auto r = run(p);
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  for (const char* set : {"CapEff", "CapPrm", "CapInh", "CapBnd", "CapAmb"}) {
    EXPECT_EQ(probe_value(r.out, set), "0000000000000400") << set << "\n" << r.out;
  }
  EXPECT_EQ(probe_value(r.out, "NoNewPrivs"), "1");
  EXPECT_EQ(probe_value(r.out, "Seccomp"), "2");
  EXPECT_EQ(probe_value(r.out, "syscall:" + std::to_string(SYS_getpriority)), "-1 errno=13");
}

TEST_F(LauncherIsolation, NoCapabilitiesKeptMeansEmptySets) {
  plan::Plan p = base();
  auto r = run(p);
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  for (const char* set : {"CapEff", "CapPrm", "CapInh", "CapBnd", "CapAmb"}) {
    EXPECT_EQ(probe_value(r.out, set), "0000000000000000") << set;
  }
}

TEST_F(LauncherIsolation, SeccompKillActionKillsTheCommand) {
  plan::Plan p = base();
  p.seccomp = seccomp_of(kill_filter(SYS_getpriority), "allow");
  p.command = {"/home/probe", "syscall", std::to_string(SYS_getpriority), "0", "0"};
  auto r = run(p);
  EXPECT_EQ(r.exit_code, 128 + SIGSYS) << r.summary();
  EXPECT_EQ(r.out.find("syscall:"), std::string::npos);
}

TEST_F(LauncherIsolation, SwitchesToThePlansUserAndGroups) {
  plan::Plan p = base();
  p.user.uid = 1000;
  p.user.gid = 1000;
  p.user.groups = {10, 20};
  p.capabilities = {10};
  p.cwd = "/home";
  auto r = run(p);
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_EQ(probe_value(r.out, "uid"), "1000");
  EXPECT_EQ(probe_value(r.out, "euid"), "1000");
  EXPECT_EQ(probe_value(r.out, "gid"), "1000");
  EXPECT_EQ(probe_value(r.out, "groups"), "10,20");
  EXPECT_EQ(probe_value(r.out, "cwd"), "/home");
  EXPECT_EQ(probe_value(r.out, "CapEff"), "0000000000000400");  // kept through ambient
}

TEST_F(LauncherIsolation, EnvironmentIsExactlyThePlans) {
  plan::Plan p = base();
  p.env = {"PATH=/bin", "ONLY=this"};
  p.command = {"probe", "env"};
  p.env[0] = "PATH=/home:/bin";
  auto r = run(p);
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_EQ(r.out, "env:PATH=/home:/bin\nenv:ONLY=this\n");
}

TEST_F(LauncherIsolation, OnlyStandardDescriptorsReachTheCommand) {
  // A descriptor leaked into plan-exec (not O_CLOEXEC) must not reach the container.
  int leaked = open("/", O_RDONLY | O_DIRECTORY);
  ASSERT_GE(leaked, 3);
  plan::Plan p = base();
  p.command = {"/home/probe", "fds"};
  auto r = run(p);
  close(leaked);
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_EQ(probe_value(r.out, "fds"), "0,1,2");
}

TEST_F(LauncherIsolation, RlimitsAndMinimalDev) {
  plan::Plan p = base();
  p.rlimits = {plan::Rlimit{RLIMIT_NOFILE, "nofile", 100, 200}};
  p.command = {"/bin/sh", "-c", "grep 'open files' /proc/self/limits; ls /dev | tr '\\n' ' '"};
  p.command = {"/bin/sh", "-c", "grep 'open files' /proc/self/limits; ls /dev"};
  auto r = run(p);
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_NE(r.out.find("100                  200"), std::string::npos) << r.out;
  for (const char* dev : {"null\n", "zero\n", "full\n", "random\n", "urandom\n", "tty\n", "pts\n", "ptmx\n", "shm\n"}) {
    EXPECT_NE(r.out.find(dev), std::string::npos) << dev << " missing from /dev:\n" << r.out;
  }
  EXPECT_EQ(r.out.find("sda"), std::string::npos);
}

TEST_F(LauncherIsolation, BindMountsReadonlyAndReadwrite) {
  const std::string data = scratch_->path() + "/data";
  mkdir(data.c_str(), 0755);
  plan::Plan p = base();
  p.mounts.push_back(bind_mount(data, "/data-ro", true));
  p.mounts.push_back(bind_mount(data, "/data-rw", false));
  p.command = {"/home/probe", "write", "/data-ro/a", "write", "/data-rw/b"};
  auto r = run(p);
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_EQ(probe_value(r.out, "write:/data-ro/a"), "EROFS");
  EXPECT_EQ(probe_value(r.out, "write:/data-rw/b"), "ok");
  EXPECT_EQ(access((data + "/b").c_str(), F_OK), 0);
}

TEST_F(LauncherIsolation, ChrootWhenThePlanAsksForIt) {
  plan::Plan p = base();
  p.rootfs->use_chroot = true;
  p.command = {"/home/probe", "exists", "/etc/secret-in-rootfs", "exists", "/work"};
  auto r = run(p);
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_EQ(probe_value(r.out, "exists:/etc/secret-in-rootfs"), "yes");
  EXPECT_EQ(probe_value(r.out, "exists:/work"), "no");
}

}  // namespace

namespace {

TEST_F(LauncherIsolation, RootWithAUserNamespaceUsesThePlansMappings) {
  const std::string out = scratch_->path() + "/userns-out";
  mkdir(out.c_str(), 0755);
  ASSERT_EQ(chown(out.c_str(), 101000, 101000), 0);
  plan::Plan p = base();
  p.namespaces.push_back(plan::Namespace::User);
  p.user.uid = 1000;
  p.user.gid = 1000;
  p.user.uid_map = {{0, 100000, 65536}};
  p.user.gid_map = {{0, 100000, 65536}};
  p.mounts.push_back(bind_mount(out, "/out", false));
  mkdir((rootfs() + "/out").c_str(), 0755);
  p.command = {"/home/probe", "status", "write", "/out/by-1000"};
  auto r = run(p);
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_EQ(probe_value(r.out, "uid"), "1000");
  EXPECT_EQ(probe_value(r.out, "write:/out/by-1000"), "ok");
  struct stat st {};
  ASSERT_EQ(stat((out + "/by-1000").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 101000u) << "uid 1000 inside is 101000 outside";
}

}  // namespace
