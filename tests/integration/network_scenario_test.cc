// SPDX-License-Identifier: Apache-2.0
// The acceptance scenario: plan-exec runs the static hello-world server behind a veth,
// the host fetches http://<container address>:8080/, and after the container stops (SIGTERM,
// or SIGKILL of plan-exec itself) no veth is left. Addresses: 10.200.111-119.x.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "plan/plan_json.h"
#include "tests/support/network_probe.h"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test_support::http_body;
using test_support::interface_exists;
using test_support::wait_for_http;
using test_support::wait_until_interface_gone;

// A throwaway directory holding the rootfs (the static server at /home/hello-world and the
// mount points the plan uses), the plans and plan-exec's logs. Removed at the end, whatever
// happened (plan-exec mounts only inside its own mount namespace).
class ScratchRootfs {
 public:
  ScratchRootfs() : dir_(fs::path(TEST_SCRATCH_DIR) / ("network-scenario-" + std::to_string(getpid()))) {
    fs::remove_all(dir_);
    for (const char* sub : {"home", "proc", "tmp", "dev"}) fs::create_directories(path() / sub);
    fs::copy_file(fs::path(TEST_PROGRAMS_DIR) / "hello_world", path() / "home/hello-world");
  }
  ~ScratchRootfs() {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  fs::path path() const { return dir_ / "rootfs"; }
  const fs::path& dir() const { return dir_; }

 private:
  fs::path dir_;
};

// The hello plan of the issue, as plan-exec reads it: mount pid ipc uts net namespaces, proc,
// a veth with `subnet`.1 on the host and `subnet`.2 inside, no capabilities, no filter.
std::string write_plan(const ScratchRootfs& rootfs, const std::string& subnet, const std::string& name) {
  plan::Plan p;
  p.name = name;
  p.source = "network_scenario_test.cc";
  p.namespaces = {plan::Namespace::Mount, plan::Namespace::Pid, plan::Namespace::Ipc, plan::Namespace::Uts,
                  plan::Namespace::Net};
  p.rootfs = plan::Rootfs{plan::RootfsKind::Directory, rootfs.path().string(), false, false};
  plan::Mount proc;
  proc.kind = plan::MountKind::Proc;
  proc.source = "proc";
  proc.target = "/proc";
  proc.fstype = "proc";
  proc.flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  p.mounts = {proc};
  p.hostname = name;
  p.network.mode = plan::NetworkMode::Veth;
  p.network.veth = plan::Veth{};
  p.network.veth->container_ifname = "eth0";
  p.network.veth->host_address = subnet + ".1";
  p.network.veth->container_address = subnet + ".2";
  p.network.veth->gateway = subnet + ".1";
  p.env = {"PATH=/bin"};
  p.cwd = "/home";
  p.command = {"/home/hello-world"};
  const fs::path file = rootfs.dir() / (name + ".plan");
  plan::write_file_atomically(file.string(), plan::to_json(p));
  return file.string();
}

// plan-exec PLAN -- /home/hello-world, in the background; its stderr goes to a file so a
// failure shows plan-exec's message. Killed and reaped when the object goes.
class PlanExec {
 public:
  // `options` go before the plan (e.g. {"--instance", "1"}).
  explicit PlanExec(const std::string& plan_file, std::vector<std::string> options = {})
      : log_(plan_file + "." + std::to_string(next_log_++) + ".stderr") {
    std::vector<std::string> args = {"plan-exec"};
    args.insert(args.end(), options.begin(), options.end());
    args.insert(args.end(), {plan_file, "--", "/home/hello-world"});
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = started_ = fork();
    if (pid_ == 0) {
      int fd = open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      dup2(fd, 2);
      execv(PLAN_EXEC_BIN, argv.data());
      _exit(127);
    }
  }
  ~PlanExec() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return started_; }  // still the right number after the exit was reaped
  std::string host_ifname() const { return "pe-" + std::to_string(started_); }
  // Sends `sig` and waits up to `deadline` for the exit status; -1 on timeout.
  int stop(int sig, std::chrono::milliseconds deadline = 5s) {
    kill(pid_, sig);
    return wait_exit(deadline);
  }
  int wait_exit(std::chrono::milliseconds deadline = 5s) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    int status = 0;
    while (true) {  // looks at least once, even with a zero deadline
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      if (std::chrono::steady_clock::now() >= until) return -1;
      std::this_thread::sleep_for(10ms);
    }
  }
  std::string stderr_text() const {
    std::ifstream in(log_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

 private:
  static inline int next_log_ = 0;  // two runs of one plan must not share a log
  std::string log_;
  pid_t pid_ = -1;      // -1 once reaped
  pid_t started_ = -1;
};

class NetworkScenario : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root: plan-exec creates namespaces and a veth pair";
    if (access(PLAN_EXEC_BIN, X_OK) != 0) GTEST_SKIP() << PLAN_EXEC_BIN << " is not built";
    fs::create_directories(TEST_SCRATCH_DIR);
    rootfs_ = std::make_unique<ScratchRootfs>();
  }
  std::unique_ptr<ScratchRootfs> rootfs_;
};

