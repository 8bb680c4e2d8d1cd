// SPDX-License-Identifier: Apache-2.0
// seccomp lowering: the IR it produces (groups, numbers, DNF, widths, actions, arches) and
// every error and warning of the seccomp block, with its text and source location.
#include <gtest/gtest.h>
#include <seccomp.h>
#include <sys/socket.h>
#include <sched.h>
#include <fcntl.h>

#include <cstdio>
#include <random>

#include "compiler/lower/lower_seccomp.h"
#include "compiler/seccomp/constants.h"
#include "tests/support/policy_text.h"

namespace policyc {
namespace {

using seccomp::ActionKind;
using seccomp::ArgCondition;
using seccomp::CmpOp;

using testing::lower_block;

// The one diagnostic whose message contains `text`; fails the test if there is not exactly one.
const Diagnostic* find(const Diagnostics& diags, const std::string& text) {
  const Diagnostic* found = nullptr;
  int count = 0;
  for (const auto& d : diags.all()) {
    if (d.message.find(text) != std::string::npos) {
      found = &d;
      ++count;
    }
  }
  EXPECT_EQ(count, 1) << "diagnostics containing \"" << text << "\":\n" << testing::render(diags);
  return found;
}

// Expects one diagnostic containing `text` at line:column (line 1 is `seccomp default ...`).
void expect_diag(const Diagnostics& diags, Severity severity, const std::string& text, unsigned line,
                 unsigned column, const std::string& hint = "") {
  const Diagnostic* d = find(diags, text);
  if (!d) return;
  EXPECT_EQ(d->severity, severity) << d->message;
  EXPECT_EQ(d->where.file, "test.pol");
  EXPECT_EQ(d->where.line, line) << d->message;
  EXPECT_EQ(d->where.column, column) << d->message;
  EXPECT_NE(d->hint.find(hint), std::string::npos) << "hint: " << d->hint;
}

int nr_of(const char* name) { return seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, name); }

// ---- the IR -------------------------------------------------------------------------------

TEST(SeccompLower, NamesAndGroupsBecomeRulesWithLibseccompNumbers) {
  auto l = lower_block("group @io = read write\n group @all = @io close\n allow @all getpid");
  ASSERT_TRUE(l->filter) << testing::render(l->diags);
  std::vector<std::pair<std::string, int>> got;
  for (const auto& r : l->filter->rules) got.emplace_back(r.syscall, r.nr);
  std::vector<std::pair<std::string, int>> want = {
      {"read", nr_of("read")}, {"write", nr_of("write")}, {"close", nr_of("close")}, {"getpid", nr_of("getpid")}};
  EXPECT_EQ(got, want);
  EXPECT_EQ(l->filter->default_action, (seccomp::Action{ActionKind::Errno, EPERM}));
  EXPECT_EQ(l->filter->arches, std::vector<std::string>{"x86_64"});
  EXPECT_EQ(l->filter->bad_arch_action.kind, ActionKind::KillProcess);
}

TEST(SeccompLower, ActionsResolve) {
  auto l = lower_block("allow read\n errno(ENOSYS) clone3\n errno(38) write\n kill_thread a\n", "allow");
  // `a` is not a syscall: this only checks the resolved ones below.
  auto l2 = lower_block("errno(ENOSYS) clone3\n errno(77) write\n kill_thread getpid\n kill_process ptrace\n"
                  "trap getppid\n log personality\n trace(65535) gettid\n notify mount", "allow");
  ASSERT_TRUE(l2->filter) << testing::render(l2->diags);
  std::vector<seccomp::Action> want = {{ActionKind::Errno, ENOSYS}, {ActionKind::Errno, 77},
                                       {ActionKind::KillThread, 0}, {ActionKind::KillProcess, 0},
                                       {ActionKind::Trap, 0},        {ActionKind::Log, 0},
                                       {ActionKind::Trace, 65535},   {ActionKind::Notify, 0}};
  ASSERT_EQ(l2->filter->rules.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_EQ(l2->filter->rules[i].action, want[i]) << i;
  EXPECT_FALSE(l->filter);
}

TEST(SeccompLower, ConditionsBecomeDnfInSourceOrder) {
  auto l = lower_block("allow socket if (arg0 == AF_INET || arg0 == AF_INET6) && arg1 != SOCK_RAW");
  ASSERT_TRUE(l->filter) << testing::render(l->diags);
  const auto& rules = l->filter->rules;
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].conditions, (std::vector<ArgCondition>{{0, CmpOp::Eq, AF_INET, seccomp::kNoMask, 64}, {1, CmpOp::Ne, SOCK_RAW, seccomp::kNoMask, 64}}));
  EXPECT_EQ(rules[1].conditions, (std::vector<ArgCondition>{{0, CmpOp::Eq, AF_INET6, seccomp::kNoMask, 64}, {1, CmpOp::Ne, SOCK_RAW, seccomp::kNoMask, 64}}));
}

