// SPDX-License-Identifier: Apache-2.0
// setup_host()/setup_inside()/teardown() for real, without the launcher: a forked child
// unshares only its net namespace (no mounts, nothing else) and plays the container.
// The host talks to the container only at addresses inside that namespace (10.200.101-110.x).
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>

#include "launcher/host/error.h"
#include "launcher/network/network_env.h"
#include "launcher/network/network_validate.h"
#include "tests/support/network_probe.h"

namespace launcher {
namespace {

using namespace std::chrono_literals;
using test_support::http_body;
using test_support::interface_exists;
using test_support::wait_for_http;
using test_support::wait_until_interface_gone;

// A child in its own net namespace: waits for go(), runs `inside` (which may send() lines),
// then stays alive until the object is destroyed, so the host can talk to it.
class NetnsChild {
 public:
  using Inside = std::function<void(const std::function<void(const std::string&)>& send)>;

  explicit NetnsChild(Inside inside) {
    int ready[2], go[2], report[2];
    if (pipe2(ready, O_CLOEXEC) || pipe2(go, O_CLOEXEC) || pipe2(report, O_CLOEXEC)) throw std::runtime_error("pipe");
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork");
    if (pid_ == 0) run_child(inside, ready[1], go[0], report[1]);
    close(ready[1]);
    close(go[0]);
    close(report[1]);
    go_ = go[1];
    report_ = report[0];
    char byte = 0;
    const bool unshared = read(ready[0], &byte, 1) == 1 && byte == 'R';
    close(ready[0]);
    if (!unshared) throw std::runtime_error("the child could not unshare its net namespace");
  }
  ~NetnsChild() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    close(go_);
    close(report_);
  }
  pid_t pid() const { return pid_; }
  void go() { EXPECT_EQ(write(go_, "G", 1), 1); }
  // Next line the child sent, or "timeout".
  std::string next_line(std::chrono::milliseconds timeout = 5s) {
    std::string line;
    char c;
    while (true) {
      pollfd p{report_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(timeout.count())) != 1 || read(report_, &c, 1) != 1) return "timeout";
      if (c == '\n') return line;
      line += c;
    }
  }
  void kill_now() {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  [[noreturn]] static void run_child(const Inside& inside, int ready, int go, int report) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a crashed test
    if (unshare(CLONE_NEWNET) != 0) _exit(1);
    if (write(ready, "R", 1) != 1) _exit(1);
    char byte;
    if (read(go, &byte, 1) != 1) _exit(1);
    const auto send = [report](const std::string& line) {
      const std::string text = line + "\n";
      if (write(report, text.data(), text.size()) < 0) _exit(1);
    };
    try {
      inside(send);
    } catch (const StepError& e) {
      send("error: " + e.describe());
    } catch (const std::exception& e) {
      send(std::string("error: ") + e.what());
    }
    while (read(go, &byte, 1) > 0) {}  // until the test closes the pipe or kills us
    _exit(0);
  }

  pid_t pid_ = -1;
  int go_ = -1;
  int report_ = -1;
};

// Deletes the host interface when the test ends, whatever happened.
struct LinkGuard {
  std::string name;
  ~LinkGuard() {
    try {
      make_netlink_ops()->delete_link(name);
    } catch (...) {
    }
  }
};

plan::Network veth(const std::string& subnet, std::uint32_t mtu = 0, std::string host_ifname = "") {
  plan::Network n;
  n.mode = plan::NetworkMode::Veth;
  n.veth = plan::Veth{};
  n.veth->host_ifname = std::move(host_ifname);
  n.veth->host_address = subnet + ".1";
  n.veth->container_address = subnet + ".2";
  n.veth->gateway = subnet + ".1";
  n.veth->mtu = mtu;
  return n;
}

// In the child: interface facts through ioctl, since /sys/class/net shows the namespace of
// whoever mounted /sys (the host's), not ours.
struct IfInfo {
  int flags = -1;
  int mtu = -1;
};
IfInfo if_info(const std::string& name) {
  IfInfo out;
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ifreq req{};
  std::strncpy(req.ifr_name, name.c_str(), IFNAMSIZ - 1);
  if (ioctl(fd, SIOCGIFFLAGS, &req) == 0) out.flags = req.ifr_flags;
  if (ioctl(fd, SIOCGIFMTU, &req) == 0) out.mtu = req.ifr_mtu;
  close(fd);
  return out;
}

