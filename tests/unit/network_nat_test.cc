// SPDX-License-Identifier: Apache-2.0
// Published ports and outbound NAT, without root: the nftables commands of one run, the state
// read back from `list ruleset` JSON, busy ports from /proc/net text, and the reference
// counting of forwarding sysctls across runs (a fake nftables and fake sysctl files).
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "launcher/host/error.h"
#include "launcher/network/network_forwarding.h"
#include "launcher/network/network_nat.h"

namespace network_nat_test {
namespace {

using namespace launcher;

NatRequest sample_request() {
  NatRequest r;
  r.instance = {4242, 777};
  r.host_ifname = "pe-4242";
  r.container_address = *parse_ip("10.200.0.2");
  r.container_prefix = 24;
  r.publish = {{"tcp", "", 8080, 80}, {"udp", "127.0.0.1", 5353, 53}};
  r.outbound_nat = true;
  r.forwarding = {"eth0"};
  r.forwarding_restore = {"eth0"};
  return r;
}

bool has_line(const std::string& text, const std::string& line) {
  std::istringstream lines(text);
  for (std::string l; std::getline(lines, l);) {
    if (l == line) return true;
  }
  return false;
}

TEST(NetworkNat, TableNamesCarryTheRunAndReadBack) {
  EXPECT_EQ(nat_table_name({4242, 777}), "plan_exec_4242_777");
  EXPECT_EQ(nat_table_name({4242, std::nullopt}), "plan_exec_4242");
  EXPECT_EQ(instance_of_nat_table("plan_exec_4242_777"), (InstanceId{4242, 777}));
  EXPECT_EQ(instance_of_nat_table("plan_exec_4242"), (InstanceId{4242, std::nullopt}));
  EXPECT_FALSE(instance_of_nat_table("plan_exec_x"));
  EXPECT_FALSE(instance_of_nat_table("docker_nat"));
  EXPECT_FALSE(instance_of_nat_table("plan_exec_0"));
}

TEST(NetworkNat, TheTableDnatsInPreroutingAndOutputAndMasquerades) {
  const std::string c = nat_table_commands(sample_request());
  const std::string t = "ip plan_exec_4242_777";
  EXPECT_TRUE(has_line(c, "add table " + t)) << c;
  EXPECT_TRUE(has_line(c, "add element " + t + " published { tcp . 8080 }")) << c;
  EXPECT_TRUE(has_line(c, "add element " + t + " published { udp . 5353 }")) << c;
  EXPECT_TRUE(has_line(c, "add element " + t + " forwarding { \"eth0\" }")) << c;
  EXPECT_TRUE(has_line(c, "add element " + t + " forwarding_restore { \"eth0\" }")) << c;
  for (const char* chain : {"prerouting", "output"}) {
    EXPECT_TRUE(has_line(c, "add rule " + t + " " + chain + " fib daddr type local tcp dport 8080 dnat to 10.200.0.2:80")) << c;
    EXPECT_TRUE(has_line(c, "add rule " + t + " " + chain + " ip daddr 127.0.0.1 udp dport 5353 dnat to 10.200.0.2:53")) << c;
  }
  EXPECT_TRUE(has_line(c, "add rule " + t + " postrouting oifname \"pe-4242\" ct status dnat masquerade")) << c;
  EXPECT_TRUE(has_line(c, "add rule " + t + " postrouting ip saddr 10.200.0.0/24 oifname != \"pe-4242\" masquerade")) << c;
}

TEST(NetworkNat, AnIpv6ContainerGetsAnIp6Table) {
  NatRequest r = sample_request();
  r.container_address = *parse_ip("fd00:1::2");
  r.container_prefix = 64;
  r.publish = {{"tcp", "::1", 8080, 80}};
  const std::string c = nat_table_commands(r);
  EXPECT_TRUE(has_line(c, "add table ip6 plan_exec_4242_777")) << c;
  EXPECT_TRUE(has_line(c, "add rule ip6 plan_exec_4242_777 output ip6 daddr ::1 tcp dport 8080 dnat to [fd00:1::2]:80")) << c;
  EXPECT_TRUE(has_line(c, "add rule ip6 plan_exec_4242_777 postrouting ip6 saddr fd00:1::/64 oifname != \"pe-4242\" masquerade")) << c;
}

TEST(NetworkNat, StateIsReadBackFromRulesetJson) {
  const std::string json = R"({"nftables": [{"metainfo": {"version": "1.0.6"}},
    {"table": {"family": "ip", "name": "plan_exec_4242_777", "handle": 1}},
    {"table": {"family": "inet", "name": "firewalld", "handle": 2}},
    {"set": {"family": "ip", "name": "published", "table": "plan_exec_4242_777", "type": ["inet_proto", "inet_service"],
             "handle": 3, "elem": [{"concat": ["tcp", 8080]}, {"concat": ["udp", 5353]}]}},
    {"set": {"family": "ip", "name": "forwarding", "table": "plan_exec_4242_777", "type": "ifname", "handle": 4, "elem": ["eth0", "wlan0"]}},
    {"set": {"family": "ip", "name": "forwarding_restore", "table": "plan_exec_4242_777", "type": "ifname", "handle": 5}},
    {"set": {"family": "inet", "name": "forwarding", "table": "firewalld", "type": "ifname", "handle": 6, "elem": ["x"]}}]})";
  const auto tables = parse_nat_tables(json);
  ASSERT_EQ(tables.size(), 1u);
  EXPECT_EQ(tables[0].family, "ip");
  EXPECT_EQ(tables[0].instance, (InstanceId{4242, 777}));
  EXPECT_EQ(tables[0].published, (std::vector<std::pair<std::string, unsigned>>{{"tcp", 8080}, {"udp", 5353}}));
  EXPECT_EQ(tables[0].forwarding, (std::set<std::string>{"eth0", "wlan0"}));
  EXPECT_TRUE(tables[0].forwarding_restore.empty());
  EXPECT_THROW(parse_nat_tables("not json"), StepError);
}

