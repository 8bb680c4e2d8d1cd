// SPDX-License-Identifier: Apache-2.0
// IPv6 for real: an IPv6 veth publishes a port and NATs out (NAT66), with plan-exec inside a
// "host" net namespace the test made and linked over IPv6 to a peer namespace that holds the
// host's default route. The published port is reached at the host's own veth address and from
// the peer; the container reaches a server in the peer, which has no route back to the
// container's subnet, only through masquerading. After a clean exit, and after SIGKILL followed
// by --cleanup, no ip6 table of plan-exec is left and net.ipv6.conf.all.forwarding is off
// again. Addresses: fd00:205:N::/64 (veths), fd00:204::/64 (the host-peer link); nothing else.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <optional>

#include "launcher/network/network_address.h"
#include "launcher/network/network_netlink.h"
#include "tests/support/net_peer.h"
#include "tests/support/network_probe.h"

namespace network_ipv6_itest {
namespace {

using namespace std::chrono_literals;
using net_peer::PeerNamespace;
using net_peer::PlanExecRun;

// host fd00:205:N::1/64, container fd00:205:N::2/64, default route through the host end.
plan::Network ipv6_veth(int n, std::vector<plan::PublishedPort> ports, bool nat) {
  plan::Network net;
  net.mode = plan::NetworkMode::Veth;
  net.veth = plan::Veth{};
  const std::string subnet = "fd00:205:" + std::to_string(n) + "::";
  net.veth->container_ifname = "eth0";
  net.veth->host_address = subnet + "1";
  net.veth->host_prefix = 64;
  net.veth->container_address = subnet + "2";
  net.veth->container_prefix = 64;
  net.veth->gateway = subnet + "1";
  net.veth->publish = std::move(ports);
  net.veth->outbound_nat = nat;
  return net;
}

std::function<void()> enter_ns(const PeerNamespace& host) {
  const std::string path = host.ns_path();
  return [path] {
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) _exit(126);
  };
}

class NetworkIpv6Scenario : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root: namespaces, veths and nftables";
    if (access(PLAN_EXEC_BIN, X_OK) != 0) GTEST_SKIP() << PLAN_EXEC_BIN << " is not built";
    if (access("/usr/sbin/nft", X_OK) != 0) GTEST_SKIP() << "the nft command (Debian nftables) is needed to look at the tables";
    if (access("/usr/bin/busybox", X_OK) != 0) GTEST_SKIP() << "busybox-static is needed for nc in the container";
    if (access("/proc/sys/net/ipv6", F_OK) != 0) GTEST_SKIP() << "this kernel has no IPv6";
    rootfs_.emplace("network-ipv6");
    host_.emplace();
    peer_.emplace();
    link_.emplace(*host_, "tph6", "fd00:204::1", *peer_, "tpp6", "fd00:204::2", 64);
    host_->run_inside([] { launcher::make_netlink_ops()->add_default_route("tph6", *launcher::parse_ip("fd00:204::2")); });
  }
  void TearDown() override {
    server_.reset();
    link_.reset();
    peer_.reset();
    host_.reset();
  }
  std::optional<std::string> fetch_in(const PeerNamespace& ns, const std::string& address, int port,
                                      std::chrono::milliseconds deadline) {
    return ns.inside<std::optional<std::string>>([&] { return test_support::wait_for_http(address, port, "", deadline); });
  }
  std::string ruleset() const { return net_peer::output_in(host_->ns_path(), "nft list ruleset"); }
  std::string tables() const { return net_peer::output_in(host_->ns_path(), "nft list tables"); }
  std::string forwarding() const { return net_peer::sysctl_in(*host_, "/proc/sys/net/ipv6/conf/all/forwarding"); }
  std::optional<net_peer::ScratchRootfs> rootfs_;
  std::optional<PeerNamespace> host_, peer_;
  std::optional<net_peer::TestLink> link_;
  std::optional<net_peer::ProcessIn> server_;
};

