// SPDX-License-Identifier: Apache-2.0
// Load: the veth plan (policies/hello.pol pointed at a test rootfs) run 100 times in a
// row and 20 times at once, each run's hello-world page fetched by the host over TCP through the
// run's own host-side veth end: zero failures, nothing left behind, bounded total time. Prints
// the timings. Addresses: 10.202.200.0/24 for the sequential runs, 10.202.<1..20>.0/24 for the
// concurrent ones (each instance its own pair).
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <thread>

#include "tests/support/network_probe.h"
#include "tests/support/plan_exec_runner.h"
#include "tests/support/proof_env.h"
#include "tests/support/rootfs.h"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testsupport::Background;
using testsupport::ProcessOptions;
using testsupport::ProcessResult;

constexpr int kSequentialRuns = 100;
constexpr int kConcurrentRuns = 20;
constexpr double kBudgetMs = 120000;  // for each of the two tests

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

// min / median / max of `ms`, for the log.
std::string summary_of(std::vector<double> ms) {
  if (ms.empty()) return "no samples";
  std::sort(ms.begin(), ms.end());
  const auto slow = std::count_if(ms.begin(), ms.end(), [](double v) { return v > 500; });
  char text[160];
  std::snprintf(text, sizeof text, "min %.1f ms, median %.1f ms, max %.1f ms (%zu runs, %zd over 500 ms)", ms.front(),
                ms[ms.size() / 2], ms.back(), ms.size(), static_cast<ssize_t>(slow));
  return text;
}

// One run of the plan: plan-exec in the background serving on `port`; `page()` fetches the page
// through the run's host-side veth end; `terminate()` sends SIGTERM (plan-exec forwards it; the
// server exits 0); `finish()` returns plan-exec's exit.
class ServerRun {
 public:
  ServerRun(const std::string& plan, std::string address, int port)
      : address_(std::move(address)), port_(port),
        process_({PLAN_EXEC_BIN, plan, "--", "/home/hello-world", "--port", std::to_string(port)},
                 ProcessOptions{{}, -1, 30}) {}
  pid_t pid() const { return process_.pid(); }
  bool page(std::chrono::milliseconds deadline) {
    const std::string host_end = "pe-" + std::to_string(pid());
    // A SYN sent before the container's end is up fails its ARP, and the kernel then waits a
    // full second (retrans_time) before asking again: wait for the link's carrier first.
    const auto until = Clock::now() + deadline;
    while (test_support::read_sys_net(host_end, "operstate") != "up" && Clock::now() < until) {
      std::this_thread::sleep_for(2ms);
    }
    auto response = test_support::wait_for_http(address_, port_, host_end, deadline);
    return response && test_support::http_body(*response) == "Hello, World\n";
  }
  void terminate() { kill(pid(), SIGTERM); }
  ProcessResult finish() { return process_.finish(10); }

 private:
  std::string address_;
  int port_;
  Background process_;
};

class Load : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (geteuid() != 0) return;
    try {
      scratch_ = new testsupport::ScratchDir("load");
      testsupport::build_rootfs(rootfs());
      plans_ = new std::vector<std::string>;
      plans_->push_back(proof::compile_hello_variant(scratch_->path(), "hello-seq", rootfs(), "10.202.200"));
      for (int i = 1; i <= kConcurrentRuns; ++i) {
        plans_->push_back(proof::compile_hello_variant(scratch_->path(), "hello-" + std::to_string(i), rootfs(),
                                                       "10.202." + std::to_string(i)));
      }
    } catch (const std::exception& e) {
      setup_error_ = new std::string(e.what());
    }
  }
  static void TearDownTestSuite() {
    delete scratch_;
    delete plans_;
    delete setup_error_;
    scratch_ = nullptr;
    plans_ = nullptr;
    setup_error_ = nullptr;
  }
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root: plan-exec makes veths, cgroups and namespaces";
    ASSERT_EQ(setup_error_, nullptr) << *setup_error_;
    before_ = proof::baseline();
  }
  static std::string rootfs() { return scratch_->path() + "/rootfs"; }
  static int port() { return 20000 + getpid() % 20000; }
  std::string marker() const { return "hello-world --port " + std::to_string(port()); }

  // Every run's veth, cgroup, mount and process must be gone (polled briefly: the kernel and the
  // cgroup watcher finish asynchronously).
  void expect_nothing_left(const std::vector<pid_t>& pids) {
    for (pid_t pid : pids) {
      proof::InstanceTraces traces{pid, "hello", scratch_->path(), marker()};
      const auto left = proof::wait_for_no_leftovers(traces, before_, 3000ms);
      EXPECT_TRUE(left.empty()) << "plan-exec " << pid << " left behind:\n" << proof::lines(left);
    }
  }

  static testsupport::ScratchDir* scratch_;
  static std::vector<std::string>* plans_;
  static std::string* setup_error_;
  proof::Baseline before_;
};

