// SPDX-License-Identifier: Apache-2.0
// Differential proof of the policyc seccomp backend: on random filters (every operator, masked
// or not, ranges and several tests of one argument, any action for other arches), the Docker/Podman
// profiles and every policy in policies/, our BPF and libseccomp's (the oracle, optimize=2)
// give the same verdict on every x86_64 syscall number, far, x32 and i386 numbers (i386's
// socketcall/ipc multiplexers included), foreign arches and argument values at the edges and
// around every constant; both agree with the reference semantics of abi.h; and ours never
// executes more instructions than libseccomp's on x86_64 calls, worst case or on average.
//   POLICYC_DIFF_ITERATIONS=N  random filters to try (default 1500, bounded to ~12 s)
//   POLICYC_DIFF_SEED=S        start from another seed
//   POLICYC_DIFF_ORACLE_MS=T   give libseccomp T ms per filter (default 400) before counting
//                              the filter as refused
#include <gtest/gtest.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <chrono>
#include <cstdlib>
#include <sstream>

#include "compiler/backend/backend.h"
#include "compiler/bpf/bpf_interp.h"
#include "compiler/bpf/frequency.h"
#include "compiler/codegen/codegen.h"
#include "compiler/docker/import.h"
#include "compiler/driver/compile.h"
#include "compiler/driver/import_filter.h"
#include "compiler/libseccomp/libseccomp_backend.h"
#include "compiler/libseccomp/libseccomp_backend_verify.h"
#include "compiler/lower/lower_seccomp.h"
#include "compiler/parse/parse.h"
#include "compiler/seccomp/abi.h"
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
  std::set<int> counted;  // probe_calls makes some zero-argument calls more than once
  for (const bpf::SeccompData& call : calls) {
    // The cost targets are for native calls: x32 and i386 calls (which no x86_64 container
    // makes in practice) are left out; our tree gives them a looser worst-case budget.
    if (call.arch != bpf::kAuditArchX86_64) continue;
    if (static_cast<std::uint32_t>(call.nr) >= 0x40000000U && call.nr != -1) continue;
    const auto verdict = bpf::run(program, call);
    if (!verdict) continue;
    stats.worst = std::max(stats.worst, verdict->executed);
    if (call.arch == bpf::kAuditArchX86_64 && call.nr >= 0 && call.nr <= 470 && call.args == std::array<std::uint64_t, 6>{} &&
        counted.insert(call.nr).second) {
      sum += profile_weights()[call.nr] * static_cast<double>(verdict->executed);
      ++plain;
    }
  }
  stats.mean = sum;
  return stats;
}

