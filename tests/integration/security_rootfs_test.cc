// SPDX-License-Identifier: Apache-2.0
// Security suite, class "rootfs": nothing a container does reaches the host's copy of a
// directory rootfs unless the policy says `writethrough`. The probe (probe_rootfs.c) plants a
// setuid-root copy of itself, a char device node and a marker file in "/"; only the host can
// tell whether they reached the host directory, so this test decides "held" or "escaped" by
// looking there afterwards. Under the permissive policy (root, no user namespace) a writable
// directory rootfs is a private overlay; under strict.pol it is read-only. The control run
// with "rootfs-overlay" switched off (the host directory bound writable) finds the plants on
// the host, so the test can fail.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "tests/support/proof_env.h"
#include "tests/support/security_suite.h"

namespace {

using security::Policy;

constexpr const char* kProbe = "/home/probe_rootfs";
const char* const kPlants[] = {"probe-rootfs-suid", "probe-rootfs-node", "probe-rootfs-marker"};
constexpr const char* kNewMountPoint = "probe-rootfs-mnt";  // a plan mount target the rootfs lacks

class SecurityRootfs : public security::Suite<SecurityRootfs> {
 public:
  static constexpr const char* kScratch = "security-rootfs";

 protected:
  void TearDown() override { remove_plants(); }

  static bool on_host(const std::string& name) {
    struct stat st {};
    return ::lstat((rootfs() + "/" + name).c_str(), &st) == 0;
  }
  // The plants that reached the host directory, one line each with what they are there.
  static std::vector<std::string> plants_on_host() {
    std::vector<std::string> found;
    for (const char* name : kPlants) {
      struct stat st {};
      if (::lstat((rootfs() + "/" + name).c_str(), &st) != 0) continue;
      char line[256];
      std::snprintf(line, sizeof line, "%s mode %o uid %u", name, static_cast<unsigned>(st.st_mode),
                    static_cast<unsigned>(st.st_uid));
      found.push_back(line);
    }
    return found;
  }
  static void remove_plants() {
    for (const char* name : kPlants) ::unlink((rootfs() + "/" + name).c_str());
    ::rmdir((rootfs() + "/" + kNewMountPoint).c_str());
  }