// "eth0 via 10.200.101.1" for the IPv4 default route in the calling namespace, or "".
std::string default_route() {
  std::ifstream routes("/proc/net/route");
  std::string line;
  std::getline(routes, line);  // header
  while (std::getline(routes, line)) {
    std::istringstream fields(line);
    std::string ifname, destination, gateway;
    fields >> ifname >> destination >> gateway;
    if (destination != "00000000") continue;
    in_addr via{static_cast<in_addr_t>(std::stoul(gateway, nullptr, 16))};
    return ifname + " via " + inet_ntoa(via);
  }
  return "";
}

// Listens on address:port, tells the host "listening", answers one HTTP request.
void serve_once(const std::string& address, int port, const std::string& body,
                const std::function<void(const std::string&)>& send) {
  const bool v6 = address.find(':') != std::string::npos;
  int server = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_storage storage{};
  socklen_t length;
  if (v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&storage);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET6, address.c_str(), &a->sin6_addr);
    length = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&storage);
    a->sin_family = AF_INET;
    a->sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, address.c_str(), &a->sin_addr);
    length = sizeof *a;
  }
  if (bind(server, reinterpret_cast<sockaddr*>(&storage), length) != 0 || listen(server, 4) != 0) {
    send(std::string("error: listen on ") + address + ": " + std::strerror(errno));
    return;
  }
  send("listening");
  int client = accept(server, nullptr, nullptr);
  char request[1024];
  if (read(client, request, sizeof request) <= 0) return;
  const std::string response = "HTTP/1.0 200 OK\r\n\r\n" + body;
  if (write(client, response.data(), response.size()) < 0) return;
  close(client);
  close(server);
}

class NetworkSetup : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root: creates veth pairs and net namespaces";
  }
};

TEST_F(NetworkSetup, VethConnectsTheHostToTheContainerAndTeardownRemovesIt) {
  auto network = prepare_network(veth("10.200.101", 1400), getpid(), false);
  const std::string host_end = derived_host_ifname(getpid());
  LinkGuard guard{host_end};
  NetnsChild child([&](const auto& send) {
    network->setup_inside();
    const IfInfo eth0 = if_info("eth0"), lo = if_info("lo");
    send("eth0 up=" + std::to_string((eth0.flags & IFF_UP) != 0) + " mtu=" + std::to_string(eth0.mtu) +
         " lo up=" + std::to_string((lo.flags & IFF_UP) != 0));
    send("route " + default_route());
    serve_once("10.200.101.2", 8080, "from inside", send);
  });
  network->setup_host(child.pid());
  EXPECT_TRUE(interface_exists(host_end));
  EXPECT_EQ(test_support::read_sys_net(host_end, "mtu"), "1400");
  const std::string forwarding = "/proc/sys/net/ipv4/conf/" + host_end + "/forwarding";
  const auto read_forwarding = [&] {
    std::ifstream file(forwarding);
    std::string value;
    std::getline(file, value);
    return value;
  };
  EXPECT_EQ(read_forwarding(), "0") << "the host end must not route the container's packets on";
  // What a Docker host (default forwarding 1) would give the new interface; only our own
  // interface is touched, never the host's global settings.
  std::ofstream(forwarding) << "1\n";
  ASSERT_EQ(read_forwarding(), "1");
  make_netlink_ops()->disable_ipv4_forwarding(host_end);
  EXPECT_EQ(read_forwarding(), "0");
  EXPECT_EQ(test_support::read_sys_net(host_end, "ifalias"), instance_alias(identify_process(getpid())));
  EXPECT_FALSE(interface_exists("eth0") && test_support::read_sys_net("eth0", "ifalias").starts_with("plan-exec"))
      << "the container end must never appear on the host";
  child.go();
  EXPECT_EQ(child.next_line(), "eth0 up=1 mtu=1400 lo up=1");
  EXPECT_EQ(child.next_line(), "route eth0 via 10.200.101.1");
  ASSERT_EQ(child.next_line(), "listening");
  auto response = test_support::http_get("10.200.101.2", 8080, host_end, "/", 3s);
  ASSERT_TRUE(response) << "the host could not reach the container at 10.200.101.2:8080";
  EXPECT_EQ(http_body(*response), "from inside");

  network->teardown();
  EXPECT_FALSE(interface_exists(host_end)) << "teardown must delete the host end at once";
  EXPECT_NO_THROW(network->teardown());
  EXPECT_FALSE(make_netlink_ops()->delete_link(host_end)) << "deleting a missing interface is not an error";
}