TEST(SeccompLower, NotIsPushedDownByDeMorgan) {
  auto l = lower_block("allow getpid if !(arg0 < 5 && (arg1 >= 2 || arg2 == 0) )");
  ASSERT_TRUE(l->filter) << testing::render(l->diags);
  // !(a<5 && (b>=2 || c==0)) == a>=5 || (b<2 && c!=0)
  const auto& rules = l->filter->rules;
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].conditions, (std::vector<ArgCondition>{{0, CmpOp::Ge, 5, seccomp::kNoMask, 64}}));
  EXPECT_EQ(rules[1].conditions, (std::vector<ArgCondition>{{1, CmpOp::Lt, 2, seccomp::kNoMask, 64}, {2, CmpOp::Ne, 0, seccomp::kNoMask, 64}}));
}

TEST(SeccompLower, MaskedNotEqualBecomesOneRulePerMaskBit) {
  auto l = lower_block("allow clone if (arg0 & 0x5) != 1");
  ASSERT_TRUE(l->filter) << testing::render(l->diags);
  const auto& rules = l->filter->rules;
  ASSERT_EQ(rules.size(), 2u);  // bit 0 differs from 1, or bit 2 differs from 0
  EXPECT_EQ(rules[0].conditions, (std::vector<ArgCondition>{{0, CmpOp::Eq, 0, 1, 64}}));
  EXPECT_EQ(rules[1].conditions, (std::vector<ArgCondition>{{0, CmpOp::Eq, 4, 4, 64}}));
}

TEST(SeccompLower, NegativeNumbersAndU32Widths) {
  auto l = lower_block("allow openat if u32(arg0) == AT_FDCWD\n allow read if arg0 == -1\n"
                 "allow write if (u32(arg2) & -1) == 0x80000000");
  ASSERT_TRUE(l->filter) << testing::render(l->diags);
  const auto& rules = l->filter->rules;
  ASSERT_EQ(rules.size(), 3u);
  EXPECT_EQ(rules[0].conditions[0], (ArgCondition{0, CmpOp::Eq, 0xffffff9cULL, seccomp::kNoMask, 32}));
  EXPECT_EQ(rules[1].conditions[0], (ArgCondition{0, CmpOp::Eq, ~0ULL, seccomp::kNoMask, 64}));
  EXPECT_EQ(rules[2].conditions[0], (ArgCondition{2, CmpOp::Eq, 0x80000000ULL, seccomp::kNoMask, 32}));  // all ones: no mask
}

TEST(SeccompLower, NumbersInHexOctalAndOredConstants) {
  auto l = lower_block("allow openat if arg2 == O_RDWR|O_CLOEXEC|0x10|010");
  ASSERT_TRUE(l->filter) << testing::render(l->diags);
  EXPECT_EQ(l->filter->rules[0].conditions[0].value, std::uint64_t(O_RDWR | O_CLOEXEC | 0x10 | 8));
}