TEST_F(NetworkIpv6Scenario, APortPublishedOnAnIpv6VethIsReachedFromTheHostAndThePeer) {
  ASSERT_EQ(forwarding(), "0");
  PlanExecRun run(rootfs_->write_plan("pub6", ipv6_veth(1, {{"tcp", "", 18480, 8080}}, false)), {}, enter_ns(*host_));
  auto direct = fetch_in(*host_, "fd00:205:1::2", 8080, 5s);
  ASSERT_TRUE(direct) << "the container's own address did not answer; plan-exec said:\n" << run.stderr_text();
  auto local = fetch_in(*host_, "fd00:205:1::1", 18480, 3s);
  ASSERT_TRUE(local) << "[fd00:205:1::1]:18480 did not answer in the host namespace; ruleset:\n" << ruleset();
  EXPECT_EQ(test_support::http_body(*local), "Hello, World\n");
  auto from_peer = fetch_in(*peer_, "fd00:204::1", 18480, 3s);
  ASSERT_TRUE(from_peer) << "the peer could not reach the published port; ruleset:\n" << ruleset();
  EXPECT_EQ(test_support::http_body(*from_peer), "Hello, World\n");
  EXPECT_NE(tables().find("table ip6 plan_exec_" + std::to_string(run.pid())), std::string::npos) << tables();
  EXPECT_EQ(forwarding(), "1") << "connections from the peer are forwarded to the veth";

  EXPECT_EQ(run.stop(SIGTERM), 0) << run.stderr_text();
  EXPECT_EQ(tables().find("plan_exec_"), std::string::npos) << tables();
  EXPECT_EQ(forwarding(), "0") << "forwarding must be off again when the last run ends";
  EXPECT_FALSE(fetch_in(*peer_, "fd00:204::1", 18480, 200ms));
}

TEST_F(NetworkIpv6Scenario, OutboundNat66ReachesAPeerWithoutARouteBack) {
  server_.emplace(*peer_, std::vector<std::string>{std::string(TEST_PROGRAMS_DIR) + "/hello_world", "--port", "9090"});
  ASSERT_TRUE(fetch_in(*peer_, "fd00:204::2", 9090, 3s)) << "the peer's server did not start";
  const std::vector<std::string> fetch = {
      "/bin/busybox", "sh", "-c", "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | /bin/busybox nc -w 3 fd00:204::2 9090"};
  PlanExecRun out(rootfs_->write_plan("out6", ipv6_veth(2, {}, true), 0, fetch), {}, enter_ns(*host_));
  EXPECT_EQ(out.wait_exit(10s), 0) << out.stderr_text() << out.stdout_text();
  EXPECT_NE(out.stdout_text().find("Hello, World"), std::string::npos) << out.stdout_text() << out.stderr_text();
  EXPECT_EQ(tables().find("plan_exec_"), std::string::npos) << tables();
  EXPECT_EQ(forwarding(), "0");

  // The control: without NAT the peer's answer has no way back.
  PlanExecRun no_nat(rootfs_->write_plan("out6-off", ipv6_veth(3, {}, false), 0, fetch), {}, enter_ns(*host_));
  no_nat.wait_exit(10s);
  EXPECT_EQ(no_nat.stdout_text().find("Hello, World"), std::string::npos) << "reached the peer without NAT";
}

TEST_F(NetworkIpv6Scenario, AfterSigkillCleanupRemovesTheIp6TableAndRestoresForwarding) {
  PlanExecRun run(rootfs_->write_plan("pub6-kill", ipv6_veth(4, {{"tcp", "", 18481, 8080}}, true)), {}, enter_ns(*host_));
  ASSERT_TRUE(fetch_in(*peer_, "fd00:204::1", 18481, 5s)) << run.stderr_text();
  run.stop(SIGKILL);
  const std::string table = "plan_exec_" + std::to_string(run.pid());
  EXPECT_NE(tables().find("table ip6 " + table), std::string::npos) << "nothing of plan-exec ran at SIGKILL";
  EXPECT_EQ(forwarding(), "1");
  PlanExecRun cleanup("--cleanup", {}, enter_ns(*host_));
  EXPECT_EQ(cleanup.wait_exit(), 0) << cleanup.stderr_text();
  EXPECT_NE(cleanup.stdout_text().find("removed nftables table ip6 " + table), std::string::npos) << cleanup.stdout_text();
  EXPECT_EQ(tables().find("plan_exec_"), std::string::npos) << tables();
  EXPECT_EQ(forwarding(), "0");
}

}  // namespace
}  // namespace network_ipv6_itest
