// SPDX-License-Identifier: Apache-2.0
// Security suite, class "devices" (nodev and mknod): a container must not reach host hardware
// through a device node it makes itself. tests/programs/probe_nodev.c mknods a copy of
// /dev/null and the host's disk on /tmp and opens them.
//   - strict.pol and permissive.pol: mknod is refused (user namespace and seccomp; the default
//     capability set has no mknod any more).
//   - permissive.pol with `capabilities keep ... mknod` and a plan doctored to drop nodev from
//     /tmp: mknod works, plan-exec makes /tmp nodev anyway, so the open fails.
//   - the same with the defences "nodev" (and "device-cgroup") switched off: the disk opens.
// Also: `device /dev/...` grants a host node by name, under both policies, and a grant the host
// cannot satisfy stops plan-exec before it does anything (exit 125).
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cstdio>
#include <string>
#include <vector>

#include "plan/plan_json.h"
#include "tests/support/proof_env.h"
#include "tests/support/security_suite.h"

namespace {

const std::vector<std::string> kDefencesOff = {"nodev", "device-cgroup"};
const char* const kDockerCapsWithMknod =
    "capabilities keep chown dac_override fsetid fowner mknod net_raw setgid setuid setfcap setpcap "
    "net_bind_service sys_chroot kill audit_write";

class SecurityNodev : public security::Suite<SecurityNodev> {
 public:
  static constexpr const char* kScratch = "security-nodev";

 protected:
  // A variant of one of the suite's compiled policies (already pointing at the test rootfs),
  // compiled to DIR/NAME.plan.
  static std::string variant(security::Policy base, const std::string& name,
                             const std::vector<std::pair<std::string, std::string>>& replacements) {
    const std::string source = dir() + (base == security::Policy::Strict ? "/strict.pol" : "/permissive.pol");
    const std::string pol = dir() + "/" + name + ".pol", plan = dir() + "/" + name + ".plan";
    proof::write_policy_variant(source, pol, replacements);
    proof::compile_policy_file(pol, plan);
    return plan;
  }

  // permissive.pol keeping mknod: only nodev (and the device cgroup) stand between the probe and
  // the nodes it makes.
  static std::string mknod_plan() {
    return variant(security::Policy::Permissive, "keep-mknod",
                   {{"  user 0:0", "  user 0:0\n  " + std::string(kDockerCapsWithMknod)}});
  }

  // The same plan doctored: /tmp without nodev, as a tampered or hand-written plan could have it.
  static std::string plan_without_nodev() {
    const std::string path = mknod_plan();
    plan::Plan p = plan::load_file(path);
    bool found = false;
    for (auto& m : p.mounts) {
      if (m.target != "/tmp") continue;
      m.flags &= ~static_cast<std::uint64_t>(MS_NODEV);
      found = true;
    }
    if (!found) throw std::runtime_error("permissive.pol no longer mounts /tmp: update this test");
    const std::string doctored = dir() + "/without-nodev.plan";
    plan::write_file_atomically(doctored, plan::to_json(p));
    return doctored;
  }

