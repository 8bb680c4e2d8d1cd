// SPDX-License-Identifier: Apache-2.0
// The network statement's newer forms: `network join`, `publish`, `outbound`, `dns` and
// `network user { ... }`: what they lower to, and the located errors of bad keys, ports,
// addresses and duplicates.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "compiler/driver/compile.h"
#include "compiler/values/values.h"
#include "plan/plan_json.h"

namespace frontend_network_test {
namespace {

using namespace policyc;
namespace fs = std::filesystem;

class FrontendNetwork : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(TEST_SCRATCH_DIR) / ("frontend_network_" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string render(const Diagnostics& diags) {
    std::ostringstream out;
    diags.render(out);
    return out.str();
  }
  plan::Plan compile_ok(const std::string& body) {
    fs::path path = dir_ / "net.pol";
    std::ofstream(path) << "container n {\n" << (body.find("namespaces") == std::string::npos ? "  namespaces net\n" : "") << body << "\n  command /bin/true\n}\n";
    Diagnostics diags;
    auto result = compile_policy(path.string(), CompileOptions{}, diags);
    EXPECT_TRUE(result) << render(diags);
    return result ? result->plan : plan::Plan{};
  }
  // The rendered errors of a policy that must not compile.
  std::string compile_errors(const std::string& body) {
    fs::path path = dir_ / "net.pol";
    std::ofstream(path) << "container n {\n" << (body.find("namespaces") == std::string::npos ? "  namespaces net\n" : "") << body << "\n  command /bin/true\n}\n";
    Diagnostics diags;
    EXPECT_FALSE(compile_policy(path.string(), CompileOptions{}, diags)) << body;
    return render(diags);
  }
  fs::path dir_;
};

const char kVeth[] = "host 10.0.0.1/24 container 10.0.0.2/24 gateway host";

TEST_F(FrontendNetwork, JoinByPathOrPidLowersToTheJoinSection) {
  plan::Plan by_path = compile_ok("  network join \"/run/netns/blue\"");
  EXPECT_EQ(by_path.network.mode, plan::NetworkMode::Join);
  ASSERT_TRUE(by_path.network.join);
  EXPECT_EQ(by_path.network.join->path, "/run/netns/blue");
  EXPECT_EQ(by_path.network.join->pid, 0);
  plan::Plan bare_path = compile_ok("  network join /proc/1/ns/net");
  ASSERT_TRUE(bare_path.network.join);
  EXPECT_EQ(bare_path.network.join->path, "/proc/1/ns/net");
  plan::Plan by_pid = compile_ok("  network join pid 1234");
  ASSERT_TRUE(by_pid.network.join);
  EXPECT_EQ(by_pid.network.join->pid, 1234);
  EXPECT_TRUE(by_pid.network.join->path.empty());
  // The plan round-trips through JSON.
  EXPECT_EQ(plan::from_json(plan::to_json(by_pid)).network, by_pid.network);
  EXPECT_EQ(plan::from_json(plan::to_json(by_path)).network, by_path.network);
}

TEST_F(FrontendNetwork, JoinErrorsAreLocated) {
  EXPECT_NE(compile_errors("  network join").find("3:3: error: network join needs the namespace to enter"), std::string::npos);
  EXPECT_NE(compile_errors("  network join \"netns/blue\"").find("3:16: error: network join path \"netns/blue\" is not absolute"),
            std::string::npos);
  EXPECT_NE(compile_errors("  network join pid 0").find("3:20: error: network join pid 0 is not a process id"), std::string::npos);
  EXPECT_NE(compile_errors("  network loopback \"/run/netns/x\"").find("error: only network join takes a namespace"),
            std::string::npos);
  EXPECT_NE(compile_errors("  network join { }").find("error: network join takes no { ... } block"), std::string::npos);
}

TEST_F(FrontendNetwork, PublishForms) {
  plan::Plan p = compile_ok(std::string("  network veth { ") + kVeth +
                            " publish tcp 8080:80 publish udp 5353 publish 127.0.0.1:8081:81 publish \"10.9.9.9:53:5353\" }");
  ASSERT_TRUE(p.network.veth);
  const auto& ports = p.network.veth->publish;
  ASSERT_EQ(ports.size(), 4u);
  EXPECT_EQ(ports[0], (plan::PublishedPort{"tcp", "", 8080, 80}));
  EXPECT_EQ(ports[1], (plan::PublishedPort{"udp", "", 5353, 5353}));
  EXPECT_EQ(ports[2], (plan::PublishedPort{"tcp", "127.0.0.1", 8081, 81}));
  EXPECT_EQ(ports[3], (plan::PublishedPort{"tcp", "10.9.9.9", 53, 5353}));
  EXPECT_EQ(plan::from_json(plan::to_json(p)).network, p.network);

  plan::Plan v6 = compile_ok(
      "  network veth { host fd00::1/64 container fd00::2/64 gateway host publish tcp [::1]:8080:80 publish udp 53 }");
  ASSERT_TRUE(v6.network.veth);
  ASSERT_EQ(v6.network.veth->publish.size(), 2u);
  EXPECT_EQ(v6.network.veth->publish[0], (plan::PublishedPort{"tcp", "::1", 8080, 80}));
}

TEST_F(FrontendNetwork, PublishErrorsNameTheKeyAndPlace) {
  const std::string veth = std::string("  network veth { ") + kVeth + "\n";
  EXPECT_NE(compile_errors(veth + "  publish sctp 80 }").find("4:11: error: unknown protocol \"sctp\" for publish"),
            std::string::npos);
  EXPECT_NE(compile_errors(veth + "  publish tcp 70000:80 }").find("4:15: error: bad port mapping: host port \"70000\" is not a number from 1 to 65535"),
            std::string::npos);
  EXPECT_NE(compile_errors(veth + "  publish tcp 8080:0 }").find("container port \"0\" is not a number from 1 to 65535"),
            std::string::npos);
  EXPECT_NE(compile_errors(veth + "  publish tcp 300.1.1.1:80:80 }").find("host address \"300.1.1.1\" is not an IPv4 or IPv6 address"),
            std::string::npos);
  EXPECT_NE(compile_errors(veth + "  publish tcp 8080 :80 }").find("4:15: error: publish takes one port mapping written without spaces"),
            std::string::npos);
  EXPECT_NE(compile_errors(veth + "  publish tcp [::1]:8080:80 }").find("host address ::1 is IPv6 but the container's address is IPv4"),
            std::string::npos);
  const std::string twice = compile_errors(veth + "  publish tcp 8080:80\n  publish tcp 127.0.0.1:8080:81 }");
  EXPECT_NE(twice.find("5:15: error: tcp port 8080 is already published at line 4"), std::string::npos) << twice;
  // The same number over udp is another port.
  compile_ok(std::string("  network veth { ") + kVeth + " publish tcp 53 publish udp 53 }");
}

TEST_F(FrontendNetwork, OutboundAndDns) {
  // dns writes resolv.conf into the rootfs's private layer, so it needs a rootfs (mount namespace).
  plan::Plan p = compile_ok(std::string("  namespaces net mount\n  rootfs \"/srv/r\"\n  network veth { ") + kVeth +
                            " outbound nat dns \"10.0.0.53\" }");
  ASSERT_TRUE(p.network.veth);
  EXPECT_TRUE(p.network.veth->outbound_nat);
  EXPECT_EQ(p.network.veth->dns, "10.0.0.53");
  plan::Plan host = compile_ok(std::string("  namespaces net mount\n  rootfs \"/srv/r\"\n  network veth { ") + kVeth +
                               " outbound nat dns host }");
  EXPECT_EQ(host.network.veth->dns, "host");
  EXPECT_EQ(plan::from_json(plan::to_json(p)).network, p.network);
  const std::string veth = std::string("  network veth { ") + kVeth + "\n";
  EXPECT_NE(compile_errors(veth + "  outbound }").find("4:3: error: network veth reaches out only through NAT"), std::string::npos);
  EXPECT_NE(compile_errors(veth + "  outbound nat outbound nat }").find("4:16: error: outbound is given twice"), std::string::npos);
  EXPECT_NE(compile_errors(veth + "  dns \"10.0.0.53/24\" }").find("4:7: error: bad dns: a name server address takes no prefix"),
            std::string::npos);
  EXPECT_NE(compile_errors(veth + "  dns \"resolver\" }").find("bad dns: \"resolver\" is not an IPv4 or IPv6 address"),
            std::string::npos);
  EXPECT_NE(compile_errors(veth + "  dns host dns host }").find("4:16: error: dns is given twice"), std::string::npos);
  // Without a rootfs with a private layer there is nowhere to write resolv.conf: an error at the
  // dns word, never the plan rule's "policyc bug" fallback.
  const std::string no_rootfs = compile_errors(veth + "  dns host }");
  EXPECT_NE(no_rootfs.find("4:7: error: dns writes the container's /etc/resolv.conf into its rootfs's private layer, but this "
                           "container has no rootfs"),
            std::string::npos)
      << no_rootfs;
  EXPECT_EQ(no_rootfs.find("policyc bug"), std::string::npos) << no_rootfs;
  const std::string readonly = compile_errors("  namespaces net mount\n  rootfs \"/srv/r\" readonly\n" + veth + "  dns host }");
  EXPECT_NE(readonly.find("5:7: error: dns needs a writable rootfs"), std::string::npos) << readonly;
  EXPECT_EQ(readonly.find("policyc bug"), std::string::npos) << readonly;
}

TEST_F(FrontendNetwork, UserNetworkTakesPublishAndOutboundOnly) {
  plan::Plan p = compile_ok("  network user { publish tcp 8080:80 outbound }");
  EXPECT_EQ(p.network.mode, plan::NetworkMode::User);
  ASSERT_TRUE(p.network.user);
  EXPECT_TRUE(p.network.user->outbound);
  ASSERT_EQ(p.network.user->publish.size(), 1u);
  EXPECT_EQ(p.network.user->publish[0], (plan::PublishedPort{"tcp", "", 8080, 80}));
  EXPECT_EQ(plan::from_json(plan::to_json(p)).network, p.network);
  plan::Plan bare = compile_ok("  network user");
  ASSERT_TRUE(bare.network.user);
  EXPECT_FALSE(bare.network.user->outbound);
  EXPECT_NE(compile_errors("  network user {\n  host 10.0.0.1/24 }").find("error: network user does not take \"10.0.0.1/24\""),
            std::string::npos);
  EXPECT_NE(compile_errors("  network user {\n  outbound nat }").find("4:3: error: network user takes a bare `outbound`"),
            std::string::npos);
  EXPECT_NE(compile_errors("  network user {\n  dns host }").find("4:7: error: network user does not take dns"), std::string::npos);
}

TEST(FrontendNetworkValues, PortMappings) {
  std::string why;
  auto v4 = lower::parse_port_mapping("127.0.0.1:8080:80", why);
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->host_address, "127.0.0.1");
  EXPECT_FALSE(v4->ipv6);
  EXPECT_EQ(v4->host_port, 8080u);
  EXPECT_EQ(v4->container_port, 80u);
  auto v6 = lower::parse_port_mapping("[fd00::1]:443:8443", why);
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host_address, "fd00::1");
  EXPECT_TRUE(v6->ipv6);
  EXPECT_EQ(v6->container_port, 8443u);
  auto same = lower::parse_port_mapping("5353", why);
  ASSERT_TRUE(same);
  EXPECT_EQ(same->host_port, 5353u);
  EXPECT_EQ(same->container_port, 5353u);
  EXPECT_FALSE(lower::parse_port_mapping("::1:80:80", why));
  EXPECT_NE(why.find("IPv6 host address goes in brackets"), std::string::npos);
  EXPECT_FALSE(lower::parse_port_mapping("[::1:80", why));
  EXPECT_FALSE(lower::parse_port_mapping("80:", why));
  EXPECT_FALSE(lower::parse_port_mapping("+80", why));
}

}  // namespace
}  // namespace frontend_network_test
