// SPDX-License-Identifier: Apache-2.0
// `policyc export-docker` proven with a real consumer: Debian's podman accepts the exported
// profile (`podman run --security-opt seccomp=profile.json`) and enforces it. The image is the
// test rootfs, imported offline (`podman import` of its tarball); nothing is pulled and the
// container has no network. The policy gives mkdir a verdict podman's own profile never does
// (EROFS) and kills ptrace, so the run shows whose filter decided; a control run with podman's
// default profile gets the kernel's answer instead.
//
// Everything podman keeps goes to the test's scratch directory (--root, --tmpdir; --runroot in a
// short directory of its own under /tmp,
// the vfs driver: no overlay mounts), its cgroups under a parent named for the test; what it
// still puts in fixed host places (/run/runc, /var/lib/containers/cache) is removed when the
// test made it (tests/support/host_traces.h). Flags this host needs:
//   --runtime runc         Debian's podman defaults to crun, which refuses this hybrid-cgroup host
//   --ulimit nofile,nproc  podman's default limits (1048576, 4194304) are above this host's hard
//                          limits: "error setting rlimit type 7: operation not permitted"
//   no-new-privileges      without it runc loads the filter before its own setgroups(), which a
//                          policy for the application denies: "unable to setup user: setgroups:
//                          operation not permitted" (docs/docker-oci.md)
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <stdexcept>
#include <system_error>
#include <string>
#include <vector>

#include "tests/support/host_traces.h"
#include "tests/support/plan_exec_runner.h"
#include "tests/support/rootfs.h"

namespace podman_export_test {
namespace {

namespace fs = std::filesystem;
using testsupport::ProcessResult;
using testsupport::run_process;

constexpr const char* kPodman = "/usr/bin/podman";
constexpr const char* kRuncForPodman = "/usr/sbin/runc";

// The application's profile: what the probe needs, mkdir refused with a telling errno, ptrace
// fatal. A bare seccomp block: export-docker exports only the seccomp part of a policy anyway.
constexpr const char* kProfilePolicy = R"(seccomp default errno(EPERM) {
  errno(EROFS) mkdir mkdirat
  kill_process ptrace
  errno(ENOSYS) clone3
  allow @default @basic-io @file-system @process @signal @timer @io-event @memory @sync
  allow pipe pipe2 ioctl
  allow clone if (arg0 & CLONE_NEWNS|CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNET|CLONE_NEWIPC|CLONE_NEWUTS|CLONE_NEWCGROUP) == 0
  expect errno(EROFS) mkdir
  expect kill_process ptrace
}
)";

// mkdir(NULL, 0) then ptrace(0, 0): x86_64 numbers 83 and 101.
const std::vector<std::string> kProbeCalls = {"/home/probe", "syscall", "83", "0", "0", "syscall", "101", "0", "0"};

class PodmanStore {
 public:
  PodmanStore()
      : dir_("podman-export"),
        cgroup_parent_("/policyc-podman-" + std::to_string(::getpid())),
        traces_({"/run/runc", "/var/lib/containers", "/run/containers", "/run/libpod"}, cgroup_parent_) {
    // podman refuses a --runroot longer than 50 characters, so it cannot be in the scratch
    // directory under the build tree: a directory of its own under /tmp.
    char run_root[] = "/tmp/policyc-podman-XXXXXX";
    if (::mkdtemp(run_root) == nullptr) throw std::runtime_error("mkdtemp /tmp/policyc-podman-XXXXXX failed");
    run_root_ = run_root;
  }
  ~PodmanStore() {
    // Containers run with --rm; anything a failed assertion left is removed with the store.
    run_process(podman({"rm", "--all", "--force"}));
    run_process(podman({"rmi", "--all", "--force"}));
    std::error_code ec;
    fs::remove_all(run_root_, ec);
  }
  std::string path(const std::string& child) const { return dir_ / child; }

