// SPDX-License-Identifier: Apache-2.0
// The example policies run as their comments, the README and docs/language.md say, with only
// their rootfs pointed at a test tree (the demo's /var/lib/policyc trees may not exist here):
//   policies/strict.pol  `policyc policies/strict.pol -o strict.plan; plan-exec strict.plan`
//                        prints "hi", as root and rootless (an unprivileged uid, as the rootless
//                        tests run it), where its best-effort limits are left out with a warning;
//   policies/hello.pol   `plan-exec hello.plan`, then the page at http://10.200.0.2:8080/ (one
//                        --instance up, so that it cannot meet another test's veth), stopped by
//                        SIGTERM as the demo does.
// Every .pol under policies/ must be covered here: a new example fails the first test until it is.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/host_state.h"
#include "tests/support/network_probe.h"
#include "tests/support/plan_exec_runner.h"
#include "tests/support/proof_env.h"
#include "tests/support/rootfs.h"
#include "tests/support/rootfs_suite.h"

using namespace testsupport;

namespace launcher_examples_test {


class LauncherExamples : public HostCheckedSuite<LauncherExamples> {
 public:
  static constexpr const char* kScratch = "launcher-examples";

 protected:
  void expect_host_as_before(const HostState& after) override {
    HostCheckedSuite::expect_host_as_before(after);
    EXPECT_EQ(new_entries(before_.cgroups, after.cgroups), std::vector<std::string>{});
  }
  // policies/NAME.pol with its rootfs replaced by the test tree, compiled by policyc as the
  // docs say; returns the plan's path (readable by everyone, for the rootless run).
  static std::string compile_example(const std::string& name, const std::string& shipped_rootfs) {
    const std::string pol = scratch_->path() + "/" + name + ".pol", plan = scratch_->path() + "/" + name + ".plan";
    proof::write_policy_variant(std::string(SOURCE_DIR) + "/policies/" + name + ".pol", pol,
                                {{"\"" + shipped_rootfs + "\"", "\"" + rootfs() + "\""}});
    const ProcessResult compiled = run_process({POLICYC_BIN, pol, "-o", plan});
    EXPECT_EQ(compiled.exit_code, 0) << compiled.summary();
    ::chmod(plan.c_str(), 0644);
    return plan;
  }
};

TEST_F(LauncherExamples, EveryShippedPolicyIsCoveredHere) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(SOURCE_DIR) + "/policies")) {
    if (entry.path().extension() == ".pol") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"hello", "strict"}))
      << "a new example policy needs a test here that runs it as its documentation says";
}

TEST_F(LauncherExamples, StrictRunsAsRoot) {
  const std::string plan = compile_example("strict", "/var/lib/policyc/busybox");
  const ProcessResult r = run_plan_exec({plan});
  EXPECT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_EQ(r.out, "hi\n") << r.summary();
  EXPECT_EQ(r.err.find("warning"), std::string::npos) << "as root its limits apply\n" << r.summary();
}

TEST_F(LauncherExamples, StrictRunsRootlessAsShipped) {
  if (!unprivileged_userns_available()) GTEST_SKIP() << "unprivileged user namespaces are disabled here";
  const std::string plan = compile_example("strict", "/var/lib/policyc/busybox");
  const ProcessResult r = run_plan_exec({plan}, ProcessOptions{{"HOME=/nonexistent"}, testsupport::kNobody, 30});
  EXPECT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_EQ(r.out, "hi\n") << r.summary();
  EXPECT_NE(r.err.find("warning: limits need root on the host (cgroup directories): this rootless run has none"),
            std::string::npos)
      << r.summary();
  EXPECT_NE(r.err.find("uid_map/gid_map need root"), std::string::npos) << r.summary();
}

TEST_F(LauncherExamples, HelloServesItsPageAndStopsOnSigterm) {
  const std::string plan = compile_example("hello", "/var/lib/policyc/hello");
  const unsigned instance = 150 + static_cast<unsigned>(::getpid() % 100);
  Background pe({PLAN_EXEC_BIN, "--instance", std::to_string(instance), plan});
  const std::string address = "10.200." + std::to_string(instance) + ".2";
  const std::string veth = "pe-" + std::to_string(pe.pid());
  const auto page = test_support::wait_for_http(address, 8080, veth, std::chrono::milliseconds(15000));
  ASSERT_TRUE(page.has_value()) << "no answer from http://" << address << ":8080/ through " << veth << "\n"
                                << pe.finish(1).summary();
  EXPECT_FALSE(test_support::http_body(*page).empty()) << *page;
  ::kill(pe.pid(), SIGTERM);
  const ProcessResult r = pe.finish(20);
  EXPECT_EQ(r.exit_code, 0) << "the server exits 0 on SIGTERM (scripts/demo, step 7)\n" << r.summary();
  EXPECT_TRUE(test_support::wait_until_interface_gone(veth, std::chrono::milliseconds(5000))) << veth << " is left";
}

}  // namespace launcher_examples_test
