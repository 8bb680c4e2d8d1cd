// SPDX-License-Identifier: Apache-2.0
// plan-exec's checks of plan.devices before any side effect, and the nodev it adds to mounts:
// each refusal names plan.devices[i] and what is wrong (the process then exits 125); no root
// needed.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <dirent.h>

#include <string>

#include "launcher/rootfs/devices.h"
#include "launcher/host/error.h"
#include "launcher/host/mount_util.h"

namespace {

plan::Plan plan_granting(std::vector<std::string> devices) {
  plan::Plan p;
  p.namespaces = {plan::Namespace::Mount};
  p.mounts.push_back({plan::MountKind::Dev, "tmpfs", "/dev", "tmpfs", MS_NOSUID, "mode=755", false});
  p.devices = std::move(devices);
  return p;
}

// The refusal's text, or "(accepted)".
std::string refusal(const plan::Plan& p) {
  try {
    launcher::validate_granted_devices(p);
    return "(accepted)";
  } catch (const launcher::StepError& e) {
    EXPECT_EQ(e.step(), "validate");
    return e.what();
  }
}

TEST(LauncherDevices, AcceptsHostDeviceNodesBelowDev) {
  EXPECT_EQ(refusal(plan_granting({})), "(accepted)");
  // /dev/full is in every /dev but made by the minimal /dev: take any other char node the host has.
  std::string node;
  for (const char* path : {"/dev/fuse", "/dev/net/tun", "/dev/loop-control", "/dev/kmsg", "/dev/console"}) {
    struct stat st {};
    if (::stat(path, &st) == 0 && S_ISCHR(st.st_mode)) {
      node = path;
      break;
    }
  }
  if (node.empty()) GTEST_SKIP() << "no grantable character device on this host";
  EXPECT_EQ(refusal(plan_granting({node})), "(accepted)");
  plan::Plan without_dev = plan_granting({node});
  without_dev.mounts.clear();
  EXPECT_NE(refusal(without_dev).find("plan.devices: granted devices go into the minimal /dev"), std::string::npos);
  EXPECT_NE(refusal(plan_granting({node, node})).find("plan.devices[1]: " + node + " is listed twice"), std::string::npos);
}

TEST(LauncherDevices, EachRefusalNamesItsEntry) {
  EXPECT_EQ(refusal(plan_granting({"/dev/plan-exec-test-missing"})).rfind(
                "plan.devices[0]: /dev/plan-exec-test-missing does not exist on this host", 0),
            0u);
  EXPECT_EQ(refusal(plan_granting({"/etc/passwd"})), "plan.devices[0]: \"/etc/passwd\" is not a path under /dev");
  EXPECT_EQ(refusal(plan_granting({"/dev/../etc/passwd"})),
            "plan.devices[0]: \"/dev/../etc/passwd\" is not a plain path under /dev");
  EXPECT_EQ(refusal(plan_granting({"/dev//null"})), "plan.devices[0]: \"/dev//null\" is not a plain path under /dev");
  EXPECT_EQ(refusal(plan_granting({"/dev/pts/0"})),
            "plan.devices[0]: /dev/pts/0 is made by the minimal /dev itself; remove it from the plan's devices");
  EXPECT_NE(refusal(plan_granting({"/dev/null"})).find("made by the minimal /dev itself"), std::string::npos);
  // A directory under /dev that the minimal /dev does not make (net, cpu, disk, ...).
  std::string directory;
  if (DIR* d = ::opendir("/dev")) {
    while (dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      struct stat st {};
      if (name[0] == '.' || launcher::made_by_minimal_dev(name)) continue;
      if (::lstat(("/dev/" + name).c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
        directory = "/dev/" + name;
        break;
      }
    }
    ::closedir(d);
  }
  if (directory.empty()) GTEST_SKIP() << "no directory in this host's /dev";
  EXPECT_EQ(refusal(plan_granting({directory})),
            "plan.devices[0]: " + directory + " on this host is not a device node; grant character or block devices only");
}

TEST(LauncherDevices, NodevOnEveryMountButTheMinimalDevAndDevpts) {
  for (auto kind : {plan::MountKind::Proc, plan::MountKind::Sysfs, plan::MountKind::Tmpfs, plan::MountKind::Bind,
                    plan::MountKind::Mqueue}) {
    plan::Mount m{kind, "x", "/x", "", MS_NOSUID, "", false};
    EXPECT_EQ(launcher::enforced_mount_flags(m), static_cast<std::uint64_t>(MS_NOSUID | MS_NODEV)) << plan::to_string(kind);
  }
  plan::Mount dev{plan::MountKind::Dev, "tmpfs", "/dev", "tmpfs", MS_NOSUID, "", false};
  plan::Mount devpts{plan::MountKind::Devpts, "devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "", false};
  EXPECT_EQ(launcher::enforced_mount_flags(dev), static_cast<std::uint64_t>(MS_NOSUID));
  EXPECT_EQ(launcher::enforced_mount_flags(devpts), static_cast<std::uint64_t>(MS_NOSUID | MS_NOEXEC));
}

}  // namespace
