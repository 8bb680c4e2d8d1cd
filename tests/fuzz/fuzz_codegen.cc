// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the differential test of our seccomp code generator, driven by the fuzzer.
// The input picks a random filter (tests/support/random_policy: rules, actions with trap(N) and
// notify, conditions with every operator on plain and masked arguments at both widths, ranges,
// several tests of one argument, x32/i386 arches with any action for the others, i386-only and
// multiplexed names); the
// generated BPF must run and give abi.h's reference verdict on every probe call, and stay
// within the kernel's 4096 instructions. scripts/test runs it briefly, scripts/fuzz for longer.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "compiler/codegen/codegen.h"
#include "compiler/seccomp/abi.h"
#include "tests/support/random_policy.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::uint64_t seed = 1469598103934665603ULL;  // FNV-1a of the input
  for (std::size_t i = 0; i < size; ++i) seed = (seed ^ data[i]) * 1099511628211ULL;
  std::mt19937_64 rng(seed);
  policyc::testing::RandomFilterOptions options;
  options.max_rules = size > 0 ? 1 + data[0] % 60 : 8;
  options.max_conditions = size > 1 ? 1 + data[1] % 3 : 2;
  options.syscall_pool = size > 2 ? 1 + data[2] % 24 : 14;
  const policyc::seccomp::Filter filter = policyc::testing::random_filter(rng, options);
  policyc::Diagnostics diags;
  const std::vector<sock_filter> program = policyc::seccomp::generate_policyc(filter, diags, nullptr);
  if (program.empty() || program.size() > 4096) {
    std::fprintf(stderr, "no filter (%zu instructions) for:\n%s", program.size(),
                 policyc::testing::describe_filter(filter).c_str());
    std::abort();
  }
  const policyc::seccomp::ReferenceFilter reference(filter);
  for (const policyc::bpf::SeccompData& call : policyc::testing::probe_calls(filter, rng, 16)) {
    std::string error;
    const auto verdict = policyc::bpf::run(program, call, &error);
    const std::uint32_t want = reference.verdict(call);
    if (!verdict || verdict->ret != want) {
      std::fprintf(stderr, "%s: got 0x%x, reference 0x%x %s\nfilter:\n%s", policyc::testing::describe_call(call).c_str(),
                   verdict ? verdict->ret : 0, want, error.c_str(), policyc::testing::describe_filter(filter).c_str());
      std::abort();
    }
  }
  return 0;
}
