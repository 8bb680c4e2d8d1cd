// SPDX-License-Identifier: Apache-2.0
// Denial reports end to end, as root: a policy compiled by policyc, the command run by plan-exec
// with reports on and off. The verdict never changes (same output, same exit status); the report
// names the call with its arguments, the verdict, the caller and the policy line that decided.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/plan_exec_runner.h"
#include "tests/support/rootfs.h"
#include "tests/support/rootfs_suite.h"

using namespace testsupport;

namespace {

// Line numbers below are asserted in the reports: keep them in step with this text.
const char* kPolicy =
    "container denials {\n"                                                   // 1
    "  rootfs \"@ROOTFS@\"\n"                                                 // 2
    "  namespaces mount pid ipc uts\n"                                        // 3
    "  command \"/home/denied\" \"hello\"\n"                                  // 4
    "  seccomp default errno(EPERM) {\n"                                      // 5
    "    allow execve brk arch_prctl set_tid_address set_robust_list rseq\n"  // 6
    "    allow prlimit64 readlink getrandom mprotect mmap munmap madvise\n"   // 7
    "    allow write exit exit_group futex clone clone3 close newfstatat\n"   // 8
    "    allow rt_sigaction rt_sigprocmask rt_sigreturn fstat\n"              // 9
    "    kill_process socket if arg0 == AF_NETLINK\n"                         // 10
    "    kill_thread getpriority\n"                                           // 11
    "  }\n"                                                                   // 12
    "}\n";

class LauncherDenials : public RootfsSuite<LauncherDenials> {
 public:
  static constexpr const char* kScratch = "launcher-denials";

 protected:
  static void SetUpTestSuite() {
    RootfsSuite::SetUpTestSuite();
    if (!scratch_) return;
    std::string text = kPolicy;
    text.replace(text.find("@ROOTFS@"), 8, rootfs());
    write_text(policy(), text);
    const ProcessResult compiled = run_process({POLICYC_BIN, policy(), "-o", plan()});
    if (compiled.exit_code != 0) throw std::runtime_error("policyc failed: " + compiled.summary());
  }
  static std::string policy() { return scratch_->path() + "/denials.pol"; }
  static std::string plan() { return scratch_->path() + "/denials.plan"; }

  static ProcessResult run(const std::string& denials, std::vector<std::string> command, bool init = false) {
    std::vector<std::string> args;
    if (!denials.empty()) args.push_back("--denials=" + denials);
    args.push_back(init ? "--init" : "--no-init");  // the command as pid 1, or pid 2 under plan-exec's init
    args.push_back(plan());
    args.push_back("--");
    args.push_back("/home/denied");
    args.insert(args.end(), command.begin(), command.end());
    return run_plan_exec(args);
  }
  static bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }
  static std::string at_line(int line) { return policy() + ":" + std::to_string(line) + ": "; }
};

TEST_F(LauncherDenials, ErrnoDefaultGivesTheSameResultAndNamesCallArgumentsAndLine) {
  const ProcessResult off = run("off", {"open", "/etc/hostname"});
  const ProcessResult on = run("stderr", {"open", "/etc/hostname"});
  ASSERT_EQ(off.exit_code, 0) << off.summary();
  EXPECT_EQ(on.exit_code, 0) << on.summary();
  EXPECT_EQ(probe_value(off.out, "open"), "-1 errno=1") << off.summary();
  EXPECT_EQ(on.out, off.out);
  EXPECT_FALSE(has(off.err, "denied")) << off.err;
  EXPECT_TRUE(has(on.err, "plan-exec: denied openat(AT_FDCWD, \"/etc/hostname\", O_RDONLY|O_CLOEXEC) = EPERM  pid 1 "
                          "/home/denied  [" + at_line(5) + "default errno(EPERM)]"))
      << on.err;
}

TEST_F(LauncherDenials, ANumberNewerThanTheTableGetsEnosysAndTheReportSaysWhy) {
  const std::string plan_text = read_text(plan());
  const std::size_t at = plan_text.find("\"unknown_from\": ");
  ASSERT_NE(at, std::string::npos) << "an errno(EPERM) default gives numbers newer than the table ENOSYS";
  const long first = std::stol(plan_text.substr(at + 16));
  for (const long nr : {first, first + 40}) {
    const ProcessResult off = run("off", {"nr", std::to_string(nr)});
    const ProcessResult on = run("stderr", {"nr", std::to_string(nr)});
    EXPECT_EQ(probe_value(off.out, "nr"), "-1 errno=38") << "ENOSYS, not the default EPERM\n" << off.summary();
    EXPECT_EQ(on.out, off.out);
    EXPECT_TRUE(has(on.err, "plan-exec: denied syscall_" + std::to_string(nr) + "() = ENOSYS  pid 1 /home/denied  [" +
                                at_line(5) + "syscall " + std::to_string(nr) +
                                " is newer than policyc's syscall table (x86_64 ends at " + std::to_string(first - 1) +
                                "): errno(ENOSYS), not the default errno(EPERM)]"))
        << on.err;
  }
  const ProcessResult known = run("stderr", {"nr", std::to_string(first - 1)});
  EXPECT_EQ(probe_value(known.out, "nr"), "-1 errno=1") << "the newest known number gets the default\n" << known.summary();
  EXPECT_TRUE(has(known.err, "  [" + at_line(5) + "default errno(EPERM)]")) << known.err;
}