  std::vector<std::string> podman(std::vector<std::string> args) const {
    std::vector<std::string> argv{kPodman, "--root", dir_ / "storage", "--runroot", run_root_,
                                  "--tmpdir", dir_ / "tmp", "--storage-driver", "vfs",
                                  "--cgroup-manager", "cgroupfs", "--events-backend", "none",
                                  "--runtime", kRuncForPodman};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

  ProcessResult run(const std::string& image, const std::vector<std::string>& security_opts,
                    const std::vector<std::string>& command) const {
    std::vector<std::string> args{"run", "--rm", "--pull", "never", "--network", "none",
                                  "--cgroup-parent", cgroup_parent_,
                                  "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"};
    for (const auto& opt : security_opts) args.insert(args.end(), {"--security-opt", opt});
    args.push_back(image);
    args.insert(args.end(), command.begin(), command.end());
    testsupport::ProcessOptions options;
    options.timeout_seconds = 30;
    return run_process(podman(args), options);
  }

 private:
  testsupport::ScratchDir dir_;
  std::string cgroup_parent_;
  testsupport::HostTraces traces_;
  std::string run_root_;
};

class PodmanExport : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (podman with runc and cgroupfs)";
    if (!fs::exists(kPodman)) {
      GTEST_SKIP() << "podman is not installed: scripts/deps.sh installs it from Debian "
                      "(POLICYC_CONSUMER_PACKAGES) when the archive is reachable";
    }
    if (!fs::exists(kRuncForPodman)) GTEST_SKIP() << "runc is not installed (apt-get install runc)";
  }
};

TEST_F(PodmanExport, ExportedProfileIsAcceptedAndEnforcedOnAnImportedRootfs) {
  PodmanStore store;
  const std::string rootfs = store.path("rootfs"), tarball = store.path("rootfs.tar.gz");
  testsupport::build_rootfs(rootfs);
  testsupport::make_tarball(rootfs, tarball);
  const std::string image = "localhost/policyc-export-test:" + std::to_string(::getpid());
  ProcessResult imported = run_process(store.podman({"import", "--quiet", tarball, image}));
  ASSERT_EQ(imported.exit_code, 0) << imported.summary();

  const std::string policy = store.path("app.pol"), profile = store.path("profile.json");
  testsupport::write_text(policy, kProfilePolicy);
  ProcessResult exported = run_process({POLICYC_BIN, "export-docker", policy, "-o", profile});
  ASSERT_EQ(exported.exit_code, 0) << exported.summary();

  ProcessResult enforced = store.run(image, {"no-new-privileges", "seccomp=" + profile}, kProbeCalls);
  // mkdir: the policy's EROFS (30), not the kernel's EFAULT for a NULL path; then ptrace kills.
  EXPECT_NE(enforced.out.find("syscall:83=-1 errno=30\n"), std::string::npos) << enforced.summary();
  EXPECT_EQ(testsupport::probe_value(enforced.out, "syscall:101"), "") << enforced.summary();
  EXPECT_EQ(enforced.exit_code, 128 + SIGSYS) << enforced.summary();

  // Control: the same image and calls under podman's default profile.
  ProcessResult control = store.run(image, {"no-new-privileges"}, kProbeCalls);
  EXPECT_EQ(control.exit_code, 0) << control.summary();
  EXPECT_NE(control.out.find("syscall:83=-1 errno=14\n"), std::string::npos) << control.summary();  // EFAULT
  // podman's profile allows ptrace (kernel >= 4.8, as Docker's): PTRACE_TRACEME succeeds.
  EXPECT_NE(control.out.find("syscall:101=0 errno=0\n"), std::string::npos) << control.summary();
  EXPECT_EQ(testsupport::mounts_under(store.path("")), std::vector<std::string>{});
}

TEST_F(PodmanExport, WithoutNoNewPrivilegesRuncAppliesTheFilterToItsOwnSetup) {
  // Why the test above passes no-new-privileges: an application's profile also filters runc's
  // last steps, and this one denies setgroups. The exact message is in docs/docker-oci.md.
  PodmanStore store;
  const std::string rootfs = store.path("rootfs"), tarball = store.path("rootfs.tar.gz");
  testsupport::build_rootfs(rootfs);
  testsupport::make_tarball(rootfs, tarball);
  const std::string image = "localhost/policyc-export-test-nnp:" + std::to_string(::getpid());
  ASSERT_EQ(run_process(store.podman({"import", "--quiet", tarball, image})).exit_code, 0);
  const std::string policy = store.path("app.pol"), profile = store.path("profile.json");
  testsupport::write_text(policy, kProfilePolicy);
  ASSERT_EQ(run_process({POLICYC_BIN, "export-docker", policy, "-o", profile}).exit_code, 0);

  ProcessResult refused = store.run(image, {"seccomp=" + profile}, {"/home/probe", "status"});
  EXPECT_NE(refused.exit_code, 0) << refused.summary();
  EXPECT_NE(refused.err.find("setgroups: operation not permitted"), std::string::npos) << refused.summary();
}

}  // namespace
}  // namespace podman_export_test
