// Differential proof of the policyc seccomp backend: on random filters, the Docker/Podman
// profiles and every policy in policies/, our BPF and libseccomp's (the oracle, optimize=2)
// give the same verdict on every x86_64 syscall number, far and x32 numbers, foreign arches
// and argument values at the edges and around every constant; and ours never executes more
// instructions than libseccomp's, in the worst case or on average.
//   POLICYC_DIFF_ITERATIONS=N  random filters to try (default 1500, bounded to ~12 s)
//   POLICYC_DIFF_SEED=S        start from another seed
#include <gtest/gtest.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <map>

#include <chrono>
#include <cstdlib>
#include <sstream>

#include "compiler/seccomp/backend.h"
#include "compiler/seccomp/bpf_interp.h"
#include "compiler/seccomp/codegen.h"
#include "compiler/seccomp/frequency.h"
#include "compiler/seccomp/libseccomp_backend_verify.h"
#include "tests/support/random_policy.h"

namespace policyc {
namespace {

using seccomp::Filter;

std::size_t env_number(const char* name, std::size_t fallback) {
  const char* text = std::getenv(name);
  return text && *text ? std::strtoull(text, nullptr, 10) : fallback;
}

struct CostStats {
  std::size_t worst = 0;
  double mean = 0;  // over x86_64 numbers 0..470 with arguments 0, weighted by the default profile
};

const std::vector<double>& profile_weights() {
  static const std::vector<double> weights = [] {
    std::vector<double> w = seccomp::weights_by_nr(seccomp::default_frequency_profile(), 471);
    for (double& x : w) x = x * 0.9 + 0.1 / 471;  // every syscall counts a little
    return w;
  }();
  return weights;
}

CostStats cost_of(const std::vector<sock_filter>& program, const std::vector<bpf::SeccompData>& calls) {
  CostStats stats;
  double sum = 0;
  std::size_t plain = 0;
  for (const bpf::SeccompData& call : calls) {
    // x32 calls are left out: libseccomp compares only their low words (fewer instructions,
    // other verdicts), so their costs are not comparable.
    if (static_cast<std::uint32_t>(call.nr) >= 0x40000000U && call.nr != -1) continue;
    const auto verdict = bpf::run(program, call);
    if (!verdict) continue;
    stats.worst = std::max(stats.worst, verdict->executed);
    if (call.arch == bpf::kAuditArchX86_64 && call.nr >= 0 && call.nr <= 470 && call.args == std::array<std::uint64_t, 6>{}) {
      sum += profile_weights()[call.nr] * static_cast<double>(verdict->executed);
      ++plain;
    }
  }
  stats.mean = sum;
  return stats;
}

// The IR's verdict for an allowed x32 call (x86_64 arch, nr with the x32 bit, not -1).
std::optional<std::uint32_t> x32_ir_verdict(const Filter& filter, const bpf::SeccompData& call) {
  const auto nr = static_cast<std::uint32_t>(call.nr);
  if (call.arch != bpf::kAuditArchX86_64 || nr < 0x40000000U || nr == 0xffffffffU) return std::nullopt;
  if (std::find(filter.arches.begin(), filter.arches.end(), "x32") == filter.arches.end()) return std::nullopt;
  char* name = nr < 0x40001000U ? seccomp_syscall_resolve_num_arch(SCMP_ARCH_X32, call.nr) : nullptr;
  if (!name) return seccomp::seccomp_ret_of(filter.default_action);
  Filter renumbered = filter;  // the x32 syscall's rules, matched by name
  for (seccomp::Rule& rule : renumbered.rules) rule.nr = rule.syscall == name ? call.nr : -1;
  std::free(name);
  return seccomp::seccomp_ret_of(seccomp::ir_verdict(renumbered, call.nr, call.args));
}

// libseccomp's rule merging grows steeply with the rules it gets for one syscall (the
// libseccomp backend's order-preserving rewrite can make hundreds from a few random ranges),
// so the oracle runs in a child process that is killed after `timeout`; such filters count
// as refused. Empty result: refused or too slow.
std::vector<sock_filter> oracle_compile(const Filter& filter, std::chrono::milliseconds timeout) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  const pid_t child = fork();
  if (child == 0) {
    close(fds[0]);
    Diagnostics diags;
    const std::vector<std::uint8_t> bytes = bpf::encode(seccomp::compile_libseccomp(filter, diags, 2));
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = write(fds[1], bytes.data() + done, bytes.size() - done);
      if (n <= 0) _exit(1);
      done += static_cast<std::size_t>(n);
    }
    _exit(0);
  }
  close(fds[1]);
  std::vector<std::uint8_t> bytes;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool finished = false;
  while (!finished) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fds[0], POLLIN, 0};
    if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    std::uint8_t buffer[4096];
    const ssize_t n = read(fds[0], buffer, sizeof buffer);
    if (n <= 0) finished = n == 0;
    else bytes.insert(bytes.end(), buffer, buffer + n);
    if (n < 0) break;
  }
  close(fds[0]);
  if (!finished) kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  if (!finished || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return {};
  return bpf::decode(bytes);
}

