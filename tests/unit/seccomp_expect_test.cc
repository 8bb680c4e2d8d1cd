// SPDX-License-Identifier: Apache-2.0
// `expect` lines (compiler/expect/check_expect.h) through the whole compiler: they pass when the
// compiled filter gives the verdict for every call they describe, on every arch the filter
// serves; a failure is an error at the line with the arch, the call, the verdict and the rule
// that decided; bad lines are errors at the word; and they never change the filter.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "compiler/driver/compile.h"
#include "tests/support/policy_text.h"

namespace policyc {
namespace {

namespace fs = std::filesystem;

struct Compiled {
  Diagnostics diags;
  std::optional<CompileResult> result;
};

// Compiles `seccomp default errno(EPERM) { BODY }` (line 1) from a file test.pol.
std::unique_ptr<Compiled> compile(const std::string& body, const std::string& default_action = "errno(EPERM)") {
  const fs::path dir = fs::path(TEST_SCRATCH_DIR) / ("expect_" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "test.pol") << "seccomp default " << default_action << " {\n" << body << "\n}\n";
  const fs::path previous = fs::current_path();
  fs::current_path(dir);
  auto out = std::make_unique<Compiled>();
  CompileOptions options;
  options.lint = false;
  out->result = compile_policy("test.pol", options, out->diags);
  fs::current_path(previous);
  fs::remove_all(dir);
  return out;
}

// The single error; fails the test otherwise.
const Diagnostic* the_error(const Compiled& c) {
  const Diagnostic* found = nullptr;
  int count = 0;
  for (const auto& d : c.diags.all()) {
    if (d.severity == Severity::Error) {
      found = &d;
      ++count;
    }
  }
  EXPECT_EQ(count, 1) << testing::render(c.diags);
  return found;
}

void expect_passes(const std::string& body, const std::string& default_action = "errno(EPERM)") {
  auto c = compile(body, default_action);
  EXPECT_TRUE(c->result.has_value()) << testing::render(c->diags);
}

// One error at `line` whose message contains each of `parts`.
void expect_fails(const std::string& body, unsigned line, const std::vector<std::string>& parts,
                  const std::string& hint = "") {
  auto c = compile(body);
  EXPECT_FALSE(c->result.has_value());
  const Diagnostic* e = the_error(*c);
  if (!e) return;
  EXPECT_EQ(e->where.line, line) << e->message;
  for (const auto& part : parts) EXPECT_NE(e->message.find(part), std::string::npos) << "no \"" << part << "\" in: " << e->message;
  EXPECT_NE(e->hint.find(hint), std::string::npos) << "hint: " << e->hint;
}

TEST(SeccompExpect, PassingExpectationsCompile) {
  expect_passes("allow read\nkill_process ptrace\nallow socket if arg0 == AF_INET || arg0 == AF_INET6\n"
                "expect allow read\nexpect kill_process ptrace\nexpect kill ptrace\n"
                "expect allow socket(AF_INET, ...)\nexpect errno(EPERM) socket(AF_NETLINK, ...)\n"
                "expect errno(EPERM) write\nexpect errno(1) openat(-100, 0, O_RDONLY|O_CLOEXEC)");
}

TEST(SeccompExpect, AFailureNamesTheArchTheCallTheVerdictAndTheDefault) {
  expect_fails("allow socket if arg0 == AF_INET\nexpect allow socket(AF_NETLINK, ...)", 3,
               {"expect allow socket fails on x86_64", "socket(16, ...)", "gets errno(EPERM)",
                "from the default action at test.pol:1:17"},
               "no rule for socket holds");
}

TEST(SeccompExpect, AFailureNamesTheDecidingRule) {
  expect_fails("errno(EACCES) socket if arg0 == AF_NETLINK\nallow socket\nexpect allow socket(AF_NETLINK)", 4,
               {"gets errno(EACCES)", "from the rule at test.pol:2:15 (errno(EACCES) socket)"}, "before line 2");
}

TEST(SeccompExpect, FreeArgumentsMustGiveTheVerdictForEveryValue) {
  // arg1 is free: SOCK_DGRAM sockets are refused, so "every AF_INET socket is allowed" is false.
  expect_fails("allow socket if arg0 == AF_INET && arg1 == SOCK_STREAM\nexpect allow socket(AF_INET, ...)", 3,
               {"socket(2, 0, ...)", "gets errno(EPERM)"});
  expect_passes("allow socket if arg0 == AF_INET && arg1 == SOCK_STREAM\nexpect allow socket(AF_INET, SOCK_STREAM)");
}

TEST(SeccompExpect, WrittenValuesAreTakenWhole) {
  // The kernel reads ioctl's request as 32 bits: 0x1_00005412 is TIOCSTI. A 64-bit test lets it
  // through, u32() does not.
  expect_fails("errno(EPERM) ioctl if arg1 == TIOCSTI\nallow ioctl\nexpect errno(EPERM) ioctl(0, 0x100005412)", 4,
               {"ioctl(0, 0x100005412, ...)", "gets allow", "test.pol:3:7 (allow ioctl)"});
  expect_passes("errno(EPERM) ioctl if u32(arg1) == TIOCSTI\nallow ioctl\nexpect errno(EPERM) ioctl(0, 0x100005412)\n"
                "expect errno(EPERM) ioctl(1, TIOCSTI, ...)\nexpect allow ioctl(1, TCGETS)");
  expect_fails("errno(EPERM) ioctl if u32(arg1) == TIOCSTI\nallow ioctl\nexpect errno(EPERM) ioctl", 4,
               {"ioctl(0, 0, ...)", "gets allow"});
}

TEST(SeccompExpect, KillMeansEitherKillAction) {
  expect_passes("kill_thread ptrace\nexpect kill ptrace");
  expect_fails("kill_thread ptrace\nexpect kill_process ptrace", 3, {"gets kill_thread"});
  expect_fails("errno(EPERM) ptrace\nexpect kill ptrace", 3, {"expect kill ptrace fails", "gets errno(EPERM)"});
}

TEST(SeccompExpect, EveryArchTheFilterServesIsChecked) {
  // On x86, socket() also arrives through socketcall(SYS_SOCKET, args): its family is in memory,
  // so the rule for socket lets AF_NETLINK through there.
  expect_fails("arch x86_64 x86  # 32-bit tools\nallow socket if arg0 == AF_INET\n"
               "expect errno(EPERM) socket(AF_NETLINK, ...)",
               4, {"fails on x86: socketcall(1, ...)", "gets allow"});
  expect_passes("arch x86_64 x32  # x32 tools\nallow read\nexpect allow read\nexpect errno(EPERM) write");
  // A call that exists on x86 only is checked there.
  expect_passes("arch x86_64 x86  # 32-bit tools\nallow socketcall\nexpect allow socketcall");
}

TEST(SeccompExpect, TheDefaultAllowCanBeTestedToo) {
  expect_passes("kill_process ptrace\nexpect allow read\nexpect kill_process ptrace", "allow");
}

TEST(SeccompExpect, ExpectLinesDoNotChangeTheFilter) {
  auto plain = compile("allow read\nallow socket if arg0 == AF_INET");
  auto tested = compile("allow read\nallow socket if arg0 == AF_INET\nexpect allow read\nexpect allow socket(2)");
  ASSERT_TRUE(plain->result && tested->result) << testing::render(plain->diags) << testing::render(tested->diags);
  EXPECT_EQ(plain->result->plan.seccomp->bpf, tested->result->plan.seccomp->bpf);
  EXPECT_EQ(*plain->result->filter, *tested->result->filter);
}

TEST(SeccompExpect, BadLinesAreErrorsAtTheWord) {
  auto verdict = compile("allow read\nexpect kil read");
  ASSERT_NE(the_error(*verdict), nullptr);
  EXPECT_NE(the_error(*verdict)->message.find("unknown verdict \"kil\""), std::string::npos);
  EXPECT_EQ(the_error(*verdict)->where.column, 8u);
  EXPECT_NE(the_error(*verdict)->hint.find("\"kill\""), std::string::npos);

  auto name = compile("allow read\nexpect allow raed");
  ASSERT_NE(the_error(*name), nullptr);
  EXPECT_NE(the_error(*name)->message.find("unknown syscall \"raed\" in expect"), std::string::npos);

  auto group = compile("group @io = read\nallow @io\nexpect allow @io");
  ASSERT_NE(the_error(*group), nullptr);
  EXPECT_NE(the_error(*group)->message.find("not a group"), std::string::npos);

  auto constant = compile("allow socket\nexpect allow socket(AF_NETLNK)");
  ASSERT_NE(the_error(*constant), nullptr);
  EXPECT_NE(the_error(*constant)->message.find("unknown constant \"AF_NETLNK\""), std::string::npos);

  auto seven = compile("allow read\nexpect allow read(1, 2, 3, 4, 5, 6, 7)");
  ASSERT_NE(the_error(*seven), nullptr);
  EXPECT_NE(the_error(*seven)->message.find("seventh"), std::string::npos);

  auto errno_name = compile("allow read\nexpect errno(EPRM) write");
  ASSERT_NE(the_error(*errno_name), nullptr);
  EXPECT_NE(the_error(*errno_name)->message.find("unknown errno name \"EPRM\""), std::string::npos);

  auto syntax = compile("allow read\nexpect allow read(1 2)");
  EXPECT_FALSE(syntax->result.has_value());
  EXPECT_TRUE(syntax->diags.has_errors());
}

}  // namespace
}  // namespace policyc
