// SPDX-License-Identifier: Apache-2.0
// A policy whose filter would exceed the kernel's 4096 instructions is refused at compile time,
// rather than producing a plan the kernel would reject at run time.
#include <gtest/gtest.h>
#include <seccomp.h>

#include <filesystem>
#include <fstream>

#include "compiler/driver/compile.h"

namespace {

// 300 real syscalls, each allowed only for 20 values of arg0 of its own (so no two syscalls can
// share a decision): thousands of comparisons.
std::string oversized_policy() {
  std::string text = "seccomp default errno(EPERM) {\n";
  int written = 0;
  for (int nr = 0; nr < 450 && written < 300; ++nr) {
    char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr);
    if (!name) continue;
    std::string rule = std::string("  allow ") + name + " if ";
    for (int v = 1; v <= 20; ++v) rule += (v > 1 ? " || " : "") + std::string("arg0 == ") + std::to_string(nr * 1000 + v * 7);
    text += rule + "\n";
    std::free(name);
    ++written;
  }
  return text + "}\n";
}

TEST(FrontendFilterSize, OverTheKernelLimitIsACompileError) {
  const std::string dir = std::string(TEST_SCRATCH_DIR) + "/filter-size";
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/big.pol";
  std::ofstream(path) << oversized_policy();
  {  // The default backend (ours). libseccomp 2.5.4 gives up on this policy before any limit.
    policyc::Diagnostics diags;
    EXPECT_FALSE(policyc::compile_policy(path, {}, diags));
    ASSERT_TRUE(diags.has_errors());
    bool named_the_limit = false;
    for (const auto& d : diags.all()) {
      named_the_limit = named_the_limit || d.message.find("limit of 4096") != std::string::npos;
    }
    EXPECT_TRUE(named_the_limit) << "the error must say the filter is over the limit; got: "
                                 << diags.all().front().message;
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