// The verdict ir.h defines for `call` (x86_64 host; x86 is never allowed by our backend).
std::uint32_t ir_expected(const Filter& filter, const bpf::SeccompData& call) {
  const auto nr = static_cast<std::uint32_t>(call.nr);
  if (call.arch != bpf::kAuditArchX86_64) return seccomp::seccomp_ret_of(filter.bad_arch_action);
  if (const auto x32 = x32_ir_verdict(filter, call)) return *x32;
  const bool x32_allowed = std::find(filter.arches.begin(), filter.arches.end(), "x32") != filter.arches.end();
  if (nr >= 0x40000000U && nr != 0xffffffffU && !x32_allowed) return seccomp::seccomp_ret_of(filter.bad_arch_action);
  return seccomp::seccomp_ret_of(seccomp::ir_verdict(filter, call.nr, call.args));
}

std::size_t oracle_defects = 0;

// Returns "" when both programs agree on every call, else the first difference.
std::string first_difference(const Filter& filter, const std::vector<sock_filter>& ours,
                             const std::vector<sock_filter>& oracle, const std::vector<bpf::SeccompData>& calls) {
  for (const bpf::SeccompData& call : calls) {
    std::string error;
    const auto mine = bpf::run(ours, call, &error);
    if (!mine) return "our filter does not run on " + testing::describe_call(call) + ": " + error;
    const auto theirs = bpf::run(oracle, call, &error);
    if (!theirs) return "libseccomp's filter does not run on " + testing::describe_call(call) + ": " + error;
    const bool x32_call = static_cast<std::uint32_t>(call.nr) >= 0x40000000U && call.nr != -1;
    if (!x32_call && mine->ret != theirs->ret && mine->ret == ir_expected(filter, call)) {
      // libseccomp's backend strays from ir.h here; ours does not
      if (++oracle_defects <= 3) std::printf("libseccomp backend differs from ir.h on %s:\n%s", testing::describe_call(call).c_str(),
                  testing::describe_filter(filter).c_str());
      continue;
    }
    // x32 calls: libseccomp compares only the low words of its rewritten conditions there;
    // the IR (and the kernel) see 64-bit registers, so x32 verdicts are checked against ir.h.
    const std::optional<std::uint32_t> expected = x32_ir_verdict(filter, call);
    const std::uint32_t want = expected ? *expected : theirs->ret;
    if (mine->ret != want) {
      std::ostringstream out;
      out << "verdicts differ on " << testing::describe_call(call) << ": ours 0x" << std::hex << mine->ret << ", "
          << (expected ? "the IR's" : "libseccomp") << " 0x" << want << "\nfilter:\n" << testing::describe_filter(filter);
      return out.str();
    }
  }
  return "";
}