TEST_F(NetworkScenario, TheHostFetchesHelloWorldAndStoppingLeavesNoVeth) {
  PlanExec container(write_plan(*rootfs_, "10.200.111", "hello"));
  auto page = wait_for_http("10.200.111.2", 8080, container.host_ifname(), 5s);
  ASSERT_TRUE(page) << "no answer from 10.200.111.2:8080; plan-exec said:\n" << container.stderr_text();
  EXPECT_EQ(http_body(*page), "Hello, World\n");
  EXPECT_TRUE(interface_exists(container.host_ifname()));
  EXPECT_TRUE(test_support::read_sys_net(container.host_ifname(), "ifalias")
                  .starts_with("plan-exec:" + std::to_string(container.pid()) + ":"))
      << "the host end must carry its instance's alias for --cleanup";

  const std::string host_end = container.host_ifname();
  const int status = container.stop(SIGTERM);
  EXPECT_EQ(status, 0) << "the server exits 0 on SIGTERM; plan-exec said:\n" << container.stderr_text();
  EXPECT_FALSE(interface_exists(host_end)) << "teardown must have removed " << host_end << " before plan-exec exits";
  EXPECT_FALSE(test_support::http_get("10.200.111.2", 8080, host_end, "/", 300ms));
}

TEST_F(NetworkScenario, TwoContainersOfTwoPlansAnswerOnTheirOwnInterfaces) {
  PlanExec first(write_plan(*rootfs_, "10.200.112", "hello-a"));
  PlanExec second(write_plan(*rootfs_, "10.200.113", "hello-b"));
  auto a = wait_for_http("10.200.112.2", 8080, first.host_ifname(), 5s);
  auto b = wait_for_http("10.200.113.2", 8080, second.host_ifname(), 5s);
  ASSERT_TRUE(a) << first.stderr_text();
  ASSERT_TRUE(b) << second.stderr_text();
  EXPECT_EQ(http_body(*a), "Hello, World\n");
  EXPECT_EQ(http_body(*b), "Hello, World\n");
  EXPECT_NE(first.host_ifname(), second.host_ifname());
  EXPECT_TRUE(interface_exists(first.host_ifname()));
  EXPECT_TRUE(interface_exists(second.host_ifname()));
  const std::string a_end = first.host_ifname(), b_end = second.host_ifname();
  EXPECT_EQ(first.stop(SIGTERM), 0);
  EXPECT_FALSE(interface_exists(a_end));
  EXPECT_TRUE(wait_for_http("10.200.113.2", 8080, b_end, 1s)) << "stopping one container must not disturb the other";
  EXPECT_EQ(second.stop(SIGTERM), 0);
  EXPECT_FALSE(interface_exists(b_end));
}

