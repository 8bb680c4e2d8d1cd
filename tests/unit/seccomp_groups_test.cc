// SPDX-License-Identifier: Apache-2.0
// The built-in syscall groups (compiler/seccomp/groups.h), the generated syscall table
// (plan/syscall_table.h) and the ENOSYS verdict for numbers newer than it (abi.h): what the
// groups hold, how rules expand them, that docs/language.md shows exactly the code's table, that
// names libseccomp 2.5.4 lacks (mseal) work in policies and Docker profiles, and that both
// backends and the reference semantics answer unknown numbers with ENOSYS.
#include <gtest/gtest.h>
#include <seccomp.h>
#include <sys/syscall.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "compiler/backend/backend.h"
#include "compiler/bpf/bpf_interp.h"
#include "compiler/codegen/codegen.h"
#include "compiler/docker/import.h"
#include "compiler/libseccomp/libseccomp_backend.h"
#include "compiler/seccomp/abi.h"
#include "compiler/seccomp/groups.h"
#include "compiler/seccomp/syscalls.h"
#include "plan/syscall_table.h"
#include "tests/support/policy_text.h"
#include "tests/support/rootfs.h"

namespace policyc {
namespace {

using seccomp::Abi;
using seccomp::ActionKind;
using seccomp::BuiltinGroup;
using seccomp::Filter;
using seccomp::MemberKind;

constexpr std::uint32_t kRetEnosys = 0x00050000U | ENOSYS;  // SECCOMP_RET_ERRNO | ENOSYS
constexpr std::uint32_t kRetEperm = 0x00050000U | EPERM;
constexpr std::uint32_t kRetAllow = 0x7fff0000U;

// ---- the groups --------------------------------------------------------------------------

TEST(SeccompGroups, EveryPromisedGroupExists) {
  for (const char* name : {"@default", "@basic-io", "@file-system", "@network-io", "@process", "@signal", "@timer",
                           "@io-event", "@ipc", "@memory", "@sync", "@mount", "@module", "@reboot", "@swap", "@raw-io",
                           "@privileged", "@debug", "@obsolete", "@cpu-emulation"}) {
    const BuiltinGroup* group = seccomp::find_builtin_group(name);
    ASSERT_NE(group, nullptr) << name;
    EXPECT_FALSE(group->members.empty()) << name;
    EXPECT_FALSE(group->purpose.empty()) << name;
  }
  EXPECT_EQ(seccomp::builtin_groups().size(), 20u);
  EXPECT_EQ(seccomp::find_builtin_group("@nope"), nullptr);
}

TEST(SeccompGroups, DefaultHoldsWhatEveryProgramNeeds) {
  const BuiltinGroup& def = *seccomp::find_builtin_group("@default");
  for (const char* name : {"restart_syscall", "rt_sigreturn", "exit", "exit_group", "execve", "brk", "mmap", "futex"}) {
    EXPECT_NE(std::find(def.members.begin(), def.members.end(), name), def.members.end()) << name;
  }
}

TEST(SeccompGroups, GroupsArePairwiseDisjointAndHaveNoDuplicates) {
  std::map<std::string_view, std::string_view> owner;
  for (const BuiltinGroup& group : seccomp::builtin_groups()) {
    for (std::string_view member : group.members) {
      const auto [it, inserted] = owner.emplace(member, group.name);
      EXPECT_TRUE(inserted) << member << " is in " << it->second << " and " << group.name;
    }
  }
}

// Calls that need an argument condition are in no group, so `allow @group` never opens them.
TEST(SeccompGroups, ArgumentDependentCallsAreInNoGroup) {
  for (const BuiltinGroup& group : seccomp::builtin_groups()) {
    for (const char* name : {"clone", "clone3", "ioctl", "personality", "seccomp", "io_uring_setup"}) {
      EXPECT_EQ(std::find(group.members.begin(), group.members.end(), name), group.members.end())
          << name << " in " << group.name;
    }
  }
}

// Members newer than the 6.12 headers the build fetches (scripts/deps.sh). Anything else that
// does not resolve is a typo, which the silent skipping of built-in members would hide.
const std::set<std::string> kNewerThanTheBuildHeaders = {
    "getxattrat", "setxattrat", "listxattrat", "removexattrat",  // 6.13
    "open_tree_attr",                                            // 6.15
    "file_getattr", "file_setattr"};                             // 6.17

TEST(SeccompGroups, EveryMemberResolvesOrIsNewerThanTheTable) {
  for (const BuiltinGroup& group : seccomp::builtin_groups()) {
    for (std::string_view member : group.members) {
      const std::string name(member);
      const MemberKind kind = seccomp::member_kind(member);
      if (kind == MemberKind::Unknown) {
        EXPECT_TRUE(kNewerThanTheBuildHeaders.count(name))
            << group.name << ": " << name << " is not a syscall of this build (syscall table: "
            << plan::syscall_table_source() << "; scripts/deps.sh fetches the 6.12 headers)";
      } else if (kind == MemberKind::I386Only) {
        EXPECT_TRUE(seccomp::number_on_abi(Abi::I386, name)) << name;
      } else {
        EXPECT_EQ(seccomp::resolve_syscall(name).status, seccomp::SyscallLookup::Found) << name;
      }
    }
  }
}

TEST(SeccompGroups, DocsTableIsTheGeneratedOne) {
  const std::string docs = testsupport::read_text(std::string(SOURCE_DIR) + "/docs/language.md");
  const std::size_t begin_marker = docs.find("<!-- builtin-groups:begin");
  const std::size_t end_marker = docs.find("<!-- builtin-groups:end -->");
  ASSERT_NE(begin_marker, std::string::npos);
  ASSERT_NE(end_marker, std::string::npos);
  const std::size_t begin = docs.find('\n', begin_marker) + 1;
  EXPECT_EQ(docs.substr(begin, end_marker - begin), seccomp::builtin_groups_markdown())
      << "docs/language.md's group table is stale: replace the lines between the builtin-groups "
         "markers with the output of `build/compiler/policyc groups --markdown`";
}

// ---- expansion in rules -------------------------------------------------------------------

using testing::lower_block;

std::vector<std::string> syscalls_of(const Filter& filter, ActionKind kind) {
  std::vector<std::string> out;
  for (const auto& rule : filter.rules) {
    if (rule.action.kind == kind) out.push_back(rule.syscall);
  }
  return out;
}

bool has(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

TEST(SeccompGroupsLowering, ABuiltinGroupExpandsToItsMembersQuietly) {
  auto l = lower_block("allow @default @file-system");
  ASSERT_TRUE(l->filter) << testing::render(l->diags);
  EXPECT_TRUE(l->diags.all().empty()) << testing::render(l->diags);
  const auto allowed = syscalls_of(*l->filter, ActionKind::Allow);
  EXPECT_TRUE(has(allowed, "restart_syscall"));
  EXPECT_TRUE(has(allowed, "openat"));
  EXPECT_TRUE(has(allowed, "statmount"));  // from the generated table: libseccomp 2.5.4 lacks it
  EXPECT_FALSE(has(allowed, "stat64"));     // i386 only, and the filter refuses i386 calls
  EXPECT_FALSE(has(allowed, "setxattrat")); // newer than the table: skipped without a word
  std::size_t members = 0;
  for (const char* g : {"@default", "@file-system"}) {
    for (auto m : seccomp::find_builtin_group(g)->members) members += seccomp::member_kind(m) == MemberKind::X86_64;
  }
  EXPECT_EQ(allowed.size(), members);
}

TEST(SeccompGroupsLowering, I386OnlyMembersApplyWithArchX86) {
  auto l = lower_block("arch x86_64 x86\nallow @file-system");
  ASSERT_TRUE(l->filter) << testing::render(l->diags);
  EXPECT_TRUE(l->diags.all().empty()) << testing::render(l->diags);
  EXPECT_TRUE(has(syscalls_of(*l->filter, ActionKind::Allow), "stat64"));
  bool i386_stat64 = false;
  for (const auto& rule : seccomp::rules_for_abi(*l->filter, Abi::I386)) i386_stat64 |= rule.nr == 195;  // stat64
  EXPECT_TRUE(i386_stat64);
}

TEST(SeccompGroupsLowering, AnEarlierUnconditionalRuleCarvesAMemberOutSilently) {
  auto l = lower_block("kill_process ptrace\nerrno(EACCES) @debug");
  ASSERT_TRUE(l->filter) << testing::render(l->diags);
  EXPECT_TRUE(l->diags.all().empty()) << testing::render(l->diags);
  EXPECT_EQ(syscalls_of(*l->filter, ActionKind::KillProcess), std::vector<std::string>{"ptrace"});
  const auto refused = syscalls_of(*l->filter, ActionKind::Errno);
  EXPECT_FALSE(has(refused, "ptrace"));
  EXPECT_TRUE(has(refused, "process_vm_readv"));
}

// A default-action rule that keeps a later group's member off has an effect: no warning.
TEST(SeccompGroupsLowering, ADefaultActionExceptionBeforeAGroupIsNotWarnedAbout) {
  auto l = lower_block("errno(EPERM) mknod mknodat\nallow @file-system");
  ASSERT_TRUE(l->filter) << testing::render(l->diags);
  EXPECT_TRUE(l->diags.all().empty()) << testing::render(l->diags);
  const seccomp::ReferenceFilter reference(*l->filter);
  bpf::SeccompData call;
  call.nr = SYS_mknod;
  EXPECT_EQ(reference.verdict(call), kRetEperm);
  call.nr = SYS_openat;
  EXPECT_EQ(reference.verdict(call), kRetAllow);
}

TEST(SeccompGroupsLowering, AGroupAfterAConditionalRuleOfItsActionIsAWarning) {
  auto l = lower_block("allow socket if arg0 == AF_INET\nallow @network-io");
  ASSERT_TRUE(l->filter) << testing::render(l->diags);
  ASSERT_EQ(l->diags.all().size(), 1u) << testing::render(l->diags);
  const Diagnostic& d = l->diags.all().front();
  EXPECT_EQ(d.severity, Severity::Warning);
  EXPECT_NE(d.message.find("@network-io gives every socket call allow"), std::string::npos) << d.message;
  EXPECT_EQ(d.where.line, 3u);
  // An exception with another action is the intended shape: no warning.
  auto ok = lower_block("errno(EAFNOSUPPORT) socket if arg0 == AF_NETLINK\nallow @network-io");
  ASSERT_TRUE(ok->filter);
  EXPECT_TRUE(ok->diags.all().empty()) << testing::render(ok->diags);
}

TEST(SeccompGroupsLowering, AGroupWithTheDefaultActionIsOneWarning) {
  auto l = lower_block("errno(EPERM) @debug");
  ASSERT_TRUE(l->filter);
  ASSERT_EQ(l->diags.all().size(), 1u) << testing::render(l->diags);
  EXPECT_NE(l->diags.all().front().message.find("this rule for @debug has no effect"), std::string::npos);
}

TEST(SeccompGroupsLowering, APolicysOwnDefinitionReplacesTheBuiltinWithANote) {
  auto l = lower_block("group @process = getpid\nallow @process");
  ASSERT_TRUE(l->filter) << testing::render(l->diags);
  EXPECT_EQ(syscalls_of(*l->filter, ActionKind::Allow), std::vector<std::string>{"getpid"});
  ASSERT_EQ(l->diags.all().size(), 1u) << testing::render(l->diags);
  const Diagnostic& d = l->diags.all().front();
  EXPECT_EQ(d.severity, Severity::Note);
  EXPECT_NE(d.message.find("replaces the built-in group @process"), std::string::npos) << d.message;
  EXPECT_EQ(d.where.line, 2u);
  EXPECT_EQ(l->diags.error_count(), 0u);
}

TEST(SeccompGroupsLowering, AMisspelledBuiltinGetsADidYouMean) {
  auto l = lower_block("allow @file-sytem");
  EXPECT_FALSE(l->filter);
  ASSERT_EQ(l->diags.all().size(), 1u) << testing::render(l->diags);
  EXPECT_NE(l->diags.all().front().hint.find("@file-system"), std::string::npos) << testing::render(l->diags);
}

// ---- the generated syscall table -----------------------------------------------------------

TEST(SyscallTable, KnowsTheThreeAbisAndAgreesWithLibseccomp) {
  EXPECT_EQ(plan::syscall_number(plan::SyscallAbi::X86_64, "read"), 0u);
  EXPECT_EQ(plan::syscall_number(plan::SyscallAbi::X32, "read"), 0x40000000u);
  EXPECT_EQ(plan::syscall_number(plan::SyscallAbi::I386, "read"), 3u);
  EXPECT_EQ(plan::syscall_name(plan::SyscallAbi::X86_64, 59), "execve");
  EXPECT_FALSE(plan::syscall_table_source().empty());
  const std::pair<plan::SyscallAbi, std::uint32_t> abis[] = {
      {plan::SyscallAbi::X86_64, SCMP_ARCH_X86_64}, {plan::SyscallAbi::X32, SCMP_ARCH_X32}, {plan::SyscallAbi::I386, SCMP_ARCH_X86}};
  for (const auto& [abi, token] : abis) {
    std::size_t both = 0;
    for (const plan::SyscallEntry& e : plan::syscall_table(abi)) {
      const int theirs = seccomp_syscall_resolve_name_arch(token, std::string(e.name).c_str());
      if (theirs == __NR_SCMP_ERROR || theirs < 0) continue;  // newer than libseccomp, or multiplexed
      EXPECT_EQ(static_cast<std::uint32_t>(theirs), e.nr) << e.name;
      ++both;
    }
    EXPECT_GT(both, 300u);
  }
}

// The build fetches bookworm-backports' 6.12 headers (scripts/deps.sh); 6.1's lack these.
TEST(SyscallTable, HasTheNamesLibseccompLacks) {
  for (const char* name : {"mseal", "listmount", "statmount"}) {
    EXPECT_EQ(seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, name), __NR_SCMP_ERROR) << name;
    EXPECT_TRUE(plan::syscall_number(plan::SyscallAbi::X86_64, name))
        << name << " is missing from the syscall table (" << plan::syscall_table_source()
        << "): run scripts/deps.sh's fetch_uapi_headers and reconfigure";
  }
  EXPECT_EQ(plan::syscall_number(plan::SyscallAbi::X86_64, "mseal"), 462u);
  EXPECT_EQ(plan::syscall_number(plan::SyscallAbi::X32, "mseal"), 0x40000000u + 462);
  EXPECT_EQ(plan::syscall_number(plan::SyscallAbi::I386, "mseal"), 462u);
}

// ---- names libseccomp lacks, in policies and Docker profiles ---------------------------------

std::uint32_t run(const std::vector<sock_filter>& program, int nr, std::uint32_t arch = bpf::kAuditArchX86_64) {
  bpf::SeccompData call;
  call.nr = nr;
  call.arch = arch;
  std::string error;
  const auto verdict = bpf::run(program, call, &error);
  EXPECT_TRUE(verdict) << error;
  return verdict ? verdict->ret : 0;
}

TEST(SyscallTableInPolicies, MsealIsUsableOnEveryAbi) {
  auto l = lower_block("arch x86_64 x86 x32\nallow mseal listmount statmount");
  ASSERT_TRUE(l->filter) << testing::render(l->diags);
  EXPECT_TRUE(l->diags.all().empty()) << testing::render(l->diags);
  EXPECT_EQ(l->filter->rules.front().nr, 462);
  Diagnostics diags;
  const auto program = seccomp::compile(*l->filter, seccomp::Backend::Policyc, diags);
  ASSERT_FALSE(program.empty()) << testing::render(diags);
  EXPECT_EQ(run(program, 462), kRetAllow);
  EXPECT_EQ(run(program, 0x40000000 + 462), kRetAllow);
  EXPECT_EQ(run(program, 462, bpf::kAuditArchI386), kRetAllow);
  EXPECT_EQ(run(program, 461), kRetEperm);  // lsm_list_modules: known, not listed
  // libseccomp renumbers rules for x32/i386 by name, which it cannot for mseal: the stub before
  // its program places them; an argument test on them it cannot, and says so.
  Diagnostics theirs_diags;
  const auto theirs = seccomp::compile(*l->filter, seccomp::Backend::Libseccomp, theirs_diags);
  ASSERT_FALSE(theirs.empty()) << testing::render(theirs_diags);
  EXPECT_EQ(run(theirs, 462), kRetAllow);
  EXPECT_EQ(run(theirs, 0x40000000 + 462), kRetAllow);
  EXPECT_EQ(run(theirs, 462, bpf::kAuditArchI386), kRetAllow);
  EXPECT_EQ(run(theirs, 461), kRetEperm);
  auto conditional = lower_block("allow mseal if arg2 == 0");
  ASSERT_TRUE(conditional->filter);
  Diagnostics refused;
  EXPECT_TRUE(seccomp::compile(*conditional->filter, seccomp::Backend::Libseccomp, refused).empty());
  EXPECT_NE(testing::render(refused).find("cannot test the arguments of mseal"), std::string::npos)
      << testing::render(refused);
  Diagnostics ours_diags;
  EXPECT_FALSE(seccomp::compile(*conditional->filter, seccomp::Backend::Policyc, ours_diags).empty());
}

TEST(SyscallTableInPolicies, MsealIsUsableInADockerProfile) {
  const std::string json = R"({"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"],
    "syscalls": [{"names": ["mseal", "listmount", "statmount", "read"], "action": "SCMP_ACT_ALLOW"}]})";
  Diagnostics diags;
  const auto pol = docker::import_to_pol(json, "new.json", {}, diags);
  ASSERT_TRUE(pol) << testing::render(diags);
  EXPECT_EQ(diags.error_count(), 0u);
  for (const Diagnostic& d : diags.all()) EXPECT_EQ(d.message.find("skipped"), std::string::npos) << d.message;
  EXPECT_NE(pol->find("mseal"), std::string::npos) << *pol;
  const auto filter = testing::lower_text(*pol, diags, "new.pol");
  ASSERT_TRUE(filter) << testing::render(diags);
  const auto allowed = syscalls_of(*filter, ActionKind::Allow);
  for (const char* name : {"mseal", "listmount", "statmount"}) EXPECT_TRUE(has(allowed, name)) << *pol;
}

