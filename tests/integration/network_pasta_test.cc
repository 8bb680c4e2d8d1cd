// SPDX-License-Identifier: Apache-2.0
// `network user` (pasta), rootless for real: plan-exec runs as uid 65534 inside a "host" net
// namespace the test made, linked to a peer namespace that holds the host's default route
// (which pasta copies into the container). pasta opens /dev/net/tun as the caller; Debian makes
// it 0666, some hosts 0600, so each run gets, in a mount namespace of its own (never the
// machine's), a tmpfs on /dev/net with a tun node of the mode the test wants. Checked: the
// published port from the host namespace and from the peer, outbound TCP to a server in the
// peer, that the gateway's address does not lead to the host's loopback, pasta's own failure
// reported with its reason, and that no pasta process and no file of it is left after success,
// failure and SIGKILL of plan-exec. Addresses: 10.204.x (the host-peer link).
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
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

plan::Network user_network(std::vector<plan::PublishedPort> ports) {
  plan::Network net;
  net.mode = plan::NetworkMode::User;
  net.user = plan::UserNetwork{std::move(ports), true};
  return net;
}

[[noreturn]] void die_in_child(const char* what) {
  const std::string text = std::string("network_pasta_test child: ") + what + ": " + std::strerror(errno) + "\n";
  [[maybe_unused]] const auto ignored = write(2, text.data(), text.size());
  _exit(126);
}

// In the forked child, still root: a mount namespace of its own (private, so nothing propagates
// back to the machine's) with /dev/net a tmpfs holding one tun node of mode `tun_mode`.
void private_tun(mode_t tun_mode) {
  if (unshare(CLONE_NEWNS) != 0) die_in_child("unshare a mount namespace");
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) die_in_child("make / private");
  if (mount("tmpfs", "/dev/net", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=16k") != 0) die_in_child("tmpfs on /dev/net");
  if (mknod("/dev/net/tun", S_IFCHR | tun_mode, makedev(10, 200)) != 0) die_in_child("mknod /dev/net/tun");
  if (chmod("/dev/net/tun", tun_mode) != 0) die_in_child("chmod /dev/net/tun");  // past the umask
}

// plan-exec as uid 65534 in `host`'s net namespace (setns first: it needs root), with a tun
// node of `tun_mode`.
std::function<void()> as_nobody_in(const PeerNamespace& host, mode_t tun_mode = 0666, std::string pasta = "") {
  const std::string path = host.ns_path();
  return [path, tun_mode, pasta] {
    private_tun(tun_mode);
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) die_in_child("enter the host namespace");
    if (setgroups(0, nullptr) != 0 || setgid(kUnprivileged) != 0 || setuid(kUnprivileged) != 0) die_in_child("become nobody");
    if (!pasta.empty()) setenv("PLAN_EXEC_PASTA", pasta.c_str(), 1);
  };
}

std::string stat_field(pid_t pid, int field) {  // field >= 3 of /proc/PID/stat (after "(comm)")
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');
  if (close == std::string::npos) return "";
  std::istringstream rest(text.substr(close + 2));
  std::string value;
  for (int i = 3; i <= field && rest >> value; ++i) {
  }
  return value;
}

std::string comm_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  std::getline(in, name);
  return name;
}

struct Process {
  pid_t pid;
  std::string start_time;  // field 22: tells a reused pid apart
  bool operator<(const Process& other) const { return pid < other.pid; }
};

// The pasta processes plan-exec `parent` started: its children named pasta, or passt.avx2
// (pasta is a link to passt, which executes its AVX2 build instead of itself where it can).
std::set<Process> pasta_children_of(pid_t parent) {
  std::set<Process> out;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = std::stoi(name);
    if (stat_field(pid, 4) == std::to_string(parent) && (comm_of(pid).rfind("pasta", 0) == 0 || comm_of(pid).rfind("passt", 0) == 0)) out.insert({pid, stat_field(pid, 22)});
  }
  return out;
}

bool alive(const Process& p) {
  const std::string state = stat_field(p.pid, 3);
  return !state.empty() && state != "Z" && stat_field(p.pid, 22) == p.start_time;
}

bool all_gone(const std::set<Process>& processes, std::chrono::milliseconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (true) {
    bool any = false;
    for (const auto& p : processes) any = any || alive(p);
    if (!any) return true;
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(20ms);
  }
}

// Waits until plan-exec has a pasta child (pasta runs from before the container starts).
std::set<Process> wait_for_pasta(pid_t plan_exec, std::chrono::milliseconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  auto found = pasta_children_of(plan_exec);
  while (found.empty() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(20ms);
    found = pasta_children_of(plan_exec);
  }
  return found;
}

