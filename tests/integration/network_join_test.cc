// SPDX-License-Identifier: Apache-2.0
// `network join`: the container is born in a net namespace the test made (a peer process),
// serves there, and at exit (SIGTERM or SIGKILL of plan-exec) the namespace is left as it was.
// Traffic: loopback inside the test's own namespace only.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <optional>

#include "tests/support/net_peer.h"
#include "tests/support/network_probe.h"

namespace network_join_itest {
namespace {

using namespace std::chrono_literals;
using net_peer::PeerNamespace;
using net_peer::PlanExecRun;

plan::Network join_network(const std::string& path, pid_t pid) {
  plan::Network net;
  net.mode = plan::NetworkMode::Join;
  net.join = plan::NetworkJoin{path, pid};
  return net;
}

std::optional<std::string> page_inside(const PeerNamespace& peer, std::chrono::milliseconds deadline) {
  return peer.inside<std::optional<std::string>>([&] { return test_support::wait_for_http("127.0.0.1", 8080, "", deadline); });
}

class NetworkJoinScenario : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root: plan-exec enters a net namespace with setns";
    if (access(PLAN_EXEC_BIN, X_OK) != 0) GTEST_SKIP() << PLAN_EXEC_BIN << " is not built";
    rootfs_.emplace("network-join");
  }
  std::optional<net_peer::ScratchRootfs> rootfs_;
};

TEST_F(NetworkJoinScenario, JoinByPidServesInThatNamespaceAndLeavesItAsItWas) {
  PeerNamespace peer;
  PlanExecRun run(rootfs_->write_plan("join-pid", join_network("", peer.pid())));
  auto page = page_inside(peer, 5s);
  ASSERT_TRUE(page) << "the server did not answer on the peer namespace's 127.0.0.1:8080; plan-exec said:\n"
                    << run.stderr_text();
  EXPECT_EQ(test_support::http_body(*page), "Hello, World\n");
  EXPECT_EQ(run.stop(SIGTERM), 0) << run.stderr_text();
  // Nothing of the namespace was torn down: lo is still up, and another server may use it.
  EXPECT_TRUE(peer.inside<bool>([] { return net_peer::interface_up("lo"); }));
  EXPECT_FALSE(page_inside(peer, 200ms)) << "the container's server outlived plan-exec";
}

TEST_F(NetworkJoinScenario, JoinByPathAndSigkillOfPlanExecLeaveTheNamespace) {
  PeerNamespace peer;
  PlanExecRun run(rootfs_->write_plan("join-path", join_network(peer.ns_path(), 0)));
  ASSERT_TRUE(page_inside(peer, 5s)) << run.stderr_text();
  run.stop(SIGKILL);
  EXPECT_TRUE(peer.inside<bool>([] { return net_peer::interface_up("lo"); }));
  // The container dies with plan-exec (PDEATHSIG): its server stops answering.
  bool gone = false;
  for (int i = 0; i < 50 && !gone; ++i) gone = !page_inside(peer, 100ms);
  EXPECT_TRUE(gone) << "the container outlived a SIGKILLed plan-exec";
}

TEST_F(NetworkJoinScenario, AProcessThatIsGoneIsRefusedBeforeAnything) {
  pid_t dead = fork();
  if (dead == 0) _exit(0);
  waitpid(dead, nullptr, 0);
  PlanExecRun run(rootfs_->write_plan("join-gone", join_network("", dead)));
  EXPECT_EQ(run.wait_exit(), 125);
  EXPECT_NE(run.stderr_text().find("network join: there is no process " + std::to_string(dead)), std::string::npos)
      << run.stderr_text();
}

}  // namespace
}  // namespace network_join_itest
