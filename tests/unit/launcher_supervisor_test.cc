// SPDX-License-Identifier: Apache-2.0
// The supervisor's pure parts: the filter copy that notifies instead of denying, the names and
// arguments a report shows, and the counting of repeats.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <cstdio>
#include <map>

#include "launcher/supervisor/call_format.h"
#include "launcher/supervisor/denial_log.h"
#include "launcher/supervisor/learn.h"
#include "launcher/supervisor/notify_filter.h"
#include "launcher/supervisor/syscall_names.h"
#include "plan/bpf_interp.h"

namespace launcher {
namespace {

// nr 0 allow, 1 errno(EPERM), 2 kill_process, 3 kill_thread, 4 trap, 5 trace, 6 notify, else log.
std::vector<sock_filter> sample_program() {
  std::vector<sock_filter> p = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0)};
  const std::uint32_t rets[] = {SECCOMP_RET_ALLOW,       SECCOMP_RET_ERRNO | 1, SECCOMP_RET_KILL_PROCESS,
                                SECCOMP_RET_KILL_THREAD, SECCOMP_RET_TRAP,      SECCOMP_RET_TRACE | 7,
                                SECCOMP_RET_USER_NOTIF};
  for (std::uint32_t nr = 0; nr < 7; ++nr) {
    p.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1));
    p.push_back(BPF_STMT(BPF_RET | BPF_K, rets[nr]));
  }
  p.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_LOG));
  return p;
}

std::map<int, std::uint32_t> verdicts(const std::vector<std::uint8_t>& bpf) {
  std::map<int, std::uint32_t> out;
  const auto program = plan::bpf::decode(bpf);
  for (int nr = 0; nr < 8; ++nr) {
    plan::bpf::SeccompData data;
    data.nr = nr;
    out[nr] = plan::bpf::run(program, data)->ret;
  }
  return out;
}

TEST(LauncherSupervisor, DenialsNotifyWhereTheFilterDeniedAndAllowStaysAllow) {
  const auto bpf = plan::bpf::encode(sample_program());
  const auto copy = notifying_copy(bpf, Watch::Denials);
  ASSERT_TRUE(copy);
  const std::map<int, std::uint32_t> expected = {
      {0, SECCOMP_RET_ALLOW}, {1, SECCOMP_RET_USER_NOTIF}, {2, SECCOMP_RET_USER_NOTIF}, {3, SECCOMP_RET_USER_NOTIF},
      {4, SECCOMP_RET_TRAP},  {5, SECCOMP_RET_TRACE | 7},  {6, SECCOMP_RET_USER_NOTIF}, {7, SECCOMP_RET_USER_NOTIF}};
  EXPECT_EQ(verdicts(*copy), expected);
  EXPECT_EQ(copy->size(), bpf.size());  // same shape: jumps and the kernel's cache see the same program
}

TEST(LauncherSupervisor, KillsOnlyLeavesErrnoAndLogAlone) {
  const auto copy = notifying_copy(plan::bpf::encode(sample_program()), Watch::Kills);
  ASSERT_TRUE(copy);
  const auto v = verdicts(*copy);
  EXPECT_EQ(v.at(1), SECCOMP_RET_ERRNO | 1);
  EXPECT_EQ(v.at(2), SECCOMP_RET_USER_NOTIF);
  EXPECT_EQ(v.at(3), SECCOMP_RET_USER_NOTIF);
  EXPECT_EQ(v.at(7), SECCOMP_RET_LOG);
}

TEST(LauncherSupervisor, LearningNotifiesEveryVerdictButAllow) {
  const auto v = verdicts(*notifying_copy(plan::bpf::encode(sample_program()), Watch::All));
  EXPECT_EQ(v.at(0), SECCOMP_RET_ALLOW);
  for (int nr = 1; nr < 8; ++nr) EXPECT_EQ(v.at(nr), SECCOMP_RET_USER_NOTIF) << nr;
}

TEST(LauncherSupervisor, AComputedReturnCannotBeRewritten) {
  std::vector<sock_filter> p = {BPF_STMT(BPF_LD | BPF_IMM, SECCOMP_RET_ALLOW), BPF_STMT(BPF_RET | BPF_A, 0)};
  EXPECT_FALSE(notifying_copy(plan::bpf::encode(p), Watch::Denials));
  EXPECT_TRUE(returns_watched_verdict(plan::bpf::encode(p), Watch::Denials));
}

TEST(LauncherSupervisor, AnAllowOnlyFilterNeedsNoSupervisor) {
  std::vector<sock_filter> p = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
  EXPECT_FALSE(returns_watched_verdict(plan::bpf::encode(p), Watch::All));
  std::vector<sock_filter> errno_only = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1)};
  EXPECT_FALSE(returns_watched_verdict(plan::bpf::encode(errno_only), Watch::Kills));
  EXPECT_TRUE(returns_watched_verdict(plan::bpf::encode(errno_only), Watch::Denials));
}

