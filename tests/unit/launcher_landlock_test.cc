// SPDX-License-Identifier: Apache-2.0
// The Landlock step against the recording kernel: the ABI query, cutting the plan to an older
// ABI (what is lost, refused without best_effort, a warning with it), the exact calls that build
// and apply the ruleset (file rules keep only file rights, missing paths grant nothing), failures
// as StepErrors, and the exec check of the pre-flight.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cerrno>
#include <string>
#include <vector>

#include "launcher/host/error.h"
#include "launcher/process/landlock.h"
#include "plan/landlock.h"
#include "tests/support/recording_kernel.h"
#include "tests/support/step_errors.h"

namespace launcher_landlock_test {
namespace {

using testsupport::RecordingKernel;
using LandlockCalls = std::vector<std::string>;

constexpr std::uint64_t kRead = (1ULL << 2) | (1ULL << 3);
constexpr std::uint64_t kExec = 1ULL << 0;
constexpr std::uint64_t kAllFs = (1ULL << 16) - 1;
constexpr std::uint64_t kBothTcp = plan::kLandlockNetBindTcp | plan::kLandlockNetConnectTcp;

plan::Landlock section(bool best_effort = false) {
  plan::Landlock l;
  l.handled_fs = kAllFs;
  l.handled_net = kBothTcp;
  l.scoped = plan::kLandlockScopeSignal | plan::kLandlockScopeAbstractUnix;
  l.best_effort = best_effort;
  l.paths = {{"/usr", kRead | kExec}, {"/etc/hosts", kRead}, {"/dev/tty", (1ULL << 1) | (1ULL << 15)}};
  l.ports = {{443, plan::kLandlockNetConnectTcp}};
  return l;
}

struct stat of_type(mode_t type) {
  struct stat st {};
  st.st_mode = type | 0755;
  return st;
}

TEST(LauncherLandlock, AbiComesFromTheVersionQueryAndIsZeroWithoutLandlock) {
  RecordingKernel k;
  k.landlock_abi = 7;
  EXPECT_EQ(launcher::landlock_abi(k), 7);
  EXPECT_EQ(k.calls(), LandlockCalls{"landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION)"});
  RecordingKernel none;
  none.fail("landlock_create_ruleset", EOPNOTSUPP);
  EXPECT_EQ(launcher::landlock_abi(none), 0);
}

TEST(LauncherLandlock, ANewKernelEnforcesEverything) {
  const auto fitted = launcher::fit_landlock(section(), 7);
  EXPECT_EQ(fitted.ruleset, section());
  EXPECT_EQ(fitted.not_enforced, "");
  EXPECT_EQ(launcher::require_enforceable(fitted, false), "");
}

TEST(LauncherLandlock, AnOlderAbiLosesItsNewerRightsWhichAreNamed) {
  const auto fitted = launcher::fit_landlock(section(true), 3);
  EXPECT_EQ(fitted.ruleset.handled_fs, (1ULL << 15) - 1) << "ioctl_dev is ABI 5";
  EXPECT_EQ(fitted.ruleset.handled_net, 0u);
  EXPECT_EQ(fitted.ruleset.scoped, 0u);
  EXPECT_TRUE(fitted.ruleset.ports.empty()) << "a rule with no right left is dropped";
  ASSERT_EQ(fitted.ruleset.paths.size(), 3u);
  EXPECT_EQ(fitted.ruleset.paths[2].access, 1ULL << 1) << "the tty keeps write_file, loses ioctl_dev";
  EXPECT_EQ(fitted.not_enforced, "abstract_unix, signals (ABI 6), ioctl_dev (ABI 5), bind_tcp, connect_tcp (ABI 4)");
  EXPECT_EQ(launcher::require_enforceable(fitted, true),
            "warning: landlock: this kernel's Landlock ABI is 3; not enforced in this run (best_effort): "
            "abstract_unix, signals (ABI 6), ioctl_dev (ABI 5), bind_tcp, connect_tcp (ABI 4)");
}

TEST(LauncherLandlock, WithoutBestEffortAMissingRightRefusesTheRun) {
  const auto fitted = launcher::fit_landlock(section(false), 4);
  const auto e = testsupport::step_error([&] { launcher::require_enforceable(fitted, false); });
  EXPECT_EQ(e.step(), "validate");
  EXPECT_EQ(std::string(e.what()),
            "plan.landlock: this kernel's Landlock ABI is 4, which cannot enforce abstract_unix, signals (ABI 6), "
            "ioctl_dev (ABI 5); run on a newer kernel, or add `best_effort` to the landlock section to run without "
            "those restrictions");
  const auto none = launcher::fit_landlock(section(false), 0);
  EXPECT_TRUE(none.enforces_nothing());
  const auto e0 = testsupport::step_error([&] { launcher::require_enforceable(none, false); });
  EXPECT_NE(std::string(e0.what()).find("this kernel has no Landlock (or it is disabled)"), std::string::npos);
}

TEST(LauncherLandlock, AbiOneSaysThatCrossDirectoryRenamesAreDenied) {
  const auto fitted = launcher::fit_landlock(section(true), 1);
  EXPECT_NE(launcher::require_enforceable(fitted, true).find("refer is not handled, so every rename or link across "
                                                              "directories is denied"),
            std::string::npos);
}

TEST(LauncherLandlock, AppliesTheRulesetWithExactCalls) {
  RecordingKernel k;
  k.files["/proc/self/fd/101"] = of_type(S_IFDIR);
  k.files["/proc/self/fd/102"] = of_type(S_IFREG);
  k.files["/proc/self/fd/103"] = of_type(S_IFCHR);
  launcher::apply_landlock(k, launcher::fit_landlock(section(), 6));
  EXPECT_EQ(k.calls(), (LandlockCalls{
                           "landlock_create_ruleset({fs=0xffff, net=0x3, scoped=0x3}, 24, 0)",
                           "openat(AT_FDCWD, /usr, O_CLOEXEC|O_PATH)",
                           "fstatat(101, \"\", AT_EMPTY_PATH)",
                           "landlock_add_rule(100, PATH_BENEATH, {access=0xd, fd=101}, 0)",
                           "close(101)",
                           "openat(AT_FDCWD, /etc/hosts, O_CLOEXEC|O_PATH)",
                           "fstatat(102, \"\", AT_EMPTY_PATH)",
                           // a file: read_dir is not a file's right (the kernel refuses it: EINVAL)
                           "landlock_add_rule(100, PATH_BENEATH, {access=0x4, fd=102}, 0)",
                           "close(102)",
                           "openat(AT_FDCWD, /dev/tty, O_CLOEXEC|O_PATH)",
                           "fstatat(103, \"\", AT_EMPTY_PATH)",
                           "landlock_add_rule(100, PATH_BENEATH, {access=0x8002, fd=103}, 0)",
                           "close(103)",
                           "landlock_add_rule(100, NET_PORT, {access=0x2, port=443}, 0)",
                           "landlock_restrict_self(100, 0)",
                           "close(100)",
                       }));
}

TEST(LauncherLandlock, AnOlderAbiBuildsTheSmallerRuleset) {
  RecordingKernel k;
  k.files["/proc/self/fd/101"] = of_type(S_IFDIR);
  k.files["/proc/self/fd/102"] = of_type(S_IFREG);
  k.files["/proc/self/fd/103"] = of_type(S_IFCHR);
  launcher::apply_landlock(k, launcher::fit_landlock(section(true), 2));
  ASSERT_FALSE(k.calls().empty());
  EXPECT_EQ(k.calls().front(), "landlock_create_ruleset({fs=0x3fff, net=0x0, scoped=0x0}, 24, 0)");
  for (const auto& call : k.calls()) EXPECT_EQ(call.find("NET_PORT"), std::string::npos) << call;
  EXPECT_EQ(k.calls().back(), "close(100)");
}

TEST(LauncherLandlock, APathMissingInTheContainerGrantsNothingAndIsReturned) {
  RecordingKernel k;
  k.fail("openat(AT_FDCWD, /etc/hosts", ENOENT);
  k.files["/proc/self/fd/101"] = of_type(S_IFDIR);
  k.files["/proc/self/fd/102"] = of_type(S_IFCHR);
  const auto missing = launcher::apply_landlock(k, launcher::fit_landlock(section(), 6));
  EXPECT_EQ(missing, std::vector<std::string>{"/etc/hosts"});
  EXPECT_EQ(k.calls().back(), "close(100)");
  EXPECT_EQ(k.calls()[k.calls().size() - 2], "landlock_restrict_self(100, 0)");
}

TEST(LauncherLandlock, FailuresNameThePathThePortOrTheCallAndCloseTheRuleset) {
  {
    RecordingKernel k;
    k.fail("openat(AT_FDCWD, /usr", EACCES);
    const auto e = testsupport::step_error([&] { launcher::apply_landlock(k, launcher::fit_landlock(section(), 6)); });
    EXPECT_EQ(e.step(), "landlock");
    EXPECT_EQ(e.error_number(), EACCES);
    EXPECT_EQ(std::string(e.what()).rfind("open /usr (O_PATH) in the container for its Landlock rule", 0), 0u) << e.what();
    EXPECT_EQ(k.calls().back(), "close(100)");
  }
  {
    RecordingKernel k;
    k.files["/proc/self/fd/101"] = of_type(S_IFDIR);
    k.files["/proc/self/fd/102"] = of_type(S_IFREG);
    k.files["/proc/self/fd/103"] = of_type(S_IFCHR);
    k.fail("landlock_add_rule(100, NET_PORT", EINVAL);
    const auto e = testsupport::step_error([&] { launcher::apply_landlock(k, launcher::fit_landlock(section(), 6)); });
    EXPECT_EQ(std::string(e.what()), "add the rule for TCP port 443");
    EXPECT_EQ(e.error_number(), EINVAL);
  }
  {
    RecordingKernel k;
    k.files["/proc/self/fd/101"] = of_type(S_IFDIR);
    k.files["/proc/self/fd/102"] = of_type(S_IFREG);
    k.files["/proc/self/fd/103"] = of_type(S_IFCHR);
    k.fail("landlock_restrict_self", EPERM);
    const auto e = testsupport::step_error([&] { launcher::apply_landlock(k, launcher::fit_landlock(section(), 6)); });
    EXPECT_EQ(std::string(e.what()), "restrict this process with the ruleset (landlock_restrict_self)");
    EXPECT_EQ(k.calls().back(), "close(100)");
  }
}

TEST(LauncherLandlock, NothingEnforceableMakesNoCall) {
  RecordingKernel k;
  launcher::apply_landlock(k, launcher::fit_landlock(section(true), 0));
  EXPECT_TRUE(k.calls().empty());
}

TEST(LauncherLandlock, ExecNeedsExecuteAndReadFileBeneathTheProgram) {
  plan::Landlock l = section();
  EXPECT_TRUE(launcher::landlock_allows_exec(l, "/usr/bin/python3"));
  EXPECT_FALSE(launcher::landlock_allows_exec(l, "/usrx/bin/app")) << "beneath means by components";
  EXPECT_FALSE(launcher::landlock_allows_exec(l, "/etc/hosts")) << "read, no execute";
  l.paths = {{"/bin", kExec}, {"/", kRead}};
  EXPECT_TRUE(launcher::landlock_allows_exec(l, "/bin/sh")) << "the two rights may come from two rules";
  l.paths = {{"/bin", kExec}};
  EXPECT_FALSE(launcher::landlock_allows_exec(l, "/bin/sh")) << "execve also opens the file for reading";
  l.handled_fs = 0;
  l.paths.clear();
  EXPECT_TRUE(launcher::landlock_allows_exec(l, "/bin/sh")) << "an unhandled filesystem restricts nothing";
}

}  // namespace
}  // namespace launcher_landlock_test