// ---- ENOSYS for numbers newer than the table --------------------------------------------------

std::uint32_t highest_x86_64() {
  std::uint32_t highest = 0;
  for (const plan::SyscallEntry& e : plan::syscall_table(plan::SyscallAbi::X86_64)) highest = std::max(highest, e.nr);
  return highest;
}

TEST(UnknownNumbers, RangesStartAboveTheTable) {
  const auto& x86_64 = seccomp::unknown_numbers(Abi::X86_64);
  ASSERT_EQ(x86_64.size(), 1u);
  EXPECT_EQ(x86_64[0].lo, highest_x86_64() + 1);
  EXPECT_EQ(x86_64[0].hi, 0x3fffffffu);
  const auto& x32 = seccomp::unknown_numbers(Abi::X32);
  ASSERT_EQ(x32.size(), 2u);  // above the shared block, below x32's own 512..547; and above those
  EXPECT_EQ(x32[0].lo, 0x40000000u + highest_x86_64() + 1);
  EXPECT_EQ(x32[0].hi, 0x40000000u + 511);
  EXPECT_EQ(x32[1].lo, 0x40000000u + 548);
  EXPECT_EQ(x32[1].hi, 0xfffffffeu);
  const auto& i386 = seccomp::unknown_numbers(Abi::I386);
  ASSERT_EQ(i386.size(), 1u);
  EXPECT_EQ(i386[0].hi, 0xfffffffeu);
}

