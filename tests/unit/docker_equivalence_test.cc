// SPDX-License-Identifier: Apache-2.0
// Equivalence of the Docker bridges, proven by verdicts: for both real profiles,
//   (a) the JSON compiled straight through libseccomp the way Docker + runc do (the oracle in
//       tests/support/docker_oracle, independent of compiler/docker),
//   (b) import-docker -> .pol -> compile_policy -> plan BPF,
//   (c) import -> export-docker -> import -> compile_policy -> plan BPF,
// must give the same seccomp verdict for every x86_64 syscall number with every interesting
// argument value on every argument index, for x32 numbers and for i386 calls (socketcall,
// _llseek, chown32... included): zero differences. (b) and (c) use the default backend (our
// code generator); the libseccomp backend is checked the same way. A sample also runs in the
// kernel.
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <seccomp.h>
#include <sys/syscall.h>

#include <fstream>
#include <set>
#include <sstream>

#include "compiler/bpf/bpf_interp.h"
#include "compiler/docker/export.h"
#include "compiler/docker/import.h"
#include "compiler/driver/compile.h"
#include "plan/plan_json.h"
#include "tests/support/docker_oracle.h"
#include "tests/support/seccomp_kernel.h"
#include "tests/support/rootfs.h"

namespace policyc {
namespace {

using Program = std::vector<sock_filter>;

constexpr int kHighestNr = 463;
constexpr std::uint32_t kSeccompRetAllow = 0x7fff0000U;

std::string render(const Diagnostics& diags) {
  std::ostringstream out;
  diags.render(out);
  return out.str();
}

std::string scratch(const std::string& name) {
  std::string dir = TEST_SCRATCH_DIR;
  std::string command = "mkdir -p '" + dir + "'";
  EXPECT_EQ(std::system(command.c_str()), 0);
  return dir + "/" + name;
}

docker::ImportOptions import_options() {
  docker::ImportOptions options;
  options.kernel = "6.1";
  return options;
}

Program compile_pol_text(const std::string& text, const std::string& name,
                         seccomp::Backend backend = CompileOptions{}.backend) {
  std::string path = scratch(name);
  plan::write_file_atomically(path, text);
  Diagnostics diags;
  CompileOptions options;
  options.backend = backend;
  auto result = compile_policy(path, options, diags);
  EXPECT_TRUE(result.has_value()) << render(diags) << "\n" << text;
  std::remove(path.c_str());
  if (!result || !result->plan.seccomp) return {};
  return bpf::decode(result->plan.seccomp->bpf);
}

struct Pipelines {
  Program oracle, imported, round_trip;
  std::string pol;
};

Pipelines build(const std::string& profile_file) {
  Pipelines p;
  std::string json = testsupport::read_text(std::string(SHARED_TESTDATA_DIR) + "/seccomp/" + profile_file);
  std::string error;
  testsupport::DockerOracleOptions oracle_options;
  oracle_options.kernel = "6.1";
  auto oracle = testsupport::compile_docker_profile(json, oracle_options, &error);
  EXPECT_TRUE(oracle.has_value()) << error;
  if (oracle) p.oracle = *oracle;

  Diagnostics diags;
  auto pol = docker::import_to_pol(json, profile_file, import_options(), diags);
  EXPECT_TRUE(pol.has_value()) << render(diags);
  if (!pol) return p;
  p.pol = *pol;
  p.imported = compile_pol_text(*pol, profile_file + ".pol");

  // (c): export what (b) compiled, import it again.
  std::string path = scratch(profile_file + ".export.pol");
  plan::write_file_atomically(path, *pol);
  Diagnostics export_diags;
  auto compiled = compile_policy(path, CompileOptions{}, export_diags);
  std::remove(path.c_str());
  EXPECT_TRUE(compiled && compiled->filter) << render(export_diags);
  if (!compiled || !compiled->filter) return p;
  auto exported = docker::export_profile(*compiled->filter, export_diags);
  EXPECT_TRUE(exported.has_value()) << render(export_diags);
  if (!exported) return p;
  Diagnostics again;
  auto reimported = docker::import_to_pol(exported->dump(), profile_file + ".exported.json", import_options(), again);
  EXPECT_TRUE(reimported.has_value()) << render(again);
  if (reimported) p.round_trip = compile_pol_text(*reimported, profile_file + ".round.pol");
  return p;
}

std::vector<std::uint64_t> argument_values() {
  return {0, 1, 2, 8, 38, 40, 0x7fffffff, 0x80000000, 0xffffffff, 1ULL << 32, ~0ULL,
          // the values the profiles compare with, and their neighbours
          39, 41, 16, 9, 0x20000, 0x20008, 0x7e020000, 0x10000000};
}

std::uint32_t verdict(const Program& program, const bpf::SeccompData& data) {
  std::string error;
  auto v = bpf::run(program, data, &error);
  EXPECT_TRUE(v.has_value()) << error;
  return v ? v->ret : 0xdeadbeef;
}

// Calls: every nr on the arch, once with zero arguments and once per (argument, value).
template <typename Visit>
void for_each_call(std::uint32_t arch, int nr_base, int first, int last, Visit visit) {
  for (int nr = first; nr <= last; ++nr) {
    bpf::SeccompData data;
    data.arch = arch;
    data.nr = nr_base | nr;
    visit(data);
    for (unsigned arg = 0; arg < 6; ++arg) {
      for (std::uint64_t value : argument_values()) {
        bpf::SeccompData with = data;
        with.args[arg] = value;
        visit(with);
      }
    }
  }
}

std::string describe(const bpf::SeccompData& d) {
  std::ostringstream out;
  out << "arch 0x" << std::hex << d.arch << " nr 0x" << d.nr << " args";
  for (auto a : d.args) out << " 0x" << a;
  return out.str();
}

struct Comparison {
  std::size_t calls = 0;
  std::size_t differences = 0;
};

void compare(const Program& expected, const Program& actual, Comparison& out, const char* label) {
  auto check = [&](const bpf::SeccompData& data) {
    ++out.calls;
    std::uint32_t want = verdict(expected, data), got = verdict(actual, data);
    if (want == got) return;
    if (++out.differences <= 10) {
      ADD_FAILURE() << label << ": " << describe(data) << ": oracle 0x" << std::hex << want << ", ours 0x" << got;
    }
  };
  for_each_call(bpf::kAuditArchX86_64, 0, 0, kHighestNr, check);
  for_each_call(bpf::kAuditArchX86_64, bpf::kX32SyscallBit, 0, kHighestNr, check);
  for_each_call(bpf::kAuditArchX86_64, bpf::kX32SyscallBit, 512, 547, check);  // x32's own numbers
  for_each_call(bpf::kAuditArchI386, 0, 0, kHighestNr, check);
}

class DockerEquivalence : public ::testing::TestWithParam<std::pair<const char*, std::uint32_t>> {};

TEST_P(DockerEquivalence, OracleImportAndRoundTripAgree) {
  const char* file = GetParam().first;
  Pipelines p = build(file);
  ASSERT_FALSE(p.oracle.empty());
  ASSERT_FALSE(p.imported.empty());
  ASSERT_FALSE(p.round_trip.empty());

  Comparison imported, round_trip, between;
  compare(p.oracle, p.imported, imported, "(a) vs (b)");
  compare(p.oracle, p.round_trip, round_trip, "(a) vs (c)");
  compare(p.imported, p.round_trip, between, "(b) vs (c)");
  EXPECT_EQ(imported.differences, 0u);
  EXPECT_EQ(round_trip.differences, 0u);
  EXPECT_EQ(between.differences, 0u);
  EXPECT_GT(imported.calls, 160000u);
  std::printf("%s: %zu calls (x86_64, x32, i386), zero differences expected: %zu, %zu, %zu\n", file,
              imported.calls, imported.differences, round_trip.differences, between.differences);
}

INSTANTIATE_TEST_SUITE_P(SharedProfiles, DockerEquivalence,
                         ::testing::Values(std::make_pair("docker-default.json", 0x00050000U | 1U),
                                           std::make_pair("containers-common.json", 0x00050000U | 38U)),
                         [](const auto& info) {
                           std::string name = info.param.first;
                           return name.substr(0, name.find('-')) == "docker" ? std::string("DockerDefault")
                                                                              : std::string("ContainersCommon");
                         });

// `include "profile.json"` inside a .pol goes through the same importer (with the running
// kernel for minKernel and Docker's default caps): the same verdicts as Docker's filter.
TEST(DockerEquivalenceInclude, IncludedProfileGivesDockersVerdicts) {
  std::string profile = std::string(SHARED_TESTDATA_DIR) + "/seccomp/docker-default.json";
  std::string error;
  auto oracle = testsupport::compile_docker_profile(testsupport::read_text(profile), {}, &error);
  ASSERT_TRUE(oracle.has_value()) << error;
  Program included = compile_pol_text(
      "seccomp default errno(EPERM) {\n  arch x86_64 x86 x32\n  include \"" + profile + "\"\n}\n", "include.pol");
  ASSERT_FALSE(included.empty());
  Comparison result;
  compare(*oracle, included, result, "oracle vs include");
  EXPECT_EQ(result.differences, 0u);
}

// The imported .pol compiled by the libseccomp backend (--backend libseccomp) instead of ours:
// Docker's verdicts too, on every ABI.
TEST_P(DockerEquivalence, LibseccompBackendAgreesWithTheOracle) {
  const char* file = GetParam().first;
  Pipelines p = build(file);
  ASSERT_FALSE(p.oracle.empty());
  Program generated = compile_pol_text(p.pol, std::string(file) + ".libseccomp.pol", seccomp::Backend::Libseccomp);
  ASSERT_FALSE(generated.empty());
  Comparison result;
  compare(p.oracle, generated, result, "(a) vs libseccomp backend");
  EXPECT_EQ(result.differences, 0u);
}

// A sample in the real kernel: the imported filter and the oracle agree on calls that are
// safe to make (they fail on bad arguments or are harmless), including denied ones.
TEST(DockerEquivalenceKernel, SampleAgreesInTheKernel) {
  Pipelines p = build("docker-default.json");
  ASSERT_FALSE(p.oracle.empty());
  ASSERT_FALSE(p.imported.empty());
  struct Call { long nr; std::array<std::uint64_t, 6> args; };
  const Call calls[] = {
      {SYS_getpid, {}},
      {SYS_personality, {0xffffffff}},           // allowed: query
      {SYS_personality, {0x0400000}},            // denied by the profile
      {SYS_socket, {38, 1, 0}},                  // AF_KCM: denied
      {SYS_socket, {1, 1, 0}},                   // AF_UNIX: allowed
      {SYS_clone3, {0, 0}},                      // ENOSYS from the profile
      {SYS_acct, {0}},                           // EPERM: not in the profile
      {SYS_unshare, {0x10000000}},               // CLONE_NEWUSER: allowed by name in the profile
      {SYS_keyctl, {0}},                         // EPERM
  };
  for (const Call& call : calls) {
    auto want = testing::run_syscall_under_filter(p.oracle, call.nr, call.args);
    auto got = testing::run_syscall_under_filter(p.imported, call.nr, call.args);
    EXPECT_EQ(want.kind, got.kind) << call.nr << ": " << want.to_string() << " vs " << got.to_string();
    EXPECT_EQ(want.error, got.error) << call.nr << ": " << want.to_string() << " vs " << got.to_string();
    EXPECT_NE(got.kind, testing::KernelOutcome::Kind::LoadFailed) << got.to_string();
  }
  auto denied = testing::run_syscall_under_filter(p.imported, SYS_socket, {38, 1, 0});
  EXPECT_EQ(denied.kind, testing::KernelOutcome::Kind::Returned);
  EXPECT_EQ(denied.error, EPERM) << denied.to_string();
}

}  // namespace
}  // namespace policyc