testsupport::ScratchDir* Load::scratch_ = nullptr;
std::vector<std::string>* Load::plans_ = nullptr;
std::string* Load::setup_error_ = nullptr;

TEST_F(Load, HundredSequentialRunsEachServeThePage) {
  const auto t0 = Clock::now();
  std::vector<double> to_page, whole_run;
  std::vector<pid_t> pids;
  int failures = 0;
  for (int i = 0; i < kSequentialRuns && ms_since(t0) < kBudgetMs;
       ++i) {
    const auto start = Clock::now();
    ServerRun run(plans_->front(), "10.202.200.2", port());
    pids.push_back(run.pid());
    const bool served = run.page(5s);
    to_page.push_back(ms_since(start));
    run.terminate();
    const ProcessResult r = run.finish();
    whole_run.push_back(ms_since(start));
    if (!served || r.exit_code != 0) {
      ++failures;
      ADD_FAILURE() << "run " << i << " (plan-exec " << pids.back() << "): " << (served ? "" : "no page; ")
                    << r.summary();
    }
  }
  const double total = ms_since(t0);
  std::printf("sequential: %zu runs in %.1f s, %d failures\n  start -> page: %s\n  start -> exit: %s\n", pids.size(),
              total / 1000, failures, summary_of(to_page).c_str(), summary_of(whole_run).c_str());
  EXPECT_EQ(pids.size(), static_cast<std::size_t>(kSequentialRuns)) << "ran out of the time budget";
  EXPECT_EQ(failures, 0);
  EXPECT_LT(total, kBudgetMs);
  expect_nothing_left(pids);
}

TEST_F(Load, TwentyConcurrentRunsEachServeThePage) {
  const auto t0 = Clock::now();
  std::vector<std::unique_ptr<ServerRun>> runs;
  std::vector<pid_t> pids;
  for (int i = 1; i <= kConcurrentRuns; ++i) {
    runs.push_back(std::make_unique<ServerRun>((*plans_)[i], "10.202." + std::to_string(i) + ".2", port()));
    pids.push_back(runs.back()->pid());
  }
  const double started = ms_since(t0);
  // The host fetches each page through that run's own veth while all twenty run.
  std::vector<double> to_page;
  int failures = 0;
  for (int i = 0; i < kConcurrentRuns; ++i) {
    if (runs[i]->page(15s)) {
      to_page.push_back(ms_since(t0));
    } else {
      ++failures;
      ADD_FAILURE() << "run " << i + 1 << " (plan-exec " << pids[i] << ", 10.202." << i + 1 << ".2) served no page";
    }
  }
  const double all_served = ms_since(t0);
  for (int i = 0; i < kConcurrentRuns; ++i) runs[i]->terminate();
  for (int i = 0; i < kConcurrentRuns; ++i) {
    const ProcessResult r = runs[i]->finish();
    if (r.exit_code != 0) {
      ++failures;
      ADD_FAILURE() << "run " << i + 1 << " (plan-exec " << pids[i] << ") exit: " << r.summary();
    }
  }
  runs.clear();
  const double total = ms_since(t0);
  std::printf("concurrent: %d runs started in %.1f ms, all pages by %.1f ms, all stopped by %.1f ms, %d failures\n"
              "  start -> page (from the first start): %s\n",
              kConcurrentRuns, started, all_served, total, failures, summary_of(to_page).c_str());
  EXPECT_EQ(failures, 0);
  EXPECT_LT(total, kBudgetMs);
  expect_nothing_left(pids);
}

}  // namespace
