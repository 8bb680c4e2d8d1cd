// SPDX-License-Identifier: Apache-2.0
// The mount steps (rootfs/mounts.cc, paths.cc, devices.cc, rootfs.cc and the host/ helpers they
// share: safe_path.cc, mount_util.cc) run against the recording fake: the exact calls, their
// arguments and their order, and what a failing call becomes (a StepError naming the step, the
// target and the errno). No root, no side effect: the fake makes no system call, and its
// descriptors (100, 101, ...) are closed through it, never for real.
//
// Reading the expected lines: every target is resolved inside the root first: "/r" opened
// O_PATH, then openat2(RESOLVE_IN_ROOT) of the path relative to it, and the mount goes to that
// descriptor's /proc/self/fd/N name.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "launcher/host/error.h"
#include "launcher/host/kernel.h"
#include "launcher/host/mount_util.h"
#include "launcher/host/safe_path.h"
#include "launcher/rootfs/mount_steps.h"
#include "launcher/rootfs/rootfs_steps.h"
#include "tests/support/plan_builder.h"
#include "tests/support/recording_kernel.h"
#include "tests/support/step_errors.h"

using launcher::StepError;
using testsupport::RecordingKernel;
using Calls = std::vector<std::string>;

namespace {

using testsupport::step_error;
constexpr auto expect_error = testsupport::expect_step_error;

// The lines of opening `relative` inside "/r" with the root descriptor `fd` and the result fd+1.
Calls resolve(int fd, const std::string& relative, const std::string& extra_flags = "") {
  return {"openat(AT_FDCWD, /r, O_DIRECTORY|O_CLOEXEC|O_PATH)",
          "openat2(" + std::to_string(fd) + ", " + relative + ", {" + extra_flags + "O_CLOEXEC|O_PATH, " +
              "RESOLVE_NO_MAGICLINKS|RESOLVE_IN_ROOT})",
          "close(" + std::to_string(fd) + ")"};
}

Calls concat(std::initializer_list<Calls> parts) {
  Calls all;
  for (const auto& p : parts) all.insert(all.end(), p.begin(), p.end());
  return all;
}

struct stat node(mode_t mode, dev_t rdev = 0, gid_t gid = 0) {
  struct stat st {};
  st.st_mode = mode;
  st.st_rdev = rdev;
  st.st_gid = gid;
  return st;
}

// ---- host/safe_path.cc ---------------------------------------------------------------------

TEST(LauncherSafePath, OpensInsideTheRootAndClosesThroughTheKernel) {
  RecordingKernel k;
  {
    launcher::Fd fd = launcher::open_in_root(k, "/r", "/proc/sys", O_DIRECTORY);
    EXPECT_EQ(fd.get(), 101);
    EXPECT_EQ(launcher::fd_path(fd), "/proc/self/fd/101");
  }
  EXPECT_EQ(k.calls(), concat({resolve(100, "proc/sys", "O_DIRECTORY|"), {"close(101)"}}));
}

TEST(LauncherSafePath, ARootFdScopeResolvesFromOneHeldDescriptorOfThatKernelAndRoot) {
  RecordingKernel k;
  {
    launcher::RootFdScope scope(k, "/r");
    launcher::open_in_root(k, "/r", "/a");
    launcher::open_in_root(k, "/r", "/");
    launcher::open_in_root(k, "/other", "/b");  // another root: opened per call
  }
  EXPECT_EQ(k.calls(), (Calls{"openat(AT_FDCWD, /r, O_DIRECTORY|O_CLOEXEC|O_PATH)",
                              "openat2(100, a, {O_CLOEXEC|O_PATH, RESOLVE_NO_MAGICLINKS|RESOLVE_IN_ROOT})", "close(101)",
                              "openat2(100, ., {O_CLOEXEC|O_PATH, RESOLVE_NO_MAGICLINKS|RESOLVE_IN_ROOT})", "close(102)",
                              "openat(AT_FDCWD, /other, O_DIRECTORY|O_CLOEXEC|O_PATH)",
                              "openat2(103, b, {O_CLOEXEC|O_PATH, RESOLVE_NO_MAGICLINKS|RESOLVE_IN_ROOT})", "close(103)",
                              "close(104)", "close(100)"}));
}

TEST(LauncherSafePath, MakeInRootCreatesTheMissingDirectoriesThroughTheirDescriptors) {
  RecordingKernel k;
  k.fail("openat2(100, mnt/data", ENOENT, 1);
  { launcher::make_in_root(k, "/r", "/mnt/data", true, "mounts"); }
  EXPECT_EQ(k.calls(), concat({resolve(100, "mnt/data"), resolve(101, "mnt"),
                               {"openat(AT_FDCWD, /proc/self/fd/102, O_RDONLY|O_DIRECTORY|O_CLOEXEC)",
                                "mkdirat(103, data, 0755)"},
                               resolve(104, "mnt/data"), {"close(103)", "close(102)", "close(105)"}}));
}

TEST(LauncherSafePath, MakeInRootMakesAnEmptyFileForAFileAndSaysWhenItCannot) {
  RecordingKernel k;
  k.fail("openat2(100, etc/hosts", ENOENT, 1);
  { launcher::make_in_root(k, "/r", "/etc/hosts", false, "mounts"); }
  EXPECT_EQ(k.calls(), concat({resolve(100, "etc/hosts"), resolve(101, "etc"),
                               {"openat(AT_FDCWD, /proc/self/fd/102, O_RDONLY|O_DIRECTORY|O_CLOEXEC)",
                                "openat(103, hosts, O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, 0644)", "close(104)"},
                               resolve(105, "etc/hosts"), {"close(103)", "close(102)", "close(106)"}}));
  RecordingKernel ro;
  ro.fail("openat2(100, etc/hosts", ENOENT, 1);
  ro.fail("openat(103, hosts", EROFS);
  expect_error(step_error([&] { launcher::make_in_root(ro, "/r", "/etc/hosts", false, "mounts"); }), "mounts",
               "create mount point /r/etc/hosts (the rootfs must be writable for missing mount points, or create it "
               "in the image)",
               EROFS);
}

// ---- host/mount_util.cc --------------------------------------------------------------------

TEST(LauncherMountUtil, AddsFlagsWithMountSetattrAndNothingWhenThereIsNothingToAdd) {
  RecordingKernel k;
  launcher::add_mount_flags(k, "/m", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_BIND, true, "s", "w");
  launcher::add_mount_flags(k, "/m", MS_BIND | MS_REC, false, "s", "w");
  launcher::set_readonly(k, "/n", false, "s", "w");
  EXPECT_EQ(k.calls(), (Calls{"mount_setattr(AT_FDCWD, /m, AT_RECURSIVE, {set=MOUNT_ATTR_RDONLY|MOUNT_ATTR_NOSUID|"
                              "MOUNT_ATTR_NODEV|MOUNT_ATTR_NOEXEC, clr=0})",
                              "mount_setattr(AT_FDCWD, /n, 0, {set=MOUNT_ATTR_RDONLY, clr=0})"}));
}

TEST(LauncherMountUtil, OldKernelsRemountRepeatingTheFlagsTheMountHas) {
  RecordingKernel k;
  k.fail("mount_setattr", ENOSYS);
  launcher::add_mount_flags(k, "/m", MS_RDONLY, true, "s", "w");
  EXPECT_EQ(k.calls(), (Calls{"mount_setattr(AT_FDCWD, /m, AT_RECURSIVE, {set=MOUNT_ATTR_RDONLY, clr=0})",
                              "statvfs(/m)", "mount(NULL, /m, NULL, MS_RDONLY|MS_REMOUNT|MS_BIND, NULL)"}));
  k.fail("mount(NULL", EPERM);
  expect_error(step_error([&] { launcher::add_mount_flags(k, "/m", MS_NODEV, false, "paths", "make /m nodev"); }),
               "paths", "make /m nodev", EPERM);
}

TEST(LauncherMountUtil, AnyOtherMountSetattrFailureIsTheStepsError) {
  RecordingKernel k;
  k.fail("mount_setattr", EPERM);
  expect_error(step_error([&] { launcher::add_mount_flags(k, "/m", MS_RDONLY, true, "rootfs", "what"); }), "rootfs",
               "what", EPERM);
  EXPECT_EQ(k.calls().size(), 1u);
}

// ---- rootfs/mounts.cc ----------------------------------------------------------------------

TEST(LauncherMountOne, MakesMountsPrivateFirst) {
  RecordingKernel k;
  launcher::make_mounts_private(k);
  EXPECT_EQ(k.calls(), (Calls{"mount(NULL, /, NULL, MS_REC|MS_PRIVATE, NULL)"}));
}

TEST(LauncherMountOne, ProcOnItsResolvedTarget) {
  RecordingKernel k;
  launcher::mount_one(k, testsupport::proc_mount(), "/r", false);
  EXPECT_EQ(k.calls(), concat({resolve(100, "proc"),
                               {"mount(proc, /proc/self/fd/101, proc, MS_NOSUID|MS_NODEV|MS_NOEXEC, NULL)", "close(101)"}}));
}

TEST(LauncherMountOne, SysfsWithItsReadOnlyFlagsInTheFirstCall) {
  RecordingKernel k;
  launcher::mount_one(k, testsupport::sysfs_mount(), "/r", true);
  EXPECT_EQ(k.calls(),
            concat({resolve(100, "sys"),
                    {"mount(sysfs, /proc/self/fd/101, sysfs, MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC, NULL)", "close(101)"}}));
}

TEST(LauncherMountOne, SysfsRefusedInAUserNamespaceBindsTheHostsSysReadOnly) {
  RecordingKernel k;
  k.fail("mount(sysfs", EPERM);
  launcher::mount_one(k, testsupport::sysfs_mount(), "/r", true);
  EXPECT_EQ(k.calls(),
            concat({resolve(100, "sys"),
                    {"mount(sysfs, /proc/self/fd/101, sysfs, MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC, NULL)",
                     "mount(/sys, /proc/self/fd/101, NULL, MS_BIND|MS_REC, NULL)"},
                    resolve(102, "sys"),
                    {"mount_setattr(AT_FDCWD, /proc/self/fd/103, AT_RECURSIVE, {set=MOUNT_ATTR_RDONLY|"
                     "MOUNT_ATTR_NOSUID|MOUNT_ATTR_NODEV|MOUNT_ATTR_NOEXEC, clr=0})",
                     "close(103)", "close(101)"}}));
}

TEST(LauncherMountOne, SysfsRefusedOutsideAUserNamespaceIsAnError) {
  RecordingKernel k;
  k.fail("mount(sysfs", EPERM);
  expect_error(step_error([&] { launcher::mount_one(k, testsupport::sysfs_mount(), "/r", false); }), "mounts",
               "mount sysfs at /r/sys", EPERM);
  EXPECT_EQ(k.calls().back(), "close(101)");  // the target's descriptor does not leak
}

TEST(LauncherMountOne, TmpfsWithItsOptionsAndAReadOnlyPassOnlyWhenAsked) {
  RecordingKernel k;
  launcher::mount_one(k, testsupport::tmpfs_mount("/tmp"), "/r", false);
  plan::Mount ro = testsupport::tmpfs_mount("/etc/conf", "size=1m");
  ro.readonly = true;
  launcher::mount_one(k, ro, "/r", false);
  EXPECT_EQ(k.calls(),
            concat({resolve(100, "tmp"),
                    {"mount(tmpfs, /proc/self/fd/101, tmpfs, MS_NOSUID|MS_NODEV, \"mode=1777\")", "close(101)"},
                    resolve(102, "etc/conf"),
                    {"mount(tmpfs, /proc/self/fd/103, tmpfs, MS_NOSUID|MS_NODEV, \"size=1m\")"},
                    resolve(104, "etc/conf"),
                    {"mount_setattr(AT_FDCWD, /proc/self/fd/105, 0, {set=MOUNT_ATTR_RDONLY, clr=0})", "close(105)",
                     "close(103)"}}));
}

TEST(LauncherMountOne, NodevIsAddedToEveryKindButDevpts) {
  RecordingKernel k;
  const plan::Mount mqueue{plan::MountKind::Mqueue, "", "/dev/mqueue", "", MS_NOSUID | MS_NOEXEC, "", false};
  const plan::Mount devpts{plan::MountKind::Devpts, "devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
                           "newinstance", false};
  launcher::mount_one(k, mqueue, "/r", false);
  launcher::mount_one(k, devpts, "/r", false);
  EXPECT_EQ(k.calls(),
            concat({resolve(100, "dev/mqueue"),
                    {"mount(mqueue, /proc/self/fd/101, mqueue, MS_NOSUID|MS_NODEV|MS_NOEXEC, NULL)", "close(101)"},
                    resolve(102, "dev/pts"),
                    {"mount(devpts, /proc/self/fd/103, devpts, MS_NOSUID|MS_NOEXEC, \"newinstance\")", "close(103)"}}));
}

TEST(LauncherMountOne, ABindThenItsReadOnlyNodevPassOnTheNewMount) {
  RecordingKernel k;
  k.files["/host/data"] = node(S_IFDIR | 0755);
  launcher::mount_one(k, testsupport::bind_mount("/host/data", "/data", true), "/r", false);
  EXPECT_EQ(k.calls(), concat({{"fstatat(AT_FDCWD, /host/data, 0)"},
                               resolve(100, "data"),
                               {"mount(/host/data, /proc/self/fd/101, NULL, MS_BIND|MS_REC, NULL)"},
                               resolve(102, "data"),
                               {"mount_setattr(AT_FDCWD, /proc/self/fd/103, AT_RECURSIVE, "
                                "{set=MOUNT_ATTR_RDONLY|MOUNT_ATTR_NODEV, clr=0})",
                                "close(103)", "close(101)"}}));
}

TEST(LauncherMountOne, ABindOfAFileMakesAFileMountPoint) {
  RecordingKernel k;
  k.files["/etc/resolv.conf"] = node(S_IFREG | 0644);
  k.fail("openat2(100, etc/resolv.conf", ENOENT, 1);
  launcher::mount_one(k, testsupport::bind_mount("/etc/resolv.conf", "/etc/resolv.conf", false), "/r", false);
  EXPECT_EQ(k.calls(),
            concat({{"fstatat(AT_FDCWD, /etc/resolv.conf, 0)"}, resolve(100, "etc/resolv.conf"), resolve(101, "etc"),
                    {"openat(AT_FDCWD, /proc/self/fd/102, O_RDONLY|O_DIRECTORY|O_CLOEXEC)",
                     "openat(103, resolv.conf, O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, 0644)", "close(104)"},
                    resolve(105, "etc/resolv.conf"),
                    {"close(103)", "close(102)",
                     "mount(/etc/resolv.conf, /proc/self/fd/106, NULL, MS_BIND|MS_REC, NULL)"},
                    resolve(107, "etc/resolv.conf"),
                    {"mount_setattr(AT_FDCWD, /proc/self/fd/108, AT_RECURSIVE, {set=MOUNT_ATTR_NODEV, clr=0})",
                     "close(108)", "close(106)"}}));
}

TEST(LauncherMountOne, FailuresNameTheStepTheTargetAndTheErrno) {
  RecordingKernel a;
  expect_error(step_error([&] { launcher::mount_one(a, testsupport::bind_mount("/gone", "/data", false), "/r", false); }),
               "mounts", "bind mount source /gone", ENOENT);
  RecordingKernel b;
  b.files["/host/data"] = node(S_IFDIR | 0755);
  b.fail("mount(/host/data", EACCES);
  expect_error(
      step_error([&] { launcher::mount_one(b, testsupport::bind_mount("/host/data", "/data", true), "/r", false); }),
      "mounts", "bind /host/data at /r/data", EACCES);
  RecordingKernel c;
  c.files["/host/data"] = node(S_IFDIR | 0755);
  c.fail("mount_setattr", EPERM);
  expect_error(
      step_error([&] { launcher::mount_one(c, testsupport::bind_mount("/host/data", "/data", true), "/r", false); }),
      "mounts", "make read-only: /r/data", EPERM);
  RecordingKernel d;
  d.fail("mount(tmpfs", ENOMEM);
  expect_error(step_error([&] { launcher::mount_one(d, testsupport::tmpfs_mount("/tmp"), "/r", false); }), "mounts",
               "mount tmpfs at /r/tmp (options \"mode=1777\")", ENOMEM);
  RecordingKernel e;
  e.fail("openat2", EACCES);
  expect_error(step_error([&] { launcher::mount_one(e, testsupport::proc_mount(), "/r", false); }), "mounts",
               "open /r/proc inside the rootfs", EACCES);
}

// ---- rootfs/paths.cc -----------------------------------------------------------------------

TEST(LauncherPaths, AMaskedFileGetsDevNullBoundOverIt) {
  RecordingKernel k;
  k.files["/proc/self/fd/101"] = node(S_IFREG | 0400);
  launcher::mask_paths(k, {"/proc/kcore"}, "/r");
  EXPECT_EQ(k.calls(), concat({resolve(100, "proc/kcore"),
                               {"fstatat(101, \"\", AT_EMPTY_PATH)",
                                "mount(/dev/null, /proc/self/fd/101, NULL, MS_BIND, NULL)", "close(101)"}}));
}

TEST(LauncherPaths, AMaskedDirectoryGetsAnEmptyReadOnlyNodevTmpfs) {
  RecordingKernel k;
  k.files["/proc/self/fd/101"] = node(S_IFDIR | 0555);
  launcher::mask_paths(k, {"/proc/acpi"}, "/r");
  EXPECT_EQ(k.calls(),
            concat({resolve(100, "proc/acpi"),
                    {"fstatat(101, \"\", AT_EMPTY_PATH)",
                     "mount(tmpfs, /proc/self/fd/101, tmpfs, MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC, \"size=0,mode=500\")",
                     "close(101)"}}));
}

TEST(LauncherPaths, WhatDoesNotExistIsSkippedAnyOtherOpenFailureIsAnError) {
  RecordingKernel k;
  k.fail("openat2", ENOENT);
  launcher::mask_paths(k, {"/proc/kcore"}, "/r");
  launcher::make_paths_readonly(k, {"/proc/sys"}, "/r");
  EXPECT_EQ(k.calls(), concat({resolve(100, "proc/kcore"), resolve(101, "proc/sys")}));
  RecordingKernel denied;
  denied.fail("openat2", EACCES);
  expect_error(step_error([&] { launcher::mask_paths(denied, {"/proc/kcore"}, "/r"); }), "paths",
               "open masked path /r/proc/kcore", EACCES);
  expect_error(step_error([&] { launcher::make_paths_readonly(denied, {"/proc/sys"}, "/r"); }), "paths",
               "open read-only path /r/proc/sys", EACCES);
}

TEST(LauncherPaths, AReadOnlyPathIsBoundOntoItselfThenMadeReadOnlyAndNodev) {
  RecordingKernel k;
  launcher::make_paths_readonly(k, {"/proc/sys", "/dev/fuse"}, "/r");
  EXPECT_EQ(k.calls(),
            concat({resolve(100, "proc/sys"),
                    {"mount(/proc/self/fd/101, /proc/self/fd/101, NULL, MS_BIND|MS_REC, NULL)"},
                    resolve(102, "proc/sys"),
                    {"mount_setattr(AT_FDCWD, /proc/self/fd/103, AT_RECURSIVE, "
                     "{set=MOUNT_ATTR_RDONLY|MOUNT_ATTR_NODEV, clr=0})",
                     "close(103)", "close(101)"},
                    // Under /dev: read-only, not nodev (a granted node must still open).
                    resolve(104, "dev/fuse"),
                    {"mount(/proc/self/fd/105, /proc/self/fd/105, NULL, MS_BIND|MS_REC, NULL)"},
                    resolve(106, "dev/fuse"),
                    {"mount_setattr(AT_FDCWD, /proc/self/fd/107, AT_RECURSIVE, {set=MOUNT_ATTR_RDONLY, clr=0})",
                     "close(107)", "close(105)"}}));
}

TEST(LauncherPaths, AFailingMountNamesThePath) {
  RecordingKernel a;
  a.files["/proc/self/fd/101"] = node(S_IFREG | 0400);
  a.fail("mount(/dev/null", EACCES);
  expect_error(step_error([&] { launcher::mask_paths(a, {"/proc/kcore"}, "/r"); }), "paths",
               "mask /r/proc/kcore by binding /dev/null over it", EACCES);
  RecordingKernel b;
  b.fail("mount_setattr", EPERM);
  expect_error(step_error([&] { launcher::make_paths_readonly(b, {"/proc/sys"}, "/r"); }), "paths",
               "make /r/proc/sys read-only", EPERM);
}

// ---- rootfs/devices.cc ---------------------------------------------------------------------

constexpr const char* kDefaultNodes[] = {"null", "zero", "full", "random", "urandom", "tty"};

void script_host_dev(RecordingKernel& k) {
  const dev_t numbers[] = {makedev(1, 3), makedev(1, 5), makedev(1, 7), makedev(1, 8), makedev(1, 9), makedev(5, 0)};
  for (int i = 0; i < 6; ++i) {
    k.files[std::string("/dev/") + kDefaultNodes[i]] = node(S_IFCHR | 0666, numbers[i], i == 5 ? 5 : 0);
  }
  k.files["/dev/net/tun"] = node(S_IFCHR | 0666, makedev(10, 200));
}

// The tmpfs at /r/dev and its reopened descriptor 103.
Calls dev_tmpfs() {
  return concat({resolve(100, "dev"),
                 {"mount(tmpfs, /proc/self/fd/101, tmpfs, MS_NOSUID|MS_STRICTATIME, \"mode=755\")"},
                 resolve(102, "dev", "O_DIRECTORY|")});
}

Calls dev_rest(const std::string& devpts_data) {
  return {"mkdirat(AT_FDCWD, /proc/self/fd/103/pts, 0755)",
          "mount(devpts, /proc/self/fd/103/pts, devpts, MS_NOSUID|MS_NOEXEC, \"" + devpts_data + "\")",
          "mkdirat(AT_FDCWD, /proc/self/fd/103/shm, 01777)",
          "mount(shm, /proc/self/fd/103/shm, tmpfs, MS_NOSUID|MS_NODEV|MS_NOEXEC, \"mode=1777,size=65536k\")",
          "symlinkat(pts/ptmx, AT_FDCWD, /proc/self/fd/103/ptmx)",
          "symlinkat(/proc/self/fd, AT_FDCWD, /proc/self/fd/103/fd)",
          "symlinkat(/proc/self/fd/0, AT_FDCWD, /proc/self/fd/103/stdin)",
          "symlinkat(/proc/self/fd/1, AT_FDCWD, /proc/self/fd/103/stdout)",
          "symlinkat(/proc/self/fd/2, AT_FDCWD, /proc/self/fd/103/stderr)",
          "close(103)",
          "close(101)"};
}

Calls copies() {
  return {"umask(00)",
          "fstatat(AT_FDCWD, /dev/null, 0)", "mknodat(103, null, S_IFCHR|0666, 1:3)",
          "fstatat(AT_FDCWD, /dev/zero, 0)", "mknodat(103, zero, S_IFCHR|0666, 1:5)",
          "fstatat(AT_FDCWD, /dev/full, 0)", "mknodat(103, full, S_IFCHR|0666, 1:7)",
          "fstatat(AT_FDCWD, /dev/random, 0)", "mknodat(103, random, S_IFCHR|0666, 1:8)",
          "fstatat(AT_FDCWD, /dev/urandom, 0)", "mknodat(103, urandom, S_IFCHR|0666, 1:9)",
          "fstatat(AT_FDCWD, /dev/tty, 0)", "mknodat(103, tty, S_IFCHR|0666, 5:0)",
          "fchownat(103, tty, 0, 5, AT_SYMLINK_NOFOLLOW)",
          "umask(022)"};
}

Calls binds(int first_fd) {
  Calls calls;
  for (const char* name : kDefaultNodes) {
    const std::string n = name;
    calls.push_back("openat(AT_FDCWD, /proc/self/fd/103/" + n + ", O_WRONLY|O_CREAT|O_EXCL|O_CLOEXEC, 0666)");
    calls.push_back("close(" + std::to_string(first_fd++) + ")");
    calls.push_back("mount(/dev/" + n + ", /proc/self/fd/103/" + n + ", NULL, MS_BIND, NULL)");
  }
  return calls;
}

TEST(LauncherMinimalDev, AsRootTheNodesAreCopiesOfTheHostsWithTheirModeAndOwner) {
  RecordingKernel k;
  script_host_dev(k);
  launcher::mount_minimal_dev(k, testsupport::dev_mount(), "/r", false);
  EXPECT_EQ(k.calls(), concat({dev_tmpfs(), copies(), dev_rest("newinstance,ptmxmode=0666,mode=0620,gid=5")}));
}

TEST(LauncherMinimalDev, InAUserNamespaceTheHostsNodesAreBoundAndDevptsHasNoGid) {
  RecordingKernel k;
  script_host_dev(k);
  launcher::mount_minimal_dev(k, testsupport::dev_mount(), "/r", true);
  EXPECT_EQ(k.calls(), concat({dev_tmpfs(), binds(104), dev_rest("newinstance,ptmxmode=0666,mode=0620")}));
}

TEST(LauncherMinimalDev, WithoutCapMknodItBindsAsInAUserNamespace) {
  RecordingKernel k;
  script_host_dev(k);
  k.fail("mknodat", EPERM);
  launcher::mount_minimal_dev(k, testsupport::dev_mount(), "/r", false);
  EXPECT_EQ(k.calls(), concat({dev_tmpfs(),
                               {"umask(00)", "fstatat(AT_FDCWD, /dev/null, 0)", "mknodat(103, null, S_IFCHR|0666, 1:3)",
                                "umask(022)"},
                               binds(104), dev_rest("newinstance,ptmxmode=0666,mode=0620,gid=5")}));
}

TEST(LauncherMinimalDev, AGrantedDeviceIsCopiedAsRootAndBoundInAUserNamespace) {
  RecordingKernel root;
  script_host_dev(root);
  launcher::mount_minimal_dev(root, testsupport::dev_mount(), "/r", false, {"/dev/net/tun"});
  EXPECT_EQ(root.calls(), concat({dev_tmpfs(), copies(),
                                  {"umask(00)", "mkdirat(103, net, 0755)", "fstatat(AT_FDCWD, /dev/net/tun, 0)",
                                   "mknodat(103, net/tun, S_IFCHR|0666, 10:200)", "umask(022)"},
                                  dev_rest("newinstance,ptmxmode=0666,mode=0620,gid=5")}));
  RecordingKernel userns;
  script_host_dev(userns);
  launcher::mount_minimal_dev(userns, testsupport::dev_mount(), "/r", true, {"/dev/net/tun"});
  EXPECT_EQ(userns.calls(),
            concat({dev_tmpfs(), binds(104),
                    {"umask(00)", "mkdirat(103, net, 0755)",
                     "openat(AT_FDCWD, /proc/self/fd/103/net/tun, O_WRONLY|O_CREAT|O_EXCL|O_CLOEXEC, 0666)", "close(110)",
                     "mount(/dev/net/tun, /proc/self/fd/103/net/tun, NULL, MS_BIND, NULL)", "umask(022)"},
                    dev_rest("newinstance,ptmxmode=0666,mode=0620")}));
}

TEST(LauncherMinimalDev, FailuresNameTheNodeOrMountAndRestoreTheUmask) {
  RecordingKernel a;
  script_host_dev(a);
  a.fail("mount(tmpfs", ENOSPC);
  expect_error(step_error([&] { launcher::mount_minimal_dev(a, testsupport::dev_mount(), "/r", false); }), "dev",
               "mount tmpfs at /r/dev (options \"mode=755\")", ENOSPC);
  RecordingKernel b;
  script_host_dev(b);
  b.fail("mknodat(103, zero", EPERM);
  expect_error(step_error([&] { launcher::mount_minimal_dev(b, testsupport::dev_mount(), "/r", false); }), "dev",
               "create device node /r/dev/zero (a copy of /dev/zero)", EPERM);
  EXPECT_EQ(b.current_umask, 022);
  RecordingKernel c;
  script_host_dev(c);
  c.fail("mount(devpts", EINVAL);
  expect_error(step_error([&] { launcher::mount_minimal_dev(c, testsupport::dev_mount(), "/r", true); }), "dev",
               "mount devpts at /r/dev/pts (options \"newinstance,ptmxmode=0666,mode=0620\")", EINVAL);
  RecordingKernel d;
  expect_error(step_error([&] { launcher::mount_minimal_dev(d, testsupport::dev_mount(), "/r", false); }), "dev",
               "stat /dev/null to make /r/dev/null", ENOENT);
  RecordingKernel e;
  script_host_dev(e);
  e.fail("symlinkat(pts/ptmx", EEXIST);
  expect_error(step_error([&] { launcher::mount_minimal_dev(e, testsupport::dev_mount(), "/r", false); }), "dev",
               "create symlink /r/dev/ptmx -> pts/ptmx", EEXIST);
}

// ---- rootfs/rootfs.cc ----------------------------------------------------------------------

TEST(LauncherRootfs, AWritableDirectoryIsAPrivateOverlayOverADetachedCloneOfIt) {
  RecordingKernel k;
  const launcher::RootfsSource overlay{"/img", true, "/img", false};
  EXPECT_EQ(launcher::mount_rootfs(k, overlay), "/img");
  EXPECT_EQ(k.calls(), (Calls{"open_tree(AT_FDCWD, /img, OPEN_TREE_CLONE|OPEN_TREE_CLOEXEC|AT_RECURSIVE)",
                              "mount(tmpfs, /img, tmpfs, MS_NOSUID|MS_NODEV, \"mode=755\")",
                              "mkdirat(AT_FDCWD, /img/lower, 0755)", "mkdirat(AT_FDCWD, /img/upper, 0755)",
                              "mkdirat(AT_FDCWD, /img/work, 0755)",
                              "move_mount(100, \"\", AT_FDCWD, /img/lower, MOVE_MOUNT_F_EMPTY_PATH)",
                              "openat(AT_FDCWD, ., O_DIRECTORY|O_CLOEXEC|O_PATH)", "chdir(/img)",
                              "mount(overlay, ., overlay, MS_NODEV, \"lowerdir=lower,upperdir=upper,workdir=work\")",
                              "fchdir(101)", "close(101)", "close(100)"}));
}

TEST(LauncherRootfs, ReadOnlyIsABindOntoItselfMadeNodev) {
  RecordingKernel k;
  EXPECT_EQ(launcher::mount_rootfs(k, launcher::RootfsSource{"/img", false, "", false}), "/img");
  EXPECT_EQ(k.calls(), (Calls{"mount(/img, /img, NULL, MS_BIND|MS_REC, NULL)",
                              "mount_setattr(AT_FDCWD, /img, AT_RECURSIVE, {set=MOUNT_ATTR_NODEV, clr=0})"}));
}

TEST(LauncherRootfs, WritethroughIsABindMadeNosuidNodev) {
  RecordingKernel k;
  EXPECT_EQ(launcher::mount_rootfs(k, launcher::RootfsSource{"/img", false, "", true}), "/img");
  EXPECT_EQ(k.calls(),
            (Calls{"mount(/img, /img, NULL, MS_BIND|MS_REC, NULL)",
                   "mount_setattr(AT_FDCWD, /img, AT_RECURSIVE, {set=MOUNT_ATTR_NOSUID|MOUNT_ATTR_NODEV, clr=0})"}));
}

TEST(LauncherRootfs, AFailedOverlayGoesBackToTheOldCwdAndSaysWhatToDo) {
  RecordingKernel k;
  k.fail("mount(overlay", EINVAL);
  expect_error(step_error([&] { launcher::mount_rootfs(k, launcher::RootfsSource{"/img", true, "/img", false}); }),
               "rootfs",
               "mount overlay of /img at /img (if overlayfs cannot use that filesystem as a lower layer, make the "
               "rootfs readonly, or writethrough to let the container write into it)",
               EINVAL);
  const Calls& calls = k.calls();
  ASSERT_GE(calls.size(), 3u);
  EXPECT_EQ(calls[calls.size() - 3], "fchdir(101)");
  RecordingKernel clone;
  clone.fail("open_tree", EINVAL);
  expect_error(step_error([&] { launcher::mount_rootfs(clone, launcher::RootfsSource{"/img", true, "/img", false}); }),
               "rootfs", "clone the mount of /img for the overlay's lower layer", EINVAL);
  RecordingKernel bind;
  bind.fail("mount(/img", EACCES);
  expect_error(step_error([&] { launcher::mount_rootfs(bind, launcher::RootfsSource{"/img", false, "", false}); }),
               "rootfs", "bind rootfs /img onto itself", EACCES);
}

TEST(LauncherRootfs, AfterThePivotTheRootAloneIsMadeReadOnly) {
  RecordingKernel k;
  launcher::remount_root_readonly(k);
  EXPECT_EQ(k.calls(), (Calls{"mount_setattr(AT_FDCWD, /, 0, {set=MOUNT_ATTR_RDONLY, clr=0})"}));
  k.fail("mount_setattr", EROFS);
  expect_error(step_error([&] { launcher::remount_root_readonly(k); }), "rootfs", "make the rootfs / read-only", EROFS);
}

}  // namespace