TEST_F(NetworkSetup, Ipv6VethIsUsableAtOnce) {
  plan::Network n = veth("unused");
  n.veth->host_address = "fd00:200:102::1";
  n.veth->container_address = "fd00:200:102::2";
  n.veth->host_prefix = n.veth->container_prefix = 64;
  n.veth->gateway = "host";
  n.veth->host_ifname = "pt-v6-" + std::to_string(getpid());
  LinkGuard guard{n.veth->host_ifname};
  auto network = prepare_network(n, getpid(), false);
  NetnsChild child([&](const auto& send) {
    network->setup_inside();
    serve_once("fd00:200:102::2", 8080, "v6 inside", send);
  });
  network->setup_host(child.pid());
  child.go();
  ASSERT_EQ(child.next_line(), "listening");
  auto response = test_support::http_get("fd00:200:102::2", 8080, n.veth->host_ifname, "/", 3s);
  ASSERT_TRUE(response) << "no answer over IPv6: is the address still tentative (DAD)?";
  EXPECT_EQ(http_body(*response), "v6 inside");
  network->teardown();
  EXPECT_FALSE(interface_exists(n.veth->host_ifname));
}

TEST_F(NetworkSetup, TheHostEndGoesWhenTheContainersNamespaceDies) {
  auto network = prepare_network(veth("10.200.103"), getpid(), false);
  const std::string host_end = derived_host_ifname(getpid());
  LinkGuard guard{host_end};
  NetnsChild child([&](const auto& send) {
    network->setup_inside();
    send("ready");
  });
  network->setup_host(child.pid());
  child.go();
  ASSERT_EQ(child.next_line(), "ready");
  ASSERT_TRUE(interface_exists(host_end));
  child.kill_now();  // as if plan-exec and its container were SIGKILLed: no teardown() call
  EXPECT_TRUE(wait_until_interface_gone(host_end, 5s)) << host_end << " outlived the container's namespace";
}

TEST_F(NetworkSetup, TwoContainersOnDifferentAddressesAtOnce) {
  const std::string a_name = "pt-a-" + std::to_string(getpid()), b_name = "pt-b-" + std::to_string(getpid());
  LinkGuard guard_a{a_name}, guard_b{b_name};
  auto a = prepare_network(veth("10.200.104", 0, a_name), getpid(), false);
  auto b = prepare_network(veth("10.200.105", 0, b_name), getpid(), false);
  NetnsChild child_a([&](const auto& send) {
    a->setup_inside();
    serve_once("10.200.104.2", 8080, "I am A", send);
  });
  NetnsChild child_b([&](const auto& send) {
    b->setup_inside();
    serve_once("10.200.105.2", 8080, "I am B", send);
  });
  a->setup_host(child_a.pid());
  b->setup_host(child_b.pid());
  child_a.go();
  child_b.go();
  ASSERT_EQ(child_a.next_line(), "listening");
  ASSERT_EQ(child_b.next_line(), "listening");
  auto from_b = test_support::http_get("10.200.105.2", 8080, b_name, "/", 3s);
  auto from_a = test_support::http_get("10.200.104.2", 8080, a_name, "/", 3s);
  ASSERT_TRUE(from_a && from_b);
  EXPECT_EQ(http_body(*from_a), "I am A");
  EXPECT_EQ(http_body(*from_b), "I am B");
  a->teardown();
  EXPECT_FALSE(interface_exists(a_name));
  EXPECT_TRUE(interface_exists(b_name)) << "tearing down A must leave B alone";
  b->teardown();
  EXPECT_FALSE(interface_exists(b_name));
}

