// SPDX-License-Identifier: Apache-2.0
// Every rule form of the seccomp block (compiled by libseccomp's backend, and by ours where
// libseccomp cannot express it or both should), decided twice: by running the compiled BPF in the
// interpreter and by loading it with seccomp(2) in a forked child that makes the real call.
// getpid and getppid are the probes: they ignore their arguments, so the filter sees exactly
// the raw values we pass, and an allowed call is harmless.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <signal.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compiler/backend/backend.h"
#include "compiler/bpf/bpf_interp.h"
#include "compiler/codegen/codegen.h"
#include "compiler/seccomp/abi.h"
#include "compiler/lower/lower_seccomp.h"
#include "tests/support/policy_text.h"
#include "tests/support/seccomp_kernel.h"

namespace policyc {
namespace {

using seccomp::Action;
using seccomp::ActionKind;
using Args = std::array<std::uint64_t, 6>;
constexpr seccomp::Backend kBothBackends[] = {seccomp::Backend::Libseccomp, seccomp::Backend::Policyc};

using policyc::testing::kAllow;
using policyc::testing::kEperm;
Action errno_action(int e) { return {ActionKind::Errno, static_cast<std::uint32_t>(e)}; }

class SeccompVerdict : public ::testing::Test {
 protected:
  // Compiles `body` inside `seccomp default <default_action> { ... }` with `backend`.
  void compile(const std::string& body, const std::string& default_action = "errno(EPERM)",
               seccomp::Backend backend = seccomp::Backend::Libseccomp) {
    text_ = "seccomp default " + default_action + " {\n" + body + "\n}\n";
    diags_ = Diagnostics{};
    if (backend == seccomp::Backend::Libseccomp) {
      program_ = testing::bpf_from_text(text_, diags_);
    } else {
      const std::optional<seccomp::Filter> filter = testing::lower_text(text_, diags_);
      program_ = filter ? seccomp::compile(*filter, backend, diags_) : std::vector<sock_filter>{};
    }
    ASSERT_FALSE(program_.empty()) << text_ << testing::render(diags_);
    ASSERT_FALSE(diags_.has_errors()) << testing::render(diags_);
  }
  void expect(long nr, const Args& args, const Action& want) {
    EXPECT_EQ(testing::verdict_mismatch(program_, nr, args, want), "")
        << "call " << nr << " arg0=0x" << std::hex << args[0] << " arg1=0x" << args[1] << "\n" << text_;
  }
  void expect(const Args& args, const Action& want) { expect(SYS_getpid, args, want); }