// One filter, three judges: the reference semantics, our BPF and libseccomp's (with its stub),
// on numbers around every edge.
void expect_all_agree(const Filter& filter, const std::vector<std::pair<bpf::SeccompData, std::uint32_t>>& cases,
                      bool libseccomp_too = true) {
  Diagnostics diags;
  const auto ours = seccomp::generate_policyc(filter, diags, nullptr);
  ASSERT_FALSE(ours.empty()) << testing::render(diags);
  std::vector<sock_filter> theirs;
  if (libseccomp_too) {
    theirs = seccomp::compile_libseccomp(filter, diags, 2);
    ASSERT_FALSE(theirs.empty()) << testing::render(diags);
  }
  const seccomp::ReferenceFilter reference(filter);
  for (const auto& [call, want] : cases) {
    std::ostringstream what;
    what << "nr 0x" << std::hex << static_cast<std::uint32_t>(call.nr) << " arch 0x" << call.arch;
    EXPECT_EQ(reference.verdict(call), want) << what.str();
    EXPECT_EQ(run(ours, call.nr, call.arch), want) << "policyc backend, " << what.str();
    if (libseccomp_too) {
      EXPECT_EQ(run(theirs, call.nr, call.arch), want) << "libseccomp backend, " << what.str();
    }
  }
}

