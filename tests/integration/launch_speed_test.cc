// SPDX-License-Identifier: Apache-2.0
// What the launch-speed work changed, end to end (root, this host's real cgroups), so that a
// faster start never costs a property:
//   - on v1 the container joins its cgroups by itself, in every hierarchy of the plan, both
//     when the parent makes them after clone (the plain plan) and when it makes them before
//     (a user namespace: the child writes through descriptors plan-exec opened as root);
//   - without --stats no hierarchy is made only to measure, with --stats usage is reported;
//   - loopback is up in its own net namespace (one raw netlink request now);
//   - plan-exec is a static executable (no dynamic loader at start), unless sanitized;
//   - a failing cgroup write after clone still ends in exit 125, a message, nothing left;
//   - as root without a user namespace /dev holds real device nodes (mknod), not bind mounts:
//     the host's numbers, modes and owners, working, and the command's umask untouched; in a
//     user namespace (no CAP_MKNOD there) the host's nodes are still bound.
#include <elf.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <fstream>
#include <sstream>

#include "launcher/cgroup/cgroup_layout.h"
#include "tests/support/plan_builder.h"
#include "tests/support/plan_exec_runner.h"
#include "tests/support/rootfs.h"
#include "tests/support/rootfs_suite.h"

using namespace testsupport;

namespace {

namespace fs = std::filesystem;

plan::Cgroups memory_cpu_pids() {
  plan::Cgroups c;
  c.memory_max_bytes = 64 << 20;
  c.cpu_quota_us = 50000;
  c.cpu_period_us = 100000;
  c.pids_max = 32;
  c.parent = "plan-exec";
  c.v2 = {{"memory.max", "67108864"}, {"cpu.max", "50000 100000"}, {"pids.max", "32"}};
  c.v1 = {{"memory", {{"memory.limit_in_bytes", "67108864"}}},
          {"cpu", {{"cpu.cfs_period_us", "100000"}, {"cpu.cfs_quota_us", "50000"}}},
          {"pids", {{"pids.max", "32"}}}};
  return c;
}

// "4:memory:/a/b" lines of /proc/self/cgroup -> controller list -> path.
std::map<std::string, std::string> cgroups_in(const std::string& proc_self_cgroup) {
  std::map<std::string, std::string> paths;
  std::istringstream lines(proc_self_cgroup);
  for (std::string line; std::getline(lines, line);) {
    auto first = line.find(':'), second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    paths[line.substr(first + 1, second - first - 1)] = line.substr(second + 1);
  }
  return paths;
}

class LaunchSpeed : public RootfsSuite<LaunchSpeed> {
 public:
  static constexpr const char* kScratch = "launch-speed";

 protected:
  void SetUp() override {
    RootfsSuite::SetUp();
    if (IsSkipped()) return;
    layout_ = launcher::detect_cgroup_layout();
  }
  bool v1_host() const {
    return layout_.kind == launcher::CgroupLayoutKind::Hybrid || layout_.kind == launcher::CgroupLayoutKind::Legacy;
  }
  static plan::Plan plan_named(const std::string& name) {
    plan::Plan p = container_plan(rootfs());
    p.name = name;
    return p;
  }
  static std::string plan_file(const plan::Plan& p) { return write_plan(p, scratch_->path() + "/" + p.name + ".json"); }

  // The command's own cgroups must be the run's leaves "<name>-<plan-exec pid>" in every
  // hierarchy the plan limits.
  void expect_joined(const std::string& name, const ProcessResult& r) {
    ASSERT_EQ(r.exit_code, 0) << r.summary();
    auto inside = cgroups_in(r.out);
    for (const char* controller : {"memory", "cpu", "pids"}) {
      const auto* mount = layout_.v1_for(controller);
      if (!mount) continue;
      const std::string& path = inside[mount->label()];
      EXPECT_NE(path.find("/plan-exec/" + name + "-"), std::string::npos)
          << controller << " hierarchy: the command runs in " << path << "\n" << r.summary();
    }
  }