TEST_F(NetworkScenario, ASecondRunOfTheSamePlanIsRefusedAndTheFirstKeepsServing) {
  const std::string plan_file = write_plan(*rootfs_, "10.200.114", "hello");
  PlanExec first(plan_file);
  ASSERT_TRUE(wait_for_http("10.200.114.2", 8080, first.host_ifname(), 5s)) << first.stderr_text();
  PlanExec second(plan_file);  // same plan, same addresses
  EXPECT_EQ(second.wait_exit(), 125) << second.stderr_text();
  EXPECT_NE(second.stderr_text().find("10.200.114.1 is already on " + first.host_ifname() + ", the veth of plan-exec " +
                                      std::to_string(first.pid()) + " (still running)"),
            std::string::npos)
      << second.stderr_text();
  EXPECT_FALSE(interface_exists(second.host_ifname()));
  auto page = test_support::http_get("10.200.114.2", 8080, first.host_ifname(), "/", 1s);
  ASSERT_TRUE(page) << "the refused second run disturbed the first";
  EXPECT_EQ(http_body(*page), "Hello, World\n");
  EXPECT_EQ(first.stop(SIGTERM), 0);
}

// The documented per-instance scheme: `--instance K` moves the plan's veth addresses K subnets
// up, so copies of one plan run side by side, each reachable on its own interface.
TEST_F(NetworkScenario, TwoCopiesOfOnePlanRunSideBySideWithInstance) {
  const std::string plan_file = write_plan(*rootfs_, "10.200.117", "hello");
  PlanExec first(plan_file);                              // 10.200.117.1 / .2
  PlanExec second(plan_file, {"--instance", "1"});        // 10.200.118.1 / .2
  auto a = wait_for_http("10.200.117.2", 8080, first.host_ifname(), 5s);
  auto b = wait_for_http("10.200.118.2", 8080, second.host_ifname(), 5s);
  ASSERT_TRUE(a) << first.stderr_text();
  ASSERT_TRUE(b) << second.stderr_text();
  EXPECT_EQ(http_body(*a), "Hello, World\n");
  EXPECT_EQ(http_body(*b), "Hello, World\n");
  const std::string a_end = first.host_ifname(), b_end = second.host_ifname();
  EXPECT_EQ(first.stop(SIGTERM), 0);
  EXPECT_EQ(second.stop(SIGTERM), 0);
  EXPECT_FALSE(interface_exists(a_end));
  EXPECT_FALSE(interface_exists(b_end));
}

TEST_F(NetworkScenario, TwoRunsOfOnePlanStartedTogetherNeverBothGetTheAddresses) {
  const std::string plan_file = write_plan(*rootfs_, "10.200.116", "hello");
  PlanExec a(plan_file), b(plan_file);  // a race: both may pass prepare's check
  std::this_thread::sleep_for(1500ms);    // ample for either to start or fail
  const int a_status = a.wait_exit(0ms), b_status = b.wait_exit(0ms);
  EXPECT_TRUE((a_status == 125) != (b_status == 125))
      << "exactly one run must be refused; exits " << a_status << " and " << b_status << "\n"
      << a.stderr_text() << b.stderr_text();
  PlanExec& winner = a_status == 125 ? b : a;
  PlanExec& loser = a_status == 125 ? a : b;
  EXPECT_NE(loser.stderr_text().find("10.200.116.1 is already on " + winner.host_ifname()), std::string::npos)
      << loser.stderr_text();
  EXPECT_FALSE(interface_exists(loser.host_ifname()));
  auto page = wait_for_http("10.200.116.2", 8080, winner.host_ifname(), 3s);
  ASSERT_TRUE(page) << winner.stderr_text();
  EXPECT_EQ(http_body(*page), "Hello, World\n");
  EXPECT_EQ(winner.stop(SIGTERM), 0);
}

TEST_F(NetworkScenario, SigkillOfPlanExecLeavesNoVeth) {
  PlanExec container(write_plan(*rootfs_, "10.200.115", "hello"));
  ASSERT_TRUE(wait_for_http("10.200.115.2", 8080, container.host_ifname(), 5s)) << container.stderr_text();
  const std::string host_end = container.host_ifname();
  ASSERT_TRUE(interface_exists(host_end));
  container.stop(SIGKILL);  // no teardown can run: the kernel must remove the pair
  EXPECT_TRUE(wait_until_interface_gone(host_end, 5s)) << host_end << " outlived a SIGKILLed plan-exec";
  EXPECT_FALSE(test_support::http_get("10.200.115.2", 8080, host_end, "/", 300ms)) << "the container outlived plan-exec";
}

}  // namespace
