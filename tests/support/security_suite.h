// SPDX-License-Identifier: Apache-2.0
// The security suite's fixture: one test rootfs (rootfs.h) and the two policies every probe
// runs under, compiled once per suite by the real policyc:
//   Strict      policies/strict.pol pointed at the test rootfs (user namespace, uid 1000,
//               no capabilities, its own allow-list);
//   Permissive  tests/fixtures/security/permissive.pol (root in the container, no user
//               namespace, Docker's default capabilities and seccomp profile).
// A probe (tests/programs/probe_*.c, installed in the rootfs's /home) prints one line per
// attempt, "<name>: held (<how>)" or "<name>: escaped (<what>)". A control run names defences
// to switch off (PLAN_EXEC_TEST_DISABLE_DEFENCES, launcher/fault.h): it must report "escaped",
// or the probe could not fail.
//   class SecurityTerminal : public security::Suite<SecurityTerminal> {
//    public:
//     static constexpr const char* kScratch = "security-terminal";
//   };
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "tests/support/plan_exec_runner.h"
#include "tests/support/rootfs.h"

namespace security {

enum class Policy { Strict, Permissive };
inline constexpr Policy kBothPolicies[] = {Policy::Strict, Policy::Permissive};
const char* name_of(Policy policy);

// Writes both policies for `rootfs` into `dir` and compiles them to DIR/strict.plan and
// DIR/permissive.plan. Throws std::runtime_error with policyc's output on failure.
void compile_suite_plans(const std::string& dir, const std::string& rootfs);
std::string plan_path(const std::string& dir, Policy policy);

// plan-exec [extra_args...] PLAN -- command..., with `disabled` defences switched off.
testsupport::ProcessResult run_under(const std::string& dir, Policy policy, const std::vector<std::string>& command,
                                     const std::vector<std::string>& disabled = {},
                                     const std::vector<std::string>& extra_args = {},
                                     testsupport::ProcessOptions options = {});

// The probe's lines that say "escaped" / "held".
std::vector<std::string> escaped_lines(const std::string& probe_output);
// The probe's line for `attempt` ("ATTEMPT: ..."), or "" when it printed none.
std::string probe_line(const std::string& probe_output, const std::string& attempt);
std::vector<std::string> held_lines(const std::string& probe_output);

// /proc/sys/kernel/yama/ptrace_scope, 0 when Yama is absent. At 1 or more the kernel refuses
// PTRACE_ATTACH to anything but a descendant, whatever plan-exec does, so a control run can
// expect an attach to succeed only at 0.
int yama_ptrace_scope();

template <class Derived>
class Suite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::geteuid() != 0) return;
    try {
      scratch_ = new testsupport::ScratchDir(Derived::kScratch);
      testsupport::build_rootfs(rootfs());
      Derived::prepare_rootfs(rootfs());
      compile_suite_plans(scratch_->path(), rootfs());
    } catch (const std::exception& e) {
      setup_error_ = e.what();
    }
  }
  static void TearDownTestSuite() {
    delete scratch_;
    scratch_ = nullptr;
  }
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root: plan-exec makes namespaces, mounts and cgroups";
    ASSERT_TRUE(setup_error_.empty()) << setup_error_;
  }
  // A derived suite may add files to the rootfs before the plans are compiled.
  static void prepare_rootfs(const std::string&) {}
  static std::string rootfs() { return scratch_->path() + "/rootfs"; }
  static std::string dir() { return scratch_->path(); }
  static testsupport::ProcessResult run(Policy policy, const std::vector<std::string>& command,
                                        const std::vector<std::string>& disabled = {},
                                        const std::vector<std::string>& extra_args = {},
                                        testsupport::ProcessOptions options = {}) {
    return run_under(dir(), policy, command, disabled, extra_args, options);
  }

  static inline testsupport::ScratchDir* scratch_ = nullptr;
  static inline std::string setup_error_;
};

}  // namespace security