TEST(SeccompLower, ArchesAddX86AndX32AfterNative) {
  auto l = lower_block("arch x86_64 x32 x86");
  ASSERT_TRUE(l->filter) << testing::render(l->diags);
  EXPECT_EQ(l->filter->arches, (std::vector<std::string>{"x86_64", "x32", "x86"}));
  EXPECT_EQ(l->filter->bad_arch_action, (seccomp::Action{ActionKind::KillProcess, 0}));
}

TEST(SeccompLower, OtherArchesGetTheOtherwiseAction) {
  auto l = lower_block("arch x86_64 x86 otherwise errno(ENOSYS)");
  ASSERT_TRUE(l->filter) << testing::render(l->diags);
  EXPECT_EQ(l->filter->arches, (std::vector<std::string>{"x86_64", "x86"}));
  EXPECT_EQ(l->filter->bad_arch_action, (seccomp::Action{ActionKind::Errno, ENOSYS}));
  auto trap = lower_block("arch x86_64 otherwise trap(9)");
  ASSERT_TRUE(trap->filter) << testing::render(trap->diags);
  EXPECT_EQ(trap->filter->bad_arch_action, (seccomp::Action{ActionKind::Trap, 9}));
}

TEST(SeccompLowerErrors, OtherwiseActionsThatWouldLetForeignCallsThrough) {
  auto l = lower_block("arch x86_64 otherwise allow\n arch x86 otherwise kill_thread");
  EXPECT_FALSE(l->filter);
  expect_diag(l->diags, Severity::Error, "calls from other arches cannot get allow", 2, 23, "unfiltered");
  expect_diag(l->diags, Severity::Error, "`otherwise` is given twice", 3, 21);
  auto notify = lower_block("arch x86_64 otherwise notify");
  expect_diag(notify->diags, Severity::Error, "calls from other arches cannot get notify", 2, 23, "wrong syscall table");
}

TEST(SeccompLowerErrors, AnArchListedTwice) {
  auto l = lower_block("arch x86_64 x32 x86\n arch x32");
  EXPECT_FALSE(l->filter);
  expect_diag(l->diags, Severity::Error, "arch \"x32\" is listed twice (first at line 2:13)", 3, 7, "remove one");
}

TEST(SeccompLower, SyscallsByNumber) {
  auto l = lower_block("allow 0 1 getpid\n errno(ENOSYS) 1000", "kill_process");
  ASSERT_TRUE(l->filter) << testing::render(l->diags);
  const auto& rules = l->filter->rules;
  ASSERT_EQ(rules.size(), 4u);
  EXPECT_EQ(rules[0].syscall, "read");
  EXPECT_EQ(rules[0].nr, 0);
  EXPECT_EQ(rules[1].syscall, "write");
  EXPECT_EQ(rules[3].syscall, "1000");
  EXPECT_EQ(rules[3].nr, 1000);
  expect_diag(l->diags, Severity::Warning, "syscall 0 is read on x86_64", 2, 7, "write `read`");
  expect_diag(l->diags, Severity::Warning, "syscall number 1000 is unknown to this syscall table", 3, 16,
              "x86_64 calls with that number only");
}

TEST(SeccompLowerErrors, SyscallNumberOutOfRange) {
  auto l = lower_block("allow 1073741824");
  EXPECT_FALSE(l->filter);
  expect_diag(l->diags, Severity::Error, "syscall number 1073741824 is out of range", 2, 7, "x32");
}

