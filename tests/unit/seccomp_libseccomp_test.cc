// SPDX-License-Identifier: Apache-2.0
// The libseccomp backend: first-match order kept although libseccomp merges rules its own
// way (random overlapping rule lists against the IR's semantics), its limits reported as
// errors, the translation check catching a wrong program, the optimize levels, and a big
// allow-list. Verdicts come from the interpreter; a sample is also made in the kernel.
#include <gtest/gtest.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>

#include <sys/socket.h>

#include <fstream>
#include <iostream>
#include <random>
#include <sstream>

#include "compiler/backend/backend.h"
#include "compiler/bpf/bpf_interp.h"
#include "compiler/docker/import.h"
#include "compiler/libseccomp/libseccomp_backend.h"
#include "compiler/libseccomp/libseccomp_backend_verify.h"
#include "compiler/seccomp/abi.h"
#include "compiler/seccomp/syscalls.h"
#include "tests/support/policy_text.h"
#include "tests/support/seccomp_kernel.h"

namespace policyc {
namespace {

using namespace seccomp;
using Args = std::array<std::uint64_t, 6>;

const std::vector<std::uint64_t> kValues = {0, 1, 2, 3, 7, 8, 0x7fffffff, 0x80000000, 0xffffffff,
                                            0xffffff9c, 0xffffffffffffff9cULL, 0x100000000ULL,
                                            0x100000007ULL, 1ULL << 63, ~0ULL};
const std::vector<std::uint64_t> kMasks = {1, 3, 0xff, 0x80000000, 0xffffffff, 0xffffffff00000000ULL,
                                           0x8000000000000001ULL};
const std::vector<Action> kActions = {{ActionKind::Allow, 0}, {ActionKind::Errno, 1},
                                      {ActionKind::Errno, 13}, {ActionKind::Errno, 2},
                                      {ActionKind::KillProcess, 0}, {ActionKind::Log, 0}};

template <typename T>
const T& pick(std::mt19937_64& rng, const std::vector<T>& from) {
  return from[rng() % from.size()];
}

ArgCondition random_condition(std::mt19937_64& rng, unsigned arg) {
  ArgCondition c;
  c.arg = arg;
  const bool masked = rng() % 7 == 6;  // libseccomp has masked == only
  c.op = masked ? CmpOp::Eq : static_cast<CmpOp>(rng() % 6);
  c.width = rng() % 3 == 0 ? 32 : 64;
  std::uint64_t width_mask = c.width == 32 ? 0xffffffffULL : ~0ULL;
  c.value = pick(rng, kValues) & width_mask;
  if (masked) {
    c.mask = pick(rng, kMasks) & width_mask;
    c.value &= c.mask;
  }
  return c;
}

Filter random_filter(std::mt19937_64& rng) {
  Filter filter;
  filter.default_action = rng() % 2 ? Action{ActionKind::Errno, 1} : Action{ActionKind::Allow, 0};
  int rules = 1 + static_cast<int>(rng() % 6);
  for (int i = 0; i < rules; ++i) {
    Rule rule{"getpid", SYS_getpid, pick(rng, kActions), {}, "", {"random", static_cast<unsigned>(i + 1), 1}};
    if (rng() % 2) rule.syscall = "getppid", rule.nr = SYS_getppid;
    int conditions = static_cast<int>(rng() % 3);  // 0, 1 or 2, on distinct args
    unsigned first_arg = static_cast<unsigned>(rng() % 2);
    for (int k = 0; k < conditions; ++k) rule.conditions.push_back(random_condition(rng, (first_arg + k) % 2));
    filter.rules.push_back(rule);
  }
  return filter;
}

std::string describe(const Filter& filter) {
  std::string out = "default " + filter.default_action.to_string() + "\n";
  for (const Rule& r : filter.rules) {
    out += r.action.to_string() + " " + r.syscall;
    for (const ArgCondition& c : r.conditions) {
      char text[128];
      snprintf(text, sizeof text, " [arg%u op%d v=0x%llx m=0x%llx w%u]", c.arg, static_cast<int>(c.op),
               static_cast<unsigned long long>(c.value), static_cast<unsigned long long>(c.mask), c.width);
      out += text;
    }
    out += "\n";
  }
  return out;
}

Args random_args(std::mt19937_64& rng) {
  Args args{};
  for (unsigned a = 0; a < 2; ++a) {
    std::uint64_t v = pick(rng, kValues);
    switch (rng() % 4) {
      case 0: args[a] = v; break;
      case 1: args[a] = v + 1; break;
      case 2: args[a] = v ^ (std::uint64_t{1} << (rng() % 64)); break;
      default: args[a] = rng(); break;
    }
  }
  return args;
}

// Why compile_libseccomp may refuse a filter: our own limit, or libseccomp 2.5.4 merging the
// rules wrongly (caught by the translation check) or never finishing (caught by the deadline).
// Refusing is allowed; a filter that disagrees with the policy is not.
bool is_documented_refusal(const Diagnostics& diags) {
  if (diags.error_count() == 0) return false;
  for (const Diagnostic& d : diags.all()) {
    bool documented = false;
    for (const char* reason : {"the libseccomp backend needs over 64 rules", "the libseccomp backend's filter gives",
                               "libseccomp did not finish merging the rules within"}) {
      documented |= d.message.find(reason) != std::string::npos;
    }
    if (!documented) return false;
  }
  return true;
}

// Overlapping rules with different actions, u32 and masked comparisons, unconditional rules
// after conditional ones: the compiled filter must give the first-match verdict everywhere.
TEST(SeccompLibseccomp, RandomOverlappingRulesKeepFirstMatchOrder) {
  std::mt19937_64 rng(20261129);
  int refused = 0, rounds = 150;
  for (int round = 0; round < rounds; ++round) {
    Filter filter = random_filter(rng);
    Diagnostics diags;
    std::vector<sock_filter> program = compile_libseccomp(filter, diags, 2);
    if (program.empty()) {
      ++refused;
      EXPECT_TRUE(is_documented_refusal(diags)) << describe(filter) << testing::render(diags);
      continue;
    }
    EXPECT_FALSE(diags.has_errors()) << testing::render(diags);
    for (int n = 0; n < 400; ++n) {
      Args args = random_args(rng);
      int nr = rng() % 2 ? SYS_getpid : SYS_getppid;
      bpf::SeccompData data;
      data.nr = nr;
      data.args = args;
      auto verdict = bpf::run(program, data);
      ASSERT_TRUE(verdict);
      ASSERT_EQ(verdict->ret, seccomp_ret(ir_verdict(filter, nr, args)))
          << "round " << round << " nr " << nr << " args 0x" << std::hex << args[0] << ", 0x" << args[1]
          << "\n" << describe(filter);
    }
  }
  // The generator is much harsher than real policies (two overlapping ranges per rule, u32
  // ranges, six actions); most filters must still compile.
  std::cout << refused << " of " << rounds << " random filters refused\n";
  EXPECT_LT(refused, rounds / 4);
}

// A sample of the same in the kernel (kill_process is left out: every call would be a fork
// that dies, which proves nothing new and costs time).
TEST(SeccompLibseccomp, RandomRulesInTheKernel) {
  std::mt19937_64 rng(7);
  int checked = 0;
  while (checked < 40) {
    Filter filter = random_filter(rng);
    bool has_kill = false;
    for (const Rule& r : filter.rules) has_kill |= r.action.kind == ActionKind::KillProcess;
    if (has_kill) continue;
    Diagnostics diags;
    std::vector<sock_filter> program = compile_libseccomp(filter, diags, 2);
    if (program.empty()) {
      EXPECT_TRUE(is_documented_refusal(diags)) << describe(filter) << testing::render(diags);
      continue;
    }
    for (int n = 0; n < 5; ++n, ++checked) {
      Args args = random_args(rng);
      EXPECT_EQ(testing::verdict_mismatch(program, SYS_getpid, args, ir_verdict(filter, SYS_getpid, args)), "")
          << std::hex << args[0] << ", " << args[1] << "\n" << describe(filter);
    }
  }
}

TEST(SeccompLibseccomp, LinearAndTreeLayoutsAgree) {
  Diagnostics diags;
  auto filter = testing::lower_text(
      "seccomp default errno(EPERM) { allow read write close openat fstat mmap munmap brk exit_group\n"
      " allow socket if arg0 == AF_INET || arg0 == AF_INET6\n errno(EAFNOSUPPORT) socket }", diags);
  ASSERT_TRUE(filter) << testing::render(diags);
  auto linear = compile_libseccomp(*filter, diags, 1);
  auto tree = compile_libseccomp(*filter, diags, 2);
  ASSERT_FALSE(linear.empty() || tree.empty()) << testing::render(diags);
  EXPECT_NE(linear.size(), 0u);
  for (int nr = 0; nr < 450; ++nr) {
    for (std::uint64_t arg0 : {0ULL, 2ULL, 10ULL, 11ULL}) {
      bpf::SeccompData data;
      data.nr = nr;
      data.args[0] = arg0;
      EXPECT_EQ(bpf::run(linear, data)->ret, bpf::run(tree, data)->ret) << nr;
      EXPECT_EQ(bpf::run(tree, data)->ret, seccomp_ret(ir_verdict(*filter, nr, data.args))) << nr;
    }
  }
}

TEST(SeccompLibseccomp, CompileDispatchesToLibseccomp) {
  Diagnostics diags;
  auto filter = testing::lower_text("seccomp default errno(EPERM) { allow getpid }", diags);
  ASSERT_TRUE(filter);
  EXPECT_EQ(bpf::encode(compile(*filter, Backend::Libseccomp, diags)),
            bpf::encode(compile_libseccomp(*filter, diags, 2)));
}

// Every syscall policyc knows, allowed: the binary tree keeps the program well under the
// kernel's 4096-instruction limit and the dispatch short.
TEST(SeccompLibseccomp, AllowListOfEverySyscallFitsTheKernelLimit) {
  Filter filter;
  for (const std::string& name : all_syscall_names()) {
    filter.rules.push_back({name, resolve_syscall(name).nr, {ActionKind::Allow, 0}, {}, "", {}});
  }
  ASSERT_GT(filter.rules.size(), 300u);
  Diagnostics diags;
  auto program = compile_libseccomp(filter, diags, 2);
  ASSERT_FALSE(program.empty()) << testing::render(diags);
  EXPECT_LT(program.size(), 4096u);
  bpf::SeccompData data;
  data.nr = SYS_read;
  auto verdict = bpf::run(program, data);
  ASSERT_TRUE(verdict);
  EXPECT_EQ(verdict->ret, seccomp_ret(Action{ActionKind::Allow, 0}));
  EXPECT_LT(verdict->executed, 26u);  // 6 of them the stub for what libseccomp 2.5.4 cannot say
}

// The real Docker and Podman profiles (through the Docker importer and the parser) compile
// cleanly, with no warnings, and the filter gives their verdicts.
TEST(SeccompLibseccomp, RealDockerAndPodmanProfilesCompile) {
  for (const char* name : {"docker-default.json", "containers-common.json"}) {
    std::string path = std::string(SHARED_TESTDATA_DIR) + "/seccomp/" + name;
    std::ifstream in(path);
    ASSERT_TRUE(in) << path;
    std::stringstream json;
    json << in.rdbuf();
    Diagnostics diags;
    auto pol = docker::import_to_pol(json.str(), name, {}, diags);
    ASSERT_TRUE(pol) << testing::render(diags);
    auto filter = testing::lower_text(*pol, diags, std::string(name) + ".pol");
    ASSERT_TRUE(filter) << testing::render(diags);
    for (const Diagnostic& d : diags.all()) {  // the importer's notes on skipped names are fine
      EXPECT_EQ(d.severity, Severity::Note) << testing::render(diags);
    }
    auto program = compile_libseccomp(*filter, diags, 2);
    ASSERT_FALSE(program.empty()) << testing::render(diags);
    EXPECT_LT(program.size(), 4096u);
    auto verdict_of = [&](int nr, Args args) {
      bpf::SeccompData data;
      data.nr = nr;
      data.args = args;
      return bpf::run(program, data)->ret;
    };
    EXPECT_EQ(verdict_of(SYS_read, {}), 0x7fff0000u) << name;
    EXPECT_EQ(verdict_of(SYS_personality, {0}), 0x7fff0000u) << name;
    EXPECT_EQ(verdict_of(SYS_personality, {0x12345}), seccomp_ret(filter->default_action)) << name;
    EXPECT_EQ(verdict_of(SYS_socket, {AF_INET}), 0x7fff0000u) << name;
    if (std::string(name) == "docker-default.json") {  // reboot needs CAP_SYS_BOOT there
      EXPECT_EQ(verdict_of(SYS_reboot, {}), seccomp_ret(filter->default_action)) << name;
    }
    for (int nr = 0; nr < 460; ++nr) {
      for (std::uint64_t arg0 : {0ULL, 8ULL, 40ULL, 0x20000ULL, 0x10000000ULL}) {
        ASSERT_EQ(verdict_of(nr, {arg0}), seccomp_ret(ir_verdict(*filter, nr, {arg0}))) << name << " " << nr;
      }
    }
  }
}

// Found by the code generator's differential test: libseccomp mis-merges `>= X` and `< X` of
// one argument when the high words differ and the low word has its sign bit set. The
// translation check must try such values and refuse the program rather than hand it out.
TEST(SeccompLibseccomp, HighWordNeighboursAreChecked) {
  Filter filter;
  filter.default_action = {ActionKind::Trace, 5166};
  filter.rules.push_back({"poll", SYS_poll, {ActionKind::KillThread, 0},
                          {{1, CmpOp::Ge, 0x20000007eULL, seccomp::kNoMask, 64}, {1, CmpOp::Ge, 0x384a68fa299f7d52ULL, seccomp::kNoMask, 64}}, "", {}});
  filter.rules.push_back({"poll", SYS_poll, {ActionKind::Trace, 13301}, {}, "", {}});
  Diagnostics diags;
  auto program = compile_libseccomp(filter, diags, 2);
  if (program.empty()) {
    EXPECT_TRUE(is_documented_refusal(diags)) << testing::render(diags);
    return;
  }
  for (std::uint64_t arg1 : {0x28000007eULL, 0x20000007eULL, 0x384a68fa299f7d51ULL, 0x384a68fa299f7d52ULL, ~0ULL}) {
    bpf::SeccompData data;
    data.nr = SYS_poll;
    data.args[1] = arg1;
    EXPECT_EQ(bpf::run(program, data)->ret, seccomp_ret(ir_verdict(filter, SYS_poll, data.args))) << std::hex << arg1;
  }
}

TEST(SeccompLibseccomp, TooManyRulesForOneSyscallIsAnError) {
  Filter filter;
  Rule rule{"getpid", SYS_getpid, {ActionKind::Allow, 0}, {}, "", {"big.pol", 4, 9}};
  for (unsigned arg = 0; arg < 3; ++arg) rule.conditions.push_back({arg, CmpOp::Ne, 7, seccomp::kNoMask, 32});
  filter.rules.push_back(rule);  // 3 x u32 != 7: 32 blocks each, 32768 libseccomp rules
  Diagnostics diags;
  EXPECT_TRUE(compile_libseccomp(filter, diags, 2).empty());
  ASSERT_EQ(diags.error_count(), 1u) << testing::render(diags);
  EXPECT_NE(diags.all()[0].message.find("the libseccomp backend needs over 64 rules to keep the first-match "
                                        "order of the rules for getpid"),
            std::string::npos)
      << diags.all()[0].message;
  EXPECT_EQ(diags.all()[0].where.file, "big.pol");
  EXPECT_EQ(diags.all()[0].where.line, 4u);
}

// libseccomp 2.5 has masked == only, no number on its trap action, and cannot place a syscall
// number it does not know once a second arch is in the filter: each is an error naming the rule.
TEST(SeccompLibseccomp, RefusesWhatLibseccompCannotExpress) {
  Filter masked;
  masked.rules.push_back({"mmap", SYS_mmap, {ActionKind::Allow, 0}, {{2, CmpOp::Gt, 5, 0xff, 64}}, "", {"m.pol", 3, 3}});
  Diagnostics diags;
  EXPECT_TRUE(compile_libseccomp(masked, diags, 2).empty());
  ASSERT_EQ(diags.error_count(), 1u) << testing::render(diags);
  EXPECT_EQ(diags.all()[0].message, "the libseccomp backend cannot build the rule for mmap: `(arg2 & 0xff) > 5` "
                                    "compares a masked argument with something other than ==");
  EXPECT_EQ(diags.all()[0].where.line, 3u);

  Filter trap;
  trap.rules.push_back({"read", SYS_read, {ActionKind::Trap, 9}, {}, "", {"t.pol", 2, 3}});
  Diagnostics trap_diags;
  EXPECT_TRUE(compile_libseccomp(trap, trap_diags, 2).empty());
  EXPECT_NE(testing::render(trap_diags).find("trap action carries no number"), std::string::npos) << testing::render(trap_diags);

  Filter unknown;
  unknown.arches = {"x86_64", "x86"};
  unknown.rules.push_back({"1000", 1000, {ActionKind::Allow, 0}, {}, "", {"u.pol", 2, 3}});
  // A number libseccomp does not know is no refusal: the stub in front of libseccomp's program
  // (the one that answers unknown numbers with ENOSYS) carries the rule, on x86_64 only.
  Diagnostics unknown_diags;
  const auto unknown_program = compile_libseccomp(unknown, unknown_diags, 2);
  ASSERT_FALSE(unknown_program.empty()) << testing::render(unknown_diags);
  const ReferenceFilter reference(unknown);
  for (const std::uint32_t arch : {bpf::kAuditArchX86_64, bpf::kAuditArchI386}) {
    bpf::SeccompData call;
    call.nr = 1000;
    call.arch = arch;
    EXPECT_EQ(bpf::run(unknown_program, call)->ret, reference.verdict(call)) << std::hex << arch;
  }
  bpf::SeccompData x86_64_call;
  x86_64_call.nr = 1000;
  EXPECT_EQ(reference.verdict(x86_64_call), static_cast<std::uint32_t>(SECCOMP_RET_ALLOW));
}

// What libseccomp can take of the new forms it builds: a syscall number alone on x86_64, other
// arches' errno(ENOSYS), notify as the default; the translation check then confirms the verdicts.
TEST(SeccompLibseccomp, BuildsNumbersOtherArchActionsAndANotifyDefault) {
  Filter filter;
  filter.default_action = {ActionKind::Notify, 0};
  filter.bad_arch_action = {ActionKind::Errno, 38};
  filter.rules.push_back({"1000", 1000, {ActionKind::Errno, 5}, {}, "", {"n.pol", 2, 3}});
  filter.rules.push_back({"read", SYS_read, {ActionKind::Allow, 0}, {{0, CmpOp::Gt, 2, kNoMask, 64}, {0, CmpOp::Lt, 9, kNoMask, 64}}, "", {"n.pol", 3, 3}});
  Diagnostics diags;
  const auto program = compile_libseccomp(filter, diags, 2);
  ASSERT_FALSE(program.empty()) << testing::render(diags);
  bpf::SeccompData call;
  call.nr = 1000;
  EXPECT_EQ(bpf::run(program, call)->ret, SECCOMP_RET_ERRNO | 5);
  call.nr = SYS_read;
  call.args[0] = 5;
  EXPECT_EQ(bpf::run(program, call)->ret, SECCOMP_RET_ALLOW);
  call.args[0] = 9;
  EXPECT_EQ(bpf::run(program, call)->ret, SECCOMP_RET_USER_NOTIF);
  call.arch = bpf::kAuditArchAarch64;
  EXPECT_EQ(bpf::run(program, call)->ret, SECCOMP_RET_ERRNO | 38);
}

TEST(SeccompLibseccomp, VerificationCatchesAProgramThatDisagreesWithThePolicy) {
  Diagnostics diags;
  auto strict = testing::lower_text("seccomp default errno(EPERM) { allow getpid if arg0 == 1 }", diags, "a.pol");
  auto lax = testing::lower_text("seccomp default errno(EPERM) { allow getpid }", diags, "b.pol");
  ASSERT_TRUE(strict && lax);
  auto lax_program = compile_libseccomp(*lax, diags, 2);
  ASSERT_FALSE(lax_program.empty());
  EXPECT_TRUE(verify_filter(*lax, lax_program, "libseccomp", diags));
  EXPECT_FALSE(verify_filter(*strict, lax_program, "test", diags));
  ASSERT_EQ(diags.error_count(), 1u) << testing::render(diags);
  EXPECT_NE(diags.all()[0].message.find("the test backend's filter gives 0x7fff0000 for getpid(0x0"),
            std::string::npos)
      << diags.all()[0].message;
  EXPECT_NE(diags.all()[0].message.find("where the policy says 0x50001"), std::string::npos);
  EXPECT_EQ(diags.all()[0].where.file, "a.pol");
}

TEST(SeccompLibseccomp, VerificationCatchesAMissingArchGuard) {
  // ld nr; ret allow: no arch check at all.
  std::vector<sock_filter> unguarded = {{BPF_LD | BPF_W | BPF_ABS, 0, 0, 0}, {BPF_RET | BPF_K, 0, 0, 0x7fff0000}};
  Filter allow_all;
  allow_all.default_action = {ActionKind::Allow, 0};
  Diagnostics diags;
  EXPECT_FALSE(verify_filter(allow_all, unguarded, "test", diags));
  EXPECT_NE(testing::render(diags).find("for an i386 call of syscall 0 where the policy says 0x80000000"), std::string::npos)
      << testing::render(diags);
}

}  // namespace
}  // namespace policyc