TEST(NetworkNat, BusyPortsFromProcNet) {
  const std::string tcp =
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
      "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1\n"
      "   1: 0100007F:0016 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 2 1\n";
  EXPECT_EQ(bound_ports(tcp, "tcp"), (std::set<std::pair<std::string, unsigned>>{{"tcp", 8080}}));  // 0x16 is connected
  const std::string udp =
      "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"
      "  100: 00000000:14E9 00000000:0000 07 00000000:00000000 00:00000000 00000000   0        0 3 2 0 0\n";
  EXPECT_EQ(bound_ports(udp, "udp"), (std::set<std::pair<std::string, unsigned>>{{"udp", 5353}}));
}

TEST(NetworkNat, DefaultRouteInterfaces) {
  const std::string route =
      "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
      "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
      "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";
  EXPECT_EQ(default_route_interfaces(route), (std::set<std::string>{"eth0"}));
  const std::string route6 =
      "00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 "
      "00000001 00000000 00000003     eth0\n"
      "00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff "
      "00000001 00000000 00200200       lo\n";
  EXPECT_EQ(default_route_interfaces6(route6), (std::set<std::string>{"eth0"}));
}

// nftables and the sysctl files as a map: run() understands the commands plan-exec writes.
struct FakeNatHost {
  std::map<std::string, NatTableState> tables;  // by name
  std::map<std::string, std::string> files;
  std::vector<std::string> commands;

  class Ops final : public NftOps {
   public:
    explicit Ops(FakeNatHost& host) : host_(host) {}
    void run(const std::string& text) override {
      host_.commands.push_back(text);
      std::istringstream lines(text);
      for (std::string line; std::getline(lines, line);) {
        std::istringstream words(line);
        std::string verb, what, family, name;
        words >> verb >> what >> family >> name;
        if (verb == "add" && what == "table") host_.tables[name] = {family, name, *instance_of_nat_table(name), {}, {}, {}};
        if (verb == "delete" && what == "table") host_.tables.erase(name);
        if (verb == "add" && what == "element") {
          std::string set, brace, element;
          words >> set >> brace >> element;
          if (element.size() > 2) element = element.substr(1, element.size() - 2);  // "eth0" -> eth0
          if (set == "forwarding") host_.tables[name].forwarding.insert(element);
          if (set == "forwarding_restore") host_.tables[name].forwarding_restore.insert(element);
        }
      }
    }
    std::string list_json(const std::string&) override {
      nlohmann::json items = nlohmann::json::array();
      for (const auto& [name, t] : host_.tables) {
        items.push_back({{"table", {{"family", t.family}, {"name", name}}}});
        items.push_back({{"set", {{"family", t.family}, {"table", name}, {"name", "forwarding"}, {"elem", t.forwarding}}}});
        items.push_back({{"set", {{"family", t.family}, {"table", name}, {"name", "forwarding_restore"}, {"elem", t.forwarding_restore}}}});
      }
      return nlohmann::json{{"nftables", items}}.dump();
    }

   private:
    FakeNatHost& host_;
  };

  NatHost host() {
    NatHost h;
    auto ops = std::make_shared<Ops>(*this);
    h.nft = [ops] { return ops; };
    h.read_file = [this](const std::string& path) { return files.count(path) ? files[path] : std::string(); };
    h.write_file = [this](const std::string& path, const std::string& value) { files[path] = value; };
    return h;
  }
};

NatRequest request_of(pid_t pid) {
  NatRequest r = sample_request();
  r.instance = {pid, 1};
  r.host_ifname = "pe-" + std::to_string(pid);
  r.forwarding = {"eth0"};
  r.forwarding_restore.clear();
  return r;
}

