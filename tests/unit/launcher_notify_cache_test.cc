// SPDX-License-Identifier: Apache-2.0
// Reports cost nothing for allowed calls: the filter plan-exec loads when it reports denials or
// learns (launcher/supervisor/notify_filter.h) leaves the kernel's seccomp action cache exactly
// as the plan's own filter has it, so every call the cache skipped before is still skipped
// (no filter run, no supervisor), on every policy in policies/ and on Docker's default profile.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "compiler/bpf/bpf_interp.h"
#include "compiler/bpf/explain.h"
#include "compiler/driver/compile.h"
#include "launcher/supervisor/notify_filter.h"
#include "plan/encoding.h"

namespace launcher_notify_cache_test {
namespace {

// Always-allowed x86_64 numbers by the kernel's cache rules, of the plan's filter and of the
// notifying copy for `watch`.
void expect_same_cache(const std::vector<std::uint8_t>& bpf, const std::string& name) {
  const std::vector<sock_filter> original = policyc::bpf::decode(bpf);
  const std::vector<bool> before = policyc::seccomp::kernel_cache_allows(original, policyc::bpf::kAuditArchX86_64, 512);
  std::size_t cached = 0;
  for (bool b : before) cached += b ? 1 : 0;
  EXPECT_GT(cached, 20u) << name << ": the policy allows common calls by number alone";
  for (const launcher::Watch watch : {launcher::Watch::Kills, launcher::Watch::Denials, launcher::Watch::All}) {
    const auto copy = launcher::notifying_copy(bpf, watch);
    ASSERT_TRUE(copy) << name;
    const std::vector<bool> after =
        policyc::seccomp::kernel_cache_allows(policyc::bpf::decode(*copy), policyc::bpf::kAuditArchX86_64, 512);
    EXPECT_EQ(after, before) << name << ", watch " << static_cast<int>(watch);
  }
}

std::vector<std::uint8_t> compiled_bpf(const std::string& path) {
  policyc::Diagnostics diags;
  const auto result = policyc::compile_policy(path, policyc::CompileOptions{}, diags);
  std::ostringstream rendered;
  diags.render(rendered);
  EXPECT_TRUE(result && result->plan.seccomp) << path << "\n" << rendered.str();
  return result && result->plan.seccomp ? result->plan.seccomp->bpf : std::vector<std::uint8_t>{};
}

TEST(LauncherNotifyCache, TheNotifyingCopyKeepsTheKernelCacheOfEveryExamplePolicy) {
  std::size_t seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(SOURCE_DIR) + "/policies")) {
    if (entry.path().extension() != ".pol") continue;
    const auto bpf = compiled_bpf(entry.path().string());
    if (bpf.empty()) continue;
    expect_same_cache(bpf, entry.path().filename().string());
    ++seen;
  }
  EXPECT_GE(seen, 2u);
}

TEST(LauncherNotifyCache, TheNotifyingCopyKeepsTheKernelCacheOfDockersProfile) {
  char dir[] = "/tmp/notify-cache-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string pol = std::string(dir) + "/docker.pol";
  std::ofstream(pol) << "seccomp default errno(EPERM) {\n  arch x86_64 x86 x32\n  include \"" << SHARED_TESTDATA_DIR
                     << "/seccomp/docker-default.json\"\n}\n";
  const auto bpf = compiled_bpf(pol);
  std::filesystem::remove_all(dir);
  ASSERT_FALSE(bpf.empty());
  expect_same_cache(bpf, "docker-default.json");
}

}  // namespace
}  // namespace launcher_notify_cache_test