  // permissive.pol with `replacements` applied too, compiled to DIR/NAME.plan; policyc's output.
  static testsupport::ProcessResult compile_permissive_variant(
      const std::string& name, const std::vector<std::pair<std::string, std::string>>& replacements) {
    std::vector<std::pair<std::string, std::string>> all = replacements;
    all.push_back({"@DOCKER_PROFILE@", std::string(SHARED_TESTDATA_DIR) + "/seccomp/docker-default.json"});
    all.push_back({"@ROOTFS@", rootfs()});
    proof::write_policy_variant(std::string(SOURCE_DIR) + "/tests/fixtures/security/permissive.pol",
                                dir() + "/" + name + ".pol", all);
    return testsupport::run_process({POLICYC_BIN, dir() + "/" + name + ".pol", "-o", dir() + "/" + name + ".plan"});
  }
  static testsupport::ProcessResult run_plan(const std::string& name, const std::vector<std::string>& disabled = {}) {
    testsupport::ProcessOptions options;
    if (!disabled.empty()) {
      std::string list;
      for (const auto& d : disabled) list += (list.empty() ? "" : ",") + d;
      options.env.push_back("PLAN_EXEC_TEST_DISABLE_DEFENCES=" + list);
    }
    return testsupport::run_plan_exec({dir() + "/" + name + ".plan", "--", kProbe}, options);
  }
  static bool says(const std::string& out, const std::string& line) { return out.find(line) != std::string::npos; }
};

TEST_F(SecurityRootfs, PlantsNeverReachTheHostDirectory) {
  for (Policy policy : security::kBothPolicies) {
    const auto r = run(policy, {kProbe});
    ASSERT_EQ(r.exit_code, 0) << security::name_of(policy) << "\n" << r.summary();
    const auto found = plants_on_host();
    EXPECT_EQ(found, std::vector<std::string>{}) << security::name_of(policy) << ": escaped\n" << r.out;
    std::printf("%s rootfs: %s\n", security::name_of(policy), found.empty() ? "held (nothing on the host)" : "escaped");
    // The rootfs mount is nodev: a node planted in it cannot be opened.
    EXPECT_FALSE(says(r.out, "device-open: planted")) << security::name_of(policy) << "\n" << r.out;
    EXPECT_TRUE(says(r.out, "mount: ") && says(r.out, "nodev")) << security::name_of(policy) << "\n" << r.out;
    remove_plants();
  }
  // Permissive: the root is writable (a private overlay), and setuid programs keep working in it.
  const auto r = run(Policy::Permissive, {kProbe});
  EXPECT_TRUE(says(r.out, "marker: planted")) << r.out;
  EXPECT_TRUE(says(r.out, "setuid-file: planted (//probe-rootfs-suid mode 4755 uid 0)")) << r.out;
  EXPECT_TRUE(says(r.out, "mount: overlay ")) << r.out;
  EXPECT_FALSE(says(r.out, "nosuid")) << r.out;
}

TEST_F(SecurityRootfs, ControlWithoutTheOverlayThePlantsReachTheHost) {
  const auto r = run(Policy::Permissive, {kProbe}, {"rootfs-overlay"});
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  struct stat st {};
  ASSERT_EQ(::stat((rootfs() + "/probe-rootfs-suid").c_str(), &st), 0)
      << "the control run should have planted the setuid file on the host; the test cannot fail otherwise\n"
      << r.out;
  EXPECT_NE(st.st_mode & S_ISUID, 0u);
  EXPECT_EQ(st.st_uid, 0u);
  std::printf("permissive.pol without rootfs-overlay: escaped (%s)\n", plants_on_host().front().c_str());
  remove_plants();
  // And without nodev a planted node opens (when the policy's capabilities allow mknod at all).
  const auto no_nodev = run(Policy::Permissive, {kProbe}, {"nodev"});
  if (says(no_nodev.out, "device-node: planted")) {
    EXPECT_TRUE(says(no_nodev.out, "device-open: planted")) << no_nodev.out;
  }
}

TEST_F(SecurityRootfs, MissingMountPointsAreMadeInThePrivateLayer) {
  const std::string extra_mount = "mount tmpfs at /tmp size 16M\n  mount tmpfs at /" + std::string(kNewMountPoint);
  const auto compiled = compile_permissive_variant("new-mount-point", {{"mount tmpfs at /tmp size 16M", extra_mount}});
  ASSERT_EQ(compiled.exit_code, 0) << compiled.summary();
  auto r = run_plan("new-mount-point");
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_FALSE(on_host(kNewMountPoint)) << "plan-exec created the mount point in the host directory";
  r = run_plan("new-mount-point", {"rootfs-overlay"});
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_TRUE(on_host(kNewMountPoint)) << "control: a bound host directory gets the mount point";
}

// `writethrough` is today's writable bind, asked for by the policy: writes reach the host, and
// so does a planted setuid file (nosuid,nodev on the container's bind stops it from working
// inside the container only; on the host the host's own mount options apply). policyc warns.
TEST_F(SecurityRootfs, WritethroughKeepsWritesOnTheHostWithNosuidNodevAndAWarning) {
  const auto compiled = compile_permissive_variant("writethrough", {{"\"@ROOTFS@\"", "\"@ROOTFS@\" writethrough"}});
  ASSERT_EQ(compiled.exit_code, 0) << compiled.summary();
  EXPECT_TRUE(says(compiled.err, "writethrough.pol:7:3: warning: writethrough lets a root container without a user "
                                 "namespace plant setuid-root files and device nodes in the host directory"))
      << compiled.err;
  const auto r = run_plan("writethrough");
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_TRUE(on_host("probe-rootfs-marker")) << r.out;
  EXPECT_TRUE(on_host("probe-rootfs-suid")) << "writethrough does not stop plants on the host\n" << r.out;
  EXPECT_TRUE(says(r.out, "nosuid") && says(r.out, "nodev")) << r.out;
  EXPECT_FALSE(says(r.out, "device-open: planted")) << r.out;

  // No warning with a user namespace: the container's root is not the host's.
  proof::write_policy_variant(std::string(SOURCE_DIR) + "/policies/strict.pol", dir() + "/strict-wt.pol",
                              {{"\"/var/lib/policyc/busybox\" readonly", "\"" + rootfs() + "\" writethrough"}});
  const auto strict = testsupport::run_process({POLICYC_BIN, dir() + "/strict-wt.pol", "-o", dir() + "/strict-wt.plan"});
  ASSERT_EQ(strict.exit_code, 0) << strict.summary();
  EXPECT_FALSE(says(strict.err, "writethrough")) << strict.err;
}

}  // namespace