TEST_F(NetworkSetup, ASecondRunOfTheSamePlanIsRefusedBeforeTouchingAnything) {
  auto first = prepare_network(veth("10.200.106"), getpid(), false);
  LinkGuard guard{derived_host_ifname(getpid())};
  NetnsChild child([&](const auto& send) { send("idle"); });
  first->setup_host(child.pid());
  const pid_t second_instance = getpid() + 1;  // another plan-exec's pid, same plan
  try {
    prepare_network(veth("10.200.106"), second_instance, false);
    FAIL() << "the second instance was accepted with the same addresses";
  } catch (const StepError& e) {
    EXPECT_NE(std::string(e.what()).find("10.200.106.1 is already on " + derived_host_ifname(getpid())), std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(interface_exists(derived_host_ifname(second_instance)));
  first->teardown();
}

TEST_F(NetworkSetup, APinnedNameThatExistsIsRefused) {
  plan::Network n = veth("10.200.107", 0, "lo");
  EXPECT_THROW(prepare_network(n, getpid(), false), StepError);
}

TEST_F(NetworkSetup, LoopbackBringsLoUpAndNoneLeavesItDown) {
  plan::Network loopback, none;
  loopback.mode = plan::NetworkMode::Loopback;
  none.mode = plan::NetworkMode::None;
  auto up = prepare_network(loopback, getpid(), false);
  auto down = prepare_network(none, getpid(), false);
  NetnsChild with_lo([&](const auto& send) {
    up->setup_inside();
    send("lo up=" + std::to_string((if_info("lo").flags & IFF_UP) != 0));
    serve_once("127.0.0.1", 8080, "loopback inside", send);
  });
  NetnsChild without_lo([&](const auto& send) {
    down->setup_inside();
    send("lo up=" + std::to_string((if_info("lo").flags & IFF_UP) != 0));
  });
  with_lo.go();
  without_lo.go();
  EXPECT_EQ(with_lo.next_line(), "lo up=1");
  EXPECT_EQ(with_lo.next_line(), "listening");
  EXPECT_EQ(without_lo.next_line(), "lo up=0");
}

TEST_F(NetworkSetup, CleanupRemovesTheVethOfADeadInstanceAndOnlyThat) {
  // A leftover: the container's namespace outlived its plan-exec (here: the child lives on,
  // the "instance" is a pid that has exited).
  const pid_t dead = fork();
  if (dead == 0) _exit(0);
  waitpid(dead, nullptr, 0);
  auto network = prepare_network(veth("10.200.108"), dead, false);
  const std::string leftover = derived_host_ifname(dead);
  LinkGuard guard{leftover};
  NetnsChild child([&](const auto& send) { send("idle"); });
  network->setup_host(child.pid());
  ASSERT_TRUE(interface_exists(leftover));
  // Judge only our pid dead, so a parallel test's veth on this shared host is never touched.
  NetworkEnvironment env = real_network_environment();
  env.instance_running = [dead](const InstanceId& id) { return id.pid != dead; };
  EXPECT_EQ(find_network_leftovers(env),
            (std::vector<std::string>{"veth " + leftover + " of plan-exec " + std::to_string(dead) + ", which is no longer running"}));
  EXPECT_EQ(cleanup_network_leftovers(env),
            (std::vector<std::string>{"veth " + leftover + " of plan-exec " + std::to_string(dead) +
                                      ", which is no longer running"}));
  EXPECT_FALSE(interface_exists(leftover));
  EXPECT_TRUE(cleanup_network_leftovers(env).empty());
}

TEST_F(NetworkSetup, AVethWhosePidWasReusedIsALeftoverAndALiveInstanceIsNot) {
  // Our own pid, but with another start time: what a veth of a dead plan-exec looks like once
  // its pid went to another process.
  NetworkEnvironment env = real_network_environment();
  const InstanceId self = identify_process(getpid());
  env.identify = [](pid_t pid) { return InstanceId{pid, 1}; };
  // Judge only interfaces of our pid, with the real check, so no other veth on this host is touched.
  env.instance_running = [](const InstanceId& id) { return id.pid != getpid() || is_instance_running(id); };
  plan::Network n = veth("10.200.109", 0, "pt-r-" + std::to_string(getpid()));
  LinkGuard guard{n.veth->host_ifname};
  NetnsChild child([&](const auto& send) { send("idle"); });
  prepare_network(n, getpid(), false, env)->setup_host(child.pid());
  ASSERT_EQ(test_support::read_sys_net(n.veth->host_ifname, "ifalias"), "plan-exec:" + std::to_string(getpid()) + ":1");

  // The same kind of veth made with our true identity is alive: cleanup keeps it.
  plan::Network live = veth("10.200.110", 0, "pt-l-" + std::to_string(getpid()));
  LinkGuard live_guard{live.veth->host_ifname};
  NetworkEnvironment live_env = env;
  live_env.identify = [self](pid_t) { return self; };
  NetnsChild live_child([&](const auto& send) { send("idle"); });
  prepare_network(live, getpid(), false, live_env)->setup_host(live_child.pid());

  EXPECT_EQ(cleanup_network_leftovers(env),
            (std::vector<std::string>{"veth " + n.veth->host_ifname + " of plan-exec " + std::to_string(getpid()) +
                                      ", which is no longer running"}));
  EXPECT_FALSE(interface_exists(n.veth->host_ifname));
  EXPECT_TRUE(interface_exists(live.veth->host_ifname)) << "cleanup removed the veth of a running instance";
}

}  // namespace
}  // namespace launcher
