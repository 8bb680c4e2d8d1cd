// SPDX-License-Identifier: Apache-2.0
// The launcher steps that call the kernel through launcher::Kernel, run against the recording
// fake: for each one the exact calls, their arguments and their order for representative plan
// slices, and what a failing call becomes (a StepError naming the step, the input and the errno).
// No root, no side effect: the fake makes no system call.
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "launcher/host/error.h"
#include "launcher/host/kernel.h"
#include "launcher/process/init_hardening.h"
#include "launcher/process/process_steps.h"
#include "launcher/rootfs/mount_steps.h"
#include "tests/support/plan_builder.h"
#include "tests/support/recording_kernel.h"
#include "tests/support/step_errors.h"

using launcher::StepError;
using testsupport::RecordingKernel;
using Calls = std::vector<std::string>;

namespace {

using testsupport::step_error;

void expect_described_error(const StepError& e, const char* step, const std::string& what, int err) {
  testsupport::expect_step_error(e, step, what, err);
  EXPECT_EQ(e.describe(), what + ": " + std::strerror(err) + " (step: " + step + ")");
}

// ---- the fake itself -----------------------------------------------------------------------

TEST(LauncherRecordingKernel, FailsOnlyTheCallsItIsToldToAndNamesWholeWords) {
  RecordingKernel k;
  k.fail("close", EBADF);
  k.fail("prctl(PR_CAPBSET_DROP, 4", EPERM, 1);
  EXPECT_EQ(k.close_range(3, 9, 0), 0);  // "close" is not "close_range"
  EXPECT_EQ(k.prctl(PR_CAPBSET_DROP, 40, 0, 0, 0), 0);  // 4 is not 40
  errno = 0;
  EXPECT_EQ(k.prctl(PR_CAPBSET_DROP, 4, 0, 0, 0), -1);
  EXPECT_EQ(errno, EPERM);
  EXPECT_EQ(k.prctl(PR_CAPBSET_DROP, 4, 0, 0, 0), 0);  // times = 1: spent
  errno = 0;
  EXPECT_EQ(k.close(7), -1);
  EXPECT_EQ(errno, EBADF);
  EXPECT_EQ(k.close(7), -1);  // times = 0: every time
  EXPECT_EQ(k.calls(), (Calls{"close_range(3, 9, 0)", "prctl(PR_CAPBSET_DROP, 40, 0, 0, 0)",
                              "prctl(PR_CAPBSET_DROP, 4, 0, 0, 0)", "prctl(PR_CAPBSET_DROP, 4, 0, 0, 0)", "close(7)",
                              "close(7)"}));
}

TEST(LauncherRecordingKernel, WritesMountsAndOpensAsReadableLines) {
  RecordingKernel k;
  k.mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr);
  k.mount("tmpfs", "/proc/self/fd/7", "tmpfs", MS_NOSUID | MS_NODEV | 0x40000000, "mode=755");
  EXPECT_EQ(k.openat(AT_FDCWD, "/x", O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644), 100);
  open_how how{};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  EXPECT_EQ(k.openat2(100, "proc", how), 101);
  k.mknodat(101, "null", S_IFCHR | 0666, makedev(1, 3));
  EXPECT_EQ(k.calls(), (Calls{"mount(NULL, /, NULL, MS_REC|MS_PRIVATE, NULL)",
                              "mount(tmpfs, /proc/self/fd/7, tmpfs, MS_NOSUID|MS_NODEV|0x40000000, \"mode=755\")",
                              "openat(AT_FDCWD, /x, O_WRONLY|O_CREAT|O_EXCL|O_CLOEXEC, 0644)",
                              "openat2(100, proc, {O_CLOEXEC|O_PATH, RESOLVE_NO_MAGICLINKS|RESOLVE_IN_ROOT})",
                              "mknodat(101, null, S_IFCHR|0666, 1:3)"}));
}