  std::string text_;
  Diagnostics diags_;
  std::vector<sock_filter> program_;
};

TEST_F(SeccompVerdict, PlainAllowAndDefaultErrno) {
  compile("allow getpid");
  expect(SYS_getpid, {}, kAllow);
  expect(SYS_getppid, {}, kEperm);
}

TEST_F(SeccompVerdict, ErrnoByNameAndByNumber) {
  compile("errno(EACCES) getpid\n errno(77) getppid", "allow");
  expect(SYS_getpid, {}, errno_action(EACCES));
  expect(SYS_getppid, {}, errno_action(77));
  expect(SYS_gettid, {}, kAllow);
}

TEST_F(SeccompVerdict, KillProcessKillThreadAndTrapRaiseSigsys) {
  compile("kill_process getpid\n kill_thread getppid\n trap gettid", "allow");
  expect(SYS_getpid, {}, {ActionKind::KillProcess, 0});
  expect(SYS_getppid, {}, {ActionKind::KillThread, 0});
  expect(SYS_gettid, {}, {ActionKind::Trap, 0});
}

TEST_F(SeccompVerdict, LogAllowsAndTraceWithoutTracerFailsWithEnosys) {
  compile("log getpid\n trace(7) getppid");
  expect(SYS_getpid, {}, {ActionKind::Log, 0});
  expect(SYS_getppid, {}, {ActionKind::Trace, 7});
}

TEST_F(SeccompVerdict, KillProcessAsDefault) {
  compile("allow getpid", "kill_process");
  expect(SYS_getpid, {}, kAllow);
  expect(SYS_getppid, {}, {ActionKind::KillProcess, 0});
}

TEST_F(SeccompVerdict, EqualAndNotEqual) {
  compile("allow getpid if arg0 == 5\n allow getppid if arg1 != 5");
  expect({5}, kAllow);
  expect({4}, kEperm);
  expect({5 | (1ULL << 32)}, kEperm);  // all 64 bits count
  expect(SYS_getppid, {0, 4}, kAllow);
  expect(SYS_getppid, {0, 5}, kEperm);
}

TEST_F(SeccompVerdict, OrderedComparisons) {
  compile("allow getpid if arg0 < 10 || arg1 >= 0x100000000\n"
          "allow getppid if arg0 <= 10 && arg1 > 3");
  expect({9}, kAllow);
  expect({10}, kEperm);
  expect({10, 0x100000000}, kAllow);
  expect({10, 0xffffffff}, kEperm);
  expect(SYS_getppid, {10, 4}, kAllow);
  expect(SYS_getppid, {11, 4}, kEperm);
  expect(SYS_getppid, {10, 3}, kEperm);
}

TEST_F(SeccompVerdict, MaskedEqualAndNotEqual) {
  compile("allow getpid if (arg0 & CLONE_NEWUSER) == 0\n"
          "allow getppid if (arg0 & 0x3) != 1");
  expect({CLONE_NEWNS}, kAllow);
  expect({CLONE_NEWUSER | CLONE_NEWNS}, kEperm);
  expect(SYS_getppid, {0}, kAllow);
  expect(SYS_getppid, {1}, kEperm);
  expect(SYS_getppid, {5}, kEperm);  // 5 & 3 == 1
  expect(SYS_getppid, {2}, kAllow);
  expect(SYS_getppid, {3}, kAllow);
}

// The int pitfall: an int -100 may reach the filter zero-extended (0x00000000ffffff9c) or
// sign-extended (0xffffffffffffff9c); u32() compares what the syscall itself reads.
TEST_F(SeccompVerdict, U32ComparesTheLowWordOnly) {
  compile("allow getpid if u32(arg0) == AT_FDCWD\n"
          "allow getppid if arg0 == AT_FDCWD\n"
          "allow gettid if u32(arg1) == -1");
  expect({0xffffffffffffff9cULL}, kAllow);
  expect({0x00000000ffffff9cULL}, kAllow);
  expect({0x12345678ffffff9cULL}, kAllow);
  expect({0xffffff9dULL}, kEperm);
  expect(SYS_getppid, {0xffffffffffffff9cULL}, kAllow);
  expect(SYS_getppid, {0x00000000ffffff9cULL}, kEperm);
  expect(SYS_gettid, {0, 0xffffffffULL}, kAllow);
  expect(SYS_gettid, {0, ~0ULL}, kAllow);
  expect(SYS_gettid, {0, 0xfffffffeULL}, kEperm);
}

TEST_F(SeccompVerdict, U32OrderedAndNotEqual) {
  compile("allow getpid if u32(arg0) < 3\n allow getppid if u32(arg0) != 7");
  expect({2}, kAllow);
  expect({0xffffffff00000002ULL}, kAllow);
  expect({3}, kEperm);
  expect({0x100000003ULL}, kEperm);
  expect(SYS_getppid, {0xffffffff00000007ULL}, kEperm);
  expect(SYS_getppid, {8}, kAllow);
}

TEST_F(SeccompVerdict, NotIsPushedDown) {
  compile("allow getpid if !(arg0 == 1 || arg1 < 4)");
  expect({2, 4}, kAllow);
  expect({1, 4}, kEperm);
  expect({2, 3}, kEperm);
}

TEST_F(SeccompVerdict, GroupsNestedAndConstants) {
  compile("group @ids = getpid getppid\n group @all = @ids gettid\n"
          "allow @all if arg0 == AF_INET || arg0 == AF_INET6");
  for (long nr : {SYS_getpid, SYS_getppid, SYS_gettid}) {
    expect(nr, {AF_INET}, kAllow);
    expect(nr, {AF_INET6}, kAllow);
    expect(nr, {AF_UNIX}, kEperm);
  }
}

TEST_F(SeccompVerdict, ValueTermsAreOred) {
  compile("allow getpid if arg0 == O_WRONLY|O_CLOEXEC");
  expect({O_WRONLY | O_CLOEXEC}, kAllow);
  expect({O_WRONLY}, kEperm);
}

// First match wins, even though libseccomp itself would let an unconditional rule replace
// every conditional one: the backend rewrites the rules so the order survives.
TEST_F(SeccompVerdict, FirstMatchWinsOverLaterUnconditionalRule) {
  compile("allow getpid if arg0 == AF_INET || arg0 == AF_INET6\n errno(EAFNOSUPPORT) getpid");
  expect({AF_INET}, kAllow);
  expect({AF_INET6}, kAllow);
  expect({AF_UNIX}, errno_action(EAFNOSUPPORT));
  expect({0}, errno_action(EAFNOSUPPORT));
  expect({~0ULL}, errno_action(EAFNOSUPPORT));
}

TEST_F(SeccompVerdict, FirstMatchWinsBetweenOverlappingConditions) {
  compile("errno(EACCES) getpid if arg0 == 3\n"
          "allow getpid if arg0 < 10\n"
          "errno(ENOENT) getpid if arg1 == 1\n"
          "kill_process getpid if arg0 == 4");  // shadowed by `arg0 < 10`
  expect({3, 1}, errno_action(EACCES));
  expect({4, 1}, kAllow);
  expect({10, 1}, errno_action(ENOENT));
  expect({10, 0}, kEperm);
}

TEST_F(SeccompVerdict, DefaultActionRuleShieldsLaterRule) {
  compile("errno(EPERM) getpid if arg0 == 1\n allow getpid");
  expect({1}, kEperm);
  expect({2}, kAllow);
}

TEST_F(SeccompVerdict, RangesAndSeveralTestsOfOneArgument) {
  for (const seccomp::Backend backend : kBothBackends) {
    compile("allow getpid if arg0 > 1 && arg0 < 5\n allow getppid if !(arg0 == 1 || arg0 == 2)", "errno(EPERM)", backend);
    for (std::uint64_t x : {0ULL, 1ULL, 5ULL, 6ULL, 0x100000003ULL}) expect({x}, kEperm);
    for (std::uint64_t x : {2ULL, 3ULL, 4ULL}) expect({x}, kAllow);
    expect(SYS_getppid, {1}, kEperm);
    expect(SYS_getppid, {2}, kEperm);
    for (std::uint64_t x : {0ULL, 3ULL, 0x100000001ULL}) expect(SYS_getppid, {x}, kAllow);
  }
}

TEST_F(SeccompVerdict, EveryOperatorOnAMaskedArgument) {
  compile("allow getpid if (arg0 & 0xff) > 5 && (u32(arg1) & 0xf0) <= 0x40\n"
          "errno(EACCES) getppid if !((arg0 & 0xff00) < 0x300)", "errno(EPERM)", seccomp::Backend::Policyc);
  expect({0x106, 0}, kAllow);             // low byte 6 > 5
  expect({0x105, 0}, kEperm);             // low byte 5
  expect({0xffffff06, 0x1234000000000040ULL}, kAllow);  // u32: the high word of arg1 is not looked at
  expect({0x6, 0x50}, kEperm);            // 0x50 > 0x40
  expect(SYS_getppid, {0x300}, errno_action(EACCES));
  expect(SYS_getppid, {0x2ff}, kEperm);   // (0x2ff & 0xff00) = 0x200 < 0x300: no match, default
  expect(SYS_getppid, {0xff00000000000400ULL}, errno_action(EACCES));
}

TEST_F(SeccompVerdict, TrapCarriesItsNumberAndNotifyWithoutSupervisorIsEnosys) {
  compile("trap(77) getpid\n allow execve", "notify", seccomp::Backend::Policyc);
  expect(SYS_getpid, {}, {ActionKind::Trap, 77});   // the interpreter checks SECCOMP_RET_TRAP | 77
  expect(SYS_getppid, {}, {ActionKind::Notify, 0});  // no listener: the kernel answers ENOSYS
}

TEST_F(SeccompVerdict, SyscallsByNumber) {
  for (const seccomp::Backend backend : kBothBackends) {
    compile("errno(EACCES) 39\n errno(ENOSYS) 1000", "allow", backend);  // 39 is getpid
    expect(SYS_getpid, {}, errno_action(EACCES));
    expect(SYS_getppid, {}, kAllow);
    bpf::SeccompData unknown;
    unknown.nr = 1000;
    EXPECT_EQ(bpf::run(program_, unknown)->ret, seccomp_ret(errno_action(ENOSYS)));
  }
}

// The arch guard. The kernel itself refuses x32 calls (ENOSYS) and `int 0x80` (SIGSEGV) on
// these machines, so making the call would prove nothing: the interpreter is the proof.
TEST_F(SeccompVerdict, X32AndI386CallsAreKilledUnlessListed) {
  compile("allow getpid", "allow");
  bpf::SeccompData x32;
  x32.nr = bpf::kX32SyscallBit | SYS_getpid;
  bpf::SeccompData i386;
  i386.nr = 20;  // getpid on i386
  i386.arch = bpf::kAuditArchI386;
  for (const auto& data : {x32, i386}) {
    auto verdict = bpf::run(program_, data);
    ASSERT_TRUE(verdict);
    EXPECT_EQ(verdict->ret, seccomp_ret(Action{ActionKind::KillProcess, 0})) << data.nr;
  }
}

TEST_F(SeccompVerdict, ListedArchesPassTheGuard) {
  compile("arch x86_64 x86 x32\n errno(EACCES) getpid", "allow");
  bpf::SeccompData x32;
  x32.nr = bpf::kX32SyscallBit | SYS_getpid;
  bpf::SeccompData i386;
  i386.nr = 20;
  i386.arch = bpf::kAuditArchI386;
  for (const auto& data : {x32, i386}) {
    auto verdict = bpf::run(program_, data);
    ASSERT_TRUE(verdict);
    EXPECT_EQ(verdict->ret, seccomp_ret(errno_action(EACCES))) << data.nr;
  }
  bpf::SeccompData aarch64;
  aarch64.arch = bpf::kAuditArchAarch64;
  EXPECT_EQ(bpf::run(program_, aarch64)->ret, seccomp_ret(Action{ActionKind::KillProcess, 0}));
}

TEST_F(SeccompVerdict, OtherArchesGetTheOtherwiseAction) {
  for (const seccomp::Backend backend : kBothBackends) {
    compile("arch x86_64 x32 otherwise errno(ENOSYS)\n errno(EACCES) getpid", "allow", backend);
    bpf::SeccompData x32;
    x32.nr = bpf::kX32SyscallBit | SYS_getpid;
    EXPECT_EQ(bpf::run(program_, x32)->ret, seccomp_ret(errno_action(EACCES)));
    bpf::SeccompData i386, aarch64;
    i386.nr = 20;
    i386.arch = bpf::kAuditArchI386;
    aarch64.arch = bpf::kAuditArchAarch64;
    for (const auto& data : {i386, aarch64}) EXPECT_EQ(bpf::run(program_, data)->ret, seccomp_ret(errno_action(ENOSYS)));
  }
}

TEST_F(SeccompVerdict, UnlistedX32CallsGetTheOtherwiseActionToo) {
  compile("arch x86_64 otherwise trap(3)\n allow getpid", "allow", seccomp::Backend::Policyc);
  bpf::SeccompData x32;
  x32.nr = bpf::kX32SyscallBit | SYS_getpid;
  EXPECT_EQ(bpf::run(program_, x32)->ret, seccomp_ret(Action{ActionKind::Trap, 3}));
  expect(SYS_getpid, {}, kAllow);
}

}  // namespace
}  // namespace policyc