TEST(LauncherSupervisor, SyscallNamesComeFromTheKernelHeader) {
  EXPECT_STREQ(syscall_name(0), "read");
  EXPECT_STREQ(syscall_name(SYS_openat), "openat");
  EXPECT_STREQ(syscall_name(SYS_clone3), "clone3");
  EXPECT_EQ(syscall_name(100000), nullptr);
  EXPECT_EQ(syscall_number("openat"), SYS_openat);
  EXPECT_EQ(syscall_number("no_such_call"), std::nullopt);
}

StringReader reader(std::map<std::uint64_t, std::string> memory) {
  return [memory](std::uint64_t address) -> std::optional<std::string> {
    auto it = memory.find(address);
    return it == memory.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

TEST(LauncherSupervisor, CallsShowNamesFlagsAndStrings) {
  const auto mem = reader({{0x1000, "/dev/null"}, {0x2000, "a\"b\n"}});
  EXPECT_EQ(format_call(SYS_openat, {static_cast<std::uint64_t>(AT_FDCWD), 0x1000, O_RDONLY | O_CLOEXEC}, mem),
            "openat(AT_FDCWD, \"/dev/null\", O_RDONLY|O_CLOEXEC)");
  EXPECT_EQ(format_call(SYS_openat, {3, 0x2000, O_WRONLY | O_CREAT | O_TRUNC, 0644}, mem),
            "openat(3, \"a\\\"b\\n\", O_WRONLY|O_CREAT|O_TRUNC, 0644)");
  EXPECT_EQ(format_call(SYS_openat, {3, 0x3000, O_RDONLY}, mem), "openat(3, 0x3000, O_RDONLY)");  // unreadable
  EXPECT_EQ(format_call(SYS_socket, {AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0}, mem),
            "socket(AF_INET6, SOCK_STREAM|SOCK_CLOEXEC, 0)");
  EXPECT_EQ(format_call(SYS_ioctl, {0, TIOCSTI, 0x7fff0000}, mem), "ioctl(0, TIOCSTI, 0x7fff0000)");
  EXPECT_EQ(format_call(SYS_prctl, {PR_SET_NO_NEW_PRIVS, 1}, mem), "prctl(PR_SET_NO_NEW_PRIVS, 0x1, 0, 0, 0)");
  EXPECT_EQ(format_call(SYS_mprotect, {0x7000, 4096, PROT_READ | PROT_EXEC}, mem),
            "mprotect(0x7000, 4096, PROT_READ|PROT_EXEC)");
  EXPECT_EQ(format_call(SYS_unshare, {CLONE_NEWUSER | CLONE_NEWNS}, mem), "unshare(CLONE_NEWNS|CLONE_NEWUSER)");
  EXPECT_EQ(format_call(100000, {1, 0, 0x20}, mem), "syscall_100000(0x1, 0, 0x20)");
  EXPECT_EQ(format_call(SYS_getpid, {}, mem), "getpid()");
}

TEST(LauncherSupervisor, FlagTextsNameWhatTheyKnowAndKeepTheRest) {
  EXPECT_EQ(clone_flags_text(CLONE_VM | CLONE_FS | 17), "CLONE_VM|CLONE_FS|SIGCHLD");
  EXPECT_EQ(socket_family_text(AF_NETLINK), "AF_NETLINK");
  EXPECT_EQ(socket_family_text(1234), "1234");
  EXPECT_EQ(socket_type_text(SOCK_DGRAM | 0x100000), "SOCK_DGRAM|0x100000");
  EXPECT_EQ(prot_text(0), "PROT_NONE");
  EXPECT_EQ(prctl_option_text(9999), "9999");
  EXPECT_EQ(ioctl_request_text(0xdead), "0xdead");
  EXPECT_EQ(open_flags_text(O_RDWR | 0x40000000), "O_RDWR|0x40000000");
  EXPECT_EQ(errno_text(1), "EPERM");
  EXPECT_EQ(quoted_c_string(std::string(300, 'x')), "\"" + std::string(256, 'x') + "\"...");
}

Denial sample_denial(const std::string& syscall, bool kill = false) {
  Denial d;
  d.nr = 257;
  d.syscall = syscall;
  d.call = syscall + "(AT_FDCWD, \"/x\", O_RDONLY)";
  d.verdict = kill ? "kill_process" : "EPERM";
  d.rule = "app.pol:3: default errno(EPERM)";
  d.pid = 7;
  d.program = "/usr/bin/app";
  d.kill = kill;
  return d;
}

std::string captured(const std::function<void(std::FILE*)>& write) {
  std::FILE* f = std::tmpfile();
  write(f);
  std::rewind(f);
  std::string text;
  char buffer[512];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, f)) text.append(buffer, n);
  std::fclose(f);
  return text;
}

