// SPDX-License-Identifier: Apache-2.0
// policyc query and policyc diff as a user runs them: the output format (verdict, rule line,
// open arguments, cases), plans answered by BPF, Docker profiles, and the exit codes (query: 0
// or 2; diff: 0 same, 1 different, 2 bad input).
#include <gtest/gtest.h>

#include "tests/support/plan_exec_runner.h"
#include "tests/support/rootfs.h"

namespace {

using testsupport::ProcessResult;
using testsupport::run_process;

const std::string kProfiles = std::string(SHARED_TESTDATA_DIR) + "/seccomp/";

const char* kPolicy = R"(seccomp default errno(EPERM) {
  arch x86_64 x86
  allow read write exit_group
  allow socket if arg0 == AF_INET || arg0 == AF_INET6
  allow openat if (arg2 & O_ACCMODE) == O_RDONLY
  allow clone if (arg0 & CLONE_NEWUSER) == 0
  kill_process ptrace
}
)";

struct Files {
  testsupport::ScratchDir dir{"query-cli"};
  std::string pol = dir / "app.pol";
  std::string plan = dir / "app.plan";
  Files() {
    testsupport::write_text(pol, kPolicy);
    const ProcessResult r = testsupport::run_policyc({pol, "-o", plan});
    EXPECT_EQ(r.exit_code, 0) << r.summary();
  }
};

TEST(QueryCli, VerdictWithTheRuleLinePerServedArch) {
  Files f;
  const ProcessResult r = testsupport::run_policyc({"query", f.pol, "socket(AF_INET6, ...)"});
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  const std::string rule = "allow  [" + f.pol + ":4: allow socket if arg0 == AF_INET || arg0 == AF_INET6]";
  EXPECT_EQ(r.out, "socket(AF_INET6, ...)\n"
                   "x86_64: " + rule + "\n    holds for any value of arg1, arg2, arg3, arg4, arg5\n"
                   "x86: " + rule + "\n    holds for any value of arg1, arg2, arg3, arg4, arg5\n"
                   "x86 via socketcall(1, ...): " + rule + "\n    holds for any value of arg1, arg2, arg3, arg4, arg5\n");
}

TEST(QueryCli, AStringIsAnyPointerAndTheDefaultNamesItsLine) {
  Files f;
  ProcessResult r = testsupport::run_policyc({"query", f.pol, "openat(AT_FDCWD, \"/etc/hosts\", O_RDONLY|O_CLOEXEC)"});
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_NE(r.out.find("openat(AT_FDCWD, <any pointer>, O_RDONLY|O_CLOEXEC, ...)\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("x86_64: allow  [" + f.pol + ":5: allow openat if (arg2 & O_ACCMODE) == O_RDONLY]\n"
                       "    holds for any pointer value of arg1 and any value of arg3, arg4, arg5\n"),
            std::string::npos) << r.out;
  r = testsupport::run_policyc({"query", f.pol, "openat(AT_FDCWD, \"/etc/hosts\", O_WRONLY, 0644)"});
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_NE(r.out.find("x86_64: errno(EPERM)  [" + f.pol + ":1: seccomp default errno(EPERM)  (the default)]\n"),
            std::string::npos) << r.out;
}

TEST(QueryCli, AnOpenArgumentThatDecidesGivesTheCases) {
  Files f;
  const ProcessResult r = testsupport::run_policyc({"query", f.pol, "clone"});
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_NE(r.out.find("x86_64: depends on arguments the call leaves open:\n"
                       "    (arg0 & CLONE_NEWUSER) == 0: allow  [" + f.pol + ":6: allow clone if (arg0 & CLONE_NEWUSER) == 0]\n"
                       "    (arg0 & CLONE_NEWUSER) != 0: errno(EPERM)  [" + f.pol + ":1: seccomp default errno(EPERM)  (the default)]\n"),
            std::string::npos) << r.out;
}

