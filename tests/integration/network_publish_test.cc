// SPDX-License-Identifier: Apache-2.0
// Published ports, for real: plan-exec runs inside a "host" net namespace the test made (so the
// machine's own nftables, sysctls and interfaces are never touched), with a second test
// namespace, the peer, linked to it. The container's server is reached through the published
// port from the host over loopback and over the host's veth address, and from the peer; after
// a clean exit, a refused start and a SIGKILL followed by --cleanup, no nftables table of
// plan-exec and no forwarding it turned on are left. Addresses: 10.205.x (veths), 10.204.x (link).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <optional>

#include "tests/support/net_peer.h"
#include "tests/support/network_probe.h"

namespace network_publish_itest {
namespace {

using namespace std::chrono_literals;
using net_peer::PeerNamespace;
using net_peer::PlanExecRun;

plan::Network published(const std::string& subnet, std::vector<plan::PublishedPort> ports) {
  plan::Network net;
  net.mode = plan::NetworkMode::Veth;
  net.veth = plan::Veth{};
  net.veth->container_ifname = "eth0";
  net.veth->host_address = subnet + ".1";
  net.veth->container_address = subnet + ".2";
  net.veth->publish = std::move(ports);
  return net;
}

std::optional<std::string> fetch_in(const PeerNamespace& ns, const std::string& address, int port,
                                    std::chrono::milliseconds deadline) {
  return ns.inside<std::optional<std::string>>([&] { return test_support::wait_for_http(address, port, "", deadline); });
}

// plan-exec, started inside `host`'s namespace.
std::function<void()> enter(const PeerNamespace& host) {
  const std::string path = host.ns_path();
  return [path] {
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) _exit(126);
  };
}

class NetworkPublishScenario : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root: namespaces, veths and nftables";
    if (access(PLAN_EXEC_BIN, X_OK) != 0) GTEST_SKIP() << PLAN_EXEC_BIN << " is not built";
    if (access("/usr/sbin/nft", X_OK) != 0) GTEST_SKIP() << "the nft command (Debian nftables) is needed to look at the tables";
    rootfs_.emplace("network-publish");
    host_.emplace();
    peer_.emplace();
    link_.emplace(*host_, "tph0", "10.204.0.1", *peer_, "tpp0", "10.204.0.2");
  }
  void TearDown() override {
    link_.reset();
    peer_.reset();
    host_.reset();
  }
  std::string tables() const { return net_peer::output_in(host_->ns_path(), "nft list tables"); }
  std::string forwarding(const std::string& ifname) const {
    return net_peer::sysctl_in(*host_, "/proc/sys/net/ipv4/conf/" + ifname + "/forwarding");
  }
  std::optional<net_peer::ScratchRootfs> rootfs_;
  std::optional<PeerNamespace> host_, peer_;
  std::optional<net_peer::TestLink> link_;
};

TEST_F(NetworkPublishScenario, ReachedOverLoopbackTheVethAddressAndFromThePeerAndNothingStays) {
  ASSERT_EQ(forwarding("tph0"), "0");
  PlanExecRun run(rootfs_->write_plan("pub", published("10.205.1", {{"tcp", "", 18080, 8080}})), {}, enter(*host_));
  auto local = fetch_in(*host_, "127.0.0.1", 18080, 5s);
  ASSERT_TRUE(local) << "127.0.0.1:18080 in the host namespace did not answer; plan-exec said:\n" << run.stderr_text();
  EXPECT_EQ(test_support::http_body(*local), "Hello, World\n");
  auto veth_address = fetch_in(*host_, "10.205.1.1", 18080, 2s);
  ASSERT_TRUE(veth_address) << "the host end's address did not answer";
  EXPECT_EQ(test_support::http_body(*veth_address), "Hello, World\n");
  auto from_peer = fetch_in(*peer_, "10.204.0.1", 18080, 2s);
  ASSERT_TRUE(from_peer) << "the peer namespace could not reach the published port; tables:\n"
                         << net_peer::output_in(host_->ns_path(), "nft list ruleset");
  EXPECT_EQ(test_support::http_body(*from_peer), "Hello, World\n");
  EXPECT_NE(tables().find("table ip plan_exec_" + std::to_string(run.pid())), std::string::npos) << tables();
  EXPECT_EQ(forwarding("tph0"), "1") << "connections from the peer arrive on tph0 and are forwarded";

  EXPECT_EQ(run.stop(SIGTERM), 0) << run.stderr_text();
  EXPECT_EQ(tables().find("plan_exec_"), std::string::npos) << tables();
  EXPECT_EQ(forwarding("tph0"), "0") << "forwarding must be off again when the last run ends";
  EXPECT_FALSE(fetch_in(*host_, "127.0.0.1", 18080, 200ms));
}