TEST(LauncherSupervisor, TheReportLineSaysCallVerdictCallerAndRule) {
  EXPECT_EQ(DenialLog::text_line(sample_denial("openat")),
            "plan-exec: denied openat(AT_FDCWD, \"/x\", O_RDONLY) = EPERM  pid 7 /usr/bin/app  "
            "[app.pol:3: default errno(EPERM)]");
  EXPECT_EQ(DenialLog::json_line(sample_denial("openat")),
            "{\"denied\":\"openat\",\"nr\":257,\"call\":\"openat(AT_FDCWD, \\\"/x\\\", O_RDONLY)\",\"verdict\":\"EPERM\","
            "\"pid\":7,\"program\":\"/usr/bin/app\",\"rule\":\"app.pol:3: default errno(EPERM)\"}");
}

TEST(LauncherSupervisor, RepeatsAreCountedOnceAndSummarised) {
  const std::string text = captured([](std::FILE* f) {
    DenialLog log(f, DenialFormat::Text, true);
    for (int i = 0; i < 3; ++i) log.record(sample_denial("openat"));
    log.record(sample_denial("socket"));
    log.print_summary();
  });
  EXPECT_EQ(text,
            "plan-exec: denied openat(AT_FDCWD, \"/x\", O_RDONLY) = EPERM  pid 7 /usr/bin/app  [app.pol:3: default errno(EPERM)]\n"
            "plan-exec: denied socket(AT_FDCWD, \"/x\", O_RDONLY) = EPERM  pid 7 /usr/bin/app  [app.pol:3: default errno(EPERM)]\n"
            "plan-exec: 4 calls denied (2 different):\n"
            "plan-exec:        3  openat = EPERM  [app.pol:3: default errno(EPERM)]\n"
            "plan-exec:        1  socket = EPERM  [app.pol:3: default errno(EPERM)]\n");
}

TEST(LauncherSupervisor, WhenOnlyKillsAreWatchedOnlyKillsArePrinted) {
  const std::string text = captured([](std::FILE* f) {
    DenialLog log(f, DenialFormat::Text, false);
    log.record(sample_denial("openat"));
    log.record(sample_denial("socket", true));
    log.print_summary();
  });
  EXPECT_EQ(text, DenialLog::text_line(sample_denial("socket", true)) + "\n");
}

const char* kPolicy =
    "container app {\n"
    "  seccomp default errno(EPERM) {\n"
    "    allow read\n"
    "  }\n"
    "}\n";

TEST(LauncherLearn, LinesGoIntoOneMarkedBlockBeforeTheClosingBrace) {
  const std::string once = add_learned_lines(kPolicy, 4, 3, {"allow openat  # 2 calls, first: openat(...)"});
  EXPECT_EQ(once,
            "container app {\n"
            "  seccomp default errno(EPERM) {\n"
            "    allow read\n"
            "    # learned by plan-exec --learn (1 run); review before trusting it\n"
            "    allow openat  # 2 calls, first: openat(...)\n"
            "    # end of learned lines\n"
            "  }\n"
            "}\n");
  // The plan compiled from `once` has its brace three lines further down.
  const std::string twice = add_learned_lines(once, 7, 3, {"allow socket if u32(arg0) == 2  # AF_INET: 1 call"});
  EXPECT_EQ(twice,
            "container app {\n"
            "  seccomp default errno(EPERM) {\n"
            "    allow read\n"
            "    # learned by plan-exec --learn (2 runs); review before trusting it\n"
            "    allow openat  # 2 calls, first: openat(...)\n"
            "    allow socket if u32(arg0) == 2  # AF_INET: 1 call\n"
            "    # end of learned lines\n"
            "  }\n"
            "}\n");
}

TEST(LauncherLearn, ABraceAfterARuleMovesToALineOfItsOwn) {
  EXPECT_EQ(add_learned_lines("seccomp default errno(EPERM) { allow read }\n", 1, 43, {"allow write"}),
            "seccomp default errno(EPERM) { allow read \n"
            "  # learned by plan-exec --learn (1 run); review before trusting it\n"
            "  allow write\n"
            "  # end of learned lines\n"
            "}\n");
}

TEST(LauncherLearn, AFileThatChangedSinceCompilingIsRefused) {
  EXPECT_THROW(add_learned_lines(kPolicy, 3, 3, {"allow write"}), std::runtime_error);
  EXPECT_THROW(add_learned_lines(kPolicy, 9, 1, {"allow write"}), std::runtime_error);
}

}  // namespace
}  // namespace launcher