// libseccomp's rule merging grows steeply with the rules it gets for one syscall (the
// libseccomp backend's order-preserving rewrite can make hundreds from a few random ranges),
// so the oracle runs in a child process that is killed after `timeout`; such filters count
// as refused. Empty result: refused or too slow.
std::vector<sock_filter> oracle_compile(const Filter& filter, std::chrono::milliseconds timeout, bool* timed_out) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  const pid_t child = fork();
  if (child == 0) {
    setpgid(0, 0);  // a group of its own: a timeout kills whatever it forked too
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
  if (!finished) kill(-child, SIGKILL), kill(child, SIGKILL);
  *timed_out = !finished;
  int status = 0;
  waitpid(child, &status, 0);
  if (!finished || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return {};
  return bpf::decode(bytes);
}

std::size_t oracle_defects = 0;

// Returns "" when both programs agree on every call, else the first difference.
std::string first_difference(const Filter& filter, const std::vector<sock_filter>& ours,
                             const std::vector<sock_filter>& oracle, const std::vector<bpf::SeccompData>& calls) {
  const seccomp::ReferenceFilter reference(filter);
  for (const bpf::SeccompData& call : calls) {
    std::string error;
    const auto mine = bpf::run(ours, call, &error);
    if (!mine) return "our filter does not run on " + testing::describe_call(call) + ": " + error;
    const auto theirs = bpf::run(oracle, call, &error);
    if (!theirs) return "libseccomp's filter does not run on " + testing::describe_call(call) + ": " + error;
    const std::uint32_t expected = reference.verdict(call);
    if (mine->ret != theirs->ret && mine->ret == expected) {
      // libseccomp's backend strays from ir.h here; ours does not
      if (++oracle_defects <= 3) std::printf("libseccomp backend differs from ir.h on %s:\n%s", testing::describe_call(call).c_str(),
                  testing::describe_filter(filter).c_str());
      continue;
    }
    if (mine->ret != theirs->ret || mine->ret != expected) {
      std::ostringstream out;
      out << "verdicts differ on " << testing::describe_call(call) << ": ours 0x" << std::hex << mine->ret
          << ", libseccomp 0x" << theirs->ret << ", the IR's 0x" << expected << "\nfilter:\n"
          << testing::describe_filter(filter);
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
  options.libseccomp_expressible = true;  // its backend refuses other masked operators and trap(N)
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(7);
  const std::chrono::milliseconds oracle_timeout(env_number("POLICYC_DIFF_ORACLE_MS", 400));
  std::size_t compared = 0, refused = 0, costlier = 0, timed_out = 0;
  for (std::size_t i = 0; i < iterations; ++i) {
    // The time bound only trims runs beyond the first 100 compared, so the count asserted below
    // never depends on the machine's speed (sanitizer builds run several times slower).
    if (bounded && compared >= 100 && std::chrono::steady_clock::now() > deadline) break;
    const Filter filter = testing::random_filter(rng, options);
    bool too_slow = false;
    const std::vector<sock_filter> oracle = oracle_compile(filter, oracle_timeout, &too_slow);
    if (oracle.empty()) {
      ++refused;
      timed_out += too_slow ? 1 : 0;
      continue;
    }
    const std::vector<sock_filter> ours = ours_or_fail(filter);
    ASSERT_FALSE(ours.empty());
    // The calls get their own generator, so the sequence of filters never depends on which
    // ones libseccomp was too slow for (a timeout must not change what the test compares).
    std::mt19937_64 call_rng(i);
    const std::vector<bpf::SeccompData> calls = testing::probe_calls(filter, call_rng);
    const std::string difference = first_difference(filter, ours, oracle, calls);
    ASSERT_EQ(difference, "") << "random filter #" << i;
    const CostStats mine = cost_of(ours, calls), theirs = cost_of(oracle, calls);
    if (mine.worst > theirs.worst || mine.mean > theirs.mean + 1e-9) {
      ++costlier;
      ADD_FAILURE() << "random filter #" << i << " costs more than libseccomp's: worst " << mine.worst << " vs "
                    << theirs.worst << ", mean " << mine.mean << " vs " << theirs.mean << "\n"
                    << testing::describe_filter(filter);
    }
    ++compared;
  }
  std::printf("compared %zu random filters with libseccomp's (%zu refused or too slow for it), %zu costlier; "
              "%zu calls where libseccomp's backend strayed from ir.h\n", compared, refused, costlier, oracle_defects);
  // libseccomp refuses about 60% of these filters (155 of 255 in a normal run); the ones it was
  // too slow for (a loaded machine, a sanitizer build) are no verdict on it, so a count given by
  // POLICYC_DIFF_ITERATIONS leaves them out.
  EXPECT_GE(compared, bounded ? 100U : (iterations - timed_out) / 4);
}

// The same, on filters libseccomp could not take in reasonable time (u32 ranges, many
// rules) or at all (every operator on a masked argument, trap(N)), against the IR's semantics
// directly.
TEST(CodegenDiff, RandomFiltersMatchIrSemantics) {
  const std::size_t iterations = env_number("POLICYC_DIFF_ITERATIONS", 3000);
  const bool bounded = std::getenv("POLICYC_DIFF_ITERATIONS") == nullptr;
  std::mt19937_64 rng(env_number("POLICYC_DIFF_SEED", 20261129) + 1);
  testing::RandomFilterOptions options;
  options.max_rules = 60;
  options.max_conditions = 3;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(4);
  std::size_t compared = 0;
  for (std::size_t i = 0; i < iterations; ++i) {
    // The time bound only trims the extra runs: the first 300 always run, however slow the
    // build (sanitizers), so the count asserted below never depends on the machine's speed.
    if (bounded && compared >= 300 && std::chrono::steady_clock::now() > deadline) break;
    const Filter filter = testing::random_filter(rng, options);
    const std::vector<sock_filter> ours = ours_or_fail(filter);
    ASSERT_FALSE(ours.empty());
    const seccomp::ReferenceFilter reference(filter);
    for (const bpf::SeccompData& call : testing::probe_calls(filter, rng)) {
      std::string error;
      const auto verdict = bpf::run(ours, call, &error);
      ASSERT_TRUE(verdict) << error << "\n" << testing::describe_filter(filter);
      ASSERT_EQ(verdict->ret, reference.verdict(call))
          << "random filter #" << i << " on " << testing::describe_call(call) << "\n" << testing::describe_filter(filter);
    }
    ++compared;
  }
  std::printf("checked %zu random filters against the IR semantics\n", compared);
  EXPECT_GE(compared, bounded ? 300U : iterations);
}

// A filter from a policy or profile, both ways: with libseccomp as the oracle when it takes the
// filter, else against ir.h directly (libseccomp's backend refuses some real profiles).
void expect_same_verdicts(const Filter& filter, const std::string& what) {
  const std::vector<sock_filter> ours = ours_or_fail(filter);
  ASSERT_FALSE(ours.empty()) << what;
  std::mt19937_64 rng(1);
  const std::vector<bpf::SeccompData> calls = testing::probe_calls(filter, rng, 96);
  Diagnostics oracle_diags;
  const std::vector<sock_filter> oracle = seccomp::compile_libseccomp(filter, oracle_diags, 2);
  if (!oracle.empty()) {
    EXPECT_EQ(first_difference(filter, ours, oracle, calls), "") << what;
    const CostStats mine = cost_of(ours, calls), theirs = cost_of(oracle, calls);
    EXPECT_LE(mine.worst, theirs.worst) << what;
    EXPECT_LE(mine.mean, theirs.mean) << what;
    std::printf("%s: %zu rules, equal to libseccomp on %zu calls; worst %zu vs %zu, weighted mean %.2f vs %.2f\n",
                what.c_str(), filter.rules.size(), calls.size(), mine.worst, theirs.worst, mine.mean, theirs.mean);
    return;
  }
  const seccomp::ReferenceFilter reference(filter);
  for (const bpf::SeccompData& call : calls) {
    const auto verdict = bpf::run(ours, call);
    ASSERT_TRUE(verdict) << what;
    ASSERT_EQ(verdict->ret, reference.verdict(call)) << what << " on " << testing::describe_call(call);
  }
  std::printf("%s: %zu rules, libseccomp refused it; equal to ir.h on %zu calls\n", what.c_str(), filter.rules.size(),
              calls.size());
}

TEST(CodegenDiff, DockerAndPodmanProfiles) {
  for (const char* name : {"docker-default.json", "containers-common.json"}) {
    const std::string path = std::string(SHARED_TESTDATA_DIR) + "/seccomp/" + name;
    Diagnostics diags;
    const std::optional<Filter> filter = import_filter_file(path, {}, diags);
    std::ostringstream rendered;
    diags.render(rendered);
    ASSERT_TRUE(filter) << rendered.str();
    expect_same_verdicts(*filter, name);
  }
}

TEST(CodegenDiff, EveryPolicyInPoliciesDir) {
  std::size_t seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(SOURCE_DIR) + "/policies")) {
    if (entry.path().extension() != ".pol") continue;
    Diagnostics diags;
    const std::optional<CompileResult> result = compile_policy(entry.path().string(), CompileOptions{}, diags);
    std::ostringstream rendered;
    diags.render(rendered);
    ASSERT_TRUE(result) << rendered.str();
    if (!result->filter) continue;
    expect_same_verdicts(*result->filter, entry.path().filename().string());
    ++seen;
  }
  std::printf("%zu policies compared\n", seen);
}

// Loads a few random filters into the kernel in a child process and makes the calls: the
// kernel's verdict (an errno >= 200 we chose, or the call running) must be the interpreter's.
TEST(CodegenDiff, SampleRunsInTheKernel) {
  // Syscalls harmless with any arguments, in a throwaway child.
  const std::vector<int> harmless = {SYS_getppid, SYS_getpriority, SYS_dup, SYS_umask, SYS_getpgid, SYS_getsid,
                                     SYS_sched_getscheduler, SYS_getuid, SYS_getgid, SYS_geteuid};
  testing::RandomFilterOptions options;
  options.only_allow_and_errno = true;
  options.allow_x32 = false;
  options.allow_x86 = false;
  options.syscalls = harmless;
  options.syscall_pool = harmless.size();
  std::mt19937_64 rng(99);
  std::size_t calls_made = 0;
  for (int sample = 0; sample < 6; ++sample) {
    Filter filter = testing::random_filter(rng, options);
    filter.default_action = {seccomp::ActionKind::Allow, 0};  // the child must still write and exit
    for (seccomp::Rule& rule : filter.rules) {
      if (rule.action.kind == seccomp::ActionKind::Errno) rule.action.data = 200 + rule.action.data % 3800;
    }
    const std::vector<sock_filter> ours = ours_or_fail(filter);
    ASSERT_FALSE(ours.empty());
    std::vector<bpf::SeccompData> calls;
    for (const bpf::SeccompData& call : testing::probe_calls(filter, rng, 24)) {
      const bool harmless_call = std::find(harmless.begin(), harmless.end(), call.nr) != harmless.end();
      if (call.arch == bpf::kAuditArchX86_64 && harmless_call) calls.push_back(call);
    }
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      close(fds[0]);
      sock_fprog prog{static_cast<unsigned short>(ours.size()), const_cast<sock_filter*>(ours.data())};
      if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) _exit(3);
      for (const bpf::SeccompData& call : calls) {
        const long r = syscall(call.nr, call.args[0], call.args[1], call.args[2], call.args[3], call.args[4], call.args[5]);
        const int result[2] = {static_cast<int>(r), r == -1 ? errno : 0};
        if (write(fds[1], result, sizeof result) != sizeof result) _exit(4);
      }
      _exit(0);
    }
    close(fds[1]);
    for (const bpf::SeccompData& call : calls) {
      int result[2];
      ASSERT_EQ(read(fds[0], result, sizeof result), static_cast<ssize_t>(sizeof result)) << "child stopped early";
      const auto verdict = bpf::run(ours, call);
      ASSERT_TRUE(verdict);
      if (verdict->action() == SECCOMP_RET_ERRNO) {
        EXPECT_EQ(result[0], -1) << testing::describe_call(call);
        EXPECT_EQ(static_cast<std::uint32_t>(result[1]), verdict->data()) << testing::describe_call(call);
      } else {
        EXPECT_LT(result[1], 200) << "the kernel refused an allowed call: " << testing::describe_call(call);
      }
      ++calls_made;
    }
    close(fds[0]);
    int status = 0;
    waitpid(child, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  }
  std::printf("made %zu calls under our filters in the kernel\n", calls_made);
  EXPECT_GT(calls_made, 100U);
}

}  // namespace
}  // namespace policyc