bpf::SeccompData call_of(std::uint32_t nr, std::uint32_t arch = bpf::kAuditArchX86_64) {
  bpf::SeccompData call;
  call.nr = static_cast<int>(nr);
  call.arch = arch;
  return call;
}

TEST(UnknownNumbers, GetEnosysKnownUnlistedOnesGetTheDefault) {
  auto l = lower_block("allow read write");
  ASSERT_TRUE(l->filter);
  const std::uint32_t top = highest_x86_64();
  expect_all_agree(*l->filter, {{call_of(0), kRetAllow},
                                {call_of(SYS_ptrace), kRetEperm},         // known, not listed: the default
                                {call_of(top), kRetEperm},                // the newest known one
                                {call_of(top + 1), kRetEnosys},           // newer than the table
                                {call_of(1023), kRetEnosys},
                                {call_of(0x3fffffff), kRetEnosys},
                                {call_of(0x40000000), 0x80000000U},    // x32 without `arch x32`: bad arch
                                {call_of(0xffffffffU), kRetEperm}});      // a tracer's skip: the default
}

TEST(UnknownNumbers, X32AndI386HaveTheirOwnRanges) {
  auto l = lower_block("arch x86_64 x32 x86\nallow read");
  ASSERT_TRUE(l->filter);
  const std::uint32_t top = highest_x86_64();
  expect_all_agree(*l->filter, {{call_of(0x40000000), kRetAllow},                  // x32 read
                                {call_of(0x40000000 + top), kRetEperm},            // newest shared one
                                {call_of(0x40000000 + top + 1), kRetEnosys},       // newer than the table
                                {call_of(0x40000000 + 511), kRetEnosys},
                                {call_of(0x40000000 + 512), kRetEperm},            // x32's own rt_sigaction
                                {call_of(0x40000000 + 547), kRetEperm},
                                {call_of(0x40000000 + 548), kRetEnosys},
                                {call_of(0xfffffffeU), kRetEnosys},
                                {call_of(3, bpf::kAuditArchI386), kRetAllow},       // i386 read
                                {call_of(top, bpf::kAuditArchI386), kRetEperm},
                                {call_of(top + 1, bpf::kAuditArchI386), kRetEnosys},
                                {call_of(0xffffffffU, bpf::kAuditArchI386), kRetEperm}});
}

TEST(UnknownNumbers, APermissiveDefaultLetsThemThrough) {
  auto l = lower_block("errno(EPERM) ptrace", "allow");
  ASSERT_TRUE(l->filter);
  expect_all_agree(*l->filter, {{call_of(highest_x86_64() + 1), kRetAllow}, {call_of(SYS_ptrace), kRetEperm}});
}

// A rule for a number above the table decides it; its neighbours still get ENOSYS.
TEST(UnknownNumbers, ARuleForAnUnknownNumberDecidesIt) {
  Filter filter;
  filter.default_action = {ActionKind::KillProcess, 0};
  const std::uint32_t nr = highest_x86_64() + 5;
  filter.rules.push_back({"future", static_cast<int>(nr), {ActionKind::Allow, 0}, {}, "", {}});
  filter.rules.push_back({"read", 0, {ActionKind::Allow, 0}, {}, "", {}});
  expect_all_agree(filter, {{call_of(nr), kRetAllow},
                            {call_of(nr - 1), kRetEnosys},
                            {call_of(nr + 1), kRetEnosys},
                            {call_of(SYS_ptrace), 0x80000000U}});
}

}  // namespace
}  // namespace policyc
