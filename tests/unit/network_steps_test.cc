// SPDX-License-Identifier: Apache-2.0
// The network step's logic against a recording fake of netlink: which calls each mode makes,
// in which order, rollback on failure, idempotent teardown, and leftover cleanup. No root.
#include <gtest/gtest.h>

#include <stdexcept>

#include "launcher/host/error.h"
#include "launcher/network/network_env.h"
#include "launcher/network/network_validate.h"

namespace launcher {
namespace {

class RecordingNetlink : public NetlinkOps {
 public:
  std::vector<HostInterface> host;
  std::vector<std::string> calls;
  std::string fail_on;  // a call prefix that throws, to test rollback

  std::vector<HostInterface> interfaces() override {
    calls.push_back("interfaces");
    return host;
  }
  void create_veth(const VethRequest& r) override {
    record("create_veth " + r.host_ifname + " " + r.container_ifname + " pid=" + std::to_string(r.container_pid) +
           " mtu=" + std::to_string(r.mtu));
  }
  void set_up(const std::string& ifname, const std::string& alias) override {
    record("up " + ifname + (alias.empty() ? "" : " alias=" + alias));
  }
  void add_address(const std::string& ifname, const IpAddress& a, unsigned prefix) override {
    record("address " + ifname + " " + a.to_string() + "/" + std::to_string(prefix));
  }
  void add_default_route(const std::string& ifname, const IpAddress& gateway) override {
    record("route default via " + gateway.to_string() + " dev " + ifname);
  }
  void disable_ipv4_forwarding(const std::string& ifname) override { record("no-forwarding " + ifname); }
  bool delete_link(const std::string& ifname) override {
    record("delete " + ifname);
    const auto it = std::find_if(host.begin(), host.end(), [&](const HostInterface& i) { return i.name == ifname; });
    if (it == host.end()) return false;
    host.erase(it);
    return true;
  }