// Names in /tmp that pasta or plan-exec's pasta code could leave.
std::set<std::string> pasta_files_in_tmp() {
  std::set<std::string> out;
  for (const auto& entry : fs::directory_iterator("/tmp")) {
    const std::string name = entry.path().filename();
    if (name.find("pasta") != std::string::npos || name.find("passt") != std::string::npos) out.insert(name);
  }
  return out;
}

// The request, then stdin stays open for a while: the server's close ends nc. (Debian 12's
// pasta loses the server's FIN when the container half-closed first, as nc does at the end
// of its stdin: the container's socket would wait in FIN-WAIT-2.)
std::vector<std::string> fetch_command(const std::string& address, int port) {
  return {"/bin/busybox", "sh", "-c",
          "(printf 'GET / HTTP/1.0\\r\\n\\r\\n'; /bin/busybox sleep 2) | /bin/busybox timeout 2 /bin/busybox nc " + address + " " +
              std::to_string(port)};
}

class NetworkPastaScenario : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to make the test namespaces and switch to uid 65534";
    if (access("/usr/bin/pasta", X_OK) != 0) GTEST_SKIP() << "pasta is not installed (Debian package passt)";
    if (access(PLAN_EXEC_BIN, X_OK) != 0) GTEST_SKIP() << PLAN_EXEC_BIN << " is not built";
    if (access("/usr/bin/busybox", X_OK) != 0) GTEST_SKIP() << "busybox-static is needed for nc in the container";
    if (!testsupport::unprivileged_userns_available()) GTEST_SKIP() << "unprivileged user namespaces are off on this host";
    files_before_ = pasta_files_in_tmp();
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
    server_.reset();
    link_.reset();
    peer_.reset();
    host_.reset();
    if (!IsSkipped()) EXPECT_EQ(pasta_files_in_tmp(), files_before_) << "pasta or plan-exec left files in /tmp";
  }
  std::string plan_for(const std::string& name, const plan::Network& net, std::vector<std::string> command = {}) {
    const std::string file = rootfs_->write_plan(name, net, 8080, std::move(command));
    chmod(file.c_str(), 0644);
    return file;
  }
  std::optional<std::string> fetch_in(const PeerNamespace& ns, const std::string& address, int port,
                                      std::chrono::milliseconds deadline) {
    return ns.inside<std::optional<std::string>>([&] { return test_support::wait_for_http(address, port, "", deadline); });
  }
  std::set<std::string> files_before_;
  std::optional<net_peer::ScratchRootfs> rootfs_;
  std::optional<PeerNamespace> host_, peer_;
  std::optional<net_peer::TestLink> link_;
  std::optional<net_peer::ProcessIn> server_;
};

TEST_F(NetworkPastaScenario, APublishedPortIsReachedFromTheHostAndThePeerAndPastaEndsWithTheRun) {
  PlanExecRun run(plan_for("pasta", user_network({{"tcp", "", 18180, 8080}})), {}, as_nobody_in(*host_));
  auto page = fetch_in(*host_, "127.0.0.1", 18180, 8s);
  ASSERT_TRUE(page) << "no answer through pasta's port; plan-exec said:\n" << run.stderr_text();
  EXPECT_EQ(test_support::http_body(*page), "Hello, World\n");
  auto from_peer = fetch_in(*peer_, "10.204.0.1", 18180, 3s);
  ASSERT_TRUE(from_peer) << "the peer could not reach the published port";
  EXPECT_EQ(test_support::http_body(*from_peer), "Hello, World\n");
  const auto pasta = pasta_children_of(run.pid());
  ASSERT_EQ(pasta.size(), 1u) << "plan-exec runs one pasta, as its child";
  EXPECT_EQ(stat_field(pasta.begin()->pid, 22), pasta.begin()->start_time);
  EXPECT_EQ(run.stop(SIGTERM), 0) << run.stderr_text();
  EXPECT_TRUE(all_gone(pasta, 2s)) << "pasta outlived plan-exec";
  EXPECT_FALSE(fetch_in(*host_, "127.0.0.1", 18180, 200ms)) << "the port is still published";
}