TEST_F(LauncherDenials, KillProcessKillsAsBeforeAndIsReportedEvenWhenOff) {
  for (const char* mode : {"off", "stderr"}) {
    const ProcessResult r = run(mode, {"hello", "netlink", "hello"});
    EXPECT_EQ(r.exit_code, 128 + 31) << mode << "\n" << r.summary();
    EXPECT_EQ(r.out, "hello=1\n") << mode;
    EXPECT_TRUE(has(r.err, "plan-exec: denied socket(AF_NETLINK, SOCK_RAW, 0) = kill_process  pid 1 /home/denied  [" +
                               at_line(10) + "kill_process socket if arg0 == 16]"))
        << mode << "\n" << r.err;
  }
}

TEST_F(LauncherDenials, KillThreadKillsAsBeforeAndIsReported) {
  for (const char* mode : {"off", "stderr"}) {
    const ProcessResult r = run(mode, {"getpriority", "hello"});
    EXPECT_EQ(r.exit_code, 128 + 31) << mode << "\n" << r.summary();
    EXPECT_EQ(r.out, "") << mode;
    EXPECT_TRUE(has(r.err, "denied getpriority(") && has(r.err, "= kill_thread") &&
                has(r.err, "[" + at_line(11) + "kill_thread getpriority]"))
        << mode << "\n" << r.err;
  }
}

TEST_F(LauncherDenials, AProgramThatCatchesSigsysIsStillKilled) {
  const ProcessResult r = run("stderr", {"catch-sigsys", "netlink", "hello"});
  EXPECT_EQ(r.exit_code, 128 + 31) << r.summary();  // SIGKILL underneath, reported as the kernel's SIGSYS
  EXPECT_EQ(r.out, "catch-sigsys=1\n");
  EXPECT_TRUE(has(r.err, "denied socket(AF_NETLINK")) << r.err;
}

TEST_F(LauncherDenials, RepeatsAreCountedNotRepeatedAndSummarised) {
  const ProcessResult r = run("stderr", {"repeat", "5", "/etc/hostname"});
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_EQ(probe_value(r.out, "repeat"), "5");
  std::size_t lines = 0;
  for (std::size_t at = 0; (at = r.err.find("denied openat(", at)) != std::string::npos; ++at) ++lines;
  EXPECT_EQ(lines, 1u) << r.err;
  EXPECT_TRUE(has(r.err, "plan-exec: 5 calls denied (1 different):")) << r.err;
  EXPECT_TRUE(has(r.err, "5  openat = EPERM  [" + at_line(5) + "default errno(EPERM)]")) << r.err;
}

TEST_F(LauncherDenials, AnAllowedOnlyProgramProducesNoReport) {
  const ProcessResult r = run("stderr", {"hello"});
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_EQ(r.out, "hello=1\n");
  EXPECT_EQ(r.err, "");
}

TEST_F(LauncherDenials, JsonLinesCarryTheSameFacts) {
  const ProcessResult r = run("json", {"open", "/etc/hostname", "open", "/etc/hostname"});
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  std::vector<nlohmann::json> lines;
  std::size_t start = 0;
  for (std::size_t end; (end = r.err.find('\n', start)) != std::string::npos; start = end + 1) {
    lines.push_back(nlohmann::json::parse(r.err.substr(start, end - start)));
  }
  ASSERT_EQ(lines.size(), 2u) << r.err;
  EXPECT_EQ(lines[0]["denied"], "openat");
  EXPECT_EQ(lines[0]["nr"], 257);
  EXPECT_EQ(lines[0]["call"], "openat(AT_FDCWD, \"/etc/hostname\", O_RDONLY|O_CLOEXEC)");
  EXPECT_EQ(lines[0]["verdict"], "EPERM");
  EXPECT_EQ(lines[0]["rule"], at_line(5) + "default errno(EPERM)");
  EXPECT_EQ(lines[1]["total"], 2);
  EXPECT_EQ(lines[1]["summary"][0]["count"], 2);
}

TEST_F(LauncherDenials, ReportsToAFileLeaveStderrAlone) {
  const std::string file = scratch_->path() + "/report.txt";
  const ProcessResult r = run(file, {"open", "/etc/hostname"});
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_EQ(r.err, "");
  EXPECT_TRUE(has(read_text(file), "plan-exec: denied openat(AT_FDCWD, \"/etc/hostname\"")) << read_text(file);
}

TEST_F(LauncherDenials, UnderInitTheCommandIsSupervisedToo) {
  const ProcessResult r = run("stderr", {"open", "/etc/hostname"}, true);
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_EQ(probe_value(r.out, "open"), "-1 errno=1");
  EXPECT_TRUE(has(r.err, "denied openat(AT_FDCWD, \"/etc/hostname\", O_RDONLY|O_CLOEXEC) = EPERM  pid 2 /home/denied"))
      << r.err;
}

TEST_F(LauncherDenials, DryRunShowsTheSupervisor) {
  const ProcessResult r = run_plan_exec({"--dry-run", "--denials=stderr", plan()});
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_TRUE(has(r.out, "supervisor") && has(r.out, "denied calls reported to stderr")) << r.out;
}

}  // namespace
