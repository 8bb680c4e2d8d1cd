// SPDX-License-Identifier: Apache-2.0
// `plan-exec --instance K`: the address shift of the per-instance scheme, and its option.
#include <gtest/gtest.h>

#include "launcher/cli.h"
#include "launcher/host/error.h"
#include "launcher/network/network.h"
#include "tests/support/plan_builder.h"

namespace {

plan::Network veth(const std::string& host, const std::string& container, std::uint8_t prefix,
                   const std::string& gateway) {
  plan::Network n;
  n.mode = plan::NetworkMode::Veth;
  n.veth = testsupport::veth_link(host, container, prefix);
  n.veth->gateway = gateway;
  return n;
}

TEST(NetworkInstance, InstanceZeroLeavesThePlanAsItIs) {
  auto n = veth("10.200.0.1", "10.200.0.2", 24, "10.200.0.1");
  const auto before = n;
  launcher::shift_to_instance(n, 0);
  EXPECT_EQ(n, before);
}

TEST(NetworkInstance, MovesEveryAddressKSubnetsUp) {
  auto n = veth("10.200.0.1", "10.200.0.2", 24, "10.200.0.1");
  launcher::shift_to_instance(n, 3);
  EXPECT_EQ(n.veth->host_address, "10.200.3.1");
  EXPECT_EQ(n.veth->container_address, "10.200.3.2");
  EXPECT_EQ(n.veth->gateway, "10.200.3.1");
}

TEST(NetworkInstance, CarriesAcrossBytesAndWorksForSmallSubnets) {
  auto n = veth("10.200.255.1", "10.200.255.2", 24, "");
  launcher::shift_to_instance(n, 2);
  EXPECT_EQ(n.veth->host_address, "10.201.1.1");
  auto small = veth("10.0.0.1", "10.0.0.2", 30, "10.0.0.1");
  launcher::shift_to_instance(small, 1);
  EXPECT_EQ(small.veth->host_address, "10.0.0.5");
  EXPECT_EQ(small.veth->container_address, "10.0.0.6");
  EXPECT_EQ(small.veth->gateway, "10.0.0.5");
}

TEST(NetworkInstance, WorksForIpv6) {
  auto n = veth("fd00:0:0:1::1", "fd00:0:0:1::2", 64, "");
  launcher::shift_to_instance(n, 2);
  EXPECT_EQ(n.veth->host_address, "fd00:0:0:3::1");
  EXPECT_EQ(n.veth->container_address, "fd00:0:0:3::2");
}

TEST(NetworkInstance, LeavingTheAddressSpaceIsAClearError) {
  auto n = veth("255.255.255.1", "255.255.255.2", 24, "");
  try {
    launcher::shift_to_instance(n, 1);
    FAIL() << "255.255.255.1/24 + 1 subnet must be refused";
  } catch (const launcher::StepError& e) {
    EXPECT_EQ(e.step(), "network");
    EXPECT_NE(std::string(e.what()).find("--instance 1 moves 255.255.255.1/24 out of the address space"),
              std::string::npos)
        << e.what();
  }
}

// A pinned host name is one interface: copy K gets "<name>-K", so copies of the plan coexist.
TEST(NetworkInstance, APinnedHostNameGetsTheInstanceNumber) {
  auto n = veth("10.200.0.1", "10.200.0.2", 24, "");
  n.veth->host_ifname = "veth-h";
  auto zero = n;
  launcher::shift_to_instance(zero, 0);
  EXPECT_EQ(zero.veth->host_ifname, "veth-h");
  launcher::shift_to_instance(n, 12);
  EXPECT_EQ(n.veth->host_ifname, "veth-h-12");
  EXPECT_EQ(n.veth->container_ifname, "eth0");  // inside its own namespace: no clash to avoid
  auto derived = veth("10.200.0.1", "10.200.0.2", 24, "");
  launcher::shift_to_instance(derived, 2);
  EXPECT_EQ(derived.veth->host_ifname, "") << "pe-<pid> names are unique already";
}

TEST(NetworkInstance, APinnedHostNameTooLongForTheNumberIsAClearError) {
  auto n = veth("10.200.0.1", "10.200.0.2", 24, "");
  n.veth->host_ifname = "abcdefghijklm";  // 13 characters: "-1" fits, "-10" does not
  auto one = n;
  launcher::shift_to_instance(one, 1);
  EXPECT_EQ(one.veth->host_ifname, "abcdefghijklm-1");
  try {
    launcher::shift_to_instance(n, 10);
    FAIL() << "a 16-character interface name must be refused";
  } catch (const launcher::StepError& e) {
    EXPECT_EQ(e.step(), "network");
    EXPECT_NE(std::string(e.what()).find("\"abcdefghijklm-10\", longer than the 15 characters"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("pin a shorter host_name"), std::string::npos) << e.what();
  }
}

TEST(NetworkInstance, TheOptionTakesANumber) {
  const char* ok[] = {"plan-exec", "--instance", "7", "app.plan"};
  auto args = launcher::parse_cli(4, ok);
  ASSERT_EQ(args.mode, launcher::CliMode::Run) << args.error;
  EXPECT_EQ(args.run.instance, 7u);
  EXPECT_EQ(args.run.plan_path, "app.plan");
  for (const char* bad : {"x", "-1", "65536", ""}) {
    const char* argv[] = {"plan-exec", "--instance", bad, "app.plan"};
    EXPECT_EQ(launcher::parse_cli(4, argv).mode, launcher::CliMode::Error) << bad;
  }
  const char* missing[] = {"plan-exec", "app.plan", "--instance"};
  EXPECT_EQ(launcher::parse_cli(3, missing).mode, launcher::CliMode::Error);
}

}  // namespace