TEST(SeccompLower, ConstantsComeFromTheSystemHeaders) {
  EXPECT_EQ(seccomp::constant_value("AF_INET6"), std::uint64_t(AF_INET6));
  EXPECT_EQ(seccomp::constant_value("CLONE_NEWUSER"), std::uint64_t(CLONE_NEWUSER));
  EXPECT_EQ(seccomp::constant_value("AT_FDCWD"), static_cast<std::uint64_t>(-100LL));
  EXPECT_EQ(seccomp::constant_value("O_CLOEXEC"), std::uint64_t(O_CLOEXEC));
  EXPECT_EQ(seccomp::constant_value("EPERM"), std::uint64_t(EPERM));
  EXPECT_FALSE(seccomp::constant_value("AF_NOPE"));
  EXPECT_EQ(seccomp::errno_value("ENOSYS"), ENOSYS);
  EXPECT_EQ(seccomp::errno_name(EAGAIN), "EAGAIN");  // not EWOULDBLOCK
  EXPECT_EQ(seccomp::errno_name(4000), "4000");
  const auto& names = seccomp::all_constant_names();
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_GT(names.size(), 300u);
}

// ---- errors -------------------------------------------------------------------------------

TEST(SeccompLowerErrors, UnknownSyscallWithDidYouMean) {
  auto l = lower_block("allow read opnat");
  EXPECT_FALSE(l->filter);
  expect_diag(l->diags, Severity::Error, "unknown syscall \"opnat\"", 2, 12, "did you mean \"openat\"?");
}

TEST(SeccompLowerErrors, SyscallOfAnotherArch) {
  // An i386 call in a native-only filter can match nothing: a warning, and the rule drops out.
  auto l = lower_block("allow socketcall read");
  ASSERT_TRUE(l->filter) << testing::render(l->diags);
  expect_diag(l->diags, Severity::Warning, "socketcall exists only on x86, which this filter does not allow", 2, 7);
  ASSERT_EQ(l->filter->rules.size(), 1u);
  EXPECT_EQ(l->filter->rules[0].syscall, "read");
  // With `arch x86` it is a rule for i386 callers.
  auto x86 = lower_block("arch x86_64 x86\n allow socketcall");
  ASSERT_TRUE(x86->filter) << testing::render(x86->diags);
  EXPECT_TRUE(x86->diags.all().empty()) << testing::render(x86->diags);
  ASSERT_EQ(x86->filter->rules.size(), 1u);
  EXPECT_LT(x86->filter->rules[0].nr, -1);  // libseccomp's pseudo number
  // A name of an arch an x86_64 host never runs stays an error.
  auto arm = lower_block("allow arm_fadvise64_64");
  EXPECT_FALSE(arm->filter);
  expect_diag(arm->diags, Severity::Error, "\"arm_fadvise64_64\" does not exist on x86_64", 2, 7);
}

TEST(SeccompLowerErrors, UnknownGroupCycleAndDuplicate) {
  auto l = lower_block("group @a = @b read\n group @b = @a\n group @a = write\n allow @a @nett");
  EXPECT_FALSE(l->filter);
  expect_diag(l->diags, Severity::Error, "group @a includes itself (@a -> @b -> @a)", 3, 13);
  expect_diag(l->diags, Severity::Error, "group @a is defined twice", 4, 8);
  expect_diag(l->diags, Severity::Error, "unknown group @nett", 5, 11);
}

TEST(SeccompLowerErrors, UnknownConstantWithDidYouMean) {
  auto l = lower_block("allow socket if arg0 == AF_INTE");
  expect_diag(l->diags, Severity::Error, "unknown constant \"AF_INTE\"", 2, 25, "did you mean \"AF_INET\"?");
}

TEST(SeccompLowerErrors, ErrnoAndTraceRanges) {
  auto l = lower_block("errno(4096) read\n errno(EPREM) write\n trace(65536) close\n errno(4095) getpid", "allow");
  EXPECT_FALSE(l->filter);
  expect_diag(l->diags, Severity::Error, "errno 4096 is out of range (0..4095)", 2, 7);
  expect_diag(l->diags, Severity::Error, "unknown errno name \"EPREM\"", 3, 8, "did you mean \"EPERM\"?");
  expect_diag(l->diags, Severity::Error, "trace(65536): the message must be a number 0..65535", 4, 8);
  EXPECT_EQ(l->diags.error_count(), 3u) << testing::render(l->diags);
}

