// SPDX-License-Identifier: Apache-2.0
// Compile time is linear in the policy's size, up to the input limit: a policy of N lines of
// `allow socket if arg0 == K` (K distinct) with `expect` lines, and the same with 4N lines. The
// measure is the CPU time policyc itself used (getrusage of the child, the least of a few runs),
// as a ratio: a linear compiler gives about 4 (less, with the fixed start-up cost), a quadratic
// one 16. CPU time rather than wall time, and a ratio rather than a threshold, so a busy machine
// moves both sides alike. Each compile runs under a CPU-time limit, so a superlinear compiler
// fails here in seconds instead of hanging the suite.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <string>

#include "tests/support/rootfs.h"

namespace frontend_compile_scaling_test {
namespace {

constexpr rlim_t kCpuLimitSeconds = 60;

// `rules` distinct socket families compared with arg0, one rule a line, `step` apart, and an
// expect line for every tenth of them (each checked through the BPF interpreter when compiling).
// Consecutive values merge into one range in the filter; scattered ones (step 3) stay a list of
// values, whose code the kernel's 4096-instruction limit bounds to a few thousand.
std::string socket_policy(int rules, int step) {
  std::string text = "seccomp default errno(EPERM) {\n  allow read write exit_group\n";
  for (int k = 0; k < rules; ++k) text += "  allow socket if arg0 == " + std::to_string(1000 + step * k) + "\n";
  for (int k = 0; k < rules; k += 10) text += "  expect allow socket(" + std::to_string(1000 + step * k) + ")\n";
  text += "  expect errno(EPERM) socket(999)\n";
  return text + "}\n";
}

struct Compile {
  int exit_code = -1;
  double cpu_seconds = 0;
};

// policyc POLICY -o PLAN in a child limited to kCpuLimitSeconds of CPU; its user+system time.
Compile compile_once(const std::string& policy, const std::string& plan) {
  pid_t pid = fork();
  if (pid == 0) {
    const rlimit cpu{kCpuLimitSeconds, kCpuLimitSeconds};
    setrlimit(RLIMIT_CPU, &cpu);
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) { dup2(null, 1); dup2(null, 2); }
    execl(POLICYC_BIN, POLICYC_BIN, policy.c_str(), "-o", plan.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  Compile c;
  c.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  c.cpu_seconds = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                  static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  return c;
}

// The least CPU time of `runs` compiles (noise only ever adds time).
double least_cpu_seconds(const std::string& policy, const std::string& plan, int runs) {
  double least = 0;
  for (int i = 0; i < runs; ++i) {
    const Compile c = compile_once(policy, plan);
    EXPECT_EQ(c.exit_code, 0) << policy << (c.exit_code == 128 + SIGXCPU ? ": over the CPU limit" : "");
    if (c.exit_code != 0) return -1;
    least = i == 0 ? c.cpu_seconds : std::min(least, c.cpu_seconds);
  }
  return least;
}

// The CPU time of N rules against 4N rules (`step` apart).
void expect_linear(int rules, int step) {
  testsupport::ScratchDir dir("compile-scaling");
  const std::string small = socket_policy(rules, step), large = socket_policy(4 * rules, step);
  ASSERT_LT(large.size(), std::size_t{1} << 20) << "the large policy must fit the input limit";
  testsupport::write_text(dir / "small.pol", small);
  testsupport::write_text(dir / "large.pol", large);
  const double t_small = least_cpu_seconds(dir / "small.pol", dir / "small.plan", 3);
  const double t_large = least_cpu_seconds(dir / "large.pol", dir / "large.plan", 3);
  ASSERT_GT(t_small, 0.0);
  ASSERT_GT(t_large, 0.0);
  const double ratio = t_large / t_small;
  ::testing::Test::RecordProperty("cpu_small_ms", static_cast<int>(t_small * 1000));
  ::testing::Test::RecordProperty("cpu_large_ms", static_cast<int>(t_large * 1000));
  EXPECT_LT(ratio, 8.0) << "4x the lines took " << ratio << "x the CPU time (" << t_small << " s -> " << t_large
                        << " s): compile time grows faster than the policy";
}

TEST(CompileScaling, CpuTimeIsLinearInThePolicySize) { expect_linear(4000, 1); }

TEST(CompileScaling, CpuTimeIsLinearForScatteredValues) { expect_linear(500, 3); }

}  // namespace
}  // namespace frontend_compile_scaling_test