TEST(LauncherRecordingKernel, StatsWhatTheTestScriptedByPathOrDescriptor) {
  RecordingKernel k;
  struct stat null_node {};
  null_node.st_mode = S_IFCHR | 0666;
  null_node.st_rdev = makedev(1, 3);
  k.files["/dev/null"] = null_node;
  struct stat dir {};
  dir.st_mode = S_IFDIR | 0755;
  k.files["/proc/self/fd/7"] = dir;
  struct stat st {};
  ASSERT_EQ(k.fstatat(AT_FDCWD, "/dev/null", &st, 0), 0);
  EXPECT_EQ(st.st_rdev, makedev(1, 3));
  ASSERT_EQ(k.fstatat(7, "", &st, AT_EMPTY_PATH), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  errno = 0;
  EXPECT_EQ(k.fstatat(AT_FDCWD, "/dev/kmsg", &st, 0), -1);
  EXPECT_EQ(errno, ENOENT);
  EXPECT_EQ(k.calls(), (Calls{"fstatat(AT_FDCWD, /dev/null, 0)", "fstatat(7, \"\", AT_EMPTY_PATH)",
                              "fstatat(AT_FDCWD, /dev/kmsg, 0)"}));
}

TEST(LauncherRealKernel, IsOneProcessWideObject) { EXPECT_EQ(&launcher::real_kernel(), &launcher::real_kernel()); }

// ---- pivot.cc ------------------------------------------------------------------------------

TEST(LauncherKernelPivot, PivotsIntoTheRootDetachesTheOldOneAndLeavesNoHandleOutside) {
  RecordingKernel k;
  launcher::enter_root(k, "/var/lib/box/root", false);
  EXPECT_EQ(k.calls(), (Calls{"chdir(/var/lib/box/root)", "pivot_root(., .)", "umount2(., MNT_DETACH)", "chdir(/)"}));
}

TEST(LauncherKernelPivot, ChrootOnlyWhenThePlanAsks) {
  RecordingKernel k;
  launcher::enter_root(k, "/var/lib/box/root", true);
  EXPECT_EQ(k.calls(), (Calls{"chdir(/var/lib/box/root)", "chroot(.)", "chdir(/)"}));
}

TEST(LauncherKernelPivot, AFailedPivotRootStopsTheStepWithNoFallbackToChroot) {
  RecordingKernel k;
  k.fail("pivot_root", EINVAL);
  expect_described_error(step_error([&] { launcher::enter_root(k, "/r", false); }), "pivot", "pivot_root to /r", EINVAL);
  EXPECT_EQ(k.calls(), (Calls{"chdir(/r)", "pivot_root(., .)"}));
}

TEST(LauncherKernelPivot, FailuresOfTheOtherCallsNameWhatFailed) {
  RecordingKernel a;
  a.fail("chdir(/r)", ENOENT);
  expect_described_error(step_error([&] { launcher::enter_root(a, "/r", false); }), "pivot", "chdir to the new root /r", ENOENT);
  RecordingKernel b;
  b.fail("umount2", EBUSY);
  expect_described_error(step_error([&] { launcher::enter_root(b, "/r", false); }), "pivot", "unmount the old root", EBUSY);
  RecordingKernel c;
  c.fail("chroot", EPERM);
  expect_described_error(step_error([&] { launcher::enter_root(c, "/r", true); }), "pivot", "chroot to /r", EPERM);
  RecordingKernel d;
  d.fail("chdir(/)", EACCES);
  expect_described_error(step_error([&] { launcher::enter_root(d, "/r", false); }), "pivot", "chdir to / inside /r", EACCES);
  EXPECT_EQ(d.calls().size(), 4u);
}

// ---- hostname.cc ---------------------------------------------------------------------------

TEST(LauncherKernelHostname, SetsTheNameWithItsLength) {
  RecordingKernel k;
  launcher::set_hostname(k, "probe-box");
  EXPECT_EQ(k.calls(), (Calls{"sethostname(\"probe-box\", 9)"}));
}

TEST(LauncherKernelHostname, PermissionDeniedNamesTheHostname) {
  RecordingKernel k;
  k.fail("sethostname", EPERM);
  expect_described_error(step_error([&] { launcher::set_hostname(k, "box"); }), "hostname", "set hostname \"box\"", EPERM);
}

// ---- rlimits.cc ----------------------------------------------------------------------------

plan::Rlimit rlimit(int resource, const char* name, std::uint64_t soft, std::uint64_t hard) {
  plan::Rlimit r;
  r.resource = resource;
  r.name = name;
  r.soft = soft;
  r.hard = hard;
  return r;
}

TEST(LauncherKernelRlimits, SetsEachLimitOfThisProcessInPlanOrder) {
  RecordingKernel k;
  launcher::apply_rlimits(k, {rlimit(RLIMIT_NOFILE, "nofile", 1024, 4096), rlimit(RLIMIT_CORE, "core", 0, 0),
                              rlimit(RLIMIT_STACK, "stack", 8388608, ~std::uint64_t{0})});
  EXPECT_EQ(k.calls(), (Calls{"prlimit(0, RLIMIT_NOFILE, {1024, 4096}, NULL)", "prlimit(0, RLIMIT_CORE, {0, 0}, NULL)",
                              "prlimit(0, RLIMIT_STACK, {8388608, RLIM_INFINITY}, NULL)"}));
}

TEST(LauncherKernelRlimits, NoLimitsNoCall) {
  RecordingKernel k;
  launcher::apply_rlimits(k, {});
  EXPECT_TRUE(k.calls().empty());
}

TEST(LauncherKernelRlimits, AFailingLimitStopsAtItAndNamesIt) {
  RecordingKernel k;
  k.fail("prlimit(0, RLIMIT_NPROC", EPERM);
  expect_described_error(step_error([&] {
                 launcher::apply_rlimits(k, {rlimit(RLIMIT_NOFILE, "nofile", 1024, 4096),
                                             rlimit(RLIMIT_NPROC, "nproc", 100, 200),
                                             rlimit(RLIMIT_CORE, "core", 0, 0)});
               }),
               "rlimits", "set rlimit nproc to 100 200", EPERM);
  EXPECT_EQ(k.calls().size(), 2u);
}

// ---- credentials.cc ------------------------------------------------------------------------

plan::User user(std::uint32_t uid, std::uint32_t gid, std::vector<std::uint32_t> groups = {}) {
  plan::User u;
  u.uid = uid;
  u.gid = gid;
  u.groups = std::move(groups);
  return u;
}

constexpr std::uint64_t bit(int cap) { return std::uint64_t{1} << cap; }

TEST(LauncherKernelCredentials, GroupsThenGidThenUidKeepingCapabilitiesThenEffectiveFromPermitted) {
  RecordingKernel k;
  k.capabilities.permitted = bit(CAP_CHOWN) | bit(CAP_NET_BIND_SERVICE);
  k.capabilities.inheritable = bit(CAP_CHOWN);
  launcher::switch_credentials(k, user(1000, 1001, {10, 20}), true);
  EXPECT_EQ(k.calls(), (Calls{"setgroups(2, {10,20})", "setresgid(1001, 1001, 1001)",
                              "prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0)", "setresuid(1000, 1000, 1000)",
                              "prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0)", "capget()",
                              "capset(effective={0,10}, permitted={0,10}, inheritable={0})"}));
}

TEST(LauncherKernelCredentials, RootDropsHostGroupsAndNeedsNoEffectiveRaise) {
  RecordingKernel k;
  launcher::switch_credentials(k, user(0, 0), true);
  // setgroups with none: root's own supplementary groups must not reach the container.
  EXPECT_EQ(k.calls(), (Calls{"setgroups(0, {})", "setresgid(0, 0, 0)", "prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0)",
                              "setresuid(0, 0, 0)", "prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0)"}));
}

TEST(LauncherKernelCredentials, NoSetgroupsWhereTheUserNamespaceDeniesIt) {
  RecordingKernel k;
  launcher::switch_credentials(k, user(1000, 1000), false);
  EXPECT_EQ(k.calls().front(), "setresgid(1000, 1000, 1000)");
  EXPECT_EQ(k.calls().size(), 6u);
}

TEST(LauncherKernelCredentials, OnlyCapabilitiesTheKernelKnowsBecomeEffective) {
  RecordingKernel k;
  k.last_cap = 3;
  k.capabilities.permitted = bit(1) | bit(3) | bit(5);  // 5 beyond cap_last_cap: left as it was
  k.capabilities.effective = bit(2);
  launcher::switch_credentials(k, user(1, 1), false);
  EXPECT_EQ(k.calls().back(), "capset(effective={1,3}, permitted={1,3,5}, inheritable={})");
}

TEST(LauncherKernelCredentials, AnUnmappedUidFailsAfterTheGidAndSaysWhy) {
  RecordingKernel k;
  k.fail("setresuid", EINVAL);
  expect_described_error(step_error([&] { launcher::switch_credentials(k, user(1000, 1000), true); }), "credentials",
               "set uid 1000 (is it mapped in the user namespace?)", EINVAL);
  EXPECT_EQ(k.calls(), (Calls{"setgroups(0, {})", "setresgid(1000, 1000, 1000)", "prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0)",
                              "setresuid(1000, 1000, 1000)"}));
}

TEST(LauncherKernelCredentials, EachOtherFailingCallNamesItsInput) {
  struct Case {
    const char* call;
    const char* what;
  };
  for (const Case& c : {Case{"setgroups", "set 2 supplementary groups"}, Case{"setresgid", "set gid 1001"},
                        Case{"prctl(PR_SET_KEEPCAPS, 1", "keep capabilities across setuid"},
                        Case{"prctl(PR_SET_KEEPCAPS, 0", "reset keep-capabilities"},
                        Case{"capget", "read capabilities after setuid"},
                        Case{"capset", "raise effective capabilities after setuid"}}) {
    SCOPED_TRACE(c.call);
    RecordingKernel k;
    k.fail(c.call, EPERM);
    expect_described_error(step_error([&] { launcher::switch_credentials(k, user(1000, 1001, {10, 20}), true); }),
                 "credentials", c.what, EPERM);
  }
}

// ---- capabilities.cc -----------------------------------------------------------------------

TEST(LauncherKernelCapabilities, BoundingThenAmbientClearedThenTheSetsThenAmbientRaised) {
  RecordingKernel k;
  k.last_cap = 4;
  launcher::drop_capabilities(k, {3, 1});
  EXPECT_EQ(k.calls(), (Calls{"prctl(PR_CAPBSET_DROP, 0, 0, 0, 0)", "prctl(PR_CAPBSET_DROP, 2, 0, 0, 0)",
                              "prctl(PR_CAPBSET_DROP, 4, 0, 0, 0)", "prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)",
                              "capset(effective={1,3}, permitted={1,3}, inheritable={1,3})",
                              "prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, 3, 0, 0)",
                              "prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, 1, 0, 0)"}));
}

TEST(LauncherKernelCapabilities, KeepingNoneDropsEveryCapabilityUpToCapLastCap) {
  RecordingKernel k;
  k.last_cap = 40;
  launcher::drop_capabilities(k, {});
  Calls expected;
  for (int cap = 0; cap <= 40; ++cap) expected.push_back("prctl(PR_CAPBSET_DROP, " + std::to_string(cap) + ", 0, 0, 0)");
  expected.push_back("prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)");
  expected.push_back("capset(effective={}, permitted={}, inheritable={})");
  EXPECT_EQ(k.calls(), expected);
}

TEST(LauncherKernelCapabilities, ACapabilityThisKernelLacksIsNoError) {
  RecordingKernel k;
  k.last_cap = 2;
  k.fail("prctl(PR_CAPBSET_DROP, 1", EINVAL);
  launcher::drop_capabilities(k, {});
  EXPECT_EQ(k.calls().size(), 5u);
}

TEST(LauncherKernelCapabilities, FailuresNameTheCapabilityOrTheSet) {
  RecordingKernel a;
  a.last_cap = 4;
  a.fail("prctl(PR_CAPBSET_DROP, 2", EPERM);
  expect_described_error(step_error([&] { launcher::drop_capabilities(a, {1}); }), "capabilities",
               "drop cap_dac_read_search from the bounding set", EPERM);
  EXPECT_EQ(a.calls().size(), 2u);  // 0, then 2 failed; 1 is kept
  RecordingKernel b;
  b.last_cap = 4;
  b.fail("capset", EPERM);
  expect_described_error(step_error([&] { launcher::drop_capabilities(b, {1, 3}); }), "capabilities",
               "set permitted/effective/inheritable capabilities to the 2 kept ones", EPERM);
  RecordingKernel c;
  c.last_cap = 4;
  c.fail("prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, 3", EPERM);
  expect_described_error(step_error([&] { launcher::drop_capabilities(c, {1, 3}); }), "capabilities",
               "raise cap_fowner in the ambient set", EPERM);
}

// ---- fds.cc --------------------------------------------------------------------------------

TEST(LauncherKernelFds, ClosesAroundTheErrorChannel) {
  RecordingKernel k;
  launcher::close_inherited_fds(k, 5);
  EXPECT_EQ(k.calls(), (Calls{"close_range(3, 4, 0)", "close_range(6, ~0U, 0)"}));
}

TEST(LauncherKernelFds, WithoutAChannelOrRightAfterStderrOneRangeIsEnough) {
  RecordingKernel a;
  launcher::close_inherited_fds(a, -1);
  EXPECT_EQ(a.calls(), (Calls{"close_range(3, ~0U, 0)"}));
  RecordingKernel b;
  launcher::close_inherited_fds(b, 3);
  EXPECT_EQ(b.calls(), (Calls{"close_range(4, ~0U, 0)"}));
}

TEST(LauncherKernelFds, OldKernelsCloseOneByOneUpToTheSoftLimit) {
  RecordingKernel k;
  k.fail("close_range", ENOSYS);
  k.nofile = {8, 64};
  launcher::close_inherited_fds(k, 5);
  EXPECT_EQ(k.calls(), (Calls{"close_range(3, 4, 0)", "prlimit(0, RLIMIT_NOFILE, NULL, old)", "close(3)", "close(4)",
                              "close_range(6, ~0U, 0)", "prlimit(0, RLIMIT_NOFILE, NULL, old)", "close(6)",
                              "close(7)"}));
}

TEST(LauncherKernelFds, OtherErrorsNameTheRange) {
  RecordingKernel k;
  k.fail("close_range", EINVAL);
  expect_described_error(step_error([&] { launcher::close_inherited_fds(k, 5); }), "fds", "close descriptors 3..4", EINVAL);
}

// ---- seccomp.cc ----------------------------------------------------------------------------

TEST(LauncherKernelSeccomp, NoNewPrivsIsOnePrctl) {
  RecordingKernel k;
  launcher::set_no_new_privs(k);
  EXPECT_EQ(k.calls(), (Calls{"prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)"}));
  RecordingKernel failing;
  failing.fail("prctl", EINVAL);
  expect_described_error(step_error([&] { launcher::set_no_new_privs(failing); }), "seccomp", "set no_new_privs", EINVAL);
}

TEST(LauncherKernelSeccomp, LoadsThePlansProgramAsIs) {
  const auto program = testsupport::errno_filter(39, EPERM);  // any small, real filter
  const plan::Seccomp seccomp = testsupport::seccomp_of(program, "allow");
  RecordingKernel k;
  launcher::load_seccomp_filter(k, seccomp.bpf);
  EXPECT_EQ(k.calls(), (Calls{"seccomp(SECCOMP_SET_MODE_FILTER, 0, {" + std::to_string(program.size()) +
                              " instructions})"}));
  ASSERT_EQ(k.filters.size(), 1u);
  ASSERT_EQ(k.filters[0].size(), program.size());
  EXPECT_EQ(std::memcmp(k.filters[0].data(), program.data(), program.size() * sizeof(sock_filter)), 0);
}

TEST(LauncherKernelSeccomp, ARefusedFilterSaysHowLongItWas) {
  const auto program = testsupport::errno_filter(39, EPERM);
  RecordingKernel k;
  k.fail("seccomp", EINVAL);
  expect_described_error(step_error([&] { launcher::load_seccomp_filter(k, testsupport::seccomp_of(program, "allow").bpf); }),
               "seccomp", "load the seccomp filter (" + std::to_string(program.size()) + " instructions)", EINVAL);
}

// ---- userns.cc -----------------------------------------------------------------------------

TEST(LauncherKernelUserns, DeniesSetgroupsThenWritesGidMapThenUidMap) {
  RecordingKernel k;
  launcher::IdMaps maps{"0 1000 1\n", "0 100 1\n", true};
  launcher::write_id_maps(k, 42, maps);
  EXPECT_EQ(k.calls(), (Calls{"openat(AT_FDCWD, /proc/42/setgroups, O_WRONLY|O_CLOEXEC)", "write(100, \"deny\")",
                              "close(100)", "openat(AT_FDCWD, /proc/42/gid_map, O_WRONLY|O_CLOEXEC)",
                              "write(101, \"0 100 1\\n\")", "close(101)",
                              "openat(AT_FDCWD, /proc/42/uid_map, O_WRONLY|O_CLOEXEC)",
                              "write(102, \"0 1000 1\\n\")", "close(102)"}));
}

TEST(LauncherKernelUserns, RootWithGroupsKeepsSetgroupsAllowedAndWritesWholeMapsAtOnce) {
  RecordingKernel k;
  launcher::IdMaps maps{"0 100000 65536\n70000 300000 10\n", "0 200000 65536\n", false};
  launcher::write_id_maps(k, 7, maps);
  EXPECT_EQ(k.calls(), (Calls{"openat(AT_FDCWD, /proc/7/gid_map, O_WRONLY|O_CLOEXEC)",
                              "write(100, \"0 200000 65536\\n\")", "close(100)",
                              "openat(AT_FDCWD, /proc/7/uid_map, O_WRONLY|O_CLOEXEC)",
                              "write(101, \"0 100000 65536\\n70000 300000 10\\n\")", "close(101)"}));
}

TEST(LauncherKernelUserns, ARefusedMapIsClosedAndNamedOnOneLine) {
  RecordingKernel k;
  k.fail("write(101", EPERM);
  launcher::IdMaps maps{"0 100000 65536\n70000 300000 10\n", "0 200000 65536\n", false};
  expect_described_error(step_error([&] { launcher::write_id_maps(k, 7, maps); }), "userns",
               "write \"0 100000 65536,70000 300000 10\" to /proc/7/uid_map", EPERM);
  EXPECT_EQ(k.calls().back(), "close(101)");
}

TEST(LauncherKernelUserns, AVanishedChildFailsAtTheFirstOpen) {
  RecordingKernel k;
  k.fail("openat", ENOENT);
  expect_described_error(step_error([&] { launcher::write_id_maps(k, 42, launcher::IdMaps{"0 0 1\n", "0 0 1\n", true}); }),
               "userns", "open /proc/42/setgroups", ENOENT);
  EXPECT_EQ(k.calls().size(), 1u);
}

TEST(LauncherKernelUserns, BecomesRootInsideGidFirst) {
  RecordingKernel k;
  launcher::become_namespace_root(k);
  EXPECT_EQ(k.calls(), (Calls{"setresgid(0, 0, 0)", "setresuid(0, 0, 0)"}));
}

TEST(LauncherKernelUserns, AnUnmappedRootIsNoErrorButARefusalIs) {
  RecordingKernel a;
  a.fail("setresgid", EINVAL);
  a.fail("setresuid", EINVAL);
  launcher::become_namespace_root(a);
  EXPECT_EQ(a.calls().size(), 2u);
  RecordingKernel b;
  b.fail("setresgid", EPERM);
  expect_described_error(step_error([&] { launcher::become_namespace_root(b); }), "userns", "become gid 0 in the user namespace",
               EPERM);
  EXPECT_EQ(b.calls().size(), 1u);
  RecordingKernel c;
  c.fail("setresuid", EPERM);
  expect_described_error(step_error([&] { launcher::become_namespace_root(c); }), "userns", "become uid 0 in the user namespace",
               EPERM);
}

}  // namespace