TEST(SeccompLower, NotifyCanBeTheDefaultAction) {
  auto l = lower_block("allow read execve", "notify");
  ASSERT_TRUE(l->filter) << testing::render(l->diags);
  EXPECT_EQ(l->filter->default_action, (seccomp::Action{ActionKind::Notify, 0}));
  EXPECT_TRUE(l->diags.all().empty()) << testing::render(l->diags);
}

TEST(SeccompLower, TrapCarriesANumber) {
  auto l = lower_block("trap(77) read\n trap write\n trap(0) close\n trap(65535) getpid", "trap(5)");
  ASSERT_TRUE(l->filter) << testing::render(l->diags);
  EXPECT_EQ(l->filter->default_action, (seccomp::Action{ActionKind::Trap, 5}));
  const std::uint32_t want[] = {77, 0, 0, 65535};
  ASSERT_EQ(l->filter->rules.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(l->filter->rules[i].action, (seccomp::Action{ActionKind::Trap, want[i]}));
  EXPECT_EQ(l->filter->rules[0].action.to_string(), "trap(77)");
  EXPECT_EQ(l->filter->rules[1].action.to_string(), "trap");
}

TEST(SeccompLowerErrors, TrapNumberOutOfRange) {
  auto l = lower_block("trap(65536) read", "allow");
  EXPECT_FALSE(l->filter);
  expect_diag(l->diags, Severity::Error, "trap(65536): the value must be a number 0..65535", 2, 6, "si_errno");
}

// The parser only lets errno/trace take an argument; a hand-built AST checks the lowering's
// own guard, which the Docker importer's ASTs also go through.
TEST(SeccompLowerErrors, ActionArgumentsAreCheckedOnHandBuiltAst) {
  ast::Seccomp block;
  block.default_action.kind = {"errno", {"x.pol", 1, 17, 5}};
  ast::Rule rule;
  rule.action.kind = {"allow", {"x.pol", 2, 3, 5}};
  rule.action.argument = ast::Word{"3", {"x.pol", 2, 9, 1}};
  rule.names = {{"read", {"x.pol", 2, 12, 4}}};
  block.statements.push_back(rule);
  Diagnostics diags;
  EXPECT_FALSE(seccomp::lower_seccomp(block, diags));
  ASSERT_EQ(diags.error_count(), 2u) << testing::render(diags);
  EXPECT_EQ(diags.all()[0].message, "action errno needs an argument");
  EXPECT_EQ(diags.all()[0].where.line, 1u);
  EXPECT_EQ(diags.all()[1].message, "action allow takes no argument");
  EXPECT_EQ(diags.all()[1].where.column, 9u);
}

TEST(SeccompLower, SeveralTestsOfOneArgumentAreARange) {
  auto l = lower_block("allow mmap if arg2 > 1 && arg2 < 5\n allow munmap if arg2 == 1 && arg2 != 2");
  ASSERT_TRUE(l->filter) << testing::render(l->diags);
  const auto& rules = l->filter->rules;
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].conditions, (std::vector<ArgCondition>{{2, CmpOp::Gt, 1, seccomp::kNoMask, 64},
                                                            {2, CmpOp::Lt, 5, seccomp::kNoMask, 64}}));
  EXPECT_EQ(rules[1].conditions.size(), 2u);
}

TEST(SeccompLower, NegatedOrOnOneArgumentIsAnAnd) {
  auto l = lower_block("allow socket if !(arg0 == AF_INET || arg0 == AF_INET6)");
  ASSERT_TRUE(l->filter) << testing::render(l->diags);
  ASSERT_EQ(l->filter->rules.size(), 1u);
  EXPECT_EQ(l->filter->rules[0].conditions, (std::vector<ArgCondition>{{0, CmpOp::Ne, AF_INET, seccomp::kNoMask, 64},
                                                                       {0, CmpOp::Ne, AF_INET6, seccomp::kNoMask, 64}}));
}