std::vector<sock_filter> ours_or_fail(const Filter& filter) {
  Diagnostics diags;
  std::vector<sock_filter> ours = seccomp::generate_policyc(filter, diags, nullptr);
  std::ostringstream rendered;
  diags.render(rendered);
  EXPECT_FALSE(ours.empty()) << rendered.str() << testing::describe_filter(filter);
  EXPECT_LE(ours.size(), 4096U);
  return ours;
}

TEST(CodegenDiff, RandomFiltersMatchLibseccomp) {
  const std::size_t iterations = env_number("POLICYC_DIFF_ITERATIONS", 1500);
  const bool bounded = std::getenv("POLICYC_DIFF_ITERATIONS") == nullptr;
  std::mt19937_64 rng(env_number("POLICYC_DIFF_SEED", 20261129));
  testing::RandomFilterOptions options;
  options.u32_only_for_equality = true;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(9);
  std::size_t compared = 0, refused = 0, costlier = 0;
  for (std::size_t i = 0; i < iterations; ++i) {
    if (bounded && std::chrono::steady_clock::now() > deadline) break;
    const Filter filter = testing::random_filter(rng, options);
    const std::vector<sock_filter> oracle = oracle_compile(filter, std::chrono::milliseconds(400));
    if (oracle.empty()) {
      ++refused;
      continue;
    }
    const std::vector<sock_filter> ours = ours_or_fail(filter);
    ASSERT_FALSE(ours.empty());
    const std::vector<bpf::SeccompData> calls = testing::probe_calls(filter, rng);
    const std::string difference = first_difference(filter, ours, oracle, calls);
    ASSERT_EQ(difference, "") << "random filter #" << i;
    const CostStats mine = cost_of(ours, calls), theirs = cost_of(oracle, calls);
    const bool x32 = std::find(filter.arches.begin(), filter.arches.end(), "x32") != filter.arches.end();
    if (!x32 && (mine.worst > theirs.worst || mine.mean > theirs.mean + 1e-9)) {
      ++costlier;
      ADD_FAILURE() << "random filter #" << i << " costs more than libseccomp's: worst " << mine.worst << " vs "
                    << theirs.worst << ", mean " << mine.mean << " vs " << theirs.mean << "\n"
                    << testing::describe_filter(filter);
    }
    ++compared;
  }
  std::printf("compared %zu random filters with libseccomp's (%zu refused or too slow for it), %zu costlier; "
              "%zu calls where libseccomp's backend strayed from ir.h\n", compared, refused, costlier, oracle_defects);
  EXPECT_GE(compared, bounded ? 100U : iterations / 2);
}

// The same, on filters libseccomp could not take in reasonable time (u32 ranges, many
// rules), against the IR's semantics directly.
TEST(CodegenDiff, RandomFiltersMatchIrSemantics) {
  const std::size_t iterations = env_number("POLICYC_DIFF_ITERATIONS", 3000);
  const bool bounded = std::getenv("POLICYC_DIFF_ITERATIONS") == nullptr;
  std::mt19937_64 rng(env_number("POLICYC_DIFF_SEED", 20261129) + 1);
  testing::RandomFilterOptions options;
  options.max_rules = 60;
  options.max_conditions = 3;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  std::size_t compared = 0;
  for (std::size_t i = 0; i < iterations; ++i) {
    if (bounded && std::chrono::steady_clock::now() > deadline) break;
    const Filter filter = testing::random_filter(rng, options);
    const std::vector<sock_filter> ours = ours_or_fail(filter);
    ASSERT_FALSE(ours.empty());
    for (const bpf::SeccompData& call : testing::probe_calls(filter, rng)) {
      std::string error;
      const auto verdict = bpf::run(ours, call, &error);
      ASSERT_TRUE(verdict) << error << "\n" << testing::describe_filter(filter);
      ASSERT_EQ(verdict->ret, ir_expected(filter, call))
          << "random filter #" << i << " on " << testing::describe_call(call) << "\n" << testing::describe_filter(filter);
    }
    ++compared;
  }
  std::printf("checked %zu random filters against the IR semantics\n", compared);
  EXPECT_GE(compared, bounded ? 300U : iterations);
}

}  // namespace
}  // namespace policyc