// ---- the --init process's lockdown -----------------------------------------------------------

// With CAP_SETPCAP it empties the bounding set; then ambient, the three sets, dumpable, every
// descriptor but the error channel, no_new_privs, and its own filter last of all.
TEST(LauncherKernelInit, HardeningDropsEverythingThenLoadsItsOwnFilterLast) {
  RecordingKernel k;
  k.last_cap = 2;
  k.capabilities.effective = k.capabilities.permitted = std::uint64_t{1} << CAP_SETPCAP;
  launcher::harden_init(k, 42, 5);
  EXPECT_EQ(k.calls(), (Calls{"capget()", "prctl(PR_CAPBSET_DROP, 0, 0, 0, 0)", "prctl(PR_CAPBSET_DROP, 1, 0, 0, 0)",
                              "prctl(PR_CAPBSET_DROP, 2, 0, 0, 0)",
                              "prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)",
                              "capset(effective={}, permitted={}, inheritable={})", "prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)",
                              "close_range(0, 4, 0)", "close_range(6, ~0U, 0)", "prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)",
                              "seccomp(SECCOMP_SET_MODE_FILTER, 0, {" + std::to_string(k.filters.empty() ? 0 : k.filters[0].size()) +
                                  " instructions})"}));
  ASSERT_EQ(k.filters.size(), 1U);
  EXPECT_EQ(k.capabilities.effective | k.capabilities.permitted | k.capabilities.inheritable, 0U);
}