  launcher::CgroupLayout layout_;
};

// The v1 order where the parent makes the cgroups after clone and the child makes its own net
// namespace meanwhile: still joined everywhere, still in a net namespace of its own, lo up.
TEST_F(LaunchSpeed, ContainerJoinsEveryHierarchyItself) {
  if (!v1_host()) GTEST_SKIP() << "v2 hosts use clone3(CLONE_INTO_CGROUP)";
  plan::Plan p = plan_named("speed-join");
  p.cgroups = memory_cpu_pids();
  p.namespaces.push_back(plan::Namespace::Net);
  p.network.mode = plan::NetworkMode::Loopback;
  p.mounts.push_back(sysfs_mount());  // sysfs needs the net namespace to exist before it
  auto r = run_plan_exec({plan_file(p), "--", "/bin/sh", "-c",
                          "cat /proc/self/cgroup; readlink /proc/self/ns/net; cat /sys/class/net/lo/flags"});
  expect_joined(p.name, r);
  const std::string host_net = fs::read_symlink("/proc/self/ns/net").string();
  EXPECT_NE(r.out.find("net:["), std::string::npos) << r.summary();
  EXPECT_EQ(r.out.find(host_net), std::string::npos) << "the container shares the host's " << host_net << "\n"
                                                     << r.summary();
  EXPECT_NE(r.out.find("0x9"), std::string::npos) << "lo up (IFF_UP|IFF_LOOPBACK): " << r.summary();
}

TEST_F(LaunchSpeed, ContainerInAUserNamespaceJoinsThroughDescriptorsOpenedByRoot) {
  if (!v1_host()) GTEST_SKIP() << "v2 hosts use clone3(CLONE_INTO_CGROUP)";
  plan::Plan p = plan_named("speed-userns");
  p.cgroups = memory_cpu_pids();
  p.namespaces.push_back(plan::Namespace::User);
  p.user.uid_map = {{0, 200000, 65536}};
  p.user.gid_map = {{0, 200000, 65536}};
  // Its root is uid 200000 outside: it could not open the root-owned `tasks` files itself.
  auto r = run_plan_exec({plan_file(p), "--", "/bin/cat", "/proc/self/cgroup", "/proc/self/uid_map"});
  expect_joined(p.name, r);
  EXPECT_NE(r.out.find("200000"), std::string::npos) << "the uid map is in place: " << r.summary();
}

TEST_F(LaunchSpeed, StatsOnlyHierarchiesOnlyWithStats) {
  if (!v1_host()) GTEST_SKIP() << "v1 hierarchies";
  const auto* cpuacct = layout_.v1_for("cpuacct");
  const auto* cpu = layout_.v1_for("cpu");
  if (!cpuacct || cpuacct == cpu) GTEST_SKIP() << "cpuacct is not a hierarchy of its own here";
  plan::Plan p = plan_named("speed-stats");
  p.cgroups = memory_cpu_pids();
  const std::string file = plan_file(p);

  auto plain = run_plan_exec({file, "--", "/bin/cat", "/proc/self/cgroup"});
  ASSERT_EQ(plain.exit_code, 0) << plain.summary();
  EXPECT_EQ(cgroups_in(plain.out)[cpuacct->label()].find("/plan-exec/"), std::string::npos)
      << "no cpuacct cgroup without --stats: " << plain.summary();

  auto stats = run_plan_exec({"--stats", file, "--", "/bin/cat", "/proc/self/cgroup"});
  ASSERT_EQ(stats.exit_code, 0) << stats.summary();
  EXPECT_NE(cgroups_in(stats.out)[cpuacct->label()].find("/plan-exec/speed-stats-"), std::string::npos)
      << stats.summary();
  EXPECT_NE(stats.err.find("plan-exec: stats: cpu time:"), std::string::npos) << stats.summary();
}

TEST_F(LaunchSpeed, LoopbackIsUp) {
  plan::Plan p = plan_named("speed-lo");
  p.namespaces.push_back(plan::Namespace::Net);
  p.network.mode = plan::NetworkMode::Loopback;
  p.mounts.push_back(sysfs_mount());
  auto r = run_plan_exec({plan_file(p), "--", "/bin/cat", "/sys/class/net/lo/flags"});
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  const unsigned long flags = std::stoul(r.out, nullptr, 16);
  EXPECT_TRUE(flags & 0x1) << "IFF_UP: " << r.summary();
}

TEST_F(LaunchSpeed, AFailingLimitAfterCloneIsReportedAndLeavesNothing) {
  if (!v1_host()) GTEST_SKIP() << "the v1 order (cgroups made after clone)";
  plan::Plan p = plan_named("speed-badlimit");
  p.cgroups = memory_cpu_pids();
  p.cgroups->v1[2].writes = {{"pids.max", "not-a-number"}};  // the kernel refuses it: EINVAL
  auto r = run_plan_exec({plan_file(p), "--", "/bin/true"});
  EXPECT_EQ(r.exit_code, 125) << r.summary();
  EXPECT_NE(r.err.find("pids.max"), std::string::npos) << r.summary();
  for (const auto& mount : layout_.v1) {
    auto base = mount.caller_dir();
    if (!base) continue;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(*base + "/plan-exec", ec))
      EXPECT_FALSE(entry.path().filename().string().starts_with("speed-badlimit-")) << entry.path();
  }
}

