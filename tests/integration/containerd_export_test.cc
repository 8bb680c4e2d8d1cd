// SPDX-License-Identifier: Apache-2.0
// `policyc export-oci` proven with containerd: the test starts its own containerd (Debian's
// 1.6, config, state, root and sockets in the test's scratch directory, the CRI plugin off, no
// network plugin), runs the exported config.json with `ctr run --config`, and stops containerd
// again by its pid. Inside, a call the policy denies with EROFS fails with EROFS, and ptrace,
// which the policy kills, kills the command (SIGSYS).
//
// Only the bundle-specific parts of the exported config are changed: the policy's rootfs line
// (to the test rootfs), process.args, and a cgroupsPath of the test's own. containerd 1.6
// places its shims' sockets in /run/containerd/s whatever its config says: the directory is
// removed afterwards when the test made it (tests/support/host_traces.h), and any shim still
// running for this test's containerd is killed by pid.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/host_traces.h"
#include "tests/support/plan_exec_runner.h"
#include "tests/support/rootfs.h"

namespace containerd_export_test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testsupport::ProcessResult;
using testsupport::run_process;

constexpr const char* kContainerd = "/usr/bin/containerd";
constexpr const char* kCtr = "/usr/bin/ctr";
constexpr const char* kShim = "/usr/bin/containerd-shim-runc-v2";
constexpr const char* kNamespace = "policyc-test";

constexpr const char* kPolicy = R"(container ctrd {
  rootfs "ROOTFS" readonly
  namespaces mount pid ipc uts net
  hostname "ctrd"
  mount proc at /proc
  mount dev at /dev
  mount tmpfs at /tmp size 16M
  capabilities keep none
  command "/home/probe" "status"
  seccomp default errno(EPERM) {
    errno(EROFS) mkdir mkdirat
    kill_process ptrace
    errno(ENOSYS) clone3
    allow @default @basic-io @file-system @process @signal @timer @io-event @memory @sync
    allow pipe pipe2 ioctl
    allow clone if (arg0 & CLONE_NEWNS|CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNET|CLONE_NEWIPC|CLONE_NEWUTS|CLONE_NEWCGROUP) == 0
    expect errno(EROFS) mkdir
  }
}
)";

// A containerd of the test's own; the destructor stops it (SIGTERM, then SIGKILL) and every shim
// it left, all by pid.
class OwnContainerd {
 public:
  explicit OwnContainerd(const std::string& dir) : dir_(dir) {
    fs::create_directories(dir_);
    testsupport::write_text(dir_ + "/config.toml",
        "version = 2\n"
        "root = \"" + dir_ + "/root\"\n"
        "state = \"" + dir_ + "/state\"\n"
        "disabled_plugins = [\"io.containerd.grpc.v1.cri\", \"io.containerd.snapshotter.v1.aufs\",\n"
        "  \"io.containerd.snapshotter.v1.btrfs\", \"io.containerd.snapshotter.v1.devmapper\",\n"
        "  \"io.containerd.snapshotter.v1.zfs\", \"io.containerd.tracing.processor.v1.otlp\",\n"
        "  \"io.containerd.internal.v1.tracing\"]\n"
        "[grpc]\n  address = \"" + socket() + "\"\n"
        "[ttrpc]\n  address = \"" + socket() + ".ttrpc\"\n"
        "[debug]\n  address = \"\"\n  level = \"warn\"\n"
        "[metrics]\n  address = \"\"\n");
    daemon_ = std::make_unique<testsupport::Background>(
        std::vector<std::string>{kContainerd, "--config", dir_ + "/config.toml"});
  }
  ~OwnContainerd() {
    // pid() is -1 once finish() reaped it (log()); kill(-1) would signal every process.
    if (daemon_ && daemon_->pid() > 0) {
      ::kill(daemon_->pid(), SIGTERM);
      daemon_->finish(10);  // SIGKILLs it if it has not exited by then
    }
    for (pid_t shim : testsupport::processes_mentioning(socket())) {
      if (shim > 1 && shim != ::getpid()) ::kill(shim, SIGKILL);
    }
  }
  std::string socket() const { return dir_ + "/containerd.sock"; }

