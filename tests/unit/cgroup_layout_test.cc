// SPDX-License-Identifier: Apache-2.0
// Layout detection from /proc/self/mountinfo and /proc/self/cgroup texts: pure v2, hybrid (like
// this project's CI hosts), pure v1, and the corner cases (escapes, bind mounts, namespaces).
#include <gtest/gtest.h>

#include "launcher/cgroup/cgroup.h"
#include "launcher/cgroup/cgroup_layout.h"

namespace launcher {
namespace {

// This host, verbatim (hybrid: v1 controllers, cgroup2 at unified with no useful controller).
constexpr const char* kHybridMountinfo =
    "22 1 253:0 / / rw,relatime - ext4 /dev/vda rw\n"
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"
    "37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
    "38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio\n"
    "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
constexpr const char* kHybridCgroup =
    "9:name=systemd:/\n8:pids:/\n7:blkio:/\n6:freezer:/\n5:devices:/\n"
    "4:memory:/process_api/fe9b773dc7fc5c0edd34ad393cc16b79\n3:cpuset:/\n2:cpuacct:/\n1:cpu:/\n0::/\n";

TEST(CgroupLayout, HybridLikeThisHost) {
  auto layout = parse_cgroup_layout(kHybridMountinfo, kHybridCgroup);
  EXPECT_EQ(layout.kind, CgroupLayoutKind::Hybrid);
  ASSERT_TRUE(layout.unified);
  EXPECT_EQ(layout.unified->mount_point, "/sys/fs/cgroup/unified");
  EXPECT_EQ(layout.unified->caller_path, "/");
  ASSERT_EQ(layout.v1.size(), 9u);
  const CgroupMount* memory = layout.v1_for("memory");
  ASSERT_NE(memory, nullptr);
  EXPECT_EQ(memory->mount_point, "/sys/fs/cgroup/memory");
  EXPECT_EQ(memory->caller_path, "/process_api/fe9b773dc7fc5c0edd34ad393cc16b79");
  EXPECT_EQ(memory->caller_dir(), "/sys/fs/cgroup/memory/process_api/fe9b773dc7fc5c0edd34ad393cc16b79");
  ASSERT_NE(layout.v1_for("cpu"), nullptr);
  EXPECT_EQ(layout.v1_for("cpu")->caller_dir(), "/sys/fs/cgroup/cpu");
  EXPECT_EQ(layout.v1_for("cpuacct")->mount_point, "/sys/fs/cgroup/cpuacct");
  EXPECT_EQ(layout.v1_for("name=systemd")->mount_point, "/sys/fs/cgroup/systemd");
  EXPECT_EQ(layout.v1_for("hugetlb"), nullptr);
}

TEST(CgroupLayout, PureV2) {
  auto layout = parse_cgroup_layout(
      "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
      "30 25 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n",
      "0::/user.slice/user-1000.slice/session-2.scope\n");
  EXPECT_EQ(layout.kind, CgroupLayoutKind::Unified);
  EXPECT_TRUE(layout.v1.empty());
  ASSERT_TRUE(layout.unified);
  EXPECT_EQ(layout.unified->caller_dir(), "/sys/fs/cgroup/user.slice/user-1000.slice/session-2.scope");
}

TEST(CgroupLayout, PureV1WithCombinedCpuCpuacct) {
  auto layout = parse_cgroup_layout(
      "25 20 0:22 / /sys/fs/cgroup ro - tmpfs tmpfs ro,mode=755\n"
      "26 25 0:23 / /sys/fs/cgroup/systemd rw shared:9 - cgroup cgroup rw,xattr,name=systemd\n"
      "29 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw shared:12 - cgroup cgroup rw,cpu,cpuacct\n"
      "30 25 0:27 / /sys/fs/cgroup/memory rw shared:13 - cgroup cgroup rw,memory\n"
      "31 25 0:28 / /sys/fs/cgroup/pids rw shared:14 - cgroup cgroup rw,pids\n",
      "5:pids:/user.slice/user-0.slice\n4:memory:/user.slice\n3:cpu,cpuacct:/user.slice\n"
      "1:name=systemd:/user.slice/user-0.slice/session-1.scope\n");
  EXPECT_EQ(layout.kind, CgroupLayoutKind::Legacy);
  EXPECT_FALSE(layout.unified);
  ASSERT_NE(layout.v1_for("cpu"), nullptr);
  EXPECT_EQ(layout.v1_for("cpu"), layout.v1_for("cpuacct"));
  EXPECT_EQ(layout.v1_for("cpu")->label(), "cpu,cpuacct");
  EXPECT_EQ(layout.v1_for("cpu")->caller_dir(), "/sys/fs/cgroup/cpu,cpuacct/user.slice");
  EXPECT_EQ(layout.v1_for("pids")->caller_dir(), "/sys/fs/cgroup/pids/user.slice/user-0.slice");
}

TEST(CgroupLayout, NoCgroupFilesystemIsNone) {
  auto layout = parse_cgroup_layout("22 1 8:1 / / rw - ext4 /dev/sda1 rw\n", "");
  EXPECT_EQ(layout.kind, CgroupLayoutKind::None);
}

TEST(CgroupLayout, OnlyNamedHierarchyAndCgroup2IsUnified) {
  auto layout = parse_cgroup_layout(
      "26 25 0:23 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,name=systemd\n"
      "27 25 0:24 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n",
      "1:name=systemd:/\n0::/\n");
  EXPECT_EQ(layout.kind, CgroupLayoutKind::Unified);
}

TEST(CgroupLayout, OctalEscapesAndBindMountDuplicates) {
  auto layout = parse_cgroup_layout(
      "30 25 0:26 / /mnt/my\\040cgroups rw - cgroup cgroup rw,memory\n"
      "31 25 0:26 / /elsewhere rw - cgroup cgroup rw,memory\n",
      "4:memory:/\n");
  ASSERT_EQ(layout.v1.size(), 1u);
  EXPECT_EQ(layout.v1[0].mount_point, "/mnt/my cgroups");
}

TEST(CgroupLayout, MountOfASubtreeMapsTheCallerPath) {
  // A container's view: the hierarchy's /docker/abc is mounted at /sys/fs/cgroup/memory.
  auto layout = parse_cgroup_layout("30 25 0:26 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n",
                                    "4:memory:/docker/abc/inner\n");
  EXPECT_EQ(layout.v1_for("memory")->caller_dir(), "/sys/fs/cgroup/memory/inner");
  auto outside = parse_cgroup_layout("30 25 0:26 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n",
                                     "4:memory:/other\n");
  EXPECT_FALSE(outside.v1_for("memory")->caller_dir());
}

TEST(CgroupLayout, DescribeNamesEveryMount) {
  auto layout = parse_cgroup_layout(kHybridMountinfo, kHybridCgroup);
  std::string text = layout.describe();
  EXPECT_NE(text.find("hybrid"), std::string::npos) << text;
  EXPECT_NE(text.find("memory at /sys/fs/cgroup/memory"), std::string::npos) << text;
  EXPECT_NE(text.find("cgroup2 at /sys/fs/cgroup/unified"), std::string::npos) << text;
}

TEST(CgroupLayout, DetectsThisHostFromProc) {
  auto layout = detect_cgroup_layout();
  // Whatever this host is, detection must find its cgroup filesystem and our place in it.
  ASSERT_NE(layout.kind, CgroupLayoutKind::None) << layout.describe();
  if (layout.kind == CgroupLayoutKind::Unified) {
    EXPECT_TRUE(layout.unified->caller_dir()) << layout.describe();
  } else {
    ASSERT_NE(layout.v1_for("memory"), nullptr) << layout.describe();
    EXPECT_TRUE(layout.v1_for("memory")->caller_dir()) << layout.describe();
  }
}

TEST(CgroupTexts, OomMessageNamesTheLimit) {
  plan::Cgroups cgroups;
  cgroups.memory_max_bytes = 250ull * 1024 * 1024;
  EXPECT_EQ(oom_message(cgroups), "killed: out of memory (limit 250 MiB)");
  cgroups.memory_max_bytes = 2ull * 1024 * 1024 * 1024;
  EXPECT_EQ(oom_message(cgroups), "killed: out of memory (limit 2 GiB)");
  cgroups.memory_max_bytes.reset();
  EXPECT_EQ(oom_message(cgroups), "killed: out of memory");
}

// The command's own death by SIGKILL is its OOM; any other exit means a descendant was killed.
TEST(CgroupTexts, OomReportBlamesTheCommandOnlyWhenItWasKilled) {
  plan::Cgroups cgroups;
  cgroups.memory_max_bytes = 250ull * 1024 * 1024;
  CgroupReport report;
  report.oom_killed = true;
  report.oom_kills = 1;
  EXPECT_EQ(oom_report(report, cgroups, 137), "killed: out of memory (limit 250 MiB)");
  EXPECT_EQ(oom_report(report, cgroups, 0),
            "warning: out of memory (limit 250 MiB): the kernel killed 1 process in the container, not the command, "
            "which exited 0");
  report.oom_kills = 3;
  EXPECT_EQ(oom_report(report, cgroups, 1),
            "warning: out of memory (limit 250 MiB): the kernel killed 3 processes in the container, not the "
            "command, which exited 1");
  report.oom_kills.reset();  // an old v1 kernel: no counter
  cgroups.memory_max_bytes.reset();
  EXPECT_EQ(oom_report(report, cgroups, 143),
            "warning: out of memory: the kernel killed a process in the container, not the command, which exited 143");
}

TEST(CgroupTexts, StatsListOnlyWhatWasMeasured) {
  CgroupReport report;
  report.memory_peak_bytes = 12ull * 1024 * 1024;
  report.cpu_usage_us = 1234000;
  report.throttled_us = 812000;
  report.nr_throttled = 9;
  report.pids_peak = 3;
  EXPECT_EQ(format_cgroup_stats(report),
            "memory peak: 12 MiB\ncpu time: 1.234 s\nthrottled: 0.812 s (9 periods)\npids peak: 3\n");
  EXPECT_EQ(format_cgroup_stats(CgroupReport{}), "");
}

}  // namespace
}  // namespace launcher
