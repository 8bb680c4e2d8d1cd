// SPDX-License-Identifier: Apache-2.0
// The init process of `plan-exec --init` is no easier a target than the command: the command
// (pid 2, tests/programs/probe_init.c) can neither ptrace pid 1, nor read its memory, nor take
// its descriptors, under both suite policies; pid 1 runs with no_new_privs, its own seccomp
// filter and no capabilities, and holds no descriptor. The control run, with the defence
// "init-hardening" switched off, shows the probe does get in under the permissive policy (root,
// no user namespace, Docker's profile allows ptrace, same uid, same capabilities as init).
#include <gtest/gtest.h>
#include <dirent.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/support/security_suite.h"

namespace {

using security::Policy;

class SecurityInit : public security::Suite<SecurityInit> {
 public:
  static constexpr const char* kScratch = "security-init";

 protected:
  static testsupport::ProcessResult probe(Policy policy, const std::vector<std::string>& disabled = {}) {
    return run(policy, {"/home/probe_init"}, disabled, {"--init"});
  }
};

const char* const kAttempts[] = {"ptrace-attach", "ptrace-seize", "inject",      "proc-mem", "process-vm-readv",
                                 "proc-environ",  "proc-fd",      "pidfd-getfd", "kill-init"};

// "init-status: NoNewPrivs=1 Seccomp=2 CapEff=..." -> the value of `key`.
std::string init_status(const std::string& out, const std::string& key) {
  const std::string line = security::probe_line(out, "init-status");
  const auto at = line.find(" " + key + "=");
  if (at == std::string::npos) return "";
  const auto start = at + key.size() + 2;
  return line.substr(start, line.find(' ', start) - start);
}

TEST_F(SecurityInit, TheCommandCannotReachIntoInitUnderBothPolicies) {
  for (Policy policy : security::kBothPolicies) {
    SCOPED_TRACE(security::name_of(policy));
    const auto r = probe(policy);
    EXPECT_EQ(security::escaped_lines(r.out), std::vector<std::string>{}) << r.summary();
    for (const char* attempt : kAttempts) {
      EXPECT_NE(security::probe_line(r.out, attempt).find(": held ("), std::string::npos) << attempt << "\n" << r.summary();
    }
    EXPECT_EQ(r.exit_code, 0) << r.summary();
  }
}

TEST_F(SecurityInit, InitRunsWithNoNewPrivsItsOwnFilterAndNoCapabilities) {
  for (Policy policy : security::kBothPolicies) {
    SCOPED_TRACE(security::name_of(policy));
    const auto r = probe(policy);
    ASSERT_NE(security::probe_line(r.out, "init-status").find("NoNewPrivs="), std::string::npos) << r.summary();
    EXPECT_EQ(init_status(r.out, "NoNewPrivs"), "1") << r.summary();
    EXPECT_EQ(init_status(r.out, "Seccomp"), "2") << r.summary();
    for (const char* set : {"CapEff", "CapPrm", "CapInh", "CapAmb", "CapBnd"}) {
      EXPECT_EQ(init_status(r.out, set), "0000000000000000") << set << "\n" << r.summary();
    }
  }
}

// The control: init as it ran before (dumpable, Docker's capabilities, no filter) is open to
// the permissive command, which runs as the same uid with the same capabilities.
// Yama's ptrace_scope >= 1 (Ubuntu's default; 0 or absent here) refuses attaching to anything
// but a descendant, which pid 1 is not, whatever init does; reading /proc/1/environ is not an attach.
TEST_F(SecurityInit, ControlWithoutInitHardeningThePermissiveCommandGetsIn) {
  const auto r = probe(Policy::Permissive, {"init-hardening"});
  const auto escaped = security::escaped_lines(r.out);
  EXPECT_NE(security::probe_line(r.out, "proc-environ").find(": escaped ("), std::string::npos) << r.summary();
  if (security::yama_ptrace_scope() == 0) {
    EXPECT_NE(security::probe_line(r.out, "ptrace-attach").find(": escaped ("), std::string::npos) << r.summary();
    EXPECT_NE(security::probe_line(r.out, "proc-mem").find(": escaped ("), std::string::npos) << r.summary();
    EXPECT_NE(security::probe_line(r.out, "inject").find(": escaped ("), std::string::npos) << r.summary();
  }
  EXPECT_EQ(r.exit_code, static_cast<int>(escaped.size())) << r.summary();
  EXPECT_EQ(init_status(r.out, "Seccomp"), "0") << r.summary();
  EXPECT_EQ(init_status(r.out, "NoNewPrivs"), "0") << r.summary();
}

// pid numbers of the children of `pid` (its main thread's), from the host.
std::vector<int> children_of(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  std::vector<int> found;
  for (int child; in >> child;) found.push_back(child);
  return found;
}

int descriptor_count(int pid) {
  DIR* d = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
  if (!d) return -1;
  int count = 0;
  while (const dirent* e = ::readdir(d)) count += e->d_name[0] != '.';
  ::closedir(d);
  return count;
}

// Seen from the host (which may look): once init runs its loop, with the command forked, it holds
// no descriptor at all, not even the command's stdin/stdout/stderr.
TEST_F(SecurityInit, InitHoldsNoDescriptor) {
  for (Policy policy : security::kBothPolicies) {
    SCOPED_TRACE(security::name_of(policy));
    testsupport::Background pe({PLAN_EXEC_BIN, "--init", security::plan_path(dir(), policy), "--", "/bin/sleep", "1"});
    int init = 0, count = -1;
    for (int i = 0; i < 200 && count != 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      // plan-exec's children: the container's init and, with limits, the cgroup watcher, which
      // has no child of its own; init has one once it forked the command.
      for (int child : children_of(pe.pid())) {
        if (children_of(child).empty()) continue;
        init = child;
        count = descriptor_count(init);
      }
    }
    ASSERT_NE(init, 0) << "plan-exec started no child";
    EXPECT_EQ(count, 0) << "init (host pid " << init << ") holds descriptors";
    const auto r = pe.finish();
    EXPECT_EQ(r.exit_code, 0) << r.summary();
  }
}

}  // namespace