// Without CAP_SETPCAP the bounding set cannot shrink (it stays the plan's keep list); on a
// kernel without close_range, each descriptor below RLIMIT_NOFILE is closed one by one.
TEST(LauncherKernelInit, WithoutSetpcapOrCloseRangeItStillLocksDown) {
  RecordingKernel k;
  k.nofile = {4, 4};
  k.fail("close_range", ENOSYS);
  launcher::harden_init(k, 42, 2);
  EXPECT_EQ(k.calls(), (Calls{"capget()", "prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)",
                              "capset(effective={}, permitted={}, inheritable={})", "prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)",
                              "close_range(0, 1, 0)", "prlimit(0, RLIMIT_NOFILE, NULL, old)", "close(0)", "close(1)",
                              "close_range(3, ~0U, 0)", "prlimit(0, RLIMIT_NOFILE, NULL, old)", "close(3)",
                              "prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)",
                              "seccomp(SECCOMP_SET_MODE_FILTER, 0, {" + std::to_string(k.filters.empty() ? 0 : k.filters[0].size()) +
                                  " instructions})"}));
}

// A refused step stops the lockdown there with a StepError: no filter is loaded on a half-done init.
TEST(LauncherKernelInit, ARefusedCallStopsBeforeTheFilter) {
  RecordingKernel k;
  k.fail("prctl(PR_SET_DUMPABLE", EPERM);
  const StepError e = step_error([&] { launcher::harden_init(k, 42, 5); });
  expect_described_error(e, "init", "make the init process non-dumpable", EPERM);
  EXPECT_TRUE(k.filters.empty());
}