NatTableState state_of(const NatRequest& r) {
  return {"ip", nat_table_name(r.instance), r.instance, {}, r.forwarding, r.forwarding_restore};
}

TEST(NetworkNatForwarding, TheLastRunTurnsForwardingOffAgainWhicheverEndsFirst) {
  for (bool first_ends_first : {true, false}) {
    FakeNatHost fake;
    const NatHost host = fake.host();
    const std::string eth0 = ipv4_forwarding_path("eth0");
    fake.files[eth0] = "0\n";
    NatRequest a = request_of(100), b = request_of(200);
    apply_nat(a, host);
    EXPECT_EQ(fake.files[eth0], "1\n");
    EXPECT_EQ(a.forwarding_restore, (std::set<std::string>{"eth0"}));
    apply_nat(b, host);  // sees it on, but inherits the duty to turn it off from a's table
    EXPECT_EQ(b.forwarding_restore, (std::set<std::string>{"eth0"}));
    remove_nat(state_of(first_ends_first ? a : b), host);
    EXPECT_EQ(fake.files[eth0], "1\n") << "the other run still needs forwarding";
    EXPECT_EQ(fake.tables.size(), 1u);
    remove_nat(state_of(first_ends_first ? b : a), host);
    EXPECT_EQ(fake.files[eth0], "0\n") << "the last run restores what plan-exec found";
    EXPECT_TRUE(fake.tables.empty());
  }
}

TEST(NetworkNatForwarding, ForwardingThatWasOnBeforeStaysOn) {
  FakeNatHost fake;
  const NatHost host = fake.host();
  const std::string eth0 = ipv4_forwarding_path("eth0");
  fake.files[eth0] = "1\n";  // a router, a docker host
  NatRequest a = request_of(100);
  apply_nat(a, host);
  EXPECT_TRUE(a.forwarding_restore.empty());
  remove_nat(state_of(a), host);
  EXPECT_EQ(fake.files[eth0], "1\n");
}

TEST(NetworkNatForwarding, APortPublishedByAnotherRunOrBoundIsRefused) {
  FakeNatHost fake;
  NatHost host = fake.host();
  NatTableState other{"ip", "plan_exec_100_1", {100, 1}, {{"tcp", 8080}}, {}, {}};
  try {
    check_ports_free({{"tcp", "", 8080, 80}}, {other}, host, [](const InstanceId&) { return true; });
    ADD_FAILURE() << "no error";
  } catch (const StepError& e) {
    EXPECT_NE(e.describe().find("publish tcp port 8080: the port is already published: plan-exec 100 (still running)"),
              std::string::npos)
        << e.describe();
  }
  EXPECT_NO_THROW(check_ports_free({{"udp", "", 8080, 80}}, {other}, host, [](const InstanceId&) { return true; }));
  fake.files["/proc/net/tcp6"] = "header\n 0: 00000000000000000000000000000000:1F91 00000000000000000000000000000000:0000 0A x\n";
  try {
    check_ports_free({{"tcp", "", 8081, 80}}, {}, host, [](const InstanceId&) { return true; });
    ADD_FAILURE() << "no error";
  } catch (const StepError& e) {
    EXPECT_NE(e.describe().find("publish tcp port 8081: a socket on this host is already bound to it"), std::string::npos)
        << e.describe();
  }
}

TEST(NetworkNatForwarding, OnlyPortsReachableFromElsewhereNeedForwarding) {
  FakeNatHost fake;
  NatHost host = fake.host();
  NatRequest r = request_of(100);
  r.outbound_nat = false;
  r.publish = {{"tcp", "127.0.0.1", 8080, 80}};
  std::vector<HostInterface> ifaces = {{"lo", "", "", {*parse_ip("127.0.0.1")}},
                                       {"eth0", "", "", {*parse_ip("192.0.2.10")}},
                                       {"pe-100", "veth", "plan-exec:100:1", {*parse_ip("10.200.0.1")}}};
  EXPECT_TRUE(interfaces_needing_forwarding(r, ifaces, host).empty());
  r.publish = {{"tcp", "", 8080, 80}};
  EXPECT_EQ(interfaces_needing_forwarding(r, ifaces, host), (std::set<std::string>{"eth0"}));
  r.publish.clear();
  r.outbound_nat = true;
  fake.files["/proc/net/route"] = "Iface Destination Gateway Flags RefCnt Use Metric Mask\nwan0 00000000 01 0003 0 0 0 00000000\n";
  EXPECT_EQ(interfaces_needing_forwarding(r, ifaces, host), (std::set<std::string>{"wan0"}));
  r.container_address = *parse_ip("fd00::2");
  EXPECT_EQ(interfaces_needing_forwarding(r, ifaces, host), (std::set<std::string>{"all"}));
}

}  // namespace
}  // namespace network_nat_test