TEST_F(NetworkPastaScenario, TheContainerReachesAServerInThePeerButNotTheHostsLoopback) {
  server_.emplace(*peer_, std::vector<std::string>{std::string(TEST_PROGRAMS_DIR) + "/hello_world", "--port", "9090"});
  // A server on every address of the "host", loopback included: pasta maps the gateway's address
  // to the host's loopback unless told not to (plan-exec passes --no-map-gw).
  net_peer::ProcessIn host_server(*host_, {std::string(TEST_PROGRAMS_DIR) + "/hello_world", "--port", "9091"});
  ASSERT_TRUE(fetch_in(*peer_, "10.204.0.2", 9090, 3s)) << "the peer's server did not start";
  ASSERT_TRUE(fetch_in(*host_, "127.0.0.1", 9091, 3s)) << "the host's server did not start";
  PlanExecRun out(plan_for("pasta-out", user_network({}), fetch_command("10.204.0.2", 9090)), {}, as_nobody_in(*host_));
  EXPECT_EQ(out.wait_exit(15s), 0) << out.stderr_text() << out.stdout_text();
  EXPECT_NE(out.stdout_text().find("Hello, World"), std::string::npos) << out.stdout_text() << out.stderr_text();
  PlanExecRun loop(plan_for("pasta-gw", user_network({}), fetch_command("10.204.0.2", 9091)), {}, as_nobody_in(*host_));
  loop.wait_exit(15s);
  EXPECT_EQ(loop.stdout_text().find("Hello, World"), std::string::npos)
      << "the gateway's address led to the host's loopback:\n" << loop.stdout_text();
}

TEST_F(NetworkPastaScenario, AFailingCommandLeavesNoPasta) {
  PlanExecRun run(plan_for("pasta-fail", user_network({{"tcp", "", 18183, 8080}}), {"/bin/busybox", "sh", "-c", "sleep 0.3; exit 3"}),
                  {}, as_nobody_in(*host_));
  const auto pasta = wait_for_pasta(run.pid(), 3s);
  EXPECT_EQ(pasta.size(), 1u) << run.stderr_text();
  EXPECT_EQ(run.wait_exit(10s), 3) << run.stderr_text();
  EXPECT_TRUE(all_gone(pasta, 2s)) << "pasta outlived a failed run";
}

TEST_F(NetworkPastaScenario, SigkillOfPlanExecLeavesNoPasta) {
  PlanExecRun run(plan_for("pasta-kill", user_network({{"tcp", "", 18181, 8080}})), {}, as_nobody_in(*host_));
  ASSERT_TRUE(fetch_in(*host_, "127.0.0.1", 18181, 8s)) << run.stderr_text();
  const auto pasta = pasta_children_of(run.pid());
  ASSERT_EQ(pasta.size(), 1u);
  run.stop(SIGKILL);
  EXPECT_TRUE(all_gone(pasta, 3s)) << "pasta must die with plan-exec (PR_SET_PDEATHSIG)";
  EXPECT_FALSE(fetch_in(*host_, "127.0.0.1", 18181, 200ms)) << "the port is still published";
}

// On a host whose /dev/net/tun the caller cannot open, pasta fails: plan-exec says so with
// pasta's own words, before the container runs anything, and leaves nothing.
TEST_F(NetworkPastaScenario, PastasOwnFailureIsReportedWithItsReason) {
  PlanExecRun run(plan_for("pasta-notun", user_network({{"tcp", "", 18182, 8080}})), {}, as_nobody_in(*host_, 0600));
  EXPECT_EQ(run.wait_exit(10s), 125) << run.stderr_text();
  const std::string said = run.stderr_text();
  EXPECT_NE(said.find("network user: pasta (/usr/bin/pasta) failed to connect the container: "), std::string::npos) << said;
  EXPECT_NE(said.find("Failed to open tun socket in namespace"), std::string::npos) << "pasta's reason is missing: " << said;
  EXPECT_EQ(said.find("to syslog"), std::string::npos) << "pasta's noise about syslog is dropped: " << said;
}

// pasta started by root changes to nobody and may then not enter the container's namespaces.
TEST_F(NetworkPastaScenario, AsRootItIsRefusedBeforeAnythingWithTheVethToUseInstead) {
  const std::string path = host_->ns_path();
  PlanExecRun run(plan_for("pasta-root", user_network({{"tcp", "", 18184, 8080}})), {}, [path] {
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) die_in_child("enter the host namespace");
  });
  EXPECT_EQ(run.wait_exit(), 125);
  EXPECT_NE(run.stderr_text().find("network user is for rootless runs"), std::string::npos) << run.stderr_text();
  EXPECT_NE(run.stderr_text().find("as root, write network veth {"), std::string::npos) << run.stderr_text();
}

TEST_F(NetworkPastaScenario, AMissingPastaIsNamedBeforeAnything) {
  PlanExecRun run(plan_for("pasta-missing", user_network({})), {}, as_nobody_in(*host_, 0666, "/nonexistent/pasta"));
  EXPECT_EQ(run.wait_exit(), 125);
  EXPECT_NE(run.stderr_text().find("network user needs pasta, which is not installed (Debian package passt"),
            std::string::npos)
      << run.stderr_text();
}

}  // namespace
}  // namespace network_pasta_itest
