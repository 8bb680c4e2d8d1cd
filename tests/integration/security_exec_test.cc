// SPDX-License-Identifier: Apache-2.0
// `plan-exec exec` sends a process into a running container that, between setns and execve,
// still holds plan-exec's memory, host environment and host binary. A container process that
// watches /proc for it (tests/programs/probe_exec.c, the first command) must not open its
// /proc/N/exe (runc CVE-2019-5736), environ or descriptors, nor ptrace it (CVE-2016-9962),
// under both suite policies. The window is a few microseconds, so the exec runs with the
// test-only pause PLAN_EXEC_TEST_PAUSE=exec-before-filter (launcher/host/fault.h) that holds
// the command process there for 3 s. The control run switches the defence "exec-nondumpable"
// off: under the permissive policy (root, no user namespace, same uid and capabilities as the
// exec'd process) the probe then gets in.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/support/security_suite.h"

namespace {

using security::Policy;
using testsupport::Background;
using testsupport::ProcessOptions;
using testsupport::ProcessResult;

class SecurityExec : public security::Suite<SecurityExec> {
 public:
  static constexpr const char* kScratch = "security-exec";

 protected:
  struct Outcome {
    ProcessResult probe, exec;
  };

  // The probe runs as the container's command; once it watches, `plan-exec exec` enters with
  // the pause and the `disabled` defence off.
  static Outcome probe(Policy policy, const std::string& disabled = "") {
    Background first({PLAN_EXEC_BIN, security::plan_path(dir(), policy), "--", "/home/probe_exec", "20"});
    Outcome outcome;
    if (!first.wait_for_output("ready", 15000)) {
      outcome.probe = first.finish(5);
      return outcome;
    }
    ProcessOptions options;
    options.env.push_back("PLAN_EXEC_TEST_PAUSE=exec-before-filter");
    if (!disabled.empty()) options.env.push_back("PLAN_EXEC_TEST_DISABLE_DEFENCES=" + disabled);
    // The run registers just after its command starts: until then exec finds no container.
    const long deadline = testsupport::now_ms() + 10000;
    do {
      outcome.exec = testsupport::run_plan_exec({"exec", std::to_string(first.pid()), "--", "/bin/true"}, options);
    } while (outcome.exec.err.find("no running container") != std::string::npos && testsupport::now_ms() < deadline);
    outcome.probe = first.finish(30);
    return outcome;
  }
};

const char* const kExecAttempts[] = {"exec-exe", "exec-environ", "exec-fd", "exec-attach"};

TEST_F(SecurityExec, AContainerProcessCannotReachIntoTheExecProcessUnderBothPolicies) {
  for (Policy policy : security::kBothPolicies) {
    SCOPED_TRACE(security::name_of(policy));
    const Outcome o = probe(policy);
    EXPECT_EQ(o.exec.exit_code, 0) << o.exec.summary();
    EXPECT_EQ(security::escaped_lines(o.probe.out), std::vector<std::string>{}) << o.probe.summary();
    for (const char* attempt : kExecAttempts) {
      EXPECT_NE(security::probe_line(o.probe.out, attempt).find(": held ("), std::string::npos)
          << attempt << "\n" << o.probe.summary();
    }
  }
}

// The control: a dumpable exec process is open to the permissive command, which runs as the same
// uid with the same capabilities. Yama's ptrace_scope >= 1 refuses the attach whatever plan-exec
// does (the exec process is no descendant of the probe); opening /proc files is not an attach.
TEST_F(SecurityExec, ControlWithoutNonDumpableThePermissiveCommandGetsIn) {
  const Outcome o = probe(Policy::Permissive, "exec-nondumpable");
  EXPECT_EQ(o.exec.exit_code, 0) << o.exec.summary();
  EXPECT_NE(security::probe_line(o.probe.out, "exec-exe").find(": escaped ("), std::string::npos) << o.probe.summary();
  EXPECT_NE(security::probe_line(o.probe.out, "exec-environ").find(": escaped ("), std::string::npos)
      << o.probe.summary();
  if (security::yama_ptrace_scope() == 0) {
    EXPECT_NE(security::probe_line(o.probe.out, "exec-attach").find(": escaped ("), std::string::npos)
        << o.probe.summary();
  }
}

}  // namespace