  static testsupport::ProcessResult run_plan(const std::string& plan, const std::vector<std::string>& command,
                                             const std::vector<std::string>& disabled = {}) {
    testsupport::ProcessOptions options;
    if (!disabled.empty()) {
      std::string list;
      for (const auto& d : disabled) list += (list.empty() ? "" : ",") + d;
      options.env.push_back("PLAN_EXEC_TEST_DISABLE_DEFENCES=" + list);
    }
    std::vector<std::string> args = {plan, "--"};
    args.insert(args.end(), command.begin(), command.end());
    return testsupport::run_plan_exec(args, options);
  }
};

bool line_starts(const std::vector<std::string>& lines, const std::string& prefix) {
  for (const auto& line : lines) {
    if (line.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

// On /tmp and in the rootfs itself (/home: without mknod in the default set, permissive.pol's
// root could make the host's disk there and open it, as the rootfs bind is no nodev mount of ours).
TEST_F(SecurityNodev, MknodIsRefusedUnderBothPolicies) {
  for (auto policy : security::kBothPolicies) {
    for (const char* dir : {"/tmp", "/home"}) {
      const auto r = run(policy, {"/home/probe_nodev", dir});
      const std::string where = std::string(security::name_of(policy)) + " in " + dir + "\n" + r.summary();
      EXPECT_EQ(r.exit_code, 0) << where;
      EXPECT_TRUE(security::escaped_lines(r.out).empty()) << where;
      const auto held = security::held_lines(r.out);
      ASSERT_EQ(held.size(), 2u) << where;
      EXPECT_EQ(held[0].rfind("mknod-char: held (mknod 1:3", 0), 0u) << "mknod itself must fail: " << where;
    }
  }
}

// With mknod kept, the node is made on /tmp (a tmpfs) and in the rootfs (/home), and neither
// opens: both mounts are nodev, which the kernel checks before the device cgroup.
TEST_F(SecurityNodev, NodevHoldsWhenThePolicyKeepsMknod) {
  const std::string plan = mknod_plan();
  for (const char* where : {"/tmp", "/home"}) {
    const auto r = run_plan(plan, {"/home/probe_nodev", where});
    EXPECT_EQ(r.exit_code, 0) << where << "\n" << r.summary();
    EXPECT_TRUE(security::escaped_lines(r.out).empty()) << where << "\n" << r.summary();
    const std::string expected = std::string("mknod-char: held (mknod 1:3 in ") + where + " worked, open: Permission denied)";
    EXPECT_TRUE(line_starts(security::held_lines(r.out), expected)) << r.summary();
  }
}

// A plan that leaves nodev out of a mount breaks a plan rule: refused before anything is made.
TEST_F(SecurityNodev, APlanThatDropsNodevIsRefused) {
  const auto r = run_plan(plan_without_nodev(), {"/home/probe_nodev", "/tmp"});
  EXPECT_EQ(r.exit_code, 125) << r.summary();
  EXPECT_NE(r.err.find("plan.mounts[2].flags"), std::string::npos) << r.summary();
}

// The control: plan-exec's nodev (here on the rootfs mount) and the device cgroup switched off.
TEST_F(SecurityNodev, ControlWithNodevSwitchedOffEscapes) {
  const auto r = run_plan(mknod_plan(), {"/home/probe_nodev", "/home"}, kDefencesOff);
  EXPECT_GT(r.exit_code, 0) << r.summary();
  EXPECT_TRUE(line_starts(security::escaped_lines(r.out), "mknod-char: escaped")) << r.summary();
}

TEST_F(SecurityNodev, TheDefaultCapabilitiesLackMknodAndKeepMknodRestoresIt) {
  const auto by_default = run(security::Policy::Permissive, {"/bin/sh", "-c", "grep CapEff /proc/self/status"});
  ASSERT_EQ(by_default.exit_code, 0) << by_default.summary();
  const std::string plan = variant(security::Policy::Permissive, "keep-mknod-caps",
                                   {{"  user 0:0", "  user 0:0\n  " + std::string(kDockerCapsWithMknod)}});
  const auto kept = run_plan(plan, {"/bin/sh", "-c", "grep CapEff /proc/self/status"});
  ASSERT_EQ(kept.exit_code, 0) << kept.summary();
  auto mask = [](const std::string& out) { return std::stoull(out.substr(out.find('\t') + 1), nullptr, 16); };
  constexpr unsigned long long kMknod = 1ull << 27;  // CAP_MKNOD
  EXPECT_EQ(mask(by_default.out) & kMknod, 0u) << by_default.out;
  EXPECT_EQ(mask(kept.out) & kMknod, kMknod) << kept.out;
  EXPECT_EQ(mask(kept.out) & ~kMknod, mask(by_default.out)) << "only mknod differs from Docker's set";
}

// Host nodes outside the default list that this machine has (the test needs at least one).
std::vector<std::string> grantable_host_devices() {
  std::vector<std::string> found;
  for (const char* path : {"/dev/fuse", "/dev/net/tun", "/dev/loop-control"}) {
    struct stat st {};
    if (::stat(path, &st) == 0 && S_ISCHR(st.st_mode)) found.push_back(path);
  }
  return found;
}

std::string host_numbers(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "?";
  char text[64];
  std::snprintf(text, sizeof text, "%s %x:%x", path.c_str(), major(st.st_rdev), minor(st.st_rdev));
  return text;
}

TEST_F(SecurityNodev, GrantedDevicesAppearInTheContainerUnderBothPolicies) {
  const auto devices = grantable_host_devices();
  if (devices.empty()) GTEST_SKIP() << "no /dev/fuse, /dev/net/tun or /dev/loop-control on this host";
  std::string line = "  mount dev   at /dev\n  device";
  std::string stat_command = "stat -c '%n %t:%T' ";
  for (const auto& d : devices) {
    line += " " + d;
    stat_command += d + " ";
  }
  for (auto policy : security::kBothPolicies) {
    const std::string plan = variant(policy, std::string("granted-") + (policy == security::Policy::Strict ? "strict" : "permissive"),
                                     {{"  mount dev   at /dev", line}});
    const auto r = run_plan(plan, {"/bin/sh", "-c", stat_command});
    ASSERT_EQ(r.exit_code, 0) << security::name_of(policy) << "\n" << r.summary();
    for (const auto& d : devices) {
      EXPECT_NE(r.out.find(host_numbers(d) + "\n"), std::string::npos)
          << security::name_of(policy) << ": " << d << " must be the host's node\n" << r.summary();
    }
    // Root in the container opens it (these nodes are 0600 root on the host, so strict's uid
    // 1000 could not, granted or not).
    if (policy == security::Policy::Permissive) {
      const auto opened = run_plan(plan, {"/bin/sh", "-c", "exec 3<>" + devices.front() + " && echo opened"});
      EXPECT_EQ(opened.out, "opened\n") << devices.front() << "\n" << opened.summary();
    }
  }
}

TEST_F(SecurityNodev, AGrantTheHostCannotSatisfyStopsBeforeAnySideEffect) {
  const std::string path = variant(security::Policy::Permissive, "granted-missing", {});
  plan::Plan p = plan::load_file(path);
  p.devices = {"/dev/plan-exec-test-no-such-device"};
  plan::write_file_atomically(path, plan::to_json(p));
  const auto r = run_plan(path, {"/bin/true"});
  EXPECT_EQ(r.exit_code, 125) << r.summary();
  EXPECT_NE(r.err.find("plan.devices[0]: /dev/plan-exec-test-no-such-device does not exist on this host"),
            std::string::npos)
      << r.summary();
}

}  // namespace
