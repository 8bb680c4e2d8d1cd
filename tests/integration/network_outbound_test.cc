// SPDX-License-Identifier: Apache-2.0
// Outbound NAT and dns, for real: plan-exec runs inside a "host" namespace the test made, whose
// default route leads to a peer namespace running the hello-world server. The peer has no
// route back to the container's subnet, so only masquerading lets the container's request be
// answered. After the run (success or failure) no table of plan-exec is left and forwarding is
// off again. Addresses: 10.206.x (veths), 10.204.x (the host-peer link).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <optional>

#include "launcher/network/network_address.h"
#include "launcher/network/network_netlink.h"
#include "tests/support/net_peer.h"

namespace network_outbound_itest {
namespace {

using namespace std::chrono_literals;
using net_peer::PeerNamespace;
using net_peer::PlanExecRun;

plan::Network outbound(const std::string& subnet, bool nat, const std::string& dns) {
  plan::Network net;
  net.mode = plan::NetworkMode::Veth;
  net.veth = plan::Veth{};
  net.veth->container_ifname = "eth0";
  net.veth->host_address = subnet + ".1";
  net.veth->container_address = subnet + ".2";
  net.veth->gateway = subnet + ".1";
  net.veth->outbound_nat = nat;
  net.veth->dns = dns;
  return net;
}

std::function<void()> enter(const PeerNamespace& host) {
  const std::string path = host.ns_path();
  return [path] {
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) _exit(126);
  };
}

// (busybox nc, not wget: Debian's static busybox wget crashes.)
const std::vector<std::string> kFetch = {
    "/bin/busybox", "sh", "-c",
    "cat /etc/resolv.conf; printf 'GET / HTTP/1.0\\r\\n\\r\\n' | /bin/busybox nc -w 3 10.204.0.2 9090"};

class NetworkOutboundScenario : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root: namespaces, veths and nftables";
    if (access(PLAN_EXEC_BIN, X_OK) != 0) GTEST_SKIP() << PLAN_EXEC_BIN << " is not built";
    if (access("/usr/bin/busybox", X_OK) != 0) GTEST_SKIP() << "busybox-static is needed for nc in the container";
    rootfs_.emplace("network-outbound");
    host_.emplace();
    peer_.emplace();
    link_.emplace(*host_, "tph0", "10.204.0.1", *peer_, "tpp0", "10.204.0.2");
    // The "host"'s default route leads to the peer; the peer knows nothing of 10.206.x.
    host_->run_inside([] { launcher::make_netlink_ops()->add_default_route("tph0", *launcher::parse_ip("10.204.0.2")); });
    server_.emplace(*peer_, std::vector<std::string>{std::string(TEST_PROGRAMS_DIR) + "/hello_world", "--port", "9090"});
  }
  void TearDown() override {
    server_.reset();
    link_.reset();
    peer_.reset();
    host_.reset();
  }
  std::string tables() const { return net_peer::output_in(host_->ns_path(), "nft list tables"); }
  std::string forwarding() const { return net_peer::sysctl_in(*host_, "/proc/sys/net/ipv4/conf/tph0/forwarding"); }
  std::optional<net_peer::ScratchRootfs> rootfs_;
  std::optional<PeerNamespace> host_, peer_;
  std::optional<net_peer::TestLink> link_;
  std::optional<net_peer::ProcessIn> server_;
};

TEST_F(NetworkOutboundScenario, TheContainerReachesAPeerWithoutARouteBackAndNothingStays) {
  ASSERT_EQ(forwarding(), "0");
  PlanExecRun run(rootfs_->write_plan("out", outbound("10.206.1", true, "10.204.0.53"), 0, kFetch), {}, enter(*host_));
  EXPECT_EQ(run.wait_exit(10s), 0) << run.stderr_text() << run.stdout_text();
  EXPECT_NE(run.stdout_text().find("nameserver 10.204.0.53\n"), std::string::npos) << run.stdout_text();
  EXPECT_NE(run.stdout_text().find("Hello, World"), std::string::npos) << run.stdout_text() << run.stderr_text();
  EXPECT_EQ(tables().find("plan_exec_"), std::string::npos) << tables();
  EXPECT_EQ(forwarding(), "0") << "the default route's interface must have forwarding off again";
  EXPECT_FALSE(std::filesystem::exists(rootfs_->path() / "etc/resolv.conf")) << "dns must not write the host's tree";
}

TEST_F(NetworkOutboundScenario, WithoutOutboundNatThePeerIsOutOfReachAndNothingChanges) {
  PlanExecRun run(rootfs_->write_plan("no-out", outbound("10.206.2", false, ""), 0, kFetch), {}, enter(*host_));
  EXPECT_NE(run.wait_exit(10s), 0) << "the container reached the peer without NAT:\n" << run.stdout_text();
  EXPECT_EQ(run.stdout_text().find("Hello, World"), std::string::npos);
  EXPECT_EQ(forwarding(), "0");
  EXPECT_EQ(tables().find("plan_exec_"), std::string::npos) << tables();
}

// The command fails (after the table and forwarding were made): teardown still runs.
TEST_F(NetworkOutboundScenario, AFailingCommandLeavesNoTableAndNoForwarding) {
  plan::Network net = outbound("10.206.3", true, "");
  net.veth->publish = {{"tcp", "", 18090, 8080}};
  PlanExecRun run(rootfs_->write_plan("out-fail", net, 0, {"/bin/busybox", "sh", "-c", "exit 3"}), {}, enter(*host_));
  EXPECT_EQ(run.wait_exit(10s), 3) << run.stderr_text();
  EXPECT_EQ(tables().find("plan_exec_"), std::string::npos) << tables();
  EXPECT_EQ(forwarding(), "0");
}

}  // namespace
}  // namespace network_outbound_itest
