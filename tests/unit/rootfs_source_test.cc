// SPDX-License-Identifier: Apache-2.0
// How a directory rootfs is mounted (launcher/rootfs_steps.h): a private overlay whenever it is
// writable, a bind when read-only, the host directory itself only with `writethrough`.
#include <gtest/gtest.h>

#include "launcher/rootfs/rootfs_steps.h"

namespace {

plan::Rootfs directory(bool readonly, bool writethrough) {
  plan::Rootfs r{plan::RootfsKind::Directory, "/srv/rootfs", readonly, false};
  r.writethrough = writethrough;
  return r;
}

TEST(DirectoryRootfs, WritableIsAPrivateOverlayMountedOverTheDirectory) {
  const auto s = launcher::directory_rootfs(directory(false, false));
  EXPECT_TRUE(s.overlay);
  EXPECT_FALSE(s.writethrough);
  EXPECT_EQ(s.dir, "/srv/rootfs");
  EXPECT_EQ(launcher::rootfs_root(s), "/srv/rootfs");
  EXPECT_NE(launcher::describe_rootfs(s).find("overlay"), std::string::npos);
}

TEST(DirectoryRootfs, ReadonlyStaysABind) {
  const auto s = launcher::directory_rootfs(directory(true, false));
  EXPECT_FALSE(s.overlay);
  EXPECT_EQ(launcher::describe_rootfs(s), "bind (nodev) /srv/rootfs");
}

TEST(DirectoryRootfs, WritethroughBindsTheHostDirectoryNosuidNodev) {
  const auto s = launcher::directory_rootfs(directory(false, true));
  EXPECT_FALSE(s.overlay);
  EXPECT_TRUE(s.writethrough);
  EXPECT_EQ(launcher::describe_rootfs(s), "bind writable (nosuid,nodev) /srv/rootfs");
}

}  // namespace