TEST_F(NetworkPublishScenario, AHostPortAlreadyBoundOrPublishedIsRefusedBeforeAnything) {
  // A listening socket of the test in the host namespace.
  const int listener = host_->inside<int>([] {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(18081);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || listen(fd, 1) != 0) return -1;
    return fd;
  });
  ASSERT_GE(listener, 0);
  PlanExecRun bound(rootfs_->write_plan("pub-bound", published("10.205.2", {{"tcp", "", 18081, 8080}})), {}, enter(*host_));
  EXPECT_EQ(bound.wait_exit(), 125);
  EXPECT_NE(bound.stderr_text().find("publish tcp port 18081: a socket on this host is already bound to it"),
            std::string::npos)
      << bound.stderr_text();
  close(listener);

  PlanExecRun first(rootfs_->write_plan("pub-a", published("10.205.3", {{"tcp", "", 18082, 8080}})), {}, enter(*host_));
  ASSERT_TRUE(fetch_in(*host_, "127.0.0.1", 18082, 5s)) << first.stderr_text();
  PlanExecRun second(rootfs_->write_plan("pub-b", published("10.205.4", {{"tcp", "", 18082, 8080}})), {}, enter(*host_));
  EXPECT_EQ(second.wait_exit(), 125);
  EXPECT_NE(second.stderr_text().find("publish tcp port 18082: the port is already published: plan-exec " +
                                      std::to_string(first.pid()) + " (still running)"),
            std::string::npos)
      << second.stderr_text();
  EXPECT_EQ(tables().find("plan_exec_" + std::to_string(second.pid())), std::string::npos) << tables();
  EXPECT_TRUE(fetch_in(*host_, "127.0.0.1", 18082, 1s)) << "the refused run disturbed the first";
  EXPECT_EQ(first.stop(SIGTERM), 0);
  EXPECT_EQ(tables().find("plan_exec_"), std::string::npos) << tables();
}

TEST_F(NetworkPublishScenario, AfterSigkillCleanupRemovesTheTableAndRestoresForwarding) {
  PlanExecRun run(rootfs_->write_plan("pub-kill", published("10.205.5", {{"tcp", "", 18083, 8080}})), {}, enter(*host_));
  ASSERT_TRUE(fetch_in(*host_, "127.0.0.1", 18083, 5s)) << run.stderr_text();
  run.stop(SIGKILL);
  const std::string table = "plan_exec_" + std::to_string(run.pid());
  EXPECT_NE(tables().find(table), std::string::npos) << "nothing of plan-exec ran at SIGKILL; the table stays until --cleanup";
  PlanExecRun cleanup("--cleanup", {}, enter(*host_));
  EXPECT_EQ(cleanup.wait_exit(), 0) << cleanup.stderr_text();
  EXPECT_NE(cleanup.stdout_text().find("removed nftables table ip " + table), std::string::npos) << cleanup.stdout_text();
  EXPECT_EQ(tables().find("plan_exec_"), std::string::npos) << tables();
  EXPECT_EQ(forwarding("tph0"), "0");
}

}  // namespace
}  // namespace network_publish_itest
