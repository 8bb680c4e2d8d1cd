// SPDX-License-Identifier: Apache-2.0
// Golden diagnostics: every tests/golden/NAME.pol is a broken policy, and NAME.expected holds
// exactly what the compiler must print for it (file:line:col, message, source line, caret,
// hint), within policyc's default limits (--max-errors 20). The policies are compiled from inside tests/golden, so file names in the messages are
// short and the same on every machine.
//
// After an intended change of wording, regenerate and REVIEW the diffs by eye:
//   UPDATE_GOLDEN=1 build/tests/frontend_golden_test
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "compiler/driver/compile.h"
#include "tests/support/rootfs.h"

namespace {

namespace fs = std::filesystem;

const fs::path kGoldenDir = fs::path(SOURCE_DIR) / "tests" / "golden";

std::vector<std::string> golden_names() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(kGoldenDir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".pol") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Runs the compiler from inside the golden directory and restores the working directory.
struct GoldenRun {
  std::string rendered;
  bool compiled = false;
};

GoldenRun compile_golden(const std::string& name) {
  fs::path previous = fs::current_path();
  fs::current_path(kGoldenDir);
  policyc::Diagnostics diags;
  GoldenRun run;
  run.compiled = policyc::compile_policy(name + ".pol", {}, diags).has_value();
  std::ostringstream out;
  diags.render(out, policyc::RenderLimits{});   // as policyc prints them: at most 20 errors and 20 warnings
  run.rendered = out.str();
  fs::current_path(previous);
  return run;
}

class Golden : public ::testing::TestWithParam<std::string> {};

TEST_P(Golden, PrintsExactlyTheExpectedDiagnostics) {
  const std::string& name = GetParam();
  GoldenRun run = compile_golden(name);
  EXPECT_FALSE(run.compiled) << name << ".pol is meant to be broken, but it compiled";
  EXPECT_NE(run.rendered.find(": error: "), std::string::npos) << run.rendered;

  fs::path expected_path = kGoldenDir / (name + ".expected");
  if (std::getenv("UPDATE_GOLDEN")) {
    std::ofstream(expected_path, std::ios::binary) << run.rendered;
    GTEST_SKIP() << "rewrote " << expected_path << "; review the diff";
  }
  ASSERT_TRUE(fs::exists(expected_path)) << "missing " << expected_path
                                         << "; run with UPDATE_GOLDEN=1, then review the file";
  EXPECT_EQ(testsupport::read_text(expected_path), run.rendered) << "diagnostics of " << name << ".pol changed";
}

INSTANTIATE_TEST_SUITE_P(BrokenPolicies, Golden, ::testing::ValuesIn(golden_names()),
                         [](const testing::TestParamInfo<std::string>& info) { return info.param; });

TEST(GoldenSet, HasAtLeastTwentyBrokenPolicies) { EXPECT_GE(golden_names().size(), 20u); }

TEST(GoldenSet, EveryExpectedFileHasItsPolicy) {
  for (const auto& entry : fs::directory_iterator(kGoldenDir)) {
    if (entry.path().extension() != ".expected") continue;
    fs::path policy = entry.path();
    policy.replace_extension(".pol");
    EXPECT_TRUE(fs::exists(policy)) << entry.path() << " is left over: its policy is gone";
  }
}

}  // namespace
