// SPDX-License-Identifier: Apache-2.0
// Devices: whatever its capabilities and mounts, a container opens no device node beyond
// Docker's default list and the ones its plan grants (plan.devices). tests/programs/
// probe_devices.c makes block 8:0, the disk holding "/", /dev/mem and /dev/kmsg with mknod in
// /tmp, /dev and "/" and opens them, and opens every unlisted node it finds in /dev.
// - held under strict.pol and permissive.pol;
// - a control run that keeps CAP_MKNOD with the device cgroup (and the nodev mounts) switched
//   off escapes, so the probe can fail;
// - a granted node can be opened, an ungranted one cannot;
// - the cgroup v2 program (device_bpf.h) confines a task for real on this host's cgroup2 mount
//   (hybrid hosts have one: BPF device programs apply there whatever the v1 side does).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>

#include "launcher/cgroup/cgroup_layout.h"
#include "launcher/cgroup/device_bpf.h"
#include "launcher/cgroup/device_rules.h"
#include "plan/plan_json.h"
#include "tests/support/plan_builder.h"
#include "tests/support/security_suite.h"

namespace {

using security::Policy;

class SecurityDevices : public security::Suite<SecurityDevices> {
 public:
  static constexpr const char* kScratch = "security-devices";

  // The permissive plan with other capabilities and granted devices, written next to it.
  static std::string plan_variant(const std::string& name, const std::vector<int>& capabilities,
                                  const std::vector<std::string>& devices) {
    plan::Plan p = plan::load_file(security::plan_path(dir(), Policy::Permissive));
    p.capabilities = capabilities;
    p.devices = devices;
    return testsupport::write_plan(p, dir() + "/" + name + ".plan");
  }

  static testsupport::ProcessResult run_plan(const std::string& plan_file, const std::vector<std::string>& command,
                                             const std::string& disabled = "") {
    testsupport::ProcessOptions options;
    if (!disabled.empty()) options.env.push_back("PLAN_EXEC_TEST_DISABLE_DEFENCES=" + disabled);
    std::vector<std::string> args = {plan_file, "--"};
    args.insert(args.end(), command.begin(), command.end());
    return testsupport::run_plan_exec(args, options);
  }

