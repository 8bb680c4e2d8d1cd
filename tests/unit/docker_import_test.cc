// SPDX-License-Identifier: Apache-2.0
// The Docker profile importer on its own (JSON -> .pol text): both real profiles from
// shared/testdata with golden lines, every class of JSON error with its path, and Docker's
// resolution rules (caps, arches, minKernel, names unknown on the arch, libseccomp's merge).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "compiler/docker/import.h"
#include "tests/support/policy_text.h"
#include "tests/support/rootfs.h"

namespace policyc::docker {
namespace {

std::string shared_profile(const std::string& name) {
  return testsupport::read_text(std::string(SHARED_TESTDATA_DIR) + "/seccomp/" + name);
}

struct Imported {
  std::optional<std::string> text;
  Diagnostics diags;
  bool has_line(const std::string& line) const {
    return text && ("\n" + *text).find("\n" + line + "\n") != std::string::npos;
  }
  bool mentions(const std::string& part) const { return policyc::testing::render(diags).find(part) != std::string::npos; }
};

Imported import(const std::string& json, ImportOptions options = {}) {
  if (options.kernel.empty()) options.kernel = "6.1";
  Imported out;
  out.text = import_to_pol(json, "profile.json", options, out.diags);
  return out;
}

Imported import_ok(const std::string& json, ImportOptions options = {}) {
  Imported out = import(json, std::move(options));
  EXPECT_TRUE(out.text.has_value()) << policyc::testing::render(out.diags);
  EXPECT_FALSE(out.diags.has_errors()) << policyc::testing::render(out.diags);
  return out;
}

// ---- the real profiles -------------------------------------------------------------------

TEST(DockerImport, DockerDefaultProfileGoldenLines) {
  Imported r = import_ok(shared_profile("docker-default.json"));
  for (const char* line : {
           "seccomp default errno(EPERM) {",
           "  arch x86_64 x86 x32",
           "  allow socket if arg0 < 38",
           "  allow socket if arg0 == 39",
           "  allow socket if arg0 > 40",
           "  allow personality if arg0 == 0x20008",
           "  allow personality if arg0 == 0xffffffff",
           "  # syscalls[1]: kernel >= 4.8",
           "  allow process_vm_readv process_vm_writev ptrace",
           "  allow arch_prctl",
           "  allow modify_ldt",
           "  # syscalls[18]: arch not s390/s390x; lacks CAP_SYS_ADMIN",
           "  allow clone if (arg0 & 0x7e020000) == 0",
           "  errno(ENOSYS) clone3",
           "  allow chroot",
           "}"}) {
    EXPECT_TRUE(r.has_line(line)) << "missing line: " << line << "\n" << *r.text;
  }
  // Arch-specific and capability-gated entries Docker leaves out for amd64 + default caps.
  for (const char* absent : {"s390_runtime_instr", "riscv_flush_icache", "arm_fadvise64_64", "reboot",
                             "open_by_handle_at", "swapcontext", "init_module", "perf_event_open"}) {
    EXPECT_EQ(r.text->find(absent), std::string::npos) << absent;
  }
  EXPECT_TRUE(r.text->find("  allow accept accept4 access") != std::string::npos) << *r.text;
}

TEST(DockerImport, ContainersCommonProfileGoldenLines) {
  Imported r = import_ok(shared_profile("containers-common.json"));
  EXPECT_TRUE(r.has_line("seccomp default errno(ENOSYS) {")) << *r.text;
  // bdflush is an i386 call: kept, since the profile allows x86 (abi.h places it there only).
  EXPECT_TRUE(r.text->find("\n  errno(EPERM) bdflush cachestat futex_requeue") != std::string::npos) << *r.text;
  EXPECT_TRUE(r.has_line("  errno(EPERM) open_by_handle_at")) << *r.text;
  // CAP_AUDIT_WRITE is in Docker's default set: socket is allowed outright.
  EXPECT_TRUE(r.has_line("  allow socket")) << *r.text;
  EXPECT_EQ(r.text->find("socket if"), std::string::npos) << *r.text;
}

TEST(DockerImport, ContainersCommonWithoutAuditWriteKeepsTheSocketRules) {
  ImportOptions options;
  options.caps = {"CAP_CHOWN", "CAP_NET_RAW"};
  Imported r = import_ok(shared_profile("containers-common.json"), options);
  EXPECT_TRUE(r.has_line("  errno(EINVAL) socket if arg0 == 16 && arg2 == 9")) << *r.text;
  EXPECT_TRUE(r.has_line("  allow socket if arg2 != 9")) << *r.text;
  EXPECT_TRUE(r.has_line("  allow socket if arg0 != 16")) << *r.text;
  EXPECT_TRUE(r.has_line("  errno(EPERM) chroot")) << *r.text;  // lacks CAP_SYS_CHROOT
}

TEST(DockerImport, NoLineIsMuchWiderThanAHundredColumns) {
  Imported r = import_ok(shared_profile("docker-default.json"));
  std::istringstream lines(*r.text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("#", 0) == 0) continue;  // the caps header may be long
    EXPECT_LE(line.size(), 120u) << line;
  }
}

// ---- includes / excludes -----------------------------------------------------------------

TEST(DockerImport, CapSysAdminAllowsCloneOutright) {
  ImportOptions options;
  options.caps = {"CAP_SYS_ADMIN", "chown"};  // CAP_ prefix optional
  Imported r = import_ok(shared_profile("docker-default.json"), options);
  EXPECT_EQ(r.text->find("clone if"), std::string::npos) << *r.text;
  EXPECT_EQ(r.text->find("errno(ENOSYS) clone3"), std::string::npos) << *r.text;
  EXPECT_TRUE(r.text->find(" clone clone3 ") != std::string::npos) << *r.text;
  EXPECT_TRUE(r.text->find("# syscalls[17]: has CAP_SYS_ADMIN") != std::string::npos) << *r.text;
  EXPECT_EQ(r.text->find("allow chroot"), std::string::npos) << "CAP_SYS_CHROOT not given\n" << *r.text;
}

TEST(DockerImport, CapsNoneMeansNoCapabilities) {
  ImportOptions options;
  options.caps = {"none"};
  Imported r = import_ok(shared_profile("docker-default.json"), options);
  EXPECT_EQ(r.text->find("allow chroot"), std::string::npos) << *r.text;
  EXPECT_TRUE(r.text->find("#   (none)") != std::string::npos) << *r.text;
}

TEST(DockerImport, MinKernelFollowsTheGivenKernel) {
  ImportOptions old_kernel;
  old_kernel.kernel = "4.7";
  EXPECT_EQ(import_ok(shared_profile("docker-default.json"), old_kernel).text->find("ptrace"), std::string::npos);
  ImportOptions exact;
  exact.kernel = "4.8.0-1-amd64";
  EXPECT_TRUE(import_ok(shared_profile("docker-default.json"), exact).has_line(
      "  allow process_vm_readv process_vm_writev ptrace"));
}

TEST(DockerImport, ExcludesByMinKernel) {
  std::string json = R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
    {"names": ["getpid"], "action": "SCMP_ACT_ALLOW", "excludes": {"minKernel": "5.0"}}]})";
  ImportOptions k4; k4.kernel = "4.19";
  ImportOptions k5; k5.kernel = "5.10";
  EXPECT_TRUE(import_ok(json, k4).has_line("  allow getpid"));
  EXPECT_EQ(import_ok(json, k5).text->find("getpid"), std::string::npos);
}