// Every operator on a masked argument, and its negation pushed inwards: !((a & m) < v) is
// (a & m) >= v; !((a & m) == v) is "some bit under m differs" (one rule per bit).
TEST(SeccompLower, EveryOperatorOnAMaskedArgument) {
  auto l = lower_block("allow mmap if (arg2 & 0xff) > 5 && (u32(arg1) & 0xf0) <= 0x40\n"
                 "allow munmap if !((arg0 & 0xff) < 5)\n"
                 "allow mprotect if !((arg0 & 0x3) == 1)");
  ASSERT_TRUE(l->filter) << testing::render(l->diags);
  const auto& rules = l->filter->rules;
  ASSERT_EQ(rules.size(), 4u);
  EXPECT_EQ(rules[0].conditions, (std::vector<ArgCondition>{{2, CmpOp::Gt, 5, 0xff, 64}, {1, CmpOp::Le, 0x40, 0xf0, 32}}));
  EXPECT_EQ(rules[1].conditions, (std::vector<ArgCondition>{{0, CmpOp::Ge, 5, 0xff, 64}}));
  EXPECT_EQ(rules[2].conditions, (std::vector<ArgCondition>{{0, CmpOp::Eq, 0, 1, 64}}));
  EXPECT_EQ(rules[3].conditions, (std::vector<ArgCondition>{{0, CmpOp::Eq, 2, 2, 64}}));
  EXPECT_EQ(seccomp::condition_text(rules[0].conditions[0]), "(arg2 & 0xff) > 5");
  EXPECT_EQ(seccomp::condition_text(rules[0].conditions[1]), "(u32(arg1) & 0xf0) <= 64");
}

TEST(SeccompLower, AMaskOfAllOnesIsNoMask) {
  auto l = lower_block("allow read if (arg0 & -1) != 5 && (u32(arg1) & 0xffffffff) < 3");
  ASSERT_TRUE(l->filter) << testing::render(l->diags);
  EXPECT_EQ(l->filter->rules[0].conditions, (std::vector<ArgCondition>{{0, CmpOp::Ne, 5, seccomp::kNoMask, 64},
                                                                       {1, CmpOp::Lt, 3, seccomp::kNoMask, 32}}));
}

TEST(SeccompLowerErrors, IdenticalComparisonsAreMergedNotRefused) {
  auto l = lower_block("allow mmap if arg2 == 1 && arg2 == 1");
  ASSERT_TRUE(l->filter) << testing::render(l->diags);
  EXPECT_EQ(l->filter->rules[0].conditions.size(), 1u);
}


TEST(SeccompLowerErrors, U32ValueTooWide) {
  auto l = lower_block("allow read if u32(arg0) == 0x100000000");
  expect_diag(l->diags, Severity::Error, "value 0x100000000 does not fit in 32 bits", 2, 28);
}

TEST(SeccompLowerErrors, ConflictingUnconditionalActions) {
  auto l = lower_block("allow gettid\n errno(EACCES) gettid");
  EXPECT_FALSE(l->filter);
  expect_diag(l->diags, Severity::Error,
              "gettid is given two different unconditional actions: allow at line 2:7 and errno(EACCES) here", 3, 16);
}

TEST(SeccompLowerErrors, ForeignAndUnknownArches) {
  auto l = lower_block("arch x86_64 aarch64 i386 x33");
  EXPECT_FALSE(l->filter);
  expect_diag(l->diags, Severity::Error, "arch \"aarch64\" cannot run on this x86_64 host", 2, 13);
  expect_diag(l->diags, Severity::Error, "arch \"i386\" is spelled \"x86\" here", 2, 21);
  expect_diag(l->diags, Severity::Error, "unknown arch \"x33\"", 2, 26, "did you mean \"x32\"?");
}

