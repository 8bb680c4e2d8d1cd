// SPDX-License-Identifier: Apache-2.0
// Validation of the veth section: addresses, names, and collisions with the host's interfaces.
// Pure functions only: no root, no netlink.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include "launcher/host/error.h"
#include "launcher/network/network_address.h"
#include "launcher/network/network_validate.h"

namespace launcher {
namespace {

plan::Veth good_veth() {
  plan::Veth v;
  v.host_address = "10.200.0.1";
  v.container_address = "10.200.0.2";
  v.gateway = "10.200.0.1";
  return v;
}

// The StepError's message for `veth`, or "" when it resolves.
std::string resolve_error(const plan::Veth& veth) {
  try {
    resolve_veth(veth, 4242);
    return "";
  } catch (const StepError& e) {
    EXPECT_EQ(e.step(), "network");
    return e.what();
  }
}

IpAddress ip(const char* text) { return *parse_ip(text); }

TEST(NetworkAddress, ParsesIpv4AndIpv6AndRejectsPrefixesAndNames) {
  ASSERT_TRUE(parse_ip("10.200.0.1"));
  EXPECT_EQ(parse_ip("10.200.0.1")->family, AF_INET);
  EXPECT_EQ(parse_ip("fd00::1")->family, AF_INET6);
  EXPECT_EQ(parse_ip("fd00:0::1")->to_string(), "fd00::1");
  EXPECT_FALSE(parse_ip("10.200.0.1/24"));
  EXPECT_FALSE(parse_ip("host"));
  EXPECT_FALSE(parse_ip("10.200.0.256"));
  EXPECT_FALSE(parse_ip(""));
}

TEST(NetworkAddress, SubnetsCompareOnlyThePrefixBits) {
  EXPECT_TRUE(same_subnet(ip("10.200.0.1"), ip("10.200.0.254"), 24));
  EXPECT_FALSE(same_subnet(ip("10.200.0.1"), ip("10.200.1.1"), 24));
  EXPECT_TRUE(same_subnet(ip("10.200.0.1"), ip("10.200.1.1"), 23));
  EXPECT_TRUE(same_subnet(ip("10.200.0.1"), ip("10.200.0.2"), 30));
  EXPECT_FALSE(same_subnet(ip("10.200.0.1"), ip("10.200.0.5"), 30));
  EXPECT_TRUE(same_subnet(ip("fd00:1::1"), ip("fd00:1::ffff"), 64));
  EXPECT_FALSE(same_subnet(ip("fd00:1::1"), ip("fd00:2::1"), 64));
  EXPECT_FALSE(same_subnet(ip("10.0.0.1"), ip("::ffff:10.0.0.1"), 0));
  EXPECT_EQ(subnet_text(ip("10.200.3.77"), 20), "10.200.0.0/20");
  EXPECT_EQ(subnet_text(ip("fd00:1:2:3::9"), 48), "fd00:1:2::/48");
}

TEST(NetworkNames, HostNameIsDerivedFromTheInstanceUnlessPinned) {
  ResolvedVeth derived = resolve_veth(good_veth(), 4242);
  EXPECT_EQ(derived.host_ifname, "pe-4242");
  EXPECT_FALSE(derived.host_ifname_pinned);
  EXPECT_EQ(derived.container_ifname, "eth0");

  plan::Veth pinned = good_veth();
  pinned.host_ifname = "veth-h";
  pinned.container_ifname = "net0";
  ResolvedVeth resolved = resolve_veth(pinned, 4242);
  EXPECT_EQ(resolved.host_ifname, "veth-h");
  EXPECT_TRUE(resolved.host_ifname_pinned);
  EXPECT_EQ(resolved.container_ifname, "net0");
  // The largest pid Linux hands out still gives a legal name.
  EXPECT_LE(derived_host_ifname(4194304).size(), kMaxIfnameLength);
}

TEST(NetworkNames, RejectsLongOddAndReservedNames) {
  const std::pair<std::string, std::string> cases[] = {
      {"a-very-long-name", "at most 15"},  // 16 characters
      {"veth h", "not a valid interface name"},
      {"veth/h", "not a valid interface name"},
      {"..", "not a valid interface name"},
  };
  for (const auto& [name, expected] : cases) {
    plan::Veth host = good_veth();
    host.host_ifname = name;
    EXPECT_NE(resolve_error(host).find("host_name \"" + name + "\""), std::string::npos) << resolve_error(host);
    EXPECT_NE(resolve_error(host).find(expected), std::string::npos) << resolve_error(host);
    plan::Veth inside = good_veth();
    inside.container_ifname = name;
    EXPECT_NE(resolve_error(inside).find("container_name"), std::string::npos) << resolve_error(inside);
  }
  plan::Veth lo = good_veth();
  lo.container_ifname = "lo";
  EXPECT_NE(resolve_error(lo).find("loopback"), std::string::npos);
  plan::Veth fifteen = good_veth();
  fifteen.host_ifname = "fifteen-chars-x";
  EXPECT_EQ(resolve_error(fifteen), "");
}

TEST(NetworkValidate, RejectsBrokenAddressesWithTheOffendingValue) {
  const auto error_for = [](auto change) {
    plan::Veth v = good_veth();
    change(v);
    return resolve_error(v);
  };
  EXPECT_NE(error_for([](plan::Veth& v) { v.host_address = "10.200.0.300"; }).find("host address \"10.200.0.300\" is not"),
            std::string::npos);
  EXPECT_NE(error_for([](plan::Veth& v) { v.container_address = ""; }).find("container address is missing"), std::string::npos);
  EXPECT_NE(error_for([](plan::Veth& v) { v.container_address = "fd00::2"; }).find("different IP families"), std::string::npos);
  EXPECT_NE(error_for([](plan::Veth& v) { v.container_address = "10.200.0.1"; }).find("same address 10.200.0.1"),
            std::string::npos);
  EXPECT_NE(error_for([](plan::Veth& v) { v.container_address = "10.201.0.2"; })
                .find("container address 10.201.0.2 is outside the host side's subnet 10.200.0.0/24"),
            std::string::npos);
  EXPECT_NE(error_for([](plan::Veth& v) { v.host_prefix = 33; }).find("prefix /33 of 10.200.0.1 is out of range 8..32"),
            std::string::npos);
  EXPECT_NE(error_for([](plan::Veth& v) { v.gateway = "10.9.9.9"; }).find("gateway 10.9.9.9 is outside the container's subnet"),
            std::string::npos);
  EXPECT_NE(error_for([](plan::Veth& v) { v.gateway = "10.200.0.2"; }).find("container's own address"), std::string::npos);
  EXPECT_NE(error_for([](plan::Veth& v) { v.mtu = 40; }).find("mtu 40 is out of range 68..65535"), std::string::npos);
}

TEST(NetworkValidate, GatewayMayBeEmptyTheWordHostOrAnAddress) {
  plan::Veth none = good_veth();
  none.gateway = "";
  EXPECT_FALSE(resolve_veth(none, 1).gateway);
  plan::Veth word = good_veth();
  word.gateway = "host";
  EXPECT_EQ(resolve_veth(word, 1).gateway, ip("10.200.0.1"));
  plan::Veth v6;
  v6.host_address = "fd00:200::1";
  v6.host_prefix = 64;
  v6.container_address = "fd00:200::2";
  v6.container_prefix = 64;
  v6.gateway = "host";
  v6.mtu = 1280;
  ResolvedVeth resolved = resolve_veth(v6, 1);
  EXPECT_EQ(resolved.gateway, ip("fd00:200::1"));
  v6.mtu = 1200;  // IPv6 needs 1280
  EXPECT_NE(resolve_error(v6).find("out of range 1280..65535"), std::string::npos);
}

// --- collisions with what the host already has ---

HostInterface iface(std::string name, std::string kind, std::string alias, std::vector<const char*> addresses) {
  HostInterface out{std::move(name), std::move(kind), std::move(alias), {}};
  for (const char* a : addresses) out.addresses.push_back(ip(a));
  return out;
}

std::string host_state_error(const plan::Veth& veth, const std::vector<HostInterface>& host, pid_t running = 0) {
  try {
    check_host_state(resolve_veth(veth, 4242), host, [running](const InstanceId& id) { return id.pid == running; });
    return "";
  } catch (const StepError& e) {
    return e.what();
  }
}

TEST(NetworkHostState, AFreeHostPasses) {
  std::vector<HostInterface> host = {iface("lo", "", "", {"127.0.0.1", "::1"}), iface("eth0", "", "", {"192.0.2.2"})};
  EXPECT_EQ(host_state_error(good_veth(), host), "");
}

TEST(NetworkHostState, AnAddressOnAHostInterfaceIsNamedWithItsOwner) {
  std::vector<HostInterface> host = {iface("eth0", "", "", {"192.0.2.2", "10.200.0.1"})};
  EXPECT_EQ(host_state_error(good_veth(), host),
            "network veth: 10.200.0.1 is already on eth0: another container or host interface uses it; pick another "
            "address in the policy (to run another copy of the same plan, give it its own subnet: plan-exec --instance 1)");
  std::vector<HostInterface> container_address_taken = {iface("eth0", "", "", {"10.200.0.2"})};
  EXPECT_NE(host_state_error(good_veth(), container_address_taken).find("10.200.0.2 is already on eth0"), std::string::npos);
}

TEST(NetworkHostState, ASecondInstanceOfOnePlanIsTold) {
  // What a second plan-exec of the same plan sees: the first one's veth holds the address.
  std::vector<HostInterface> host = {iface("pe-77", "veth", "plan-exec:77", {"10.200.0.1"})};
  EXPECT_NE(host_state_error(good_veth(), host, 77).find("10.200.0.1 is already on pe-77, the veth of plan-exec 77 (still running)"),
            std::string::npos);
  // The same veth with its plan-exec gone is a leftover: say how to remove it.
  EXPECT_NE(host_state_error(good_veth(), host, 0).find("left behind by plan-exec 77, which is no longer running (remove it with `plan-exec --cleanup`)"),
            std::string::npos);
}

TEST(NetworkHostState, APinnedNameThatExistsIsAnError) {
  plan::Veth pinned = good_veth();
  pinned.host_ifname = "veth-h";
  std::vector<HostInterface> host = {iface("veth-h", "veth", "", {})};
  EXPECT_EQ(host_state_error(pinned, host),
            "network veth: host interface veth-h already exists (veth-h); pick another host_name in the policy, or leave "
            "it out to derive one");
  // A derived name that exists can only be a leftover of an earlier instance with our pid.
  std::vector<HostInterface> stale = {iface("pe-4242", "veth", "plan-exec:4242", {})};
  EXPECT_NE(host_state_error(good_veth(), stale).find("pe-4242 already exists"), std::string::npos);
  EXPECT_NE(host_state_error(good_veth(), stale).find("plan-exec --cleanup"), std::string::npos);
}

TEST(NetworkInstances, OnlyVethsNamedOrAliasedByPlanExecBelongToAnInstance) {
  using Id = std::optional<InstanceId>;
  EXPECT_EQ(instance_of(iface("pe-123", "veth", "", {})), Id(InstanceId{123, std::nullopt}));
  EXPECT_EQ(instance_of(iface("veth-h", "veth", "plan-exec:456:789", {})), Id(InstanceId{456, 789}));
  EXPECT_EQ(instance_of(iface("veth-h", "veth", "plan-exec:456", {})), Id(InstanceId{456, std::nullopt}));
  EXPECT_EQ(instance_of(iface("pe-123", "veth", "plan-exec:456:1", {})), Id(InstanceId{456, 1}));  // the alias wins
  EXPECT_FALSE(instance_of(iface("pe-123", "", "", {})));                                         // not a veth
  EXPECT_FALSE(instance_of(iface("pe-12x", "veth", "", {})));
  EXPECT_FALSE(instance_of(iface("pe-", "veth", "", {})));
  EXPECT_FALSE(instance_of(iface("pe-0", "veth", "", {})));
  EXPECT_FALSE(instance_of(iface("veth-h", "veth", "plan-exec:456:", {})));
  EXPECT_FALSE(instance_of(iface("veth-h", "veth", "plan-exec:456:x", {})));
  EXPECT_FALSE(instance_of(iface("eth0", "veth", "someone else", {})));
  EXPECT_EQ(instance_alias({9, 1234}), "plan-exec:9:1234");
  EXPECT_EQ(instance_alias({9, std::nullopt}), "plan-exec:9");
  EXPECT_EQ(instance_of(iface("x", "veth", instance_alias({9, 1234}), {})), Id(InstanceId{9, 1234}));
}

}  // namespace
}  // namespace launcher
