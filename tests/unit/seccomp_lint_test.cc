// SPDX-License-Identifier: Apache-2.0
// The linter (compiler/lint/lint.h): each warning fires on a policy that has the problem, at the
// rule's line:column, says what to write instead, and stays silent once the policy is fixed the
// way the hint says.
#include <gtest/gtest.h>

#include "compiler/lint/lint.h"
#include "compiler/lower/lower_seccomp.h"
#include "tests/support/policy_text.h"

namespace policyc {
namespace {

// Lints `body` inside `seccomp default ACTION { ... }` (line 1); only the linter's diagnostics.
Diagnostics lint(const std::string& body, const std::string& default_action = "errno(EPERM)") {
  Diagnostics lowering;
  const std::string text = "seccomp default " + default_action + " {\n" + body + "\n}\n";
  auto block = testing::parse_seccomp(text, lowering);
  Diagnostics linted;
  if (!block) {
    ADD_FAILURE() << testing::render(lowering);
    return linted;
  }
  auto filter = seccomp::lower_seccomp(*block, lowering);
  if (!filter || lowering.has_errors()) {
    ADD_FAILURE() << testing::render(lowering);
    return linted;
  }
  lint::lint_seccomp(*block, *filter, linted);
  return linted;
}

std::vector<const Diagnostic*> warnings_with(const Diagnostics& diags, const std::string& text) {
  std::vector<const Diagnostic*> out;
  for (const auto& d : diags.all()) {
    if (d.severity == Severity::Warning && d.message.find(text) != std::string::npos) out.push_back(&d);
  }
  return out;
}

// Exactly one warning containing `text`, at line:column, whose hint contains `hint`.
void expect_warning(const Diagnostics& diags, const std::string& text, unsigned line, unsigned column,
                    const std::string& hint = "") {
  auto found = warnings_with(diags, text);
  ASSERT_EQ(found.size(), 1u) << "warnings with \"" << text << "\":\n" << testing::render(diags);
  EXPECT_EQ(found[0]->where.line, line) << testing::render(diags);
  EXPECT_EQ(found[0]->where.column, column) << testing::render(diags);
  EXPECT_NE(found[0]->hint.find(hint), std::string::npos) << "hint: " << found[0]->hint;
}

void expect_silent(const Diagnostics& diags) { EXPECT_TRUE(diags.all().empty()) << testing::render(diags); }

// ---- attack surface -------------------------------------------------------------------------

TEST(SeccompLint, AllowingPtraceWarnsAtTheRule) {
  auto diags = lint("allow read\nallow ptrace");
  expect_warning(diags, "this rule allows ptrace", 3, 7, "errno(EPERM) ptrace");
  expect_silent(lint("allow read\nkill_process ptrace"));
}

TEST(SeccompLint, AGroupIsReportedWhereItIsUsed) {
  auto diags = lint("group @debug = ptrace process_vm_readv\nallow read @debug");
  expect_warning(diags, "this rule allows ptrace", 3, 12);
  expect_warning(diags, "this rule allows process_vm_readv", 3, 12, "process_vm_readv");
}

TEST(SeccompLint, LogLetsTheCallThroughToo) {
  expect_warning(lint("log bpf"), "this rule allows bpf", 2, 5);
}

TEST(SeccompLint, EveryListedSyscallWarnsWhenAllowedAndNotWhenDenied) {
  for (const char* name : {"process_vm_writev", "mount", "umount2", "move_mount", "open_tree", "fsopen", "fsmount",
                           "fsconfig", "pivot_root", "setns", "bpf", "perf_event_open", "userfaultfd",
                           "io_uring_setup", "io_uring_enter", "io_uring_register", "keyctl", "add_key",
                           "request_key", "kexec_load", "kexec_file_load", "init_module", "finit_module",
                           "delete_module", "clone3"}) {
    SCOPED_TRACE(name);
    expect_warning(lint(std::string("allow ") + name), std::string("this rule allows ") + name, 2, 7);
    expect_silent(lint(std::string("errno(ENOSYS) ") + name));
  }
}

TEST(SeccompLint, OneWarningPerRuleAndFamily) {
  auto diags = lint("allow mount umount2 pivot_root");
  auto found = warnings_with(diags, "this rule allows");
  ASSERT_EQ(found.size(), 1u) << testing::render(diags);
  EXPECT_NE(found[0]->message.find("mount, umount2, pivot_root"), std::string::npos) << found[0]->message;
}

TEST(SeccompLint, ADefaultThatAllowsIsReportedAtTheDefault) {
  auto diags = lint("kill_process ptrace", "allow");
  expect_warning(diags, "the default action allow allows bpf", 1, 17, "errno(EPERM) bpf");
  EXPECT_TRUE(warnings_with(diags, "ptrace").empty()) << testing::render(diags);
  expect_warning(diags, "the default action allow allows ioctl TIOCSTI, TIOCLINUX", 1, 17, "TIOCSTI");
}

TEST(SeccompLint, CloneWithNamespaceFlagsWarnsAndNamesTheFlagsLetThrough) {
  auto all = lint("allow clone");
  expect_warning(all, "this rule allows clone with CLONE_NEWNS", 2, 7, "(arg0 & CLONE_NEWNS|");
  // Only some flags excluded: the others are named, the excluded ones are not.
  auto some = lint("allow clone if (arg0 & CLONE_NEWUSER|CLONE_NEWNS|CLONE_NEWNET|CLONE_NEWPID) == 0");
  auto found = warnings_with(some, "this rule allows clone");
  ASSERT_EQ(found.size(), 1u) << testing::render(some);
  EXPECT_NE(found[0]->message.find("CLONE_NEWIPC"), std::string::npos) << found[0]->message;
  EXPECT_EQ(found[0]->message.find("CLONE_NEWUSER"), std::string::npos) << found[0]->message;
  expect_silent(lint("allow clone if (arg0 & CLONE_NEWNS|CLONE_NEWCGROUP|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWUSER|"
                     "CLONE_NEWPID|CLONE_NEWNET) == 0"));
}

TEST(SeccompLint, CloneDeniedWithNamespaceFlagsFirstIsFine) {
  expect_silent(lint("errno(EPERM) clone if (arg0 & CLONE_NEWNS|CLONE_NEWCGROUP|CLONE_NEWUTS|CLONE_NEWIPC|"
                     "CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNET) != 0\nallow clone"));
}

TEST(SeccompLint, UnshareWithNamespaceFlagsWarns) {
  expect_warning(lint("allow unshare"), "this rule allows unshare with CLONE_NEWNS", 2, 7, "u32(arg0)");
  expect_silent(lint("allow unshare if (u32(arg0) & CLONE_NEWNS|CLONE_NEWCGROUP|CLONE_NEWUTS|CLONE_NEWIPC|"
                     "CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNET|CLONE_NEWTIME) == 0"));
}

TEST(SeccompLint, PersonalityBeyondTheDefaultAndTheQueryWarns) {
  expect_warning(lint("allow personality"), "this rule allows personality with flags other than PER_LINUX", 2, 7,
                 "u32(arg0) == PER_LINUX || u32(arg0) == 0xffffffff");
  expect_warning(lint("allow personality if arg0 != PER_LINUX"), "personality with flags", 2, 7);
  expect_silent(lint("allow personality if u32(arg0) == PER_LINUX || u32(arg0) == 0xffffffff"));
  expect_silent(lint("allow personality if arg0 == PER_LINUX"));
}

TEST(SeccompLint, IoctlWithoutExcludingTiocstiWarns) {
  expect_warning(lint("allow ioctl"), "this rule allows ioctl TIOCSTI, TIOCLINUX", 2, 7,
                 "errno(EPERM) ioctl if u32(arg1) == TIOCSTI || u32(arg1) == TIOCLINUX");
  expect_silent(lint("errno(EPERM) ioctl if u32(arg1) == TIOCSTI || u32(arg1) == TIOCLINUX\nallow ioctl"));
  expect_silent(lint("allow ioctl if arg1 == TCGETS"));
}

TEST(SeccompLint, A64BitTestOfTheIoctlRequestIsBypassedThroughTheHighWord) {
  // The kernel reads the request as 32 bits: 0x1_00005412 is TIOCSTI and passes `arg1 == TIOCSTI`.
  auto diags = lint("errno(EPERM) ioctl if arg1 == TIOCSTI || arg1 == TIOCLINUX\nallow ioctl");
  expect_warning(diags, "this rule allows ioctl TIOCSTI, TIOCLINUX", 3, 7);
}

// ---- rules that never decide ------------------------------------------------------------------

TEST(SeccompLint, ARuleCoveredByAnEarlierOneIsShadowed) {
  auto diags = lint("allow socket if arg0 < 10\nerrno(EACCES) socket if arg0 == 2");
  expect_warning(diags, "this rule for socket never decides: the rule at line 2 (allow) already decides", 3, 15,
                 "move it before line 2");
  expect_silent(lint("errno(EACCES) socket if arg0 == 2\nallow socket if arg0 < 10"));
}

TEST(SeccompLint, SeveralEarlierRulesCanShadowTogether) {
  auto diags = lint("allow socket if arg0 == 2\nallow socket if arg0 == 10\nallow socket if arg0 == 2 || arg0 == 10");
  expect_warning(diags, "the rules at line 2 (allow) and line 3 (allow) already decide", 4, 7,
                 "remove it: it changes nothing");
  expect_silent(lint("allow socket if arg0 == 2\nallow socket if arg0 == 10\nallow socket if arg0 == 2 || arg0 == 11"));
}

TEST(SeccompLint, DuplicateRulesAreNamedAsSuch) {
  auto diags = lint("allow socket if arg0 == AF_INET\nallow read\nallow socket if arg0 == AF_INET");
  expect_warning(diags, "this rule for socket duplicates the rule at line 2", 4, 7, "remove one");
  expect_silent(lint("allow socket if arg0 == AF_INET\nallow socket if arg0 == AF_INET6"));
}

TEST(SeccompLint, AConditionThatNeverHoldsIsReported) {
  expect_warning(lint("allow socket if arg0 < 0"), "can never hold", 2, 7, "unsigned");
  expect_silent(lint("allow socket if arg0 <= 0"));
}

TEST(SeccompLint, OneWrittenRuleWithOrDoesNotShadowItself) {
  expect_silent(lint("allow socket if arg0 == 2 || arg0 < 10"));
}

TEST(SeccompLint, RulesAfterAnUnconditionalOneAreLeftToTheLowering) {
  expect_silent(lint("allow read\nallow read if arg0 == 1"));
}

TEST(SeccompLint, OneWarningForAWrittenRuleOverSeveralSyscalls) {
  auto diags = lint("allow read write if arg0 == 1\nallow read write if arg0 == 1");
  expect_warning(diags, "this rule for read, write duplicates", 3, 7);
}

// ---- arches -----------------------------------------------------------------------------------

TEST(SeccompLint, ThirtyTwoBitArchesNeedAReasonOnTheirLine) {
  auto diags = lint("arch x86_64 x86 x32\nallow read");
  expect_warning(diags, "arch x86 lets 32-bit", 2, 13, "comment on this line");
  expect_warning(diags, "arch x32 lets x32-ABI calls", 2, 17);
  expect_silent(lint("arch x86_64 x86 x32   # the game is a 32-bit binary\nallow read"));
  // A comment on another line is no reason for this one.
  expect_warning(lint("# 32-bit\narch x86_64 x86\nallow read"), "arch x86 lets", 3, 13);
  expect_silent(lint("arch x86_64\nallow read"));
}

}  // namespace
}  // namespace policyc