TEST(SeccompLowerErrors, DnfBlowUp) {
  std::string condition;
  for (int arg = 0; arg < 6; ++arg) {
    condition += std::string(arg ? " && " : "") + "(arg" + std::to_string(arg) + " == 1 || arg" +
                 std::to_string(arg) + " == 2)";
  }
  condition += " && ((arg0 & 0xff) != 0x7f)";  // 2^6 * 8 alternatives
  auto l = lower_block("allow read if " + condition);
  EXPECT_FALSE(l->filter);
  find(l->diags, "alternatives (the limit is 64)");
}

// ---- random conditions: the DNF means what the text says ----------------------------------

// A random condition tree, rendered as policy text and evaluated directly (the meaning the
// text has), so the lowering's De Morgan and distribution can be checked against it.
struct RandomCondition {
  enum class Kind { Compare, Not, And, Or } kind = Kind::Compare;
  std::vector<RandomCondition> operands;
  unsigned arg = 0;
  bool low32 = false;
  std::optional<std::uint64_t> mask;
  std::string op;
  std::uint64_t value = 0;

  std::string text() const {
    auto hex = [](std::uint64_t v) {
      char b[24];
      std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
      return std::string(b);
    };
    switch (kind) {
      case Kind::Compare: {
        std::string a = low32 ? "u32(arg" + std::to_string(arg) + ")" : "arg" + std::to_string(arg);
        if (mask) a = "(" + a + " & " + hex(*mask) + ")";
        return a + " " + op + " " + hex(value);
      }
      case Kind::Not: return "!(" + operands[0].text() + ")";
      case Kind::And: return "(" + operands[0].text() + " && " + operands[1].text() + ")";
      case Kind::Or: return "(" + operands[0].text() + " || " + operands[1].text() + ")";
    }
    return "";
  }
  bool holds(const std::array<std::uint64_t, 6>& args) const {
    switch (kind) {
      case Kind::Compare: {
        std::uint64_t x = args[arg];
        if (low32) x &= 0xffffffffULL;
        if (mask) x &= *mask;
        if (op == "==") return x == value;
        if (op == "!=") return x != value;
        if (op == "<") return x < value;
        if (op == "<=") return x <= value;
        if (op == ">") return x > value;
        return x >= value;
      }
      case Kind::Not: return !operands[0].holds(args);
      case Kind::And: return operands[0].holds(args) && operands[1].holds(args);
      case Kind::Or: return operands[0].holds(args) || operands[1].holds(args);
    }
    return false;
  }
  void values(std::vector<std::uint64_t>& out) const {
    if (kind == Kind::Compare) {
      for (std::uint64_t v : {value, value + 1, value - 1}) {
        out.push_back(v);
        if (mask) out.push_back(v | ~*mask), out.push_back((v & *mask) ^ (*mask & (~*mask + 1)));
      }
    }
    for (const auto& o : operands) o.values(out);
  }
};

RandomCondition random_condition_tree(std::mt19937_64& rng, int depth) {
  RandomCondition c;
  const unsigned pick = depth > 0 ? static_cast<unsigned>(rng() % 4) : 0;
  if (pick > 0) {
    c.kind = pick == 1 ? RandomCondition::Kind::Not : pick == 2 ? RandomCondition::Kind::And : RandomCondition::Kind::Or;
    c.operands.push_back(random_condition_tree(rng, depth - 1));
    if (pick > 1) c.operands.push_back(random_condition_tree(rng, depth - 1));
    return c;
  }
  static const char* ops[] = {"==", "!=", "<", "<=", ">", ">="};
  static const std::uint64_t masks[] = {0xff, 0xf0, 0x3, 0xffff0000ULL, 0x100000001ULL, 0x8000000000000000ULL};
  c.arg = static_cast<unsigned>(rng() % 3);
  c.low32 = rng() % 4 == 0;
  c.op = ops[rng() % 6];
  if (rng() % 2) c.mask = masks[rng() % 6] & (c.low32 ? 0xffffffffULL : ~0ULL);
  if (c.mask && *c.mask == 0) c.mask.reset();
  c.value = rng() % 3 == 0 ? rng() % 8 : (rng() % 2 ? 0x100ULL + rng() % 4 : 0x80000000ULL + rng() % 3);
  if (c.mask && rng() % 2) c.value &= *c.mask;
  return c;
}