  static std::vector<int> permissive_capabilities_with_mknod() {
    plan::Plan p = plan::load_file(security::plan_path(dir(), Policy::Permissive));
    std::vector<int> caps = p.capabilities;
    if (std::find(caps.begin(), caps.end(), CAP_MKNOD) == caps.end()) caps.push_back(CAP_MKNOD);
    return caps;
  }
};

TEST_F(SecurityDevices, HeldUnderBothPolicies) {
  for (Policy policy : security::kBothPolicies) {
    const auto r = run(policy, {"/home/probe_devices"});
    EXPECT_EQ(r.exit_code, 0) << security::name_of(policy) << "\n" << r.summary();
    EXPECT_TRUE(security::escaped_lines(r.out).empty()) << security::name_of(policy) << "\n" << r.summary();
    EXPECT_GE(security::held_lines(r.out).size(), 9u) << security::name_of(policy) << "\n" << r.summary();
  }
}

TEST_F(SecurityDevices, PermissiveMakesTheNodesButCannotOpenThem) {
  // Under permissive.pol mknod works on this branch (Docker's default capabilities keep
  // CAP_MKNOD; `c *:* m` allows it): then it is the device cgroup alone that refuses the open.
  const std::string plan_file = plan_variant("mknod", permissive_capabilities_with_mknod(), {});
  const auto r = run_plan(plan_file, {"/home/probe_devices"});
  EXPECT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_NE(r.out.find("(/dev/kmsg) in /dev, open: held (mknod worked, open: Operation not permitted)"),
            std::string::npos)
      << r.summary();
}

TEST_F(SecurityDevices, ControlWithoutTheDeviceCgroupEscapes) {
  // `capabilities keep mknod`, device cgroup and nodev mounts off: the nodes made open.
  const std::string plan_file = plan_variant("control", {CAP_MKNOD}, {});
  const auto r = run_plan(plan_file, {"/home/probe_devices"}, "device-cgroup,nodev");
  EXPECT_GT(r.exit_code, 0) << r.summary();
  const auto escaped = security::escaped_lines(r.out);
  EXPECT_FALSE(escaped.empty()) << r.summary();
  EXPECT_TRUE(std::any_of(escaped.begin(), escaped.end(),
                          [](const std::string& l) { return l.find("(/dev/kmsg) in /dev") != std::string::npos; }))
      << r.summary();
}

TEST_F(SecurityDevices, AGrantedNodeOpensAndAnUngrantedOneDoesNot) {
  const char* granted = ::access("/dev/fuse", F_OK) == 0 ? "/dev/fuse" : "/dev/loop-control";
  struct stat st {};
  if (::stat(granted, &st) != 0 || !S_ISCHR(st.st_mode)) GTEST_SKIP() << "neither /dev/fuse nor /dev/loop-control here";
  const std::string node = "c:" + std::to_string(major(st.st_rdev)) + ":" + std::to_string(minor(st.st_rdev));
  const std::string shown = "c " + std::to_string(major(st.st_rdev)) + ":" + std::to_string(minor(st.st_rdev));
  const auto caps = permissive_capabilities_with_mknod();

  const auto with_grant = run_plan(plan_variant("granted", caps, {granted}), {"/home/probe_devices", "--open", node, "c:1:11"});
  ASSERT_EQ(with_grant.exit_code, 0) << with_grant.summary();
  EXPECT_NE(with_grant.out.find("open " + shown + ": ok"), std::string::npos) << with_grant.summary();
  EXPECT_NE(with_grant.out.find("open c 1:11: failed (Operation not permitted)"), std::string::npos)
      << with_grant.summary();

  const auto without = run_plan(plan_variant("ungranted", caps, {}), {"/home/probe_devices", "--open", node});
  ASSERT_EQ(without.exit_code, 0) << without.summary();
  EXPECT_NE(without.out.find("open " + shown + ": failed (Operation not permitted)"), std::string::npos)
      << without.summary();
}

TEST_F(SecurityDevices, AGrantedPathThatIsNoDeviceIsRefusedBeforeAnything) {
  const auto caps = permissive_capabilities_with_mknod();
  const char* present = ::access("/dev/fuse", F_OK) == 0 ? "/dev/fuse" : "/dev/loop-control";
  const auto missing = run_plan(plan_variant("missing", caps, {present, "/dev/no-such-device"}), {"/bin/true"});
  EXPECT_EQ(missing.exit_code, 125) << missing.summary();
  EXPECT_NE(missing.err.find("plan.devices[1]"), std::string::npos) << missing.summary();
  // A directory under /dev that the minimal /dev does not make: the plan rules accept the path,
  // the host check refuses the node.
  const char* dir_under_dev = ::access("/dev/net", F_OK) == 0 ? "/dev/net" : "/dev/cpu";
  const auto directory = run_plan(plan_variant("directory", caps, {dir_under_dev}), {"/bin/true"});
  EXPECT_EQ(directory.exit_code, 125) << directory.summary();
  EXPECT_NE(directory.err.find("plan.devices[0]"), std::string::npos) << directory.summary();
  EXPECT_NE(directory.err.find("not a device"), std::string::npos) << directory.summary();
  // Outside /dev: a plan rule.
  const auto outside = run_plan(plan_variant("outside", caps, {"/etc/passwd"}), {"/bin/true"});
  EXPECT_EQ(outside.exit_code, 125) << outside.summary();
  EXPECT_NE(outside.err.find("plan.devices[0]: \"/etc/passwd\" is not a device under /dev"), std::string::npos)
      << outside.summary();
}

TEST_F(SecurityDevices, DryRunShowsTheDeviceCgroup) {
  const auto r = security::run_under(dir(), Policy::Permissive, {"/bin/true"}, {}, {"--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_NE(r.out.find("device cgroup: deny all devices but c *:* m, b *:* m, c 1:3 rwm"), std::string::npos)
      << r.summary();
}

// ---- the cgroup v2 program, for real on this host's cgroup2 mount ---------------------------

// In a child moved into `cgroup_dir`: 0 when `path` opens with `flags`, else the errno.
int open_errno_in(const std::string& cgroup_dir, const char* path, int flags) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::ofstream procs(cgroup_dir + "/cgroup.procs");
    procs << "0" << std::flush;
    if (!procs) _exit(200);
    const int fd = ::open(path, flags | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    _exit(fd >= 0 ? 0 : errno);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
}

TEST(DeviceCgroupV2, TheBpfProgramConfinesATaskInTheCgroup2Hierarchy) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  const auto layout = launcher::detect_cgroup_layout();
  if (!layout.unified) GTEST_SKIP() << "no cgroup2 mount";
  for (const char* node : {"/dev/null", "/dev/kmsg"})
    if (::access(node, F_OK) != 0) GTEST_SKIP() << node << " missing";
  const bool have_fuse = ::access("/dev/fuse", F_OK) == 0;

  const std::string dir = layout.unified->mount_point + "/plan-exec-devtest-" + std::to_string(::getpid());
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0) << dir << ": " << std::strerror(errno);
  struct Remove {
    std::string dir;
    ~Remove() { ::rmdir(dir.c_str()); }
  } remove{dir};

  // Before: the same opens work, so a denial below is the program's.
  EXPECT_EQ(open_errno_in(dir, "/dev/kmsg", O_WRONLY), 0);

  const auto rules = launcher::device_rules_for(have_fuse ? std::vector<std::string>{"/dev/fuse"}
                                                          : std::vector<std::string>{});
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  std::string problem;
  const int err = launcher::attach_device_program(fd, launcher::device_program(rules), problem);
  ::close(fd);
  ASSERT_EQ(err, 0) << problem;

  EXPECT_EQ(open_errno_in(dir, "/dev/null", O_RDWR), 0);
  EXPECT_EQ(open_errno_in(dir, "/dev/kmsg", O_WRONLY), EPERM);
  EXPECT_EQ(open_errno_in(dir, "/dev/kmsg", O_RDONLY), EPERM);
  if (have_fuse) {
    EXPECT_EQ(open_errno_in(dir, "/dev/fuse", O_RDWR), 0) << "granted";
  }
}

}  // namespace