TEST(DockerImport, ArchIncludesFollowTheTargetArch) {
  ImportOptions x86;
  x86.arch = "386";
  Imported r = import_ok(shared_profile("docker-default.json"), x86);
  EXPECT_EQ(r.text->find("arch_prctl"), std::string::npos) << "included for amd64/x32 only";
  EXPECT_TRUE(r.has_line("  allow modify_ldt")) << *r.text;
  // docker-default's archMap has no entry of its own for SCMP_ARCH_X86: the target alone.
  EXPECT_TRUE(r.has_line("  arch x86")) << *r.text;
}

TEST(DockerImport, UnknownTargetArchIsAnError) {
  ImportOptions options;
  options.arch = "mips";
  Imported r = import(shared_profile("docker-default.json"), options);
  EXPECT_FALSE(r.text);
  EXPECT_TRUE(r.mentions("target arch \"mips\" is not supported")) << policyc::testing::render(r.diags);
}

// ---- names, arches, merge rules ----------------------------------------------------------

TEST(DockerImport, NamesUnknownOnTheArchAreSkippedWithANote) {
  Imported r = import_ok(R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
    {"names": ["read", "no_such_call", "s390_runtime_instr"], "action": "SCMP_ACT_ALLOW"}]})");
  EXPECT_TRUE(r.has_line("  allow read")) << *r.text;
  EXPECT_EQ(r.text->find("no_such_call"), std::string::npos);
  ASSERT_FALSE(r.diags.all().empty());
  EXPECT_EQ(r.diags.all().back().severity, Severity::Note);
  EXPECT_TRUE(r.mentions("syscalls[0].names: skipped no_such_call, s390_runtime_instr")) << policyc::testing::render(r.diags);
}