 private:
  void record(std::string call) {
    calls.push_back(call);
    if (!fail_on.empty() && call.starts_with(fail_on)) throw StepError("network", "injected failure at " + call);
  }
};

struct Fixture : ::testing::Test {
  std::shared_ptr<RecordingNetlink> netlink = std::make_shared<RecordingNetlink>();
  std::vector<pid_t> running;
  NetworkEnvironment env() {
    return {netlink, [](pid_t pid) { return InstanceId{pid, 42}; },
            [this](const InstanceId& id) { return std::find(running.begin(), running.end(), id.pid) != running.end(); }, "",
            {}};
  }
};

plan::Network veth_network() {
  plan::Network n;
  n.mode = plan::NetworkMode::Veth;
  n.veth = plan::Veth{};
  n.veth->host_address = "10.200.0.1";
  n.veth->container_address = "10.200.0.2";
  n.veth->gateway = "10.200.0.1";
  n.veth->mtu = 1400;
  return n;
}

plan::Network mode(plan::NetworkMode m) {
  plan::Network n;
  n.mode = m;
  return n;
}

using NetworkSteps = Fixture;

TEST_F(NetworkSteps, VethCreatesThePairIntoTheChildThenConfiguresBothSides) {
  auto network = prepare_network(veth_network(), 500, false, env());
  EXPECT_EQ(netlink->calls, (std::vector<std::string>{"interfaces"})) << "prepare only reads";
  netlink->calls.clear();

  network->setup_host(777);
  EXPECT_EQ(netlink->calls, (std::vector<std::string>{"interfaces",  // the check again, under the lock
                                                      "create_veth pe-500 eth0 pid=777 mtu=1400",
                                                      "address pe-500 10.200.0.1/24",
                                                      "no-forwarding pe-500",
                                                      "up pe-500 alias=plan-exec:500:42"}));
  netlink->calls.clear();
  network->setup_inside();
  EXPECT_EQ(netlink->calls, (std::vector<std::string>{"up lo", "address eth0 10.200.0.2/24", "up eth0",
                                                      "route default via 10.200.0.1 dev eth0"}));
  netlink->calls.clear();
  network->teardown();
  network->teardown();  // idempotent: the second call does nothing
  EXPECT_EQ(netlink->calls, (std::vector<std::string>{"delete pe-500"}));
}

TEST_F(NetworkSteps, NoGatewayMeansNoDefaultRoute) {
  plan::Network n = veth_network();
  n.veth->gateway = "";
  auto network = prepare_network(n, 500, false, env());
  network->setup_inside();
  EXPECT_EQ(netlink->calls.back(), "up eth0");
}

TEST_F(NetworkSteps, AFailedHostSetupRemovesThePairItCreated) {
  netlink->fail_on = "up pe-500";
  auto network = prepare_network(veth_network(), 500, false, env());
  EXPECT_THROW(network->setup_host(777), StepError);
  EXPECT_EQ(netlink->calls.back(), "delete pe-500");
  netlink->calls.clear();
  network->teardown();  // already rolled back
  EXPECT_TRUE(netlink->calls.empty());
}

TEST_F(NetworkSteps, TeardownNeverDeletesAPairItDidNotCreate) {
  plan::Network n = veth_network();
  n.veth->host_ifname = "veth-h";
  netlink->fail_on = "create_veth";  // e.g. someone made veth-h between prepare and setup
  auto network = prepare_network(n, 500, false, env());
  EXPECT_THROW(network->setup_host(777), StepError);
  network->teardown();
  for (const auto& call : netlink->calls) EXPECT_FALSE(call.starts_with("delete")) << call;
}

TEST_F(NetworkSteps, AnAddressTakenBetweenPrepareAndSetupIsCaughtBeforeCreating) {
  auto network = prepare_network(veth_network(), 500, false, env());
  // Another plan-exec of the same plan got there first.
  netlink->host = {{"pe-501", "veth", "plan-exec:501:7", {*parse_ip("10.200.0.1")}}};
  running = {501};
  try {
    network->setup_host(777);
    FAIL() << "setup_host did not notice the address was taken";
  } catch (const StepError& e) {
    EXPECT_NE(std::string(e.what()).find("10.200.0.1 is already on pe-501, the veth of plan-exec 501"), std::string::npos)
        << e.what();
  }
  for (const auto& call : netlink->calls) EXPECT_FALSE(call.starts_with("create_veth")) << call;
}

TEST_F(NetworkSteps, RootlessVethIsAnErrorThatSuggestsLoopback) {
  try {
    prepare_network(veth_network(), 500, true, env());
    FAIL() << "rootless veth was accepted";
  } catch (const StepError& e) {
    EXPECT_EQ(e.step(), "network");
    EXPECT_NE(std::string(e.what()).find("network loopback"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(netlink->calls.empty()) << "nothing may be touched before the error";
  EXPECT_NO_THROW(prepare_network(mode(plan::NetworkMode::Loopback), 500, true, env()));
}

TEST_F(NetworkSteps, AnAddressInUseStopsPrepareBeforeAnySideEffect) {
  netlink->host = {{"eth0", "", "", {*parse_ip("10.200.0.1")}}};
  EXPECT_THROW(prepare_network(veth_network(), 500, false, env()), StepError);
  EXPECT_EQ(netlink->calls, (std::vector<std::string>{"interfaces"}));
}

TEST_F(NetworkSteps, OtherModes) {
  auto host = prepare_network(mode(plan::NetworkMode::Host), 500, false, env());
  auto none = prepare_network(mode(plan::NetworkMode::None), 500, false, env());
  auto loopback = prepare_network(mode(plan::NetworkMode::Loopback), 500, false, env());
  for (auto* network : {host.get(), none.get()}) {
    network->setup_host(777);
    network->setup_inside();
    network->teardown();
  }
  EXPECT_TRUE(netlink->calls.empty()) << "host and none make no netlink call (none keeps lo down)";
  loopback->setup_host(777);
  loopback->setup_inside();
  loopback->teardown();
  EXPECT_EQ(netlink->calls, (std::vector<std::string>{"up lo"}));
  EXPECT_NE(none->describe().find("lo down"), std::string::npos);
}

TEST_F(NetworkSteps, DescribeSaysWhatWillBeMade) {
  auto network = prepare_network(veth_network(), 500, false, env());
  EXPECT_EQ(network->describe(),
            "network veth: host pe-500 10.200.0.1/24 <-> container eth0 10.200.0.2/24, default route via 10.200.0.1, "
            "mtu 1400; no forwarding or NAT");
}

TEST_F(NetworkSteps, CleanupRemovesOnlyVethsOfDeadInstances) {
  netlink->host = {{"lo", "", "", {}},
                   {"pe-10", "veth", "plan-exec:10:5", {}},   // dead instance
                   {"pe-11", "veth", "plan-exec:11:5", {}},   // running
                   {"pinned", "veth", "plan-exec:12:5", {}},  // dead, pinned name
                   {"pe-13", "dummy", "", {}},              // not a veth: not ours
                   {"vethxyz", "veth", "", {}}};            // someone else's veth
  running = {11};
  EXPECT_EQ(find_network_leftovers(env()),
            (std::vector<std::string>{"veth pe-10 of plan-exec 10, which is no longer running",
                                      "veth pinned of plan-exec 12, which is no longer running"}));
  EXPECT_EQ(netlink->host.size(), 6u) << "find only reports";
  EXPECT_EQ(cleanup_network_leftovers(env()),
            (std::vector<std::string>{"veth pe-10 of plan-exec 10, which is no longer running",
                                      "veth pinned of plan-exec 12, which is no longer running"}));
  std::vector<std::string> left;
  for (const auto& i : netlink->host) left.push_back(i.name);
  EXPECT_EQ(left, (std::vector<std::string>{"lo", "pe-11", "pe-13", "vethxyz"}));
  EXPECT_TRUE(cleanup_network_leftovers(env()).empty());
}

TEST(NetworkInstanceCheck, APidCountsOnlyWithItsOwnStartTime) {
  const InstanceId self = identify_process(getpid());
  ASSERT_TRUE(self.start_time) << "no start time for our own pid in /proc/self/stat";
  EXPECT_TRUE(is_instance_running(self));
  EXPECT_TRUE(is_instance_running({getpid(), std::nullopt})) << "without a start time, a live pid counts";
  EXPECT_FALSE(is_instance_running({getpid(), *self.start_time + 1})) << "same pid, another process: a reused pid";
  EXPECT_FALSE(is_instance_running({999999999, std::nullopt}));
  EXPECT_FALSE(process_start_time(999999999));
  // Our parent started before us: start times are ordered.
  EXPECT_LE(*process_start_time(getppid()), *self.start_time);
}

}  // namespace
}  // namespace launcher
