// SPDX-License-Identifier: Apache-2.0
// The launch shape: every start-up variant decided by one pure function, and --dry-run prints
// the very value the run uses.
#include <gtest/gtest.h>
#include <linux/sched.h>
#include <sched.h>
#include <unistd.h>

#include <filesystem>

#include "launcher/cgroup/cgroup.h"
#include "launcher/cgroup/device_rules.h"
#include "launcher/launch_shape.h"
#include "launcher/validate.h"
#include "tests/support/plan_builder.h"
#include "tests/support/plan_exec_runner.h"
#include "tests/support/rootfs.h"

using namespace launcher;
namespace fs = std::filesystem;

namespace {

constexpr unsigned long long kRootNamespaces =
    CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP;
constexpr unsigned long long kUserNamespaces = kRootNamespaces | CLONE_NEWUSER;

LaunchShape shape_of(unsigned long long flags, CgroupEntry cgroups, bool veth = false) {
  return decide_launch_shape(LaunchShapeInputs{flags, veth, cgroups});
}

TEST(LauncherShape, V1RootWithoutUsernsOrVethMakesCgroupsAfterCloneAndTheChildJoins) {
  const LaunchShape s = shape_of(kRootNamespaces, CgroupEntry::ChildJoins);
  EXPECT_TRUE(s.cgroups_after_clone);
  EXPECT_TRUE(s.child_waits_late());
  EXPECT_TRUE(s.child_joins_cgroup());
  EXPECT_FALSE(s.parent_attaches());
  EXPECT_TRUE(s.net_namespace_in_child);
  EXPECT_TRUE(s.cgroup_namespace_after_attach);
  EXPECT_FALSE(s.release_early) << "the parent makes the cgroups between clone and release";
  EXPECT_EQ(s.clone_flags, kRootNamespaces & ~(CLONE_NEWNET | CLONE_NEWCGROUP));
  EXPECT_EQ(s.describe(), "child joins v1 cgroups, cgroups after clone, net namespace in child, "
                          "cgroup namespace after attach, child waits late (after its mounts)");
}

TEST(LauncherShape, V2ClonesIntoTheCgroupAndReleasesBeforeClone) {
  const LaunchShape s = shape_of(kRootNamespaces, CgroupEntry::CloneInto);
  EXPECT_TRUE(s.clone_into_cgroup());
  EXPECT_FALSE(s.cgroups_after_clone) << "CLONE_INTO_CGROUP needs the cgroup at clone";
  EXPECT_FALSE(s.child_waits_late());
  EXPECT_FALSE(s.child_joins_cgroup());
  EXPECT_FALSE(s.parent_attaches());
  EXPECT_FALSE(s.cgroup_namespace_after_attach) << "born in its cgroup: clone makes the namespace";
  EXPECT_FALSE(s.net_namespace_in_child);
  EXPECT_TRUE(s.release_early);
  EXPECT_EQ(s.clone_flags, kRootNamespaces);
}

TEST(LauncherShape, UserNamespaceKeepsCgroupsBeforeCloneAndTheReleaseAfterTheMaps) {
  const LaunchShape s = shape_of(kUserNamespaces, CgroupEntry::ChildJoins);
  EXPECT_TRUE(s.userns);
  EXPECT_FALSE(s.cgroups_after_clone);
  EXPECT_TRUE(s.child_joins_cgroup());
  EXPECT_TRUE(s.cgroup_namespace_after_attach);
  EXPECT_FALSE(s.net_namespace_in_child);
  EXPECT_FALSE(s.release_early) << "the parent writes the id maps first";
  EXPECT_EQ(s.clone_flags, kUserNamespaces & ~CLONE_NEWCGROUP);
}

TEST(LauncherShape, VethKeepsTheNetNamespaceAtCloneForTheParentToMoveThePeerIn) {
  for (CgroupEntry cgroups : {CgroupEntry::ChildJoins, CgroupEntry::CloneInto, CgroupEntry::None}) {
    const LaunchShape s = shape_of(kRootNamespaces, cgroups, /*veth=*/true);
    EXPECT_FALSE(s.cgroups_after_clone);
    EXPECT_FALSE(s.net_namespace_in_child);
    EXPECT_NE(s.clone_flags & CLONE_NEWNET, 0ULL);
    EXPECT_FALSE(s.release_early) << "the parent moves the veth peer in first";
  }
}

TEST(LauncherShape, NoCgroupsReleasesEarlyAndCloneMakesEveryNamespace) {
  const LaunchShape s = shape_of(kRootNamespaces, CgroupEntry::None);
  EXPECT_TRUE(s.release_early);
  EXPECT_FALSE(s.cgroups_after_clone);
  EXPECT_FALSE(s.child_joins_cgroup());
  EXPECT_FALSE(s.parent_attaches());
  EXPECT_FALSE(s.cgroup_namespace_after_attach);
  EXPECT_EQ(s.clone_flags, kRootNamespaces);
  EXPECT_EQ(s.describe(), "no cgroups, release before clone");
}

TEST(LauncherShape, ParentAttachingByPidUnsharesTheCgroupNamespaceLate) {
  const LaunchShape s = shape_of(kRootNamespaces, CgroupEntry::ParentAttaches);
  EXPECT_TRUE(s.parent_attaches());
  EXPECT_FALSE(s.cgroups_after_clone);
  EXPECT_TRUE(s.cgroup_namespace_after_attach);
  EXPECT_FALSE(s.release_early);
}

TEST(LauncherShape, RootlessHasAUserNamespaceSoNeverReleasesEarly) {
  const plan::Plan p = testsupport::container_plan("/nonexistent");
  const unsigned long long flags = clone_flags(effective_namespaces(p, /*rootless=*/true));
  ASSERT_NE(flags & CLONE_NEWUSER, 0ULL);
  const LaunchShape without_limits = decide_launch_shape(p, flags, nullptr);  // rootless: no device cgroup
  EXPECT_TRUE(without_limits.userns);
  EXPECT_EQ(without_limits.cgroup_entry, CgroupEntry::None);
  EXPECT_FALSE(without_limits.release_early) << "the parent writes the id maps first";
  EXPECT_EQ(without_limits.clone_flags, flags);
  for (CgroupEntry cgroups : {CgroupEntry::CloneInto, CgroupEntry::ChildJoins}) {  // delegated limits
    const LaunchShape s = shape_of(flags, cgroups);
    EXPECT_FALSE(s.release_early);
    EXPECT_FALSE(s.cgroups_after_clone);
    EXPECT_FALSE(s.net_namespace_in_child);
  }
}

// A v2-like cgroup: promises CLONE_INTO_CGROUP at prepare time, like V2Cgroup.
class FakeV2Cgroup : public ContainerCgroup {
 public:
  void create() override {}
  int clone_into_fd() const override { return -1; }  // as in a dry run: nothing was opened
  bool clone_into_cgroup() const override { return true; }
  void attach(pid_t) override { ADD_FAILURE() << "CLONE_INTO_CGROUP: nobody attaches by pid"; }
  CgroupReport finish() override { return {}; }
  std::vector<std::string> paths() const override { return {}; }
  std::string describe() const override { return "fake cgroup2"; }
};

class FakeV1Cgroup : public FakeV2Cgroup {
 public:
  bool clone_into_cgroup() const override { return false; }
  bool joins_from_child() const override { return true; }
};

TEST(LauncherShape, TheShapeComesFromTheBackendsPromiseNotFromAnFd) {
  FakeV2Cgroup v2;
  FakeV1Cgroup v1;
  EXPECT_EQ(cgroup_entry_of(&v2), CgroupEntry::CloneInto);
  EXPECT_EQ(cgroup_entry_of(&v1), CgroupEntry::ChildJoins);
  EXPECT_EQ(cgroup_entry_of(nullptr), CgroupEntry::None);
  plan::Plan p = testsupport::container_plan("/nonexistent");
  const unsigned long long flags = clone_flags(effective_namespaces(p, /*rootless=*/false));
  // The dry-run text of a v2 host: clone into the cgroup, never "cgroup namespace after attach",
  // although the fake's fd is -1 as in every dry run.
  const std::string text = decide_launch_shape(p, flags, &v2).describe();
  EXPECT_EQ(text.find("cgroup namespace after attach"), std::string::npos) << text;
  EXPECT_NE(text.find("clone into cgroup"), std::string::npos) << text;
  EXPECT_EQ(text, shape_of(flags, CgroupEntry::CloneInto).describe());
  p.network.mode = plan::NetworkMode::Veth;
  EXPECT_FALSE(decide_launch_shape(p, flags, &v1).cgroups_after_clone) << "the plan's veth counts";
}

TEST(LauncherShape, DryRunPrintsTheShapeThisHostsRunWillUse) {
  // The real binary's --dry-run against the same decision made here from this host's cgroups.
  testsupport::ScratchDir scratch("launcher-shape");
  fs::create_directories(scratch.path() + "/rootfs/home");
  fs::copy_file(std::string(TEST_PROGRAMS_DIR) + "/probe", scratch.path() + "/rootfs/home/probe");
  const plan::Plan p = testsupport::container_plan(scratch.path() + "/rootfs");
  const std::string file = testsupport::write_plan(p, scratch.path() + "/plan.json");
  auto r = testsupport::run_plan_exec({"--dry-run", file});
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  const bool rootless = ::geteuid() != 0;
  std::optional<std::vector<DeviceRule>> devices;
  if (!rootless) devices = device_rules_for(p.devices);
  const auto cgroup = prepare_container_cgroup(p.cgroups, devices, p.name, ::getpid(), false);
  const LaunchShape expected =
      decide_launch_shape(p, clone_flags(effective_namespaces(p, rootless)), cgroup.get());
  EXPECT_NE(r.out.find("\n  shape            " + expected.describe() + "\n"), std::string::npos)
      << "expected: " << expected.describe() << "\n" << r.out;
}

}  // namespace