// "crw-rw-rw- 1 0 5 5, 0 ... /dev/tty" lines of `ls -ln` -> name -> "mode uid gid major,minor".
std::map<std::string, std::string> device_lines(const std::string& ls_output) {
  std::map<std::string, std::string> devices;
  std::istringstream lines(ls_output);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string mode, links, uid, gid, major, minor, month, day, time, name;
    if (!(fields >> mode >> links >> uid >> gid >> major >> minor >> month >> day >> time >> name)) continue;
    if (name.rfind("/dev/", 0) != 0) continue;
    devices[name] = mode + " " + uid + " " + gid + " " + major + minor;
  }
  return devices;
}

// What the host's own nodes look like, in the same format: the container's must be equal.
std::map<std::string, std::string> host_devices() {
  std::map<std::string, std::string> devices;
  for (const char* name : {"null", "zero", "full", "random", "urandom", "tty"}) {
    const std::string path = std::string("/dev/") + name;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) continue;
    std::string mode = "c";
    for (int bit = 8; bit >= 0; --bit) mode += (st.st_mode & (1u << bit)) ? "rwx"[(8 - bit) % 3] : '-';
    devices[path] = mode + " " + std::to_string(st.st_uid) + " " + std::to_string(st.st_gid) + " " +
                    std::to_string(major(st.st_rdev)) + "," + std::to_string(minor(st.st_rdev));
  }
  return devices;
}

const char* kDeviceScript =
    "ls -ln /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty; "
    "echo umask=$(umask); "
    "echo hidden > /dev/null && echo null-ok; "
    "test $(( $(head -c 3 /dev/zero | wc -c) )) = 3 && echo zero-ok; "
    "echo urandom-bytes=$(( $(head -c 8 /dev/urandom | wc -c) )); "
    "echo device-mounts=$(( $(grep -cE '^[0-9]+ [0-9]+ [0-9:]+ [^ ]+ /dev/' /proc/self/mountinfo) ))";

TEST_F(LaunchSpeed, MinimalDevHasRealDeviceNodesAsRoot) {
  plan::Plan p = plan_named("speed-dev");
  const mode_t our_umask = ::umask(022);
  auto r = run_plan_exec({plan_file(p), "--", "/bin/sh", "-c", kDeviceScript});
  ::umask(our_umask);
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_EQ(device_lines(r.out), host_devices()) << r.summary();
  EXPECT_NE(r.out.find("umask=0022"), std::string::npos) << "the nodes' 0666 must not change the command's umask\n"
                                                           << r.summary();
  for (const char* works : {"null-ok", "zero-ok", "urandom-bytes=8"})
    EXPECT_NE(r.out.find(works), std::string::npos) << works << "\n" << r.summary();
  // Only devpts and /dev/shm are mounts below /dev: no bind per device.
  EXPECT_NE(r.out.find("device-mounts=2"), std::string::npos) << r.summary();
}

// In a user namespace mknod is refused: the host's nodes are bound instead, as before.
TEST_F(LaunchSpeed, MinimalDevInAUserNamespaceBindsTheHostNodes) {
  plan::Plan p = plan_named("speed-dev-userns");
  p.namespaces.push_back(plan::Namespace::User);
  p.user.uid_map = {{0, 0, 65536}};
  p.user.gid_map = {{0, 0, 65536}};
  auto r = run_plan_exec({plan_file(p), "--", "/bin/sh", "-c", kDeviceScript});
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_EQ(device_lines(r.out), host_devices()) << r.summary();
  for (const char* works : {"null-ok", "zero-ok", "urandom-bytes=8"})
    EXPECT_NE(r.out.find(works), std::string::npos) << works << "\n" << r.summary();
  EXPECT_NE(r.out.find("device-mounts=8"), std::string::npos) << "six binds, devpts and shm\n" << r.summary();
}

// No PT_INTERP program header: the kernel starts plan-exec without ld.so (see
// launcher/CMakeLists.txt). Sanitizer builds link dynamically on purpose.
TEST_F(LaunchSpeed, PlanExecIsStatic) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "sanitizer builds link plan-exec dynamically";
#endif
  std::ifstream in(PLAN_EXEC_BIN, std::ios::binary);
  ASSERT_TRUE(in) << PLAN_EXEC_BIN;
  Elf64_Ehdr header{};
  in.read(reinterpret_cast<char*>(&header), sizeof header);
  ASSERT_EQ(std::string(reinterpret_cast<char*>(header.e_ident), 4), std::string(ELFMAG, 4));
  for (int i = 0; i < header.e_phnum; ++i) {
    Elf64_Phdr program{};
    in.seekg(static_cast<std::streamoff>(header.e_phoff + static_cast<std::uint64_t>(i) * header.e_phentsize));
    in.read(reinterpret_cast<char*>(&program), sizeof program);
    EXPECT_NE(program.p_type, static_cast<std::uint32_t>(PT_INTERP)) << "plan-exec asks for a dynamic loader";
  }
  EXPECT_EQ(header.e_type, ET_DYN) << "static-pie: plan-exec keeps ASLR";
}

}  // namespace