TEST(SeccompLower, RandomConditionsLowerToWhatTheTextMeans) {
  std::mt19937_64 rng(2027);
  int lowered = 0;
  for (int round = 0; round < 400; ++round) {
    const RandomCondition condition = random_condition_tree(rng, 3);
    auto l = lower_block("allow getpid if " + condition.text());
    if (!l->filter) {  // only a DNF over the limit may refuse it
      ASSERT_NE(testing::render(l->diags).find("alternatives (the limit is 64)"), std::string::npos)
          << condition.text() << "\n" << testing::render(l->diags);
      continue;
    }
    ++lowered;
    std::vector<std::uint64_t> values = {0, 1, ~0ULL, 0xffffffffULL, 0x100000000ULL};
    condition.values(values);
    for (int probe = 0; probe < 300; ++probe) {
      const std::array<std::uint64_t, 6> args{values[rng() % values.size()], values[rng() % values.size()],
                                              values[rng() % values.size()], 0, 0, 0};
      const bool want = condition.holds(args);
      const seccomp::Action got = seccomp::ir_verdict(*l->filter, nr_of("getpid"), args);
      ASSERT_EQ(got.kind == ActionKind::Allow, want)
          << condition.text() << " on " << std::hex << args[0] << " " << args[1] << " " << args[2];
    }
  }
  EXPECT_GT(lowered, 300);
}

// ---- warnings -----------------------------------------------------------------------------

TEST(SeccompLowerWarnings, RuleWithTheDefaultActionHasNoEffect) {
  auto l = lower_block("errno(EPERM) getppid\n allow read");
  ASSERT_TRUE(l->filter) << testing::render(l->diags);
  expect_diag(l->diags, Severity::Warning,
              "this rule for getppid has no effect: its action errno(EPERM) is the default action", 2, 14);
}

TEST(SeccompLowerWarnings, DefaultActionRuleThatShieldsALaterRuleIsFine) {
  auto l = lower_block("errno(EPERM) getpid if arg0 == 1\n allow getpid");
  ASSERT_TRUE(l->filter) << testing::render(l->diags);
  EXPECT_TRUE(l->diags.all().empty()) << testing::render(l->diags);
}

TEST(SeccompLowerWarnings, UnconditionalRuleShadowsLaterRule) {
  auto l = lower_block("allow gettid\n allow gettid if arg0 == 1\n errno(EACCES) gettid if arg1 == 2");
  ASSERT_TRUE(l->filter) << testing::render(l->diags);
  EXPECT_EQ(l->diags.all().size(), 2u) << testing::render(l->diags);
  for (unsigned line : {3u, 4u}) {
    bool found = false;
    for (const auto& d : l->diags.all()) {
      found |= d.severity == Severity::Warning && d.where.line == line &&
               d.message == "this rule for gettid is never used: the unconditional rule at line 2:7 "
                            "already decides every gettid call";
    }
    EXPECT_TRUE(found) << "line " << line << "\n" << testing::render(l->diags);
  }
}

TEST(SeccompLowerWarnings, AShadowedRuleWithOrIsReportedOnce) {
  auto l = lower_block("allow gettid\n allow gettid if arg0 == 1 || arg0 == 2 || arg1 == 3");
  ASSERT_TRUE(l->filter) << testing::render(l->diags);
  EXPECT_EQ(l->diags.all().size(), 1u) << testing::render(l->diags);
}

TEST(SeccompLowerWarnings, MaskedComparisonThatCanNeverHold) {
  auto l = lower_block("allow clone if (arg0 & 0x1) == 0x2");
  expect_diag(l->diags, Severity::Warning, "can never hold", 2, 16);
}

}  // namespace
}  // namespace policyc
