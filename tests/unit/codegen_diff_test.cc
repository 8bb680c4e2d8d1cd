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
  double mean = 0;  // over x86_64 numbers 0..470 with arguments 0
};

CostStats cost_of(const std::vector<sock_filter>& program, const std::vector<bpf::SeccompData>& calls) {
  CostStats stats;
  double sum = 0;
  std::size_t plain = 0;
  for (const bpf::SeccompData& call : calls) {
    const auto verdict = bpf::run(program, call);
    if (!verdict) continue;
    stats.worst = std::max(stats.worst, verdict->executed);
    if (call.arch == bpf::kAuditArchX86_64 && call.nr >= 0 && call.nr <= 470 && call.args == std::array<std::uint64_t, 6>{}) {
      sum += static_cast<double>(verdict->executed);
      ++plain;
    }
  }
  stats.mean = plain ? sum / static_cast<double>(plain) : 0;
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

// Returns "" when both programs agree on every call, else the first difference.
std::string first_difference(const Filter& filter, const std::vector<sock_filter>& ours,
                             const std::vector<sock_filter>& oracle, const std::vector<bpf::SeccompData>& calls) {
  for (const bpf::SeccompData& call : calls) {
    std::string error;
    const auto mine = bpf::run(ours, call, &error);
    if (!mine) return "our filter does not run on " + testing::describe_call(call) + ": " + error;
    const auto theirs = bpf::run(oracle, call, &error);
    if (!theirs) return "libseccomp's filter does not run on " + testing::describe_call(call) + ": " + error;
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

TEST(CodegenDiff, RandomFiltersMatchLibseccomp) {
  const std::size_t iterations = env_number("POLICYC_DIFF_ITERATIONS", 1500);
  const bool bounded = std::getenv("POLICYC_DIFF_ITERATIONS") == nullptr;
  std::mt19937_64 rng(env_number("POLICYC_DIFF_SEED", 20261129));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(12);
  std::size_t compared = 0, refused = 0, slower = 0;
  for (std::size_t i = 0; i < iterations; ++i) {
    if (bounded && std::chrono::steady_clock::now() > deadline) break;
    const Filter filter = testing::random_filter(rng);
    const std::vector<sock_filter> oracle = oracle_compile(filter, std::chrono::milliseconds(1500));
    if (oracle.empty()) {
      ++refused;
      continue;
    }
    Diagnostics diags;
    const std::vector<sock_filter> ours = seccomp::generate_policyc(filter, diags, nullptr);
    std::ostringstream rendered;
    diags.render(rendered);
    ASSERT_FALSE(ours.empty()) << rendered.str() << testing::describe_filter(filter);
    ASSERT_LE(ours.size(), 4096U);
    const std::vector<bpf::SeccompData> calls = testing::probe_calls(filter, rng);
    const std::string difference = first_difference(filter, ours, oracle, calls);
    ASSERT_EQ(difference, "") << "random filter #" << i;
    const CostStats mine = cost_of(ours, calls), theirs = cost_of(oracle, calls);
    if (mine.worst > theirs.worst || mine.mean > theirs.mean) {
      ++slower;
      ADD_FAILURE() << "random filter #" << i << " costs more than libseccomp's: worst " << mine.worst << " vs "
                    << theirs.worst << ", mean " << mine.mean << " vs " << theirs.mean << "\n"
                    << testing::describe_filter(filter);
    }
    ++compared;
  }
  std::printf("compared %zu random filters (%zu refused by libseccomp), %zu costlier than libseccomp\n", compared,
              refused, slower);
  EXPECT_GE(compared, bounded ? 200U : iterations / 2);
}

}  // namespace
}  // namespace policyc
