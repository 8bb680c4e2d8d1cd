// SPDX-License-Identifier: Apache-2.0
// Faults: plan-exec killed with SIGKILL right after each of its parent steps
// (PLAN_EXEC_FAULT_AFTER, the names `plan-exec --list-steps` prints) while running the full
// hello-world plan (policies/hello.pol: veth, cgroups, mounts, seccomp) leaves no veth, netns,
// cgroup directory, mount or process behind, and `plan-exec --cleanup` then finds nothing of it.
// Also the command's own deaths: OOM, SIGKILL from outside, exiting while its children remain.
// Addresses: 10.201.<x>.0/24, x derived from the test's pid.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "tests/support/network_probe.h"
#include "tests/support/plan_exec_runner.h"
#include "tests/support/proof_env.h"
#include "tests/support/rootfs.h"

namespace {

using namespace std::chrono_literals;
using testsupport::Background;
using testsupport::ProcessOptions;
using testsupport::ProcessResult;

// The kernel drops a dead namespace's veth, and plan-exec's watcher its cgroups, a moment after
// the launcher died: look again for at most this long.
constexpr auto kCleanupDeadline = 3000ms;

class Faults : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (geteuid() != 0) return;
    try {
      scratch_ = new testsupport::ScratchDir("faults");
      testsupport::build_rootfs(rootfs());
      plan_ = new std::string(proof::compile_hello_variant(scratch_->path(), "hello", rootfs(), subnet()));
    } catch (const std::exception& e) {
      setup_error_ = new std::string(e.what());
    }
  }
  static void TearDownTestSuite() {
    delete scratch_;
    delete plan_;
    delete setup_error_;
    scratch_ = nullptr;
    plan_ = setup_error_ = nullptr;
  }
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root: plan-exec makes a veth, cgroups and namespaces";
    ASSERT_EQ(setup_error_, nullptr) << *setup_error_;
    suite_before_ = proof::baseline();
  }
  static std::string rootfs() { return scratch_->path() + "/rootfs"; }
  static std::string subnet() { return "10.201." + std::to_string(10 + getpid() % 240); }
  static std::string container_address() { return subnet() + ".2"; }
  // A port unique to this test process: the server's command line marks its processes.
  static int port() { return 20000 + getpid() % 20000; }
  static std::string server_marker() { return "hello-world --port " + std::to_string(port()); }

  // Even when a test failed half-way (its Background SIGKILLed plan-exec), the next test must
  // not meet this one's veth: the kernel removes it a moment after the namespace died.
  void TearDown() override {
    if (geteuid() != 0) return;
    for (pid_t pid : started_) {
      const auto left = proof::wait_for_no_leftovers(traces_of(pid, ""), suite_before_, kCleanupDeadline);
      EXPECT_TRUE(left.empty()) << "plan-exec " << pid << " left behind:\n" << proof::lines(left);
    }
  }
  // plan-exec PLAN -- CMD..., in the background, with extra environment.
  std::unique_ptr<Background> start(const std::vector<std::string>& command, const std::vector<std::string>& env = {}) {
    std::vector<std::string> argv = {PLAN_EXEC_BIN, *plan_, "--"};
    argv.insert(argv.end(), command.begin(), command.end());
    auto process = std::make_unique<Background>(argv, ProcessOptions{env, -1, 30});
    started_.push_back(process->pid());
    return process;
  }
  static std::vector<std::string> server() { return {"/home/hello-world", "--port", std::to_string(port())}; }
  static bool serves(pid_t plan_exec, std::chrono::milliseconds deadline) {
    auto page = test_support::wait_for_http(container_address(), port(), "pe-" + std::to_string(plan_exec), deadline);
    return page && test_support::http_body(*page) == "Hello, World\n";
  }
  proof::InstanceTraces traces_of(pid_t plan_exec, const std::string& marker) const {
    return proof::InstanceTraces{plan_exec, "hello", scratch_->path(), marker};
  }

  std::vector<pid_t> started_;
  proof::Baseline suite_before_;
  static testsupport::ScratchDir* scratch_;
  static std::string* plan_;
  static std::string* setup_error_;
};

testsupport::ScratchDir* Faults::scratch_ = nullptr;
std::string* Faults::plan_ = nullptr;
std::string* Faults::setup_error_ = nullptr;

std::vector<std::string> parent_steps() {
  const auto r = testsupport::run_plan_exec({"--list-steps"});
  std::vector<std::string> steps;
  std::istringstream lines(r.out);
  for (std::string s; std::getline(lines, s);) {
    if (!s.empty()) steps.push_back(s);
  }
  return steps;
}

// `plan-exec --cleanup` lines that name `pid`'s veth or cgroup: there must be none.
std::vector<std::string> cleanup_lines_about(const ProcessResult& cleanup, pid_t pid) {
  std::vector<std::string> found;
  std::istringstream lines(cleanup.out + cleanup.err);
  const std::string id = std::to_string(pid);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("-" + id) != std::string::npos || line.find(":" + id) != std::string::npos) found.push_back(line);
  }
  return found;
}

