// SPDX-License-Identifier: Apache-2.0
// `network user` (pasta), rootless for real: plan-exec runs as uid 65534 inside a "host" net
// namespace the test made (linked to a peer namespace that holds its default route, which
// pasta copies); the container's server is reached through the port pasta publishes on the
// host's 127.0.0.1, and after a clean exit and after SIGKILL of plan-exec no pasta of the run
// is left. Skipped with the reason when passt is not installed.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

#include "launcher/network/network_address.h"
#include "launcher/network/network_netlink.h"
#include "tests/support/net_peer.h"
#include "tests/support/network_probe.h"
#include "tests/support/plan_exec_runner.h"

namespace network_pasta_itest {
namespace {

using namespace std::chrono_literals;
using net_peer::PeerNamespace;
using net_peer::PlanExecRun;
namespace fs = std::filesystem;
constexpr uid_t kUnprivileged = static_cast<uid_t>(testsupport::kNobody);


// pasta opens /dev/net/tun as the caller; Debian's default mode is 0666.
bool tun_open_to_all() {
  struct stat tun {};
  return stat("/dev/net/tun", &tun) == 0 && (tun.st_mode & 0006) == 0006;
}
#define PASTA_NEEDS_TUN()                                                                            \
  if (!tun_open_to_all())                                                                            \
  GTEST_SKIP() << "/dev/net/tun is not open to unprivileged users on this host, so pasta cannot run " \
                  "rootless here"

plan::Network user_network(std::vector<plan::PublishedPort> ports) {
  plan::Network net;
  net.mode = plan::NetworkMode::User;
  net.user = plan::UserNetwork{std::move(ports), true};
  return net;
}

// Enters `host`'s namespace, then drops to the unprivileged uid (setns first: it needs root).
std::function<void()> enter_as_nobody(const PeerNamespace& host) {
  const std::string path = host.ns_path();
  return [path] {
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) _exit(126);
    if (setgroups(0, nullptr) != 0 || setgid(kUnprivileged) != 0 || setuid(kUnprivileged) != 0) _exit(126);
  };
}

// Processes whose command line holds `marker`.
std::vector<pid_t> processes_with(const std::string& marker) {
  std::vector<pid_t> out;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "cmdline");
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (auto& c : cmdline) if (c == '\0') c = ' ';
    if (cmdline.find(marker) != std::string::npos) out.push_back(std::stoi(name));
  }
  return out;
}

bool no_pasta_of(pid_t plan_exec, std::chrono::milliseconds deadline) {
  const std::string marker = "plan-exec-pasta-" + std::to_string(plan_exec) + "-";
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (!processes_with(marker).empty()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(50ms);
  }
  return true;
}

class NetworkPastaScenario : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to make the test namespaces and switch to uid 65534";
    if (access("/usr/bin/pasta", X_OK) != 0) GTEST_SKIP() << "pasta is not installed (Debian package passt)";
    if (access(PLAN_EXEC_BIN, X_OK) != 0) GTEST_SKIP() << PLAN_EXEC_BIN << " is not built";
    rootfs_.emplace("network-pasta");
    // The unprivileged caller reads the rootfs and the plan, and writes its logs there.
    chmod(TEST_SCRATCH_DIR, 0755);
    chmod(rootfs_->dir().c_str(), 0755);
    ASSERT_EQ(chown(rootfs_->dir().c_str(), kUnprivileged, kUnprivileged), 0);
    host_.emplace();
    peer_.emplace();
    link_.emplace(*host_, "tph0", "10.204.0.1", *peer_, "tpp0", "10.204.0.2");
    host_->run_inside([] { launcher::make_netlink_ops()->add_default_route("tph0", *launcher::parse_ip("10.204.0.2")); });
  }
  void TearDown() override {
    link_.reset();
    peer_.reset();
    host_.reset();
  }
  std::string plan_for(const std::string& name, const plan::Network& net) {
    const std::string file = rootfs_->write_plan(name, net);
    chmod(file.c_str(), 0644);
    return file;
  }
  std::optional<net_peer::ScratchRootfs> rootfs_;
  std::optional<PeerNamespace> host_, peer_;
  std::optional<net_peer::TestLink> link_;
};

TEST_F(NetworkPastaScenario, ARootlessContainerServesThroughPastaAndPastaEndsWithIt) {
  PASTA_NEEDS_TUN();
  PlanExecRun run(plan_for("pasta", user_network({{"tcp", "127.0.0.1", 18180, 8080}})), {}, enter_as_nobody(*host_));
  auto page = host_->inside<std::optional<std::string>>(
      [] { return test_support::wait_for_http("127.0.0.1", 18180, "", 8s); });
  ASSERT_TRUE(page) << "no answer through pasta's port; plan-exec said:\n" << run.stderr_text();
  EXPECT_EQ(test_support::http_body(*page), "Hello, World\n");
  EXPECT_FALSE(processes_with("plan-exec-pasta-" + std::to_string(run.pid()) + "-").empty());
  EXPECT_EQ(run.stop(SIGTERM), 0) << run.stderr_text();
  EXPECT_TRUE(no_pasta_of(run.pid(), 3s)) << "pasta outlived plan-exec";
}

TEST_F(NetworkPastaScenario, SigkillOfPlanExecLeavesNoPasta) {
  PASTA_NEEDS_TUN();
  PlanExecRun run(plan_for("pasta-kill", user_network({{"tcp", "127.0.0.1", 18181, 8080}})), {}, enter_as_nobody(*host_));
  ASSERT_TRUE(host_->inside<std::optional<std::string>>([] { return test_support::wait_for_http("127.0.0.1", 18181, "", 8s); }))
      << run.stderr_text();
  run.stop(SIGKILL);
  EXPECT_TRUE(no_pasta_of(run.pid(), 5s)) << "pasta must end when the container's namespace goes";
}

TEST_F(NetworkPastaScenario, AMissingPastaIsNamedBeforeAnything) {
  PlanExecRun run(plan_for("pasta-missing", user_network({})), {}, [this] {
    enter_as_nobody(*host_)();
    setenv("PLAN_EXEC_PASTA", "/nonexistent/pasta", 1);
  });
  EXPECT_EQ(run.wait_exit(), 125);
  EXPECT_NE(run.stderr_text().find("network user needs pasta, which is not installed (Debian package passt"),
            std::string::npos)
      << run.stderr_text();
}

}  // namespace
}  // namespace network_pasta_itest