namespace policyc {
namespace {

// The harness itself must notice a wrong expectation, in both of its halves.
TEST(SeccompKernelHarness, ReportsMismatchesFromInterpreterAndKernel) {
  Diagnostics diags;
  auto program = testing::bpf_from_text("seccomp default allow { errno(EACCES) getpid }", diags);
  ASSERT_FALSE(program.empty()) << testing::render(diags);
  std::string mismatch = testing::verdict_mismatch(program, SYS_getpid, {}, {seccomp::ActionKind::Allow, 0});
  EXPECT_NE(mismatch.find("interpreter: ret 0x0005000d"), std::string::npos) << mismatch;
  EXPECT_NE(mismatch.find("kernel: returned -1 errno 13"), std::string::npos) << mismatch;
  auto killed = testing::run_syscall_under_filter(
      testing::bpf_from_text("seccomp default allow { kill_process getpid }", diags), SYS_getpid);
  EXPECT_EQ(killed.kind, testing::KernelOutcome::Kind::Signaled) << killed.to_string();
  EXPECT_EQ(killed.signal, SIGSYS);
}

// SECCOMP_RET_TRAP | data: the kernel hands the data to the SIGSYS handler as si_errno, so
// seccomp_ret() keeps it (the grammar's `trap` has data 0; an IR built otherwise may not).
// Exit code of the child: the si_errno its SIGSYS handler saw, 100 when no SIGSYS came.
int si_errno_of_trapped_getpid(const std::vector<sock_filter>& program) {
  const pid_t pid = fork();
  if (pid == 0) {
    struct sigaction on_sigsys {};
    on_sigsys.sa_flags = SA_SIGINFO;
    on_sigsys.sa_sigaction = [](int, siginfo_t* info, void*) { _exit(info->si_errno); };
    sigaction(SIGSYS, &on_sigsys, nullptr);
    sock_fprog fprog{static_cast<unsigned short>(program.size()), const_cast<sock_filter*>(program.data())};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0) {
      _exit(101);
    }
    syscall(SYS_getpid);
    _exit(100);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

TEST(SeccompTrap, DataReachesTheSigsysHandlerAsSiErrno) {
  const seccomp::Action trap7{seccomp::ActionKind::Trap, 7};
  EXPECT_EQ(seccomp::seccomp_ret(trap7), SECCOMP_RET_TRAP | 7U);
  EXPECT_EQ(seccomp::seccomp_ret({seccomp::ActionKind::Trap, 0}), SECCOMP_RET_TRAP);

  seccomp::Filter filter;
  filter.default_action = {seccomp::ActionKind::Allow, 0};
  seccomp::Rule rule;
  rule.syscall = "getpid";
  rule.nr = SYS_getpid;
  rule.action = trap7;
  filter.rules.push_back(rule);
  Diagnostics diags;
  const std::vector<sock_filter> program = seccomp::generate_policyc(filter, diags, nullptr);
  ASSERT_FALSE(program.empty()) << testing::render(diags);
  bpf::SeccompData getpid;
  getpid.nr = SYS_getpid;
  EXPECT_EQ(bpf::run(program, getpid)->ret, SECCOMP_RET_TRAP | 7U);
  EXPECT_EQ(seccomp::ReferenceFilter(filter).verdict(getpid), SECCOMP_RET_TRAP | 7U);
  EXPECT_EQ(si_errno_of_trapped_getpid(program), 7);
}

TEST(SeccompKernelHarness, ReportsAFilterTheKernelRefuses) {
  std::vector<sock_filter> jumps_out{{BPF_JMP | BPF_JA, 0, 0, 5}};
  auto outcome = testing::run_syscall_under_filter(jumps_out, SYS_getpid);
  EXPECT_EQ(outcome.kind, testing::KernelOutcome::Kind::LoadFailed) << outcome.to_string();
  EXPECT_EQ(outcome.error, EINVAL);
}

}  // namespace
}  // namespace policyc