  bool wait_ready(int timeout_ms) {
    for (int waited = 0; waited < timeout_ms; waited += 50) {
      if (run_process(ctr({"version"})).exit_code == 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  std::vector<std::string> ctr(std::vector<std::string> args) const {
    std::vector<std::string> argv{kCtr, "--address", socket(), "--namespace", kNamespace};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
  // Stops containerd and returns what it logged (warnings and errors), for a failure message.
  std::string log() { return daemon_ && daemon_->pid() > 0 ? daemon_->finish(0).err : ""; }

 private:
  std::string dir_;
  std::unique_ptr<testsupport::Background> daemon_;
};

class ContainerdExport : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (containerd)";
    for (const char* binary : {kContainerd, kCtr, kShim}) {
      if (!fs::exists(binary)) {
        GTEST_SKIP() << binary << " is not installed: scripts/deps.sh installs containerd from Debian "
                                  "(POLICYC_CONSUMER_PACKAGES) when the archive is reachable";
      }
    }
    if (!fs::exists("/usr/sbin/runc")) GTEST_SKIP() << "runc is not installed (apt-get install runc)";
  }
};

TEST_F(ContainerdExport, ExportedBundleRunsUnderCtrAndDeniesAsThePolicySays) {
  testsupport::ScratchDir scratch("containerd-export");
  const std::string cgroup = "/policyc-ctrd-" + std::to_string(::getpid());
  testsupport::HostTraces traces({"/run/containerd"}, cgroup);
  const std::string bundle = scratch / "bundle", rootfs = scratch / "bundle/rootfs";
  testsupport::build_rootfs(rootfs);

  const std::string policy = scratch / "app.pol", config_path = bundle + "/config.json";
  testsupport::write_text(policy, std::regex_replace(kPolicy, std::regex("ROOTFS"), rootfs));
  // --runc-compat: runc's own init makes a few calls (fstatfs) under the filter.
  ProcessResult exported = run_process({POLICYC_BIN, "export-oci", policy, "-o", config_path, "--runc-compat"});
  ASSERT_EQ(exported.exit_code, 0) << exported.summary();
  json config = json::parse(testsupport::read_text(config_path));
  EXPECT_EQ(config["root"]["path"], rootfs);
  config["process"]["args"] = {"/home/probe", "status", "syscall", "83", "0", "0", "syscall", "101", "0", "0"};
  config["linux"]["cgroupsPath"] = cgroup + "/ctr";
  testsupport::write_text(config_path, config.dump(2));

  {
    OwnContainerd containerd(scratch / "containerd");
    ASSERT_TRUE(containerd.wait_ready(15000)) << "containerd did not answer within 15 s:\n" << containerd.log();
    testsupport::ProcessOptions options;
    options.timeout_seconds = 30;
    const std::string id = "policyc-ctrd-" + std::to_string(::getpid());
    ProcessResult run = run_process(containerd.ctr({"run", "--rm", "--fifo-dir", scratch / "fifo", "--runc-root",
                                                    scratch / "runc", "--config", config_path, id}),
                                    options);
    // A failed run may leave the container behind: remove it before containerd stops.
    run_process(containerd.ctr({"tasks", "kill", "--signal", "SIGKILL", id}));
    run_process(containerd.ctr({"containers", "delete", id}));

    EXPECT_EQ(testsupport::probe_value(run.out, "hostname"), "ctrd") << run.summary();
    EXPECT_EQ(testsupport::probe_value(run.out, "Seccomp"), "2") << run.summary();
    EXPECT_EQ(testsupport::probe_value(run.out, "CapEff"), "0000000000000000") << run.summary();
    // mkdir(NULL): the policy's EROFS (30), not the kernel's EFAULT; then ptrace kills.
    EXPECT_NE(run.out.find("syscall:83=-1 errno=30\n"), std::string::npos) << run.summary();
    EXPECT_EQ(testsupport::probe_value(run.out, "syscall:101"), "") << run.summary();
    EXPECT_EQ(run.exit_code, 128 + SIGSYS) << run.summary();
  }
  EXPECT_EQ(testsupport::processes_mentioning(scratch.path() + "/containerd/containerd.sock"), std::vector<pid_t>{});
  EXPECT_EQ(testsupport::mounts_under(scratch.path()), std::vector<std::string>{});
}

}  // namespace
}  // namespace containerd_export_test