TEST(QueryCli, APlanIsAnsweredByItsBpfWithoutRuleLines) {
  Files f;
  const ProcessResult r = testsupport::run_policyc({"query", f.plan, "ptrace(...)"});
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_NE(r.out.find("x86_64: kill_process\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("x86: kill_process\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("x32"), std::string::npos) << r.out;  // the filter refuses x32 calls
  EXPECT_NE(r.out.find("rule lines come only from a policy"), std::string::npos) << r.out;
}

TEST(QueryCli, BadCallsAndFilesExitTwoWithAHint) {
  Files f;
  ProcessResult r = testsupport::run_policyc({"query", f.pol, "openat(AT_FDCWD, O_RDONY)"});
  EXPECT_EQ(r.exit_code, 2) << r.summary();
  EXPECT_NE(r.err.find("argument 1: unknown constant \"O_RDONY\"; did you mean O_RDONLY?"), std::string::npos) << r.err;
  r = testsupport::run_policyc({"query", f.pol, "opnat(1)"});
  EXPECT_EQ(r.exit_code, 2) << r.summary();
  EXPECT_NE(r.err.find("unknown system call \"opnat\"; did you mean openat?"), std::string::npos) << r.err;
  r = testsupport::run_policyc({"query", f.pol, "read(1, ..., 3)"});
  EXPECT_EQ(r.exit_code, 2) << r.summary();
  r = testsupport::run_policyc({"query", f.dir / "missing.plan", "read"});
  EXPECT_EQ(r.exit_code, 2) << r.summary();
}

TEST(DiffCli, SameFilterExitsZeroWhateverItsForm) {
  Files f;
  ProcessResult r = testsupport::run_policyc({"diff", f.pol, f.plan});
  EXPECT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_EQ(r.out, f.pol + " and " + f.plan + " give every call the same verdict\n");
  r = testsupport::run_policyc({"diff", f.pol, f.pol});
  EXPECT_EQ(r.exit_code, 0) << r.summary();
}

TEST(DiffCli, ChangesArePrintedPerSyscallAndExitOne) {
  Files f;
  std::string changed = kPolicy;
  changed.replace(changed.find("arg0 == AF_INET6"), 16, "arg0 == AF_INET6 || arg0 == AF_NETLINK");
  changed.replace(changed.find("kill_process ptrace"), 19, "errno(ENOSYS) ptrace");
  const std::string other = f.dir / "new.pol";
  testsupport::write_text(other, changed);
  // By syscall number per arch. i386's socketcall(SYS_SOCKET) does not change: through the
  // multiplexer the family is behind a pointer, so the rule holds there without its arg0 test.
  const std::string lines = "socket: arg0 == AF_NETLINK  errno(EPERM) -> allow\n"
                            "ptrace: kill_process -> errno(ENOSYS)\n"
                            "x86 ptrace: kill_process -> errno(ENOSYS)\n"
                            "x86 socket: u32(arg0) == AF_NETLINK  errno(EPERM) -> allow\n";
  ProcessResult r = testsupport::run_policyc({"diff", f.pol, other});
  EXPECT_EQ(r.exit_code, 1) << r.summary();
  EXPECT_EQ(r.out, "--- " + f.pol + " (policy)\n+++ " + other + " (policy)\n" + lines + "4 differences\n");
  // From the plan the same calls, found in the BPF.
  r = testsupport::run_policyc({"diff", f.plan, other});
  EXPECT_EQ(r.exit_code, 1) << r.summary();
  EXPECT_NE(r.out.find("socket: u32(arg0) == AF_NETLINK  errno(EPERM) -> allow\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ptrace: kill_process -> errno(ENOSYS)\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("compared by their BPF programs"), std::string::npos) << r.out;
}

TEST(DiffCli, ArchAndDefaultChanges) {
  Files f;
  std::string changed = kPolicy;
  changed.replace(changed.find("arch x86_64 x86"), 15, "arch x86_64");
  changed.replace(changed.find("default errno(EPERM)"), 20, "default kill_process");
  const std::string other = f.dir / "new.pol";
  testsupport::write_text(other, changed);
  const ProcessResult r = testsupport::run_policyc({"diff", f.pol, other});
  EXPECT_EQ(r.exit_code, 1) << r.summary();
  EXPECT_NE(r.out.find("every syscall neither filter has a rule for: errno(EPERM) -> kill_process\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("x86 calls: served by the rules -> kill_process (arch not served), which changes:\n"
                       "x86 read: allow -> kill_process\n"),
            std::string::npos) << r.out;
  EXPECT_NE(r.out.find("x86 every syscall neither filter has a rule for: errno(EPERM) -> kill_process\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("socket: arg0 != AF_INET && arg0 != AF_INET6  errno(EPERM) -> kill_process\n"), std::string::npos) << r.out;
}

// Docker's and Podman's default profiles, read for kernel 6.1 with the default capabilities:
// differences anyone can check in the two JSON files.
TEST(DiffCli, TwoDockerProfiles) {
  const ProcessResult r = testsupport::run_policyc({"diff", "--kernel", "6.1", kProfiles + "docker-default.json", kProfiles + "containers-common.json"});
  EXPECT_EQ(r.exit_code, 1) << r.summary();
  for (const char* line : {
           "every syscall neither filter has a rule for: errno(EPERM) -> errno(ENOSYS)\n",  // defaultErrnoRet 38
           "clone3: errno(ENOSYS) -> allow\n",   // Docker answers clone3 with ENOSYS so glibc falls back
           "socket: arg0 == AF_ALG || arg0 == AF_VSOCK  errno(EPERM) -> allow\n",
       }) {
    EXPECT_NE(r.out.find(line), std::string::npos) << line << r.out;
  }
  const ProcessResult same = testsupport::run_policyc({"diff", "--kernel", "6.1", kProfiles + "docker-default.json", kProfiles + "docker-default.json"});
  EXPECT_EQ(same.exit_code, 0) << same.summary();
}

TEST(DiffCli, BadInputExitsTwo) {
  Files f;
  const ProcessResult r = testsupport::run_policyc({"diff", f.pol, f.dir / "missing.pol"});
  EXPECT_EQ(r.exit_code, 2) << r.summary();
  EXPECT_TRUE(r.out.empty()) << r.out;
}

}  // namespace