TEST(DockerImport, OldFormatNameAndArchitectures) {
  Imported r = import_ok(R"({"defaultAction": "SCMP_ACT_KILL",
    "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_AARCH64"],
    "syscalls": [{"name": "write", "action": "SCMP_ACT_ALLOW", "args": []},
                 {"name": "ptrace", "action": "SCMP_ACT_TRACE", "errnoRet": 7}]})");
  EXPECT_TRUE(r.has_line("seccomp default kill_thread {")) << *r.text;
  EXPECT_TRUE(r.has_line("  arch x86_64 x86")) << *r.text;
  EXPECT_TRUE(r.has_line("  allow write")) << *r.text;
  EXPECT_TRUE(r.has_line("  trace(7) ptrace")) << *r.text;
  EXPECT_TRUE(r.mentions("architectures: skipped SCMP_ARCH_AARCH64")) << policyc::testing::render(r.diags);
}

TEST(DockerImport, NoArchitecturesMeansNativeOnly) {
  Imported r = import_ok(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
    {"names": ["ptrace"], "action": "SCMP_ACT_KILL_PROCESS"}]})");
  EXPECT_EQ(r.text->find("  arch "), std::string::npos) << *r.text;
  EXPECT_TRUE(r.has_line("seccomp default allow {")) << *r.text;
  EXPECT_TRUE(r.has_line("  kill_process ptrace")) << *r.text;
}

TEST(DockerImport, EveryActionAndOperatorHasItsSpelling) {
  Imported r = import_ok(R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrno": "EACCES", "syscalls": [
    {"names": ["a1"], "action": "SCMP_ACT_LOG"}, {"names": ["getpid"], "action": "SCMP_ACT_LOG"},
    {"names": ["getppid"], "action": "SCMP_ACT_TRAP"}, {"names": ["gettid"], "action": "SCMP_ACT_KILL_THREAD"},
    {"names": ["getuid"], "action": "SCMP_ACT_NOTIFY"}, {"names": ["getgid"], "action": "SCMP_ACT_ERRNO"},
    {"names": ["geteuid"], "action": "SCMP_ACT_ERRNO", "errno": "ENOSYS"},
    {"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [
      {"index": 0, "value": 3, "op": "SCMP_CMP_LE"}, {"index": 1, "value": 4096, "op": "SCMP_CMP_GE"},
      {"index": 2, "value": 1, "op": "SCMP_CMP_NE"}, {"index": 3, "value": 255, "valueTwo": 8, "op": "SCMP_CMP_MASKED_EQ"},
      {"index": 4, "value": 18446744073709551615, "op": "SCMP_CMP_EQ"}]}]})");
  for (const char* line : {"seccomp default errno(EACCES) {", "  log getpid", "  trap getppid", "  kill_thread gettid",
                           "  notify getuid", "  errno(EPERM) getgid", "  errno(ENOSYS) geteuid",
                           "  allow read if arg0 <= 3 && arg1 >= 0x1000 && arg2 != 1 && (arg3 & 0xff) == 8 && "
                           "arg4 == 0xffffffffffffffff"}) {
    EXPECT_TRUE(r.has_line(line)) << line << "\n" << *r.text;
  }
}