TEST_F(Faults, KilledAfterEveryParentStepOfTheHelloPlanLeavesNothing) {
  const auto steps = parent_steps();
  ASSERT_GE(steps.size(), 8u) << "plan-exec --list-steps printed too few steps";
  const auto wait_at = std::find(steps.begin(), steps.end(), "wait");
  ASSERT_NE(wait_at, steps.end()) << "no \"wait\" step in plan-exec --list-steps";
  for (auto it = steps.begin(); it != steps.end(); ++it) {
    const std::string& step = *it;
    SCOPED_TRACE("PLAN_EXEC_FAULT_AFTER=" + step);
    const auto before = proof::baseline();
    const auto t0 = std::chrono::steady_clock::now();
    auto pe = start(server(), {"PLAN_EXEC_FAULT_AFTER=" + step});
    const pid_t pid = pe->pid();
    // From "wait" on, the parent steps run only once the command ended: let it serve, then stop it.
    if (it >= wait_at) {
      EXPECT_TRUE(serves(pid, 5s)) << "the server never answered";
      kill(pid, SIGTERM);  // forwarded to the server, which exits 0
    }
    const ProcessResult r = pe->finish(15);
    EXPECT_EQ(r.exit_code, 128 + SIGKILL) << "plan-exec should have killed itself after " << step << "\n"
                                          << r.summary();
    const auto left = proof::wait_for_no_leftovers(traces_of(pid, server_marker()), before, kCleanupDeadline);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    std::printf("killed after %-17s exit %d, host clean after %lld ms%s\n", step.c_str(), r.exit_code,
                static_cast<long long>(ms.count()), left.empty() ? "" : " (NOT clean)");
    EXPECT_TRUE(left.empty()) << "left behind " << kCleanupDeadline.count() << " ms after plan-exec " << pid
                              << " was killed after " << step << ":\n" << proof::lines(left) << r.summary();
    const ProcessResult cleanup = testsupport::run_plan_exec({"--cleanup"});
    EXPECT_EQ(cleanup.exit_code, 0) << cleanup.summary();
    EXPECT_EQ(cleanup_lines_about(cleanup, pid), std::vector<std::string>{})
        << "plan-exec --cleanup still found something of plan-exec " << pid << "\n" << cleanup.summary();
    if (!cleanup.out.empty()) std::printf("plan-exec --cleanup (other instances):\n%s", cleanup.out.c_str());
  }
}

TEST_F(Faults, OutOfMemoryIs137WithTheMessage) {
  const auto before = proof::baseline();
  // 400 MiB touched page by page against the plan's 250M and swap 0.
  auto pe = start({"/home/stress", "400"});
  const pid_t pid = pe->pid();
  const ProcessResult r = pe->finish(30);
  std::printf("---- plan-exec -- /home/stress 400\n%s---- stderr\n%s", r.out.c_str(), r.err.c_str());
  EXPECT_EQ(r.exit_code, 137) << r.summary();
  EXPECT_NE(r.err.find("killed: out of memory (limit 250 MiB)"), std::string::npos) << r.summary();
  const auto left = proof::wait_for_no_leftovers(traces_of(pid, "/home/stress 400"), before, kCleanupDeadline);
  EXPECT_TRUE(left.empty()) << proof::lines(left);
}

TEST_F(Faults, CommandKilledFromOutsideIs137WithoutAnOomMessage) {
  const auto before = proof::baseline();
  auto pe = start(server());
  const pid_t pid = pe->pid();
  ASSERT_TRUE(serves(pid, 5s)) << "the server never answered";
  // Control: while it runs, the leftover search does see the instance's veth, cgroups, process.
  const auto running = proof::leftovers(traces_of(pid, server_marker()), before);
  const std::string seen = proof::lines(running);
  EXPECT_NE(seen.find("veth pe-" + std::to_string(pid)), std::string::npos) << seen;
  EXPECT_NE(seen.find("/hello-" + std::to_string(pid) + "\n"), std::string::npos) << seen;
  EXPECT_NE(seen.find("process "), std::string::npos) << seen;
  std::printf("while running, the leftover search sees:\n%s", seen.c_str());
  // plan-exec and its cgroup watcher share the marker; the server is the one named hello-world.
  std::vector<pid_t> servers;
  for (pid_t p : proof::processes_with(server_marker())) {
    if (testsupport::read_text("/proc/" + std::to_string(p) + "/comm") == "hello-world\n") servers.push_back(p);
  }
  ASSERT_EQ(servers.size(), 1u) << "expected exactly one hello-world process";
  ASSERT_EQ(kill(servers.front(), SIGKILL), 0);  // the command (pid 2 under init), seen from the host
  const ProcessResult r = pe->finish(10);
  EXPECT_EQ(r.exit_code, 137) << r.summary();
  EXPECT_EQ(r.err.find("out of memory"), std::string::npos) << "a SIGKILL from outside is no OOM\n" << r.summary();
  const auto left = proof::wait_for_no_leftovers(traces_of(pid, server_marker()), before, kCleanupDeadline);
  EXPECT_TRUE(left.empty()) << proof::lines(left);
}

TEST_F(Faults, CommandExitingWhileItsChildrenRunEndsTheRunAndLeavesNothing) {
  const auto before = proof::baseline();
  const std::string marker = "proof-orphan-" + std::to_string(getpid());
  // Two children outlive the shell: a sleep and a subshell whose command line holds the marker.
  const std::string script = "sleep 30 & (sleep 30; echo " + marker + ") & echo started; exit 3";
  const auto t0 = std::chrono::steady_clock::now();
  auto pe = start({"/bin/sh", "-c", script});
  const pid_t pid = pe->pid();
  const ProcessResult r = pe->finish(20);
  const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("plan-exec returned %d after %.2f s\n", r.exit_code, seconds);
  EXPECT_EQ(r.exit_code, 3) << r.summary();
  EXPECT_NE(r.out.find("started"), std::string::npos) << r.summary();
  EXPECT_LT(seconds, 10.0) << "plan-exec waited for the command's children";
  const auto left = proof::wait_for_no_leftovers(traces_of(pid, marker), before, kCleanupDeadline);
  EXPECT_TRUE(left.empty()) << proof::lines(left);
}

}  // namespace