TEST(DockerImport, AnUnconditionalRuleWinsOverConditionalOnesAsInLibseccomp) {
  Imported r = import_ok(R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
    {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]},
    {"names": ["personality", "read"], "action": "SCMP_ACT_LOG"},
    {"names": ["read"], "action": "SCMP_ACT_ALLOW"}]})");
  EXPECT_TRUE(r.has_line("  log personality read")) << *r.text;
  EXPECT_EQ(r.text->find("personality if"), std::string::npos) << *r.text;
  EXPECT_EQ(r.text->find("allow read"), std::string::npos) << *r.text;
  EXPECT_TRUE(r.mentions("syscalls[0]: personality SCMP_ACT_ALLOW has no effect")) << policyc::testing::render(r.diags);
  EXPECT_TRUE(r.mentions("syscalls[2]: read SCMP_ACT_ALLOW has no effect")) << policyc::testing::render(r.diags);
}

TEST(DockerImport, RulesEqualToTheDefaultAreDroppedAsRuncDoes) {
  Imported r = import_ok(R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1, "syscalls": [
    {"names": ["mount"], "action": "SCMP_ACT_ERRNO"},
    {"names": ["mount"], "action": "SCMP_ACT_ALLOW"}]})");
  EXPECT_TRUE(r.has_line("  allow mount")) << *r.text;
  EXPECT_EQ(r.text->find("errno(EPERM) mount"), std::string::npos) << *r.text;
}

TEST(DockerImport, CommentsListenerAndFlagsAreCarriedAsComments) {
  Imported r = import_ok(R"({"defaultAction": "SCMP_ACT_ERRNO", "listenerPath": "/run/agent.sock",
    "flags": ["SECCOMP_FILTER_FLAG_LOG"], "syscalls": [
    {"names": ["getpid"], "action": "SCMP_ACT_ALLOW", "comment": "cheap and harmless\nsecond line"}]})");
  EXPECT_TRUE(r.has_line("  # cheap and harmless")) << *r.text;
  EXPECT_TRUE(r.has_line("  # second line")) << *r.text;
  EXPECT_TRUE(r.text->find("# listenerPath \"/run/agent.sock\"") != std::string::npos) << *r.text;
  EXPECT_TRUE(r.text->find("# flags SECCOMP_FILTER_FLAG_LOG") != std::string::npos) << *r.text;
}

TEST(DockerImport, TwoComparisonsOfOneArgumentStayAndedWithAWarning) {
  Imported r = import_ok(R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
    {"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [
      {"index": 0, "value": 2, "op": "SCMP_CMP_GE"}, {"index": 0, "value": 10, "op": "SCMP_CMP_LE"}]}]})");
  EXPECT_TRUE(r.has_line("  allow socket if arg0 >= 2 && arg0 <= 10")) << *r.text;
  EXPECT_TRUE(r.mentions("syscalls[0].args: compares arg0 twice")) << policyc::testing::render(r.diags);
}

// ---- errors --------------------------------------------------------------------------------

struct BadCase {
  const char* json;
  const char* message;   // the part of the rendered diagnostics that must appear
};

class DockerImportErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(DockerImportErrors, NamesTheJsonPath) {
  Imported r = import(GetParam().json);
  EXPECT_FALSE(r.text) << *r.text;
  EXPECT_TRUE(r.diags.has_errors());
  EXPECT_TRUE(r.mentions(GetParam().message)) << "expected: " << GetParam().message << "\ngot:\n" << policyc::testing::render(r.diags);
}

INSTANTIATE_TEST_SUITE_P(
    AllPaths, DockerImportErrors,
    ::testing::Values(
        BadCase{"[1, 2]", "(top level): expected an object"},
        BadCase{R"({"syscalls": []})", "defaultAction: missing"},
        BadCase{R"({"defaultAction": "SCMP_ACT_EROR"})", "did you mean \"SCMP_ACT_ERRNO\"?"},
        BadCase{R"({"defaultAction": 3})", "defaultAction: expected a string, found the number 3"},
        BadCase{R"({"defaultAction": "SCMP_ACT_NOTIFY"})", "defaultAction: SCMP_ACT_NOTIFY cannot be the default"},
        BadCase{R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": "1"})", "defaultErrnoRet: expected an unsigned number"},
        BadCase{R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 70000})", "defaultErrnoRet: 70000 is out of range"},
        BadCase{R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrno": "ENOPE"})", "defaultErrno: unknown errno name \"ENOPE\""},
        BadCase{R"({"defaultAction": "SCMP_ACT_ERRNO", "architectures": "SCMP_ARCH_X86_64"})", "architectures: expected an array"},
        BadCase{R"({"defaultAction": "SCMP_ACT_ERRNO", "archMap": [{"subArchitectures": []}]})", "archMap[0].architecture: missing"},
        BadCase{R"({"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86"],
                   "archMap": [{"architecture": "SCMP_ARCH_X86_64"}]})", "both \"architectures\" and \"archMap\""},
        BadCase{R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": {}})", "syscalls: expected an array"},
        BadCase{R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": ["read"]})", "syscalls[0]: expected an object"},
        BadCase{R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read", 7], "action": "SCMP_ACT_ALLOW"}]})",
                "syscalls[0].names[1]: expected a string"},
        BadCase{R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"name": "a", "names": ["b"], "action": "SCMP_ACT_ALLOW"}]})",
                "syscalls[0]: has both \"name\" and \"names\""},
        BadCase{R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"]}]})", "syscalls[0].action: missing"},
        BadCase{R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "ALLOW"}]})",
                "syscalls[0].action: unknown action \"ALLOW\""},
        BadCase{R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_TRACE", "errnoRet": 70000}]})",
                "syscalls[0].errnoRet: 70000 is out of range"},
        BadCase{R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": {}}]})",
                "syscalls[0].args: expected an array"},
        BadCase{R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW",
                   "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]})", "syscalls[0].args[0].index: 6 is not an argument index"},
        BadCase{R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ALLOW"},
                   {"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"},
                   {"index": 1, "value": 1, "op": "SCMP_CMP_BETWEEN"}]}]})", "syscalls[1].args[1].op: unknown operator \"SCMP_CMP_BETWEEN\""},
        BadCase{R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW",
                   "args": [{"index": 0, "value": -1, "op": "SCMP_CMP_EQ"}]}]})", "syscalls[0].args[0].value: expected an unsigned number, found -1"},
        BadCase{R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW",
                   "args": [{"index": 0, "value": 1}]}]})", "syscalls[0].args[0].op: missing"},
        BadCase{R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW",
                   "includes": []}]})", "syscalls[0].includes: expected an object"},
        BadCase{R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW",
                   "excludes": {"caps": "CAP_SYS_ADMIN"}}]})", "syscalls[0].excludes.caps: expected an array"},
        BadCase{R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW",
                   "includes": {"minKernel": "four"}}]})", "syscalls[0].includes.minKernel: \"four\" is not a kernel version"},
        BadCase{R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO",
                   "errno": "EWHAT"}]})", "syscalls[0].errno: unknown errno name \"EWHAT\""}));

TEST(DockerImport, SyntaxErrorGivesLineAndColumn) {
  Imported r = import("{\n  \"defaultAction\": \"SCMP_ACT_ERRNO\",\n  \"syscalls\": [ }\n");
  EXPECT_FALSE(r.text);
  ASSERT_EQ(r.diags.all().size(), 1u);
  const Diagnostic& d = r.diags.all()[0];
  EXPECT_EQ(d.where.file, "profile.json");
  EXPECT_EQ(d.where.line, 3u);
  EXPECT_EQ(d.where.column, 17u);
  EXPECT_TRUE(r.mentions("profile.json:3:17: error: invalid JSON")) << policyc::testing::render(r.diags);
}

TEST(DockerImport, AllErrorsAreReportedAtOnce) {
  Imported r = import(R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
    {"names": ["read"], "action": "SCMP_ACT_NOPE"},
    {"names": ["write"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 9, "op": "SCMP_CMP_EQ"}]}]})");
  EXPECT_EQ(r.diags.error_count(), 2u) << policyc::testing::render(r.diags);
}

TEST(DockerImport, UnknownFieldsAreWarnedWithASuggestion) {
  Imported r = import_ok(R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
    {"names": ["read"], "action": "SCMP_ACT_ALLOW", "comments": "x"}]})");
  EXPECT_TRUE(r.mentions("syscalls[0].comments: unknown field")) << policyc::testing::render(r.diags);
  EXPECT_TRUE(r.mentions("did you mean \"comment\"?")) << policyc::testing::render(r.diags);
}

}  // namespace
}  // namespace policyc::docker
